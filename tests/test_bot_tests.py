"""`chatserve test`: the cases of a config (`tests:`, a tests file, examples with `expect:`)
run through the turn engine and checked, as a user runs them: every expectation passing and
missing at the place of its key, timeouts, inputs and files, `-k`, `--jobs`, `repeat`,
`--update`, the report formats and exit codes. `--url` runs them against a real server.

Most checks call `chatserve.cli.test.run` in-process (what the command does, without a new
Python); a few run the command itself for its exit codes, output and files."""

from __future__ import annotations

import http.server
import itertools
import json
import re
import textwrap
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from click.testing import Result as Invoked
from helpers import in_thread

from chatserve.cli import main
from chatserve.cli.test import Options, Verdict, run
from chatserve.cli.validate import check
from chatserve.testing.report import failed_run, render, where
from chatserve.testing.run import Result
from chatserve.testing.select import selector

BOT = '''
import asyncio
import json
import pathlib
import time

import chatserve

HERE = pathlib.Path(__file__).parent


def hello(message, history):
    return f"Hello, {message}!"


def agree(message, history):
    if len([h for h in history if h["role"] == "assistant"]) % 2 == 0:
        return f"Yes, I do think that: {message}"
    return "I don't think so"


def as_json(message, history):
    return f"```json\\n{json.dumps({'answer': len(message)})}\\n```"


def with_outputs(message, history):
    return f"counted {len(message)}", {"length": len(message)}, f"**{message}**"


def picture(message, history):
    path = HERE / "dot.png"
    path.write_bytes(b"\\x89PNG\\r\\n\\x1a\\n")
    return [f"here is {message}", chatserve.Image(str(path))]


def thinking(message, history):
    plan = chatserve.ChatMessage(content="look it up", metadata={"title": "Planning the answer"})
    return [plan, "done"]


def refuse(message, history):
    raise chatserve.Error("no can do")


def crash(message, history):
    return {}["missing"]  # the crash line


async def nap(message, history):
    await asyncio.sleep(float(message))
    return "awake"


def drowse(message, history):
    time.sleep(float(message))
    return "awake"


def forever(message, history):  # only ever run in a child process: it never returns
    while True:
        time.sleep(0.05)


async def logged_nap(message, history):
    with (HERE / "naps.log").open("a") as log:
        log.write(f"start {time.monotonic()}\\n")
    await asyncio.sleep(0.2)
    with (HERE / "naps.log").open("a") as log:
        log.write(f"end {time.monotonic()}\\n")
    return "awake"


def flip(message, history):
    """heads, tails, heads, tails, … across runs (a counter file: runs may be threads)."""
    counter = HERE / "flips"
    count = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(count))
    return "heads" if count % 2 else "tails"


def sneaky(message, history):
    """A reply, an error or a crash whose text would write to a terminal, a CI log or XML."""
    text = "red\\x1b[31m\\x00 end\\n::warning file=x.yaml::pwned\\r\\n%0A"
    if message == "error":
        raise chatserve.Error(text)
    if message == "crash":
        raise ValueError(text)
    return text


def settings(message, history, system, tokens):
    return f"{system} / {tokens} / {message}"


def inspect(message, history, doc):
    if message["text"] == "refuse":
        raise chatserve.Error("not that")
    if message["text"] == "show":
        return [*thinking(message, history), picture("it", history)[1]]
    names = ", ".join(pathlib.Path(f).name for f in message["files"])
    body = pathlib.Path(doc).read_text().strip() if doc else "none"
    return f"{message['text']} | files: {names or 'none'} | doc: {body} | turns: {len(history)}"
'''

TOKEN = "a-token-of-at-least-16-chars"


@pytest.fixture
def bot_py() -> str:
    return BOT


def run_cases(config: Path, **options) -> Verdict:
    """What `chatserve test CONFIG` runs, in this process."""
    return in_thread(lambda: run([str(config)], Options(**options)))


def invoke(*args: str) -> Invoked:
    """`chatserve ARGS` in this process (in a thread: the command runs its own event loop)."""
    return in_thread(lambda: CliRunner().invoke(main, list(args)))


def results(outcome: Verdict) -> dict[str, Result]:
    assert not outcome.report.problems, outcome.report.problems
    return {result.case.name: result for result in outcome.report.results}


def missed(result: Result) -> list[str]:
    """Each miss of the failed run, as `LINE:COL: message`."""
    run_ = failed_run(result)
    return [
        f"{':'.join(where(result, miss).rsplit(':', 2)[1:])}: {miss.message}"
        for miss in (run_.misses if run_ else [])
    ]


def place(config: Path, text: str, nth: int = 0) -> str:
    """`LINE:COL` of the `nth` occurrence of `text` in the file (where a miss must point)."""
    lines = config.read_text().splitlines()
    found = [
        f"{number}:{line.index(text) + 1}" for number, line in enumerate(lines, 1) if text in line
    ]
    return found[nth]


def one_case(
    write_config: Callable[..., Path], fn: str, expect: str, user: str = "Bob", head: str = ""
) -> Path:
    """A config of one case: one turn of `user`, its `expect:` a block mapping."""
    expect_lines = textwrap.indent(textwrap.dedent(expect).strip(), " " * 10)
    return write_config(
        f"fn: bot.py:{fn}\n{textwrap.dedent(head)}\ntests:\n  - name: the case\n    turns:\n"
        f"      - user: {user!r}\n        expect:\n{expect_lines}\n"
    )


