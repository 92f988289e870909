"""`fn` import: both forms, and errors that say which part failed, at the `fn` key."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatserve.bot.load import load
from chatserve.bot.runner import ASYNC, ASYNC_GENERATOR, GENERATOR, SYNC
from chatserve.errors import ConfigError


def write(tmp_path: Path, fn: str, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    config = tmp_path / "bot.yaml"
    config.write_text(f"title: t\nfn: {fn}\n")
    return config


def error(tmp_path: Path, fn: str, files: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, fn, files or {}))
    [problem] = caught.value.problems
    assert (problem.line, problem.column, problem.path) == (2, 1, "fn")
    return problem.message


def test_file_form_is_relative_to_the_config(tmp_path: Path) -> None:
    bot = load(write(tmp_path, "sub/chat.py:reply", {"sub/chat.py": "def reply(m, h): return m"}))
    assert bot.fn("hi", []) == "hi"


def test_module_form_has_the_config_folder_on_sys_path(tmp_path: Path) -> None:
    files = {"pkg_a1/__init__.py": "", "pkg_a1/chat.py": "def reply(m, h): return m * 2"}
    assert load(write(tmp_path, "pkg_a1.chat:reply", files)).fn("x", []) == "xx"


def test_file_may_import_its_neighbours(tmp_path: Path) -> None:
    files = {
        "helper_b2.py": "WORD = 'hello'",
        "chat.py": "from helper_b2 import WORD\ndef reply(m, h): return WORD",
    }
    assert load(write(tmp_path, "chat.py:reply", files)).fn("x", []) == "hello"


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("def f(m, h): return m", SYNC),
        ("def f(m, h):\n    yield m", GENERATOR),
        ("async def f(m, h): return m", ASYNC),
        ("async def f(m, h):\n    yield m", ASYNC_GENERATOR),
        ("class C:\n    def __call__(self, m, h):\n        yield m\nf = C()", GENERATOR),
    ],
)
def test_function_kinds_are_detected(tmp_path: Path, source: str, kind: str) -> None:
    assert load(write(tmp_path, "chat.py:f", {"chat.py": source})).kind == kind


def test_missing_module(tmp_path: Path) -> None:
    assert error(tmp_path, "no_such_module_c3:reply").startswith(
        'Could not import module "no_such_module_c3"'
    )


def test_missing_file(tmp_path: Path) -> None:
    assert error(tmp_path, "nope.py:reply") == f'File "nope.py" not found in "{tmp_path}".'


def test_missing_attribute(tmp_path: Path) -> None:
    message = error(tmp_path, "chat.py:reply", {"chat.py": "def other(m, h): pass"})
    assert message == 'Attribute "reply" not found in module "chat.py".'


def test_not_callable(tmp_path: Path) -> None:
    message = error(tmp_path, "chat.py:reply", {"chat.py": "reply = 42"})
    assert message == '"chat.py:reply" is a int, not a function.'


def test_error_inside_the_module_names_the_line(tmp_path: Path) -> None:
    message = error(tmp_path, "chat.py:reply", {"chat.py": "x = 1\nundefined_name\n"})
    assert message == (
        "Importing \"chat.py\" failed: NameError: name 'undefined_name' is not defined "
        "(chat.py, line 2)"
    )


def test_syntax_error_in_the_module(tmp_path: Path) -> None:
    message = error(tmp_path, "chat.py:reply", {"chat.py": "x = 1\ndef reply(:\n"})
    assert message == 'Importing "chat.py" failed: SyntaxError: invalid syntax (chat.py, line 2)'


def test_missing_dependency_of_a_module_is_not_blamed_on_the_module(tmp_path: Path) -> None:
    files = {"chat_d4.py": "import not_installed_e5\ndef reply(m, h): pass"}
    message = error(tmp_path, "chat_d4:reply", files)
    assert message.startswith('Importing "chat_d4" failed: ModuleNotFoundError')


def test_file_outside_the_config_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("def reply(m, h): return 'pwned'")
    inner = tmp_path / "inner"
    inner.mkdir()
    config = inner / "bot.yaml"
    config.write_text("title: t\nfn: ../outside.py:reply\n")
    with pytest.raises(ConfigError) as caught:
        load(config)
    assert "outside the config's folder" in str(caught.value)
