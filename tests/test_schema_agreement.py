"""The loader and the published JSON Schema (what editors check) give the same verdict: on every
config in the repository, on the README's examples, and on generated valid and broken configs."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from fuzzing import FUZZ
from hypothesis import given, settings
from hypothesis import strategies as st

from chatserve.config import source as yaml_source
from chatserve.config.loader import load_cases, load_config
from chatserve.config.theme import THEMES
from chatserve.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "schemas" / "chatserve.schema.json").read_text())
VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
TESTS_SCHEMA = json.loads((ROOT / "schemas" / "chatserve-tests.schema.json").read_text())
TESTS_VALIDATOR = jsonschema.validators.validator_for(TESTS_SCHEMA)(TESTS_SCHEMA)
validate = importlib.import_module(
    "chatserve.cli.validate"
)  # `chatserve.cli.validate` is the command
UNSET = "CHATSERVE_AGREEMENT_UNSET"
"""A variable no environment sets: `${UNSET:-value}` always gives its default."""


def verdicts(path: Path) -> tuple[bool, bool]:
    """(the loader accepts the file, the schema accepts it); text that is not YAML is neither."""
    try:
        data, _, _ = yaml_source.read(path)
    except ConfigError:
        return False, False
    tests = path.name.endswith(".tests.yaml")
    try:
        load_cases(path, str(path)) if tests else load_config(path)
    except ConfigError:
        loads = False
    else:
        loads = True
    return loads, (TESTS_VALIDATOR if tests else VALIDATOR).is_valid(data)


SHIPPED = sorted(
    [
        *(ROOT / "configs").glob("*.yaml"),
        *(ROOT / "bench").glob("*.yaml"),
        ROOT / "deploy" / "replicas.yaml",
    ]
)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_config_in_the_repository_is_valid_to_both(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in set(re.findall(r"\$\{(\w+)\}", path.read_text())):
        monkeypatch.setenv(name, "a-value-long-enough-for-any-secret-0123456789")
    assert verdicts(path) == (True, True)


def readme_configs() -> list[str]:
    """The README's YAML examples of configs (a `server:` fragment gets an `fn`), but those
    with a placeholder (`$scrypt$...`) in them."""
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    return [
        block if "\nfn:" in "\n" + block else "fn: bot.py:reply\n" + block
        for block in blocks
        if re.search(r"^(fn|server):", block, flags=re.M) and "..." not in block
    ]


@pytest.mark.parametrize("text", readme_configs())
def test_the_readme_examples_are_valid_configs(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in set(re.findall(r"\$\{(\w+)", text)):
        monkeypatch.setenv(name, "a-value-long-enough-for-any-secret-0123456789")
    path = tmp_path / "bot.yaml"
    path.write_text(text)
    assert verdicts(path) == (True, True), text


# Generated configs. Each strategy gives (a value, whether it is valid), so that one broken
# value anywhere makes a config invalid for both.

Case = tuple[Any, bool]


def good(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Case]:
    return strategy.map(lambda value: (value, True))


def bad(*values: Any) -> st.SearchStrategy[Case]:
    return st.sampled_from([(value, False) for value in values])


def reference(text: str) -> str:
    return f"${{{UNSET}:-{text}}}"


SIZES = good(
    st.integers(1, 10**12)
    | st.sampled_from(["10MB", "10mb", "1.5 GB", "512 KiB", "512kib", " 7 b ", "3", "2Gb"])
) | bad(0, -5, "10 XB", "ten", "1,5GB", "MB", True, 1.5, [1])
SERVER_SIZES = SIZES | good(st.sampled_from(["10MB", "1gb"]).map(reference))
"""Under `server:` a size may also come from the environment; elsewhere a `${VAR}` is text."""

CSS_LENGTHS = good(st.integers(1, 2000) | st.sampled_from(["70vh", " 12.5rem", "0", "100%"])) | bad(
    0, -3, "tall", "70 vh", True, 2.5
)


def ints(low: int, high: int | None = None, *, server: bool = False) -> st.SearchStrategy[Case]:
    valid = st.integers(low, high)
    if server:  # text, as `${VAR}` gives it
        valid |= st.integers(low, high).map(str) | st.integers(low, high).map(str).map(reference)
    invalid = [low - 1, "many", [low], True, *([] if high is None else [high + 1])]
    if not server:
        invalid.append(str(low))
    return good(valid) | bad(*invalid)


def flags() -> st.SearchStrategy[Case]:
    return good(st.booleans()) | bad(1, "true", None)


def mapping(fields: dict[str, st.SearchStrategy[Case]], unknown: str) -> st.SearchStrategy[Case]:
    """Some of `fields`, or now and then a misspelt key."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        names = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=4))
        value, valid = {}, True
        for name in names:
            value[name], ok = draw(fields[name])
            valid &= ok
        if draw(st.integers(0, 9)) == 0:
            value[unknown] = 1
            valid = False
        return value, valid

    return build()