OUTPUTS = """\
additional_outputs:
  - type: json
    label: Details
  - type: markdown
"""

EXPECTATIONS = [
    # fn, expect, what the miss says (None: the case passes), the key it points at
    ("hello", "contains: Bob", None, None),
    ("hello", "contains: [Hello, Bob]", None, None),
    (
        "hello",
        "contains: Alice",
        "expected the reply to contain 'Alice', got 'Hello, Bob!'",
        "contains",
    ),
    (
        "hello",
        "contains: [Hello, Zed]",
        "expected the reply to contain 'Zed', got 'Hello, Bob!'",
        "contains",
    ),
    ("hello", "not_contains: [Alice, Zed]", None, None),
    (
        "hello",
        "not_contains: Bob",
        "expected the reply not to contain 'Bob', got 'Hello, Bob!'",
        "not_contains",
    ),
    ("hello", 'matches: "^Hello, \\\\w+!$"', None, None),
    ("hello", 'matches: "(?i)^HELLO"', None, None),
    (
        "hello",
        'matches: "^Bye"',
        "expected the reply to match /^Bye/, got 'Hello, Bob!'",
        "matches",
    ),
    ("hello", 'equals: "  Hello, Bob!\\n"', None, None),
    ("hello", "equals: Hello", "expected the reply to be 'Hello', got 'Hello, Bob!'", "equals"),
    ("as_json", "json_schema: {required: [answer], properties: {answer: {const: 3}}}", None, None),
    (
        "as_json",
        "json_schema: {properties: {answer: {const: 4}}}",
        "the reply does not match the JSON Schema at /answer: 4 was expected",
        "json_schema",
    ),
    (
        "hello",
        "json_schema: {type: object}",
        "expected the reply to be JSON, got 'Hello, Bob!' "
        "(Expecting value: line 1 column 1 (char 0))",
        "json_schema",
    ),
    ("picture", "files: 1", None, None),
    ("picture", "files: {count: 1, type: image}", None, None),
    ("picture", "files: {type: image/png}", None, None),
    ("picture", "files: {type: .PNG}", None, None),
    ("picture", "files: 2", "expected 2 file(s), got 1 (dot.png)", "files"),
    ("picture", "files: {type: audio}", "expected audio files, got 'dot.png' (image/png)", "files"),
    ("hello", "files: 0", None, None),
    ("thinking", "{thought: true, equals: done}", None, None),
    ("thinking", "thought: Planning", None, None),
    (
        "thinking",
        "thought: Weather",
        "expected a thought titled with 'Weather', got 'Planning the answer'",
        "thought",
    ),
    ("thinking", "thought: false", "expected no thought, got 'Planning the answer'", "thought"),
    ("hello", "thought: false", None, None),
    ("hello", "thought: true", "expected a thought (a message with a title), got none", "thought"),
    ("refuse", "error: true", None, None),
    ("refuse", "error: can do", None, None),
    ("refuse", "error: other", "expected an error with 'other', got 'no can do'", "error"),
    ("refuse", "contains: can", "the turn failed: no can do", "user"),
    ("hello", "error: true", "expected an error, got the reply 'Hello, Bob!'", "error"),
    ("nap", "{max_seconds: 5, equals: awake}", None, None),
    ("hello", "any_of: [Hi, 'Hello, Bob!']", None, None),
    ("hello", "any_of: [{contains: Zed}, {matches: Bob!$}]", None, None),
    (
        "hello",
        "any_of: [Hi, {contains: Zed}]",
        "the reply 'Hello, Bob!' is none of the answers allowed: 'Hi', 'contains: Zed'",
        "any_of",
    ),
    (
        "with_outputs",
        "outputs: {Details: {json_schema: {properties: {length: {const: 3}}}}}",
        None,
        None,
    ),
    (
        "with_outputs",
        'outputs: {Details: {contains: \'"length": 3\'}, markdown: {equals: "**Bob**"}}',
        None,
        None,
    ),
    (
        "with_outputs",
        "outputs: {Details: {json_schema: {properties: {length: {const: 4}}}}}",
        "output 'Details' does not match the JSON Schema at /length: 4 was expected",
        "json_schema",
    ),
    (
        "with_outputs",
        "outputs: {markdown: {not_contains: Bob}}",
        "expected output 'markdown' not to contain 'Bob', got '**Bob**'",
        "not_contains",
    ),
    ("with_outputs", "outputs: {markdown: {any_of: [Bob, '**Bob**']}}", None, None),
    (
        "with_outputs",
        "outputs: {Details: {any_of: [{contains: '4'}, {contains: '3'}]}}",
        None,
        None,
    ),
    (
        "with_outputs",
        "outputs: {Details: {any_of: [{contains: '4'}, {contains: '5'}]}}",
        "output 'Details' '{\"length\": 3}' is none of the answers allowed: "
        "'contains: 4', 'contains: 5'",
        "any_of",
    ),
]


@pytest.mark.parametrize(("fn", "expect", "message", "key"), EXPECTATIONS)
def test_each_expectation_holds_or_misses_at_its_key(
    write_config, fn: str, expect: str, message: str | None, key: str | None
) -> None:
    user = "0.01" if fn == "nap" else "Bob"
    config = one_case(write_config, fn, expect, user, OUTPUTS if fn == "with_outputs" else "")
    result = results(run_cases(config))["the case"]
    if message is None:
        assert result.passed, missed(result)
        assert missed(result) == []
    else:
        assert not result.passed
        assert missed(result) == [f"{place(config, f'{key}:')}: {message}"]


