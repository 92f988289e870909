"""Additional inputs and outputs, example rows, the chat function's signature, tuples history."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import error_of, parse_sse

from chatserve.bot.load import load
from chatserve.errors import ConfigError

INPUTS_PY = """
def echo(message, history, system_prompt, tokens, tags, shout):
    return repr([message, system_prompt, tokens, tags, shout])


def two(message, history):
    return "only two"


def knobs(message, history, model, temperature):
    return repr([model, temperature])


def pairs(message, history):
    return repr(history)


def panels(message, history):
    yield "thinking", "## Plan", {"step": 1}
    yield "done", "## Plan\\n- ok", {"step": 2}
"""

ECHO = """
fn: bot.py:echo
additional_inputs:
  - {type: textbox, value: You are helpful AI., label: System Prompt}
  - {type: slider, minimum: 10, maximum: 100}
  - {type: checkboxgroup, choices: [a, b, [Cee, c]]}
  - checkbox
"""


@pytest.fixture
def http(client):
    return lambda text=ECHO: client(text, bot_py=INPUTS_PY)


def ask(http, inputs: list) -> tuple[int, object]:
    response = http.post("/api/chat", json={"message": "hi", "inputs": inputs})
    if response.status_code != 200:
        return response.status_code, error_of(response)
    return response.status_code, response.json()["messages"][0]["content"]


def test_values_reach_the_function_in_order_and_missing_ones_default(http) -> None:
    chat = http()
    assert ask(chat, ["Be brief", 42, ["a", "c"], True]) == (
        200,
        "['hi', 'Be brief', 42, ['a', 'c'], True]",
    )
    assert ask(chat, []) == (200, "['hi', 'You are helpful AI.', 10, [], False]")


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (["x", 500], "Input 2 (Tokens): 500 is above the maximum 100."),
        (["x", 5], "Input 2 (Tokens): 5 is below the minimum 10."),
        (["x", "50"], "Input 2 (Tokens): must be a number, got '50'."),
        (["x", True], "Input 2 (Tokens): must be a number, got True."),
        ([7], "Input 1 (System Prompt): must be text, got 7."),
        (["x", 50, ["a", "z"]], "Input 3 (Tags): 'z' is not one of the choices ['a', 'b', 'c']."),
        (["x", 50, [], "yes"], "Input 4 (Shout): must be true or false, got 'yes'."),
        (["x", 50, [], True, "extra"], "This bot takes 4 additional input(s), got 5."),
    ],
)
def test_every_value_is_checked_against_its_declaration(http, inputs, message) -> None:
    assert ask(http(), inputs) == (422, {"message": message})


def test_dropdown_and_number(http) -> None:
    chat = http(
        "fn: bot.py:knobs\nadditional_inputs:\n"
        "  - {type: dropdown, choices: [[Small, s], [Large, l]], value: s}\n"
        "  - {type: number, minimum: 0, maximum: 2}\n"
    )
    assert ask(chat, ["l", 1.5]) == (200, "['l', 1.5]")
    assert ask(chat, []) == (200, "['s', 0]")
    assert ask(chat, ["Large", 1]) == (
        422,
        {"message": "Input 1 (Model): 'Large' is not one of the choices ['s', 'l']."},
    )
    assert ask(chat, ["s", 3]) == (
        422,
        {"message": "Input 2 (Temperature): 3 is above the maximum 2."},
    )


def test_public_config_describes_the_controls(http) -> None:
    config = (
        http(ECHO + "additional_inputs_accordion: {label: Settings, open: true}\n")
        .get("/api/config")
        .json()
    )
    assert config["additional_inputs_accordion"] == {"label": "Settings", "open": True}
    textbox, slider, group, checkbox = config["additional_inputs"]
    assert (textbox["label"], textbox["value"], textbox["position"]) == (
        "System Prompt",
        "You are helpful AI.",
        "accordion",
    )
    assert (slider["label"], slider["value"], slider["minimum"], slider["maximum"]) == (
        "Tokens",  # the chat function's parameter name
        10,
        10,
        100,
    )
    assert group["choices"] == [["a", "a"], ["b", "b"], ["Cee", "c"]]
    assert (checkbox["type"], checkbox["label"], checkbox["value"]) == ("checkbox", "Shout", False)


def test_example_rows_are_published_with_their_values(http) -> None:
    config = (
        http(ECHO + "examples:\n  - [Hello, Be nice, 20, [a], false]\n").get("/api/config").json()
    )
    assert config["examples"] == [
        {
            "text": "Hello",
            "files": [],
            "inputs": ["Be nice", 20, ["a"], False],
            "label": None,
            "icon": None,
        }
    ]


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "bot.py").write_text(INPUTS_PY)
    path = tmp_path / "bot.yaml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text))
    return [f"{p.line}:{p.column}: {p.path}: {p.message}" for p in caught.value.problems]


def test_example_rows_are_checked_where_they_are_written(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        ECHO
        + "examples:\n"
        + "  - [Hello, Be nice, 20, [a], false]\n"
        + "  - [Hello, Be nice, 500, [a], false]\n"
        + "  - [Too short]\n"
        + "  - Just text, sent with the inputs' current values\n",
    )
    assert found == [
        "10:22: examples[1][2]: value 500 is above the maximum 100",
        "11:5: examples[2]: a row must have 5 values (the message, then one per additional "
        "input), got 1",
    ]


def test_rows_without_inputs_and_files_without_multimodal(tmp_path: Path) -> None:
    (tmp_path / "cat.png").write_bytes(b"x")
    found = problems(
        tmp_path,
        "fn: bot.py:two\nexamples:\n  - [a, b]\n  - {text: x, files: [cat.png]}\n"
        "  - {text: y, files: [missing.png]}\n",
    )
    assert found == [
        "3:5: examples[0]: a row of values needs additional_inputs; give the message alone",
        "4:5: examples[1]: examples with files need multimodal: true",
        "5:5: examples[2]: examples with files need multimodal: true",
        "5:23: examples[2].files[0]: file 'missing.png' not found",
    ]


def test_example_files_must_stay_in_the_config_folder(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "secret.png").write_bytes(b"x")
    (inner / "bot.py").write_text(INPUTS_PY)
    config = inner / "bot.yaml"
    config.write_text("fn: bot.py:two\nmultimodal: true\nexamples:\n  - {files: [../secret.png]}\n")
    with pytest.raises(ConfigError, match="outside the config's folder"):
        load(config)


def test_signature_must_take_the_additional_inputs(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "fn: bot.py:two\nadditional_inputs: [textbox]\n")
    assert problem.startswith(
        "1:1: fn: bot.py:two cannot be called with 3 arguments (message, history and 1 "
        "additional input(s)): too many positional arguments"
    )
    [problem] = problems(tmp_path, "fn: bot.py:echo\n")
    assert "cannot be called with 2 arguments" in problem


def test_tuples_history(http) -> None:
    chat = http("fn: bot.py:pairs\nchatbot: {type: tuples}\n")
    history = [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b"},
        {"role": "assistant", "content": "c"},
        {"role": "user", "content": "d"},
    ]
    response = chat.post("/api/chat", json={"message": "x", "history": history})
    assert response.json()["messages"][0]["content"] == ("[['a', 'b'], [None, 'c'], ['d', None]]")


def test_additional_outputs_stream_and_answer(http) -> None:
    chat = http("fn: bot.py:panels\nadditional_outputs: [markdown, {type: json, label: State}]\n")
    config = chat.get("/api/config").json()
    assert config["additional_outputs"] == [
        {"type": "markdown", "label": "Markdown 1", "language": None},
        {"type": "json", "label": "State", "language": None},
    ]
    events = parse_sse(chat.post("/api/chat", json={"message": "x", "stream": True}).text)
    outputs = [data for name, data in events if name == "outputs"]
    assert outputs[-1] == ["## Plan\n- ok", {"step": 2}]
    assert events[-1] == (
        "done",
        {
            "messages": [{"role": "assistant", "content": "done"}],
            "outputs": ["## Plan\n- ok", {"step": 2}],
        },
    )
    answer = chat.post("/api/chat", json={"message": "x"}).json()
    assert answer["outputs"] == ["## Plan\n- ok", {"step": 2}]