CHATBOT = mapping(
    {
        "height": CSS_LENGTHS,
        "min_height": CSS_LENGTHS,
        "layout": good(st.sampled_from(["bubble", "panel"])) | bad("grid", 1),
        "render_markdown": flags(),
        "avatar_images": good(st.just([None, "https://example.com/bot.png"])) | bad([None], "a"),
    },
    unknown="heigth",
)

TEXTBOX = mapping(
    {
        "lines": ints(1, 50),
        "max_lines": ints(1, 100),
        "max_length": ints(1) | good(st.none()),
        "max_file_size": SIZES | good(st.none()),
        "file_count": good(st.sampled_from(["single", "multiple"])) | bad("all"),
    },
    unknown="line",
)

QUOTAS = mapping(
    {
        "uploads_per_minute": ints(1, server=True),
        "client_bytes_per_hour": SERVER_SIZES,
        "min_free_disk": SERVER_SIZES | good(st.sampled_from([0, "0"])),
    },
    unknown="uploads",
)

USERS = good(
    st.lists(
        st.fixed_dictionaries(
            {
                "username": st.sampled_from(["ana", reference("ben")]),
                "password": st.sampled_from(["s3cret", reference("pw")]),
            }
        ),
        min_size=1,
        max_size=1,
    )
) | bad([{"username": "a b", "password": "x"}], [{"username": "ana"}], "ana")

OIDC = mapping(
    {
        "issuer": good(st.sampled_from(["https://id.example.com", reference("http://[::1]:9")])),
        "client_id": good(st.sampled_from(["bot", reference("bot")])) | bad("", 5),
        "allowed_domains": good(st.sampled_from([["example.com"], ["*"], []])) | bad("a.com"),
        "allowed_groups": good(st.just(["staff"])) | bad("staff"),
        "scopes": good(st.just(["email", "openid"])) | bad(["email"], "openid"),
        "label": good(st.just("Google")) | bad(""),
    },
    unknown="client",
).map(
    lambda case: (
        case[0],
        case[1]
        and {"issuer", "client_id"} <= case[0].keys()
        and bool(case[0].get("allowed_domains") or case[0].get("allowed_groups")),
    )
)

AUTH = mapping(
    {
        "users": USERS,
        "oidc": OIDC,
        "session_max_age": ints(60, server=True),
        "secret": good(st.sampled_from([None, "k" * 32, reference("k" * 32)])) | bad("short", 5),
    },
    unknown="user",
).map(lambda case: (case[0], case[1] and bool({"users", "oidc"} & case[0].keys())))

SERVER = mapping(
    {
        "port": ints(0, 65535, server=True),
        "worker_threads": ints(1, 4096, server=True),
        "read_timeout": good(st.floats(0.5, 3600) | st.just("2.5") | st.just(reference("9")))
        | bad(0, -1, 3601, "soon", True),
        "host": good(st.sampled_from(["0.0.0.0", reference("127.0.0.1")])) | bad(80, None),
        "max_upload_size": SERVER_SIZES,
        "quotas": QUOTAS,
        "auth": AUTH | good(st.none()),
        "forwarded_allow_ips": good(st.lists(st.sampled_from(["*", "10.0.0.1"]))) | bad("*"),
    },
    unknown="prot",
)

EXPECT = mapping(
    {
        "contains": good(st.sampled_from(["a", ["a", "b"], None])) | bad(3, [3]),
        "not_contains": good(st.sampled_from(["a", []])) | bad(True),
        "matches": good(st.sampled_from(["^a", "(?i)b"])) | bad(3, ["a"]),
        "equals": good(st.text(max_size=5)) | bad(1, ["a"]),
        "json_schema": good(st.just({"type": "object"})) | bad("object", [1]),
        "files": good(st.sampled_from([0, 2, {"count": 1, "type": "image"}]))
        | bad(-1, "two", {"count": -1}, {"kind": "image"}),
        "thought": good(st.sampled_from([True, "Planning"])) | bad(1),
        "error": good(st.sampled_from([True, False, "oops"])) | bad(2),
        "max_seconds": good(st.sampled_from([0.5, 3])) | bad(0, -1, "3"),
        "any_of": good(st.just(["Yes", {"contains": "No"}])) | bad([], "Yes", [3]),
        "outputs": good(st.just({"Panel": {"equals": "x"}})) | bad(["Panel"], {"Panel": 1}),
    },
    unknown="contain",
)

TURN = mapping(
    {
        "user": good(st.sampled_from(["hi", {"text": "hi"}, {"files": []}])) | bad(3, None),
        "expect": EXPECT | good(st.none()),
    },
    unknown="users",
).map(lambda case: (case[0], case[1] and "user" in case[0]))