def test_every_key_that_misses_is_reported(write_config) -> None:
    config = one_case(write_config, "hello", "contains: Zed\nmatches: ^Bye\nnot_contains: Bob")
    result = results(run_cases(config))["the case"]
    assert [line.split(": ", 1)[0] for line in missed(result)] == [
        place(config, "contains: Zed"),
        place(config, "not_contains:"),
        place(config, "matches:"),
    ]


def test_a_crash_names_the_exception_and_the_line_of_the_chat_function(write_config) -> None:
    config = one_case(write_config, "crash", "error: true")
    crash_line = BOT.splitlines().index('    return {}["missing"]  # the crash line') + 1
    result = results(run_cases(config))["the case"]
    # a crash is not a chatserve.Error: `error: true` does not accept it
    raised = f"the chat function raised KeyError: 'missing' (bot.py:{crash_line})"
    assert missed(result) == [f"{place(config, 'user:')}: {raised}"]


def test_a_slow_async_turn_is_stopped_at_max_seconds(write_config) -> None:
    config = one_case(write_config, "nap", "max_seconds: 0.3", user="30")
    start = time.monotonic()
    outcome = run_cases(config)
    assert time.monotonic() - start < 5  # not after the 30 s nap
    result = results(outcome)["the case"]
    assert missed(result) == [
        f"{place(config, 'max_seconds:')}: no reply within 0.3 s (the turn was stopped)"
    ]
    assert result.runs[0].timed_out and outcome.stuck


def test_the_timeout_option_stops_a_turn_with_no_max_seconds(write_config) -> None:
    config = one_case(write_config, "drowse", "equals: awake", user="2")
    start = time.monotonic()
    outcome = run_cases(config, timeout=0.2)
    assert time.monotonic() - start < 1.5  # not after the 2 s sleep
    # the budget was --timeout, not a key of the case: the miss is at the turn
    assert missed(results(outcome)["the case"]) == [
        f"{place(config, 'user:')}: no reply within 0.2 s (the turn was stopped)"
    ]
    passing = run_cases(one_case(write_config, "drowse", "equals: awake", user="0.05"), timeout=5)
    assert results(passing)["the case"].passed
    # a case's own max_seconds is its budget, longer or shorter than --timeout
    longer = one_case(write_config, "drowse", "max_seconds: 2", user="0.4")
    assert results(run_cases(longer, timeout=0.1))["the case"].passed


def test_a_sync_bot_that_never_returns_does_not_hang_the_command(
    write_config, run_chatserve
) -> None:
    config = one_case(write_config, "forever", "max_seconds: 0.5")
    start = time.monotonic()
    finished = run_chatserve("test", str(config))
    assert time.monotonic() - start < 20
    assert finished.returncode == 1, finished.stderr
    assert f"bot.yaml:{place(config, 'max_seconds:')}: no reply within 0.5 s" in finished.stdout


def test_a_conversation_keeps_its_history_and_stops_at_the_first_miss(write_config) -> None:
    config = write_config(
        """
        fn: bot.py:agree
        tests:
          - name: agrees every other turn
            turns:
              - user: cats are great
                expect: {equals: "Yes, I do think that: cats are great"}
              - user: dogs too
                expect: {equals: "I don't think so"}
              - user: birds
                expect: {contains: "Yes, I do think that: birds"}
          - name: misses the second turn
            turns:
              - user: one
              - user: two
                expect: {contains: "Yes"}
              - user: three
        """
    )
    found = results(run_cases(config))
    assert found["agrees every other turn"].passed
    failed = found["misses the second turn"]
    at = place(config, 'contains: "Yes"')
    assert missed(failed) == [
        f"{at}: expected the reply to contain 'Yes', got \"I don't think so\""
    ]
    assert failed.runs[0].replies == ["Yes, I do think that: one", "I don't think so"]  # not three
    text = render(run_cases(config).report, "text")
    assert "turn 2 of 3: expected the reply to contain 'Yes'" in text


SETTINGS = """
fn: bot.py:settings
additional_inputs:
  - type: textbox
    label: System Prompt
    value: Be nice.
  - type: slider
    label: Tokens
    minimum: 1
    maximum: 100
    value: 5
"""


def test_inputs_by_label_or_parameter_name_others_take_their_defaults(write_config) -> None:
    config = write_config(
        SETTINGS
        + """
tests:
  - name: by label
    inputs: {System Prompt: Be a pirate., Tokens: 30}
    turns: [{user: hi, expect: {equals: "Be a pirate. / 30 / hi"}}]
  - name: by name
    inputs: {tokens: 7}
    turns: [{user: hi, expect: {equals: "Be nice. / 7 / hi"}}]
  - name: defaults
    turns: [{user: hi, expect: {equals: "Be nice. / 5 / hi"}}]
"""
    )
    found = results(run_cases(config))
    assert {name: r.passed for name, r in found.items()} == {
        "by label": True,
        "by name": True,
        "defaults": True,
    }


INSPECT = """
fn: bot.py:inspect
multimodal: true
textbox: {file_count: multiple}
additional_inputs:
  - type: file
    label: Document
"""

