"""The loader: positions, every problem in one pass, safe YAML, friendly messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chatserve.errors import ConfigError
from chatserve.loader import load_config
from chatserve.source import MAX_FILE_BYTES


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "bot.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [str(p).replace(str(path), "bot.yaml") for p in caught.value.problems]


def test_valid_config_loads_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("fn: bot.py:reply\ntitle: Hi\n")
    config = load_config(path)
    assert config.fn == "bot.py:reply"
    assert config.title == "Hi"
    assert config.theme == "default"
    assert config.autofocus is True
    assert config.server.port == 8000
    assert config.source.locate(("title",)) == (2, 1)


def test_every_problem_is_reported_in_one_pass_with_line_and_column(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        titel: Hello
        title: Yes
        chatbot:
            height: tall
            placeholdr: x
        theme: blue
        server:
          port: 70000
        title: Again
        examples: [a, 3]
        """,
    )
    assert found == [
        "bot.yaml:1:1: missing required key 'fn'",
        "bot.yaml:1:1: titel: unknown key 'titel'; did you mean 'title'?",
        "bot.yaml:4:5: chatbot.height: must be an integer or a CSS length such as '70vh', "
        "got 'tall'",
        "bot.yaml:5:5: chatbot.placeholdr: unknown key 'placeholdr'; did you mean 'placeholder'?",
        "bot.yaml:6:1: theme: must be one of 'default', 'soft', 'ocean', 'citrus', 'glass', "
        "'monochrome', 'origin' or 'base', got 'blue'",
        "bot.yaml:8:3: server.port: must be less than or equal to 65535, got 70000",
        "bot.yaml:9:1: title: duplicate key 'title'; first defined at line 2",
        "bot.yaml:10:15: examples[1]: must be a string, a mapping or a list, got int 3",
    ]


def test_missing_key_points_at_the_mapping_that_lacks_it(tmp_path: Path) -> None:
    assert problems(tmp_path, "# comment\n\ntitle: x\n") == [
        "bot.yaml:3:1: missing required key 'fn'"
    ]


def test_union_types_give_one_message(tmp_path: Path) -> None:
    assert problems(tmp_path, "fn: a:b\nsubmit_btn: 5\n") == [
        "bot.yaml:2:1: submit_btn: must be a string or true/false, got int 5"
    ]


def test_unknown_key_without_close_match_lists_the_allowed_keys(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "fn: a:b\ntextbox:\n  zzz: 1\n")
    assert problem == (
        "bot.yaml:3:3: textbox.zzz: unknown key 'zzz'; expected one of: placeholder, "
        "file_types, file_count, max_file_size"
    )


def test_fn_must_name_module_and_function(tmp_path: Path) -> None:
    assert problems(tmp_path, "fn: bot.reply\n") == [
        "bot.yaml:1:1: fn: 'bot.reply' must be in format \"<module>:<function>\" or "
        '"<file.py>:<function>"'
    ]


def test_types_are_strict(tmp_path: Path) -> None:
    assert problems(tmp_path, "fn: a:b\nserver:\n  port: '8000'\nautofocus: 'yes'\n") == [
        "bot.yaml:3:3: server.port: must be an integer, got '8000'",
        "bot.yaml:4:1: autofocus: must be true/false, got 'yes'",
    ]


def test_syntax_error_is_located(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "fn: [a\ntitle: x\n")
    assert problem.startswith("bot.yaml:2:6: YAML syntax error: expected ',' or ']'")


def test_bad_indentation_is_a_syntax_error_not_a_traceback(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "fn: a:b\nchatbot:\n  height: 3\n placeholder: x\n")
    assert problem.startswith("bot.yaml:4:2: YAML syntax error")


def test_python_tags_are_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, "fn: !!python/object/apply:os.system ['echo hi']\n") == [
        "bot.yaml:1:5: unsupported YAML tag '!!python/object/apply:os.system'; config files are "
        "plain data (no Python objects, no custom tags)"
    ]
    [scalar] = problems(tmp_path, "fn: !!python/name:os.system\n")
    assert "unsupported YAML tag '!!python/name:os.system'" in scalar


def test_alias_bomb_is_stopped(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for name, previous in zip("bcdef", "abcde", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    [problem] = problems(tmp_path, "\n".join(lines) + "\n")
    assert problem.startswith("bot.yaml:1:1: document expands to more than 100,000 values")


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: " + "[" * 5000 + "]" * 5000 + "\n"])
def test_recursive_alias_and_deep_nesting_are_stopped(tmp_path: Path, text: str) -> None:
    assert problems(tmp_path, text) == ["bot.yaml:1:1: document nests more than 50 levels deep"]


def test_merge_keys_work_and_may_override(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("fn: a:b\nchatbot:\n  <<: {placeholder: hi, height: 100}\n  height: 200\n")
    config = load_config(path)
    assert (config.chatbot.placeholder, config.chatbot.height) == ("hi", 200)


def test_dates_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("fn: a:b\ntitle: 2024-01-01\n")
    assert load_config(path).title == "2024-01-01"


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("fn: a:b\n" + "#" * MAX_FILE_BYTES)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "the limit is 1,048,576" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty; a config needs at least 'fn'"),
        ("- a\n- b\n", "the top level must be a mapping of keys, got a list"),
    ],
)
def test_empty_or_non_mapping_file(tmp_path: Path, text: str, message: str) -> None:
    assert problems(tmp_path, text) == [f"bot.yaml:1:1: {message}"]


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_bytes(b"fn: a:b\ntitle: \xff\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


@pytest.mark.parametrize("height", ["70vh", "300px", "12.5rem", "100%", 300])
def test_css_lengths_are_accepted(tmp_path: Path, height: object) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(f"fn: a:b\nchatbot:\n  height: {height}\n")
    assert load_config(path).chatbot.height == height


@pytest.mark.parametrize("height", ["1px; background: url(x)", "calc(100%)", "-5px", 0])
def test_css_injection_through_height_is_refused(tmp_path: Path, height: object) -> None:
    [problem] = problems(tmp_path, f"fn: a:b\nchatbot:\n  height: '{height}'\n".replace("'0'", "0"))
    assert problem.startswith("bot.yaml:3:3: chatbot.height: must be")