TEST_CASE = mapping(
    {
        "name": good(st.sampled_from(["greets", "a b"])) | bad("", 3),
        "turns": st.lists(TURN, min_size=1, max_size=2).map(
            lambda turns: ([t for t, _ in turns], all(ok for _, ok in turns))
        )
        | bad([], "hi"),
        "inputs": good(st.sampled_from([{}, {"Tone": "loud"}])) | bad(["loud"]),
        "repeat": ints(1, 1000),
        "pass_rate": good(st.sampled_from([0.5, 1])) | bad(0, 1.5, "most"),
        "snapshot": flags(),
    },
    unknown="turn",
).map(lambda case: (case[0], case[1] and {"name", "turns"} <= case[0].keys()))

TOP = {
    "tests": st.lists(TEST_CASE, max_size=2).map(
        lambda cases: ([c for c, _ in cases], all(ok for _, ok in cases))
    )
    | bad(3, {"name": "a"}),
    "title": good(st.none() | st.text(max_size=12)) | bad(3, ["a"]),
    "multimodal": flags(),
    "autofocus": flags(),
    "theme": good(st.sampled_from(THEMES)) | good(st.just({"base": "soft"})) | bad("blue"),
    "chatbot": CHATBOT,
    "textbox": TEXTBOX,
    "submit_btn": good(st.booleans() | st.text(max_size=8)) | bad(5, None),
    "concurrency_limit": ints(1) | good(st.none()),
    "delete_cache": good(st.just([60, 3600])) | bad([60], [0, 5], "daily"),
    "api_name": good(st.sampled_from(["chat", "my-bot_2", False])) | bad("a b", True, ""),
    "additional_inputs": good(st.just(["textbox", {"type": "checkbox"}])) | bad(["knob"]),
    "additional_outputs": good(st.just(["markdown"])) | bad([{"type": "video"}]),
    "css_paths": good(st.just([])) | bad(3),
    "server": SERVER,
}


@st.composite
def configs(draw: st.DrawFn) -> Case:
    fn, valid = draw(
        good(st.sampled_from(["bot.py:reply", "package.module:chat", "a:b.c"]))
        | bad("bot.py", "bot.py:", 3)
    )
    data, ok = draw(mapping(TOP, unknown="titel"))
    if draw(st.integers(0, 19)):  # now and then no `fn` at all
        data = {"fn": fn, **data}
        valid &= ok
    else:
        valid = False
    return data, valid


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("agreement")


@settings(FUZZ, max_examples=150)  # the same examples every run, as every fuzzer here
@given(case=configs())
def test_generated_configs_get_one_verdict(case: Case, folder: Path) -> None:
    data, valid = case
    path = folder / "bot.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert verdicts(path) == (valid, valid), path.read_text()


@pytest.mark.parametrize(
    "text",
    [
        "server: {port: '${CHATSERVE_AGREEMENT_UNSET}'}",  # a variable nobody set
        "server: {port: '${CHATSERVE_AGREEMENT_UNSET:-70000}'}",  # what it holds
        "server: {port: '70000'}",  # a range, for a number written as text
        "css_paths: [missing.css]",  # the files a config names
        "examples: [a, b]\nexample_labels: [one]",  # keys that must match each other
        "additional_inputs: [{type: slider, minimum: 5, maximum: 1}]",
        "additional_inputs: [{type: radio, choices: [a], value: b}]",
        "textbox: {lines: 3.0}",  # JSON has one kind of number; YAML's 3.0 is not an integer
        # A test's regular expression and JSON Schema must compile; its file must be there.
        "tests: [{name: a, turns: [{user: hi, expect: {matches: '('}}]}]",
        "tests: [{name: a, turns: [{user: hi, expect: {json_schema: {type: 5}}}]}]",
        "tests: missing.tests.yaml",
        # What a URL, a domain or an address must look like.
        "server: {auth: {oidc: {issuer: 'http://id.example.com', client_id: c, "
        "allowed_domains: [a.com]}}}",
        "server: {auth: {oidc: {issuer: 'https://id', client_id: c, allowed_emails: [ana]}}}",
    ],
)
def test_what_no_schema_can_check_is_left_to_the_loader(text: str, tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(f"fn: a:b\n{text}\n")
    assert verdicts(path) == (False, True)


def test_validate_reports_where_only_the_schema_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stricter = {"properties": {"title": {"type": "integer"}}, "required": ["fn", "icon"]}
    monkeypatch.setattr(
        validate, "_validator", lambda name: jsonschema.Draft202012Validator(stricter)
    )
    path = tmp_path / "bot.yaml"
    path.write_text("fn: a:b\ntitle: secret words\n")
    assert [str(p) for p in validate.check(str(path), import_fn=False)] == [
        f"{path}:1:1: 'icon' is a required property",
        f"{path}:2:1: title: the published JSON Schema rejects this value "
        "(properties/title/type), though it loads",
    ]