INSPECT_CASES = """
tests:
  - name: a file input and files in the message
    inputs: {Document: note.txt}
    turns:
      - user: {text: hi, files: [note.txt, photo.png]}
        expect: {equals: "hi | files: note.txt, photo.png | doc: some notes | turns: 0"}
      - user: again
        expect: {contains: "doc: some notes | turns: 4"}
  - name: no file input
    turns:
      - user: hi
        expect: {equals: "hi | files: none | doc: none | turns: 0"}
  - name: a chatserve.Error
    turns:
      - user: refuse
        expect: {error: not that}
  - name: a thought and a picture
    turns:
      - user: show
        expect: {equals: done, thought: Planning, files: {count: 1, type: image/png}}
  - name: misses
    turns:
      - user: hi
        expect: {contains: nope}
"""


def write_inspect(write_config, head: str = "") -> Path:
    config = write_config(INSPECT + head + INSPECT_CASES)
    (config.parent / "note.txt").write_text("some notes\n")
    (config.parent / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return config


def test_file_inputs_and_the_files_of_a_message(write_config) -> None:
    found = results(run_cases(write_inspect(write_config)))
    assert {name: r.passed for name, r in found.items()} == {
        "a file input and files in the message": True,
        "no file input": True,
        "a chatserve.Error": True,
        "a thought and a picture": True,
        "misses": False,
    }


def test_examples_with_expect_are_cases(write_config) -> None:
    config = write_config(
        SETTINGS
        + """
examples:
  - {text: plain, expect: {equals: "Be nice. / 5 / plain"}}
  - [{text: row, expect: {contains: "Be brief. / 9 / row"}}, Be brief., 9]
  - [no expect, Be brief., 9]
  - [{text: wrong, expect: {contains: nope}}, Be brief., 5]
"""
    )
    found = results(run_cases(config))
    assert {name: r.passed for name, r in found.items()} == {
        "example 1: plain": True,
        "example 2: row": True,
        "example 4: wrong": False,
    }
    assert missed(found["example 4: wrong"]) == [
        f"{place(config, 'contains: nope')}: expected the reply to contain 'nope', "
        "got 'Be brief. / 5 / wrong'"
    ]


def test_a_plain_example_with_expect_named_by_its_label(write_config) -> None:
    config = write_config(
        """
        fn: bot.py:hello
        examples:
          - text: world
            expect: {equals: "Hello, world!"}
          - Not a case
          - text: moon
            expect:
              contains: sun
        example_labels: [The world, Nothing, The moon]
        """
    )
    found = results(run_cases(config))
    assert list(found) == ["example 1: The world", "example 3: The moon"]
    assert found["example 1: The world"].passed
    assert missed(found["example 3: The moon"]) == [
        f"{place(config, 'contains: sun')}: expected the reply to contain 'sun', got 'Hello, moon!'"
    ]


def test_a_tests_file_beside_the_config(write_config, tmp_path: Path) -> None:
    config = write_config(SETTINGS + "tests: bot.tests.yaml\n")
    tests = tmp_path / "bot.tests.yaml"
    tests.write_text(
        textwrap.dedent(
            """\
            # the cases
            - name: passes
              inputs: {System Prompt: Hi.}
              turns:
                - user: a
                  expect: {equals: "Hi. / 5 / a"}
            - name: misses
              turns:
                - user: b
                  expect:
                    equals: nope
            """
        )
    )
    found = results(run_cases(config))
    assert found["passes"].passed
    assert where(found["misses"], failed_run(found["misses"]).misses[0]) == (
        f"{tests}:{place(tests, 'equals: nope')}"
    )
    # `chatserve test bot.tests.yaml` runs them with the config that names it
    result = invoke("test", str(tests), "--format", "json")
    assert result.exit_code == 1
    assert [case["name"] for case in json.loads(result.output)["cases"]] == ["passes", "misses"]


def test_validate_reports_the_problems_of_cases_at_their_lines(
    write_config, tmp_path: Path
) -> None:
    config = write_config(
        SETTINGS
        + """
additional_outputs:
  - type: json
    label: Details
tests: bot.tests.yaml
"""
    )
    tests = tmp_path / "bot.tests.yaml"
    tests.write_text(
        textwrap.dedent(
            """\
            - name: same
              inputs: {System Promt: x, Colour: red}
              turns:
                - user: hi
            - name: same
              turns:
                - user: {text: hi, files: [missing.png]}
                  expect:
                    outputs:
                      Detail: {contains: x}
                      Details: {files: 1}
            - name: too many tokens
              inputs: {tokens: 500}
              turns: [{user: hi}]
            - name: alternatives
              turns:
                - user: hi
                  expect:
                    any_of:
                      - outputs: {Detials: {equals: x}}
                      - outputs: {Details: {any_of: [{thought: true}]}}
            """
        )
    )
    problems = [f"{p.line}:{p.column}: {p.message}" for p in check(str(config))]
    assert problems == [
        f"{place(tests, 'System Promt')}: unknown input 'System Promt'; "
        "did you mean 'System Prompt'?",
        f"{place(tests, 'Colour')}: unknown input 'Colour'; "
        "the inputs are 'System Prompt', 'Tokens'",
        f"{place(tests, 'name: same', 1)}: another case is named 'same'",
        f"{place(tests, 'user: {')}: files need multimodal: true",
        f"{place(tests, 'missing.png')}: file 'missing.png' not found",
        f"{place(tests, 'Detail:')}: unknown output 'Detail'; the outputs are 'Details'",
        f"{place(tests, 'files: 1')}: files applies to the reply, not to an output's value",
        f"{place(tests, 'tokens:')}: value 500 is above the maximum 100",
        f"{place(tests, 'Detials')}: unknown output 'Detials'; the outputs are 'Details'",
        f"{place(tests, 'thought: true')}: thought applies to the reply, not to an output's value",
    ]
    assert all(p.file == str(tests) for p in check(str(config)))
    # the run reports them too, and runs nothing of that config
    outcome = run_cases(config)
    assert outcome.report.results == [] and not outcome.report.passed
    assert [f"{p.line}:{p.column}" for p in outcome.report.problems[str(config)]] == [
        line.split(": ")[0] for line in problems
    ]


def test_validate_reports_bad_regexes_and_schemas_even_without_importing(
    write_config, run_chatserve
) -> None:
    config = write_config(
        """
        fn: nowhere.py:reply
        tests:
          - name: bad
            inputs: {Unknown: 1}
            turns:
              - user: hi
                expect:
                  matches: "(unclosed"
                  json_schema: {type: nonsense}
          - name: empty
            turns: []
        """
    )
    done = run_chatserve("validate", "--no-import", "bot.yaml")
    assert done.returncode == 1
    assert done.stdout.splitlines()[:-1] == [
        f"bot.yaml:{place(config, 'matches:')}: tests[0].turns[0].expect.matches: is not a "
        "regular expression: missing ), unterminated subpattern at position 0",
        f"bot.yaml:{place(config, 'json_schema:')}: tests[0].turns[0].expect.json_schema: is "
        "not a valid JSON Schema: 'nonsense' is not valid under any of the given schemas",
        f"bot.yaml:{place(config, 'turns: []')}: tests[1].turns: needs at least 1 item, got none",
    ]
    # the unknown input needs the bot to be found: not without importing it
    assert "Unknown" not in done.stdout


def test_k_selects_cases_by_name(write_config) -> None:
    config = write_config(
        """
        fn: bot.py:hello
        tests:
          - {name: greets Ann, turns: [{user: Ann}]}
          - {name: greets Bob slowly, turns: [{user: Bob}]}
          - {name: says bye, turns: [{user: Cy}]}
        """
    )

    def names(expression: str) -> list[str]:
        outcome = run_cases(config, select=selector(expression))
        return [result.case.name for result in outcome.report.results]

    assert names("greets") == ["greets Ann", "greets Bob slowly"]
    assert names("GREETS and not slow") == ["greets Ann"]
    assert names("ann or bye") == ["greets Ann", "says bye"]
    assert names("not (ann or bye)") == ["greets Bob slowly"]
    assert names("(greets or bye) and not (bob and slowly)") == ["greets Ann", "says bye"]
    assert names("nothing") == []


@pytest.mark.parametrize("expression", ["a and", "(a", "a b", "not", "or a", "a )"])
def test_a_bad_k_expression_is_a_usage_error(write_config, expression: str) -> None:
    config = one_case(write_config, "hello", "contains: Bob")
    result = invoke("test", str(config), "-k", expression)
    assert result.exit_code == 2
    assert "Invalid value for -k" in result.output


def test_jobs_run_cases_side_by_side(write_config, tmp_path: Path) -> None:
    config = write_config(
        "fn: bot.py:logged_nap\ntests:\n"
        + "".join(f"  - {{name: nap {n}, turns: [{{user: hi}}]}}\n" for n in range(4))
    )

    def spans(jobs: int) -> list[tuple[float, float]]:
        log = tmp_path / "naps.log"
        log.unlink(missing_ok=True)
        outcome = run_cases(config, jobs=jobs)
        assert all(result.passed for result in outcome.report.results)
        times = [line.split() for line in log.read_text().splitlines()]
        starts = [float(t) for kind, t in times if kind == "start"]
        ends = [float(t) for kind, t in times if kind == "end"]
        return list(zip(sorted(starts), sorted(ends), strict=True))

    side_by_side = spans(4)
    assert max(start for start, _ in side_by_side) < min(end for _, end in side_by_side)
    one_at_a_time = spans(1)
    assert all(
        later_start >= end for (_, end), (later_start, _) in itertools.pairwise(one_at_a_time)
    )


FLIP = """
fn: bot.py:flip
tests:
  - name: coin
    repeat: 4
    pass_rate: {rate}
    turns:
      - user: toss
        expect: {{equals: heads}}
"""


@pytest.mark.parametrize(("rate", "passes"), [(0.5, True), (0.75, False)])
def test_repeat_with_a_pass_rate_reports_flaky_cases(
    write_config, rate: float, passes: bool
) -> None:
    config = write_config(FLIP.format(rate=rate))
    report = run_cases(config).report
    coin = report.results[0]
    assert (len(coin.runs), coin.passes, coin.flaky, coin.passed) == (4, 2, True, passes)
    verdict = "PASS" if passes else "FAIL"
    text = render(report, "text")
    assert f"{verdict} (2/4 runs passed, {rate:.0%} needed) flaky" in text
    assert f"flaky  {config}  coin: 2 of 4 runs passed\n" in text  # listed above the totals
    assert (
        f"{place(config, 'equals: heads')}: expected the reply to be 'heads', got 'tails'" in text
    )
    assert report.summary()["flaky"] == 1 and report.passed is passes
    level = "warning" if passes else "error"
    annotation = next(
        line for line in render(report, "github").splitlines() if line.startswith("::")
    )
    assert annotation.startswith(
        f"::{level} file={config},line={place(config, 'equals: heads').replace(':', ',col=')},"
        "title=chatserve test%3A coin (flaky%3A 2/4 runs passed)::"
    )


def test_exit_codes_and_the_text_report(write_config, run_chatserve, tmp_path: Path) -> None:
    one_case(write_config, "hello", "contains: Bob")
    done = run_chatserve("test", "bot.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^PASS  bot\.yaml  the case  \d\.\d\d s$", done.stdout, re.M)
    assert re.search(r"^ *config +cases +passed +failed +flaky +time *$", done.stdout, re.M)
    assert re.search(r"^ *bot\.yaml +1 +1 +0 +0 +\d\.\d\d s *$", done.stdout, re.M)
    assert re.search(r"^1 passed, 0 failed in \d+\.\d\d s$", done.stdout, re.M)
    # no cases: 5, saying why
    done = run_chatserve("test", "bot.yaml", "-k", "nothing")
    assert (done.returncode, done.stderr) == (5, "no cases to run: none matches -k 'nothing'\n")
    write_config("fn: bot.py:hello\n", name="empty.yaml")
    empty = invoke("test", str(tmp_path / "empty.yaml"))
    assert empty.exit_code == 5
    assert "no cases to run: add tests: to a config, or expect: to an example" in empty.output
    lost = tmp_path / "lost.tests.yaml"
    lost.write_text("- {name: x, turns: [{user: hi}]}\n")
    orphan = invoke("test", str(lost))
    assert orphan.exit_code == 5
    assert f"note: no config beside {lost} names it (tests: lost.tests.yaml)" in orphan.output


FAILING = """
fn: bot.py:hello
tests:
  - name: passes
    turns: [{user: Ann, expect: {contains: Ann}}]
  - name: misses, twice
    turns:
      - user: Bob
        expect:
          contains: Zed
          equals: "Hi: Bob"
examples:
  - text: Cy
    expect: {contains: Cy}
"""


def test_github_annotations_and_a_junit_file(write_config, run_chatserve, tmp_path: Path) -> None:
    config = write_config(FAILING)
    write_config("fn: bot.py:hello\ntests:\n  - name: x\n    turns: nope\n", name="broken.yaml")
    junit = tmp_path / "out" / "report.xml"
    junit.parent.mkdir()
    done = run_chatserve(
        "test", "bot.yaml", "broken.yaml", "--format", "github", "--junit-xml", str(junit)
    )
    assert done.returncode == 1
    contains, equals = place(config, "contains: Zed"), place(config, "equals:")
    assert done.stdout.splitlines()[:-1] == [
        "::error file=broken.yaml,line=4,col=5,title=chatserve::tests[0].turns: must be a list, "
        "got 'nope' (for a list of one, write [nope])",
        f"::error file=bot.yaml,line={contains.replace(':', ',col=')},"
        "title=chatserve test%3A misses%2C twice::"
        "expected the reply to contain 'Zed', got 'Hello, Bob!'",
        f"::error file=bot.yaml,line={equals.replace(':', ',col=')},"
        "title=chatserve test%3A misses%2C twice::"
        "expected the reply to be 'Hi: Bob', got 'Hello, Bob!'",
    ]
    assert re.fullmatch(
        r"2 passed, 1 failed, 1 config\(s\) with problems in \d+\.\d\d s",
        done.stdout.splitlines()[-1],
    )

    root = ET.parse(junit).getroot()
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("errors")) == (
        "testsuites",
        "4",
        "1",
        "1",
    )
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert [(s.get("tests"), s.get("failures"), s.get("errors")) for s in suites.values()] == [
        ("1", "0", "1"),
        ("3", "1", "0"),
    ]
    cases = {case.get("name"): case for case in suites["bot.yaml"].iter("testcase")}
    assert list(cases) == ["passes", "misses, twice", "example 1: Cy"]
    assert [len(case.findall("failure")) for case in cases.values()] == [0, 1, 0]
    failure = cases["misses, twice"].find("failure")
    assert (
        failure.get("message")
        == f"bot.yaml:{contains}: expected the reply to contain 'Zed', got 'Hello, Bob!'"
    )
    assert (
        failure.text.splitlines()[1]
        == f"bot.yaml:{equals}: expected the reply to be 'Hi: Bob', got 'Hello, Bob!'"
    )
    assert cases["misses, twice"].get("line") == place(config, "name: misses").split(":")[0]
    error = suites["broken.yaml"].find("testcase/error")
    assert error.get("message").startswith("must be a list, got 'nope'")


def test_json_format(write_config, run_chatserve) -> None:
    config = write_config(FAILING)
    done = run_chatserve("test", "bot.yaml", "--format", "json")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert data["passed"] is False
    assert {k: v for k, v in data["summary"].items() if k != "seconds"} == {
        "cases": 3,
        "passed": 2,
        "failed": 1,
        "flaky": 0,
        "broken_configs": 0,
    }
    case = data["cases"][1]
    line, column = map(int, place(config, "name: misses").split(":"))
    assert (
        case["name"],
        case["file"],
        case["line"],
        case["column"],
        case["passed"],
        case["runs"],
    ) == ("misses, twice", "bot.yaml", line, column, False, 1)
    assert [(m["line"], m["column"], m["turn"]) for m in case["misses"]] == [
        (*map(int, place(config, "contains: Zed").split(":")), 1),
        (*map(int, place(config, "equals:").split(":")), 1),
    ]
    assert case["misses"][0]["message"] == "expected the reply to contain 'Zed', got 'Hello, Bob!'"


def test_the_seed_bots_cases_pass() -> None:
    seeds = Path(__file__).resolve().parent.parent / "configs"
    configs = [str(seeds / "alternating_agree.yaml"), str(seeds / "count_images.yaml")]
    outcome = in_thread(lambda: run(configs, Options()))
    assert outcome.report.passed, render(outcome.report, "text")
    assert len(outcome.report.results) >= 2


SNAPSHOTS = """\
fn: bot.py:hello
tests:
  # block style, no expect yet
  - name: snap block
    snapshot: true
    turns:
      - user: Ann   # the first
      - user: Ben
        expect:
          contains: Ben   # kept
      - user: Gus
        expect:
          equals: stale   # replaced
      - user: "two\\nlines \\"quoted\\""
        expect:
  - name: snap flow
    snapshot: true
    turns:
      - {user: Cy, expect: {equals: old}}
      - {user: Di}
      - {user: Ed, expect: {}}
  - name: not a snapshot
    turns:
      - user: Fay
        expect: {equals: old}   # stays
"""

UPDATED = """\
fn: bot.py:hello
tests:
  # block style, no expect yet
  - name: snap block
    snapshot: true
    turns:
      - user: Ann   # the first
        expect: {equals: "Hello, Ann!"}
      - user: Ben
        expect:
          equals: "Hello, Ben!"
          contains: Ben   # kept
      - user: Gus
        expect:
          equals: "Hello, Gus!"   # replaced
      - user: "two\\nlines \\"quoted\\""
        expect: {equals: "Hello, two\\nlines \\"quoted\\"!"}
  - name: snap flow
    snapshot: true
    turns:
      - {user: Cy, expect: {equals: "Hello, Cy!"}}
      - {user: Di, expect: {equals: "Hello, Di!"}}
      - {user: Ed, expect: {equals: "Hello, Ed!"}}
  - name: not a snapshot
    turns:
      - user: Fay
        expect: {equals: old}   # stays
"""


def test_update_writes_snapshot_replies_and_leaves_the_rest(write_config) -> None:
    config = write_config(SNAPSHOTS)
    before = results(run_cases(config))
    assert not before["snap block"].passed and not before["snap flow"].passed
    outcome = run_cases(config, update=True)
    assert outcome.updated == [str(config)]
    found = results(outcome)
    # while updating, a snapshot's old `equals` is not held against it; other cases' are
    assert (found["snap block"].passed, found["snap flow"].passed) == (True, True)
    assert not found["not a snapshot"].passed
    assert config.read_text() == UPDATED
    assert check(str(config)) == []
    after = results(run_cases(config))
    assert {name: r.passed for name, r in after.items()} == {
        "snap block": True,
        "snap flow": True,
        "not a snapshot": False,
    }
    assert run_cases(config, update=True).updated == [str(config)]
    assert config.read_text() == UPDATED  # a second update changes nothing


def test_update_keeps_a_files_windows_line_ends(write_config) -> None:
    config = write_config(SNAPSHOTS)
    config.write_bytes(SNAPSHOTS.replace("\n", "\r\n").encode())
    run_cases(config, update=True)
    assert config.read_bytes() == UPDATED.replace("\n", "\r\n").encode()


def test_update_writes_into_a_tests_file_up_to_the_turn_that_missed(
    write_config, tmp_path: Path
) -> None:
    config = write_config("fn: bot.py:agree\ntests: bot.tests.yaml\n")
    tests = tmp_path / "bot.tests.yaml"
    tests.write_text(
        "- name: snap\n  snapshot: true\n  turns:\n    - user: one\n"
        '    - {user: two, expect: {contains: "Yes"}}\n    - user: three\n'
    )
    outcome = run_cases(config, update=True)
    assert outcome.updated == [str(tests)]
    assert not results(outcome)["snap"].passed  # its `contains` still holds it to account
    # the third turn never ran: nothing is written for it
    assert tests.read_text() == (
        "- name: snap\n  snapshot: true\n  turns:\n"
        '    - user: one\n      expect: {equals: "Yes, I do think that: one"}\n'
        '    - {user: two, expect: {equals: "I don\'t think so", contains: "Yes"}}\n'
        "    - user: three\n"
    )
    assert config.read_text() == "fn: bot.py:agree\ntests: bot.tests.yaml\n"
    assert check(str(tests)) == []


def test_what_a_bot_writes_cannot_forge_output(write_config, tmp_path: Path) -> None:
    """Replies, errors and crashes are shown with their control characters escaped: no terminal
    escapes, no workflow command of its own in a CI log, and JUnit XML that parses."""
    config = write_config(
        """
        fn: bot.py:sneaky
        tests:
          - {name: reply, turns: [{user: hi, expect: {equals: ok}}]}
          - {name: error, turns: [{user: error}]}
          - {name: crash, turns: [{user: crash}]}
        """
    )
    report = run_cases(config).report
    escaped = "red\\x1b[31m\\x00 end\\n::warning file=x.yaml::pwned\\r\\n%0A"
    messages = [failed_run(result).misses[0].message for result in report.results]
    assert messages[0] == f"expected the reply to be 'ok', got '{escaped}'"
    assert messages[1] == f"the turn failed: {escaped}"
    assert messages[2].startswith(f"the chat function raised ValueError: {escaped} (bot.py:")
    for fmt in ("text", "github", "json", "junit"):
        shown = render(report, fmt)
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", shown), fmt
    annotations = render(report, "github").splitlines()
    assert len(annotations) == 4  # three errors and the summary
    assert all(line.startswith("::error file=") for line in annotations[:3])
    assert all("%250A" in line and "\n" not in line for line in annotations[:3])
    cases = ET.fromstring(render(report, "junit")).iter("testcase")
    assert [case.find("failure").get("message").split(": ", 1)[1] for case in cases] == messages


def test_a_case_reads_no_file_outside_the_bot_folder(write_config, tmp_path: Path) -> None:
    config = write_config(
        INSPECT
        + """
tests:
  - name: absolute
    inputs: {Document: /etc/hostname}
    turns: [{user: {text: a, files: [/etc/passwd]}}]
  - name: up and out, or through a link
    inputs: {Document: ../outside.txt}
    turns: [{user: {text: a, files: [link.txt]}}]
"""
    )
    (tmp_path.parent / "outside.txt").write_text("secret")
    (tmp_path / "link.txt").symlink_to("/etc/hostname")
    outside = "is outside the config's folder and server.allowed_paths"
    problems = [f"{p.line}:{p.column}: {p.message}" for p in check(str(config))]
    assert problems == [
        f"{place(config, 'Document: /etc')}: file '/etc/hostname' {outside}",
        f"{place(config, '/etc/passwd')}: file '/etc/passwd' {outside}",
        f"{place(config, 'Document: ../')}: file '../outside.txt' {outside}",
        f"{place(config, 'link.txt')}: file 'link.txt' {outside}",
    ]
    outcome = run_cases(config)
    assert outcome.report.results == [] and len(outcome.report.problems[str(config)]) == 4


REMOTE = (
    INSPECT
    + f"""
server:
  auth:
    tokens:
      - {{name: ci, token: {TOKEN}}}
"""
)


def test_url_runs_the_cases_against_a_server(write_config, live_server) -> None:
    config = write_inspect(write_config, REMOTE.removeprefix(INSPECT))
    server = live_server(config)
    found = results(run_cases(config, url=server.url, token=TOKEN, jobs=2))
    assert {name: r.passed for name, r in found.items()} == {
        "a file input and files in the message": True,
        "no file input": True,
        "a chatserve.Error": True,
        "a thought and a picture": True,
        "misses": False,
    }
    assert missed(found["misses"]) == [
        f"{place(config, 'contains: nope')}: expected the reply to contain 'nope', "
        "got 'hi | files: none | doc: none | turns: 0'"
    ]
    # without the token: every case fails, saying why
    refused = results(run_cases(config, url=server.url))
    assert not any(r.passed for r in refused.values())
    for result in refused.values():
        [message] = [line.split(": ", 1)[1] for line in missed(result)]
        assert message.startswith("HTTP 401 from the server: "), message
    wrong = results(run_cases(config, url=server.url, token="not-" + TOKEN))
    assert "HTTP 401" in missed(wrong["no file input"])[0]


def test_an_unreachable_url_is_a_failure_not_a_traceback(write_config, run_chatserve) -> None:
    from helpers import free_port

    write_config("fn: bot.py:hello\ntests:\n  - {name: greets, turns: [{user: Ann}]}\n")
    url = f"http://127.0.0.1:{free_port()}"
    done = run_chatserve("test", "bot.yaml", "--url", url)
    assert done.returncode == 1
    assert f"bot.yaml:3:28: no answer from {url}: ConnectError(" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    two = run_chatserve("test", "bot.yaml", "bot.yaml", "--url", url)
    assert two.returncode == 2 and "--url tests one config" in two.stderr


class _NotTheAPI(http.server.BaseHTTPRequestHandler):
    """What a wrong `--url` may answer: a web page, with 200."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html>a web page</html>")

    def log_message(self, *args: object) -> None:
        pass


def test_a_url_that_is_not_the_api_is_a_failure_not_a_traceback(write_config) -> None:
    config = write_inspect(write_config)
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotTheAPI) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        found = results(run_cases(config, url=url))
        server.shutdown()
    page = "did not answer as chatserve's API: '<html>a web page</html>'"
    assert missed(found["no file input"]) == [f"{place(config, 'user: hi')}: {url}/api/chat {page}"]
    uploading = missed(found["a file input and files in the message"])
    assert uploading == [f"{place(config, 'user: {')}: {url}/api/upload?input=0 {page}"]


def test_validate_refuses_the_files_the_bot_would_refuse(write_config, tmp_path: Path) -> None:
    (tmp_path / "cat.png").write_bytes(b"not really a picture")
    (tmp_path / "notes.txt").write_text("words")
    config = write_config(
        """
        fn: bot.py:hello
        multimodal: true
        textbox: {file_types: [image]}
        tests:
          - name: two at once
            turns:
              - user: {text: hi, files: [cat.png, cat.png]}
          - name: not an image
            turns:
              - user: {text: hi, files: [notes.txt]}
        """
    )
    problems = [f"{p.line}:{p.column}: {p.message}" for p in check(str(config))]
    assert problems == [
        f"{place(config, 'files: [cat')}: the bot takes one file per message "
        "(textbox.file_count), got 2",
        f"{place(config, 'notes.txt')}: file 'notes.txt' is not an accepted file type (image)",
    ]
