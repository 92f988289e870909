"""`cache_examples`: answers computed once, kept on disk, replayed, and recomputed after edits."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
from helpers import parse_sse, replay, wait_until

COUNTING_PY = """
import pathlib

import chatserve

CALLS = pathlib.Path(__file__).with_name("calls.txt")


def answer(message, history, *inputs):
    with CALLS.open("a") as calls:
        calls.write(f"{message}\\n")
    if message == "fail":
        raise chatserve.Error("This example cannot be answered.")
    text = ""
    for word in f"You said {message} with {list(inputs)}, version 1.".split():
        text += word + " "
        yield text
"""

CACHED = 'fn: bot.py:answer\ncache_examples: true\nexamples: [hello, "how are you?"]\n'


def calls(folder: Path) -> list[str]:
    path = folder / "calls.txt"
    return path.read_text().splitlines() if path.exists() else []


def ask(url: str, message, *, stream: bool = False, **extra) -> httpx.Response:
    body = {"message": message, "history": [], "stream": stream, **extra}
    return httpx.post(url + "/api/chat", json=body, timeout=30)


def test_eager_answers_are_ready_at_start_up_and_read_from_disk_after_a_restart(
    write_config, live_server, tmp_path: Path
) -> None:
    config = write_config(CACHED, bot_py=COUNTING_PY)
    server = live_server(config, "--no-reload")
    assert calls(tmp_path) == ["hello", "how are you?"]  # before the first request
    assert "Cached the answer to example 2 of 2" in server.output()
    first = ask(server.url, "hello")
    assert first.headers["chatserve-cache"] == "hit"
    assert first.json()["messages"][0]["content"] == "You said hello with [], version 1. "

    server.process.terminate()
    server.process.wait()
    again = live_server(config, "--no-reload")
    answer = ask(again.url, "hello")
    assert answer.headers["chatserve-cache"] == "hit"
    assert answer.json() == first.json()
    assert calls(tmp_path) == ["hello", "how are you?"]  # nothing ran again
    assert "Cached the answer" not in again.output()


def test_editing_the_function_invalidates_and_a_reload_recomputes(
    write_config, live_server, tmp_path: Path
) -> None:
    config = write_config(CACHED, bot_py=COUNTING_PY)
    server = live_server(config)
    assert "version 1" in ask(server.url, "hello").json()["messages"][0]["content"]
    (tmp_path / "bot.py").write_text(COUNTING_PY.replace("version 1", "version 2"))
    wait_until(lambda: len(calls(tmp_path)) == 4, timeout=10)  # both answers again
    answer = ask(server.url, "hello")
    assert answer.headers["chatserve-cache"] == "hit"
    assert "version 2" in answer.json()["messages"][0]["content"]
    config.write_text(CACHED.replace("how are you?", "what is new?"))  # a new example
    wait_until(lambda: calls(tmp_path)[-1:] == ["what is new?"], timeout=10)
    assert len(calls(tmp_path)) == 5  # "hello" did not change: its answer is kept


def test_lazy_answers_are_computed_on_the_first_click_by_anyone(client, tmp_path: Path) -> None:
    http = client(CACHED + "cache_mode: lazy\n", bot_py=COUNTING_PY)
    assert calls(tmp_path) == []
    first = http.post("/api/chat", json={"message": "hello", "history": []})
    assert first.headers["chatserve-cache"] == "miss"
    http.cookies.set("chatserve_client", "B" * 22)  # someone else
    second = http.post("/api/chat", json={"message": "hello", "history": []})
    assert second.headers["chatserve-cache"] == "hit"
    assert second.json() == first.json()
    assert calls(tmp_path) == ["hello"]
    not_an_example = http.post("/api/chat", json={"message": "hello!", "history": []})
    assert "chatserve-cache" not in not_an_example.headers
    later_in_a_chat = http.post(
        "/api/chat",
        json={"message": "hello", "history": [{"role": "user", "content": "hi"}]},
    )
    assert "chatserve-cache" not in later_in_a_chat.headers
    assert calls(tmp_path) == ["hello", "hello!", "hello"]


def test_a_generator_answer_is_replayed_as_a_quick_stream(client, tmp_path: Path) -> None:
    http = client(CACHED, bot_py=COUNTING_PY)
    json_answer = http.post("/api/chat", json={"message": "hello", "history": []}).json()
    started = time.monotonic()
    response = http.post("/api/chat", json={"message": "hello", "history": [], "stream": True})
    took = time.monotonic() - started
    events = parse_sse(response.text)
    assert response.headers["chatserve-cache"] == "hit"
    assert [name for name, _ in events].count("delta") >= 10  # it streams…
    assert took < 2  # …quickly (20 frames, 15 ms apart)
    assert events[-1] == ("done", json_answer)
    assert replay(events) == json_answer["messages"]


def test_rows_with_inputs_are_keyed_by_their_values(client, tmp_path: Path) -> None:
    http = client(
        "fn: bot.py:answer\ncache_examples: true\n"
        "additional_inputs: [{type: slider, value: 3}]\nexamples: [[hello, 5]]\n",
        bot_py=COUNTING_PY,
    )
    row = http.post("/api/chat", json={"message": "hello", "history": [], "inputs": [5]})
    assert row.headers["chatserve-cache"] == "hit"
    assert "with [5]" in row.json()["messages"][0]["content"]
    moved = http.post("/api/chat", json={"message": "hello", "history": [], "inputs": [4]})
    assert "chatserve-cache" not in moved.headers
    assert "with [4]" in moved.json()["messages"][0]["content"]


def test_a_failing_example_is_logged_and_answered_live(
    write_config, live_server, tmp_path: Path
) -> None:
    config = write_config(CACHED.replace("how are you?", "fail"), bot_py=COUNTING_PY)
    server = live_server(config, "--no-reload")
    assert "Example 2 was not cached: This example cannot be answered." in server.output()
    assert ask(server.url, "fail").status_code == 422
    failed = ask(server.url, "fail", stream=True)
    assert failed.headers["chatserve-cache"] == "miss"  # errors are not kept
    assert ("error", {"message": "This example cannot be answered."}) in parse_sse(failed.text)
    assert ask(server.url, "hello").headers["chatserve-cache"] == "hit"


RICH_PY = """
import pathlib
import tempfile

import chatserve


def describe(message, history):
    [path] = message["files"]
    size = pathlib.Path(path).stat().st_size
    chart = pathlib.Path(tempfile.mkdtemp()) / "chart.png"
    chart.write_bytes(b"\\x89PNG\\r\\n\\x1a\\n" + str(size).encode())
    return [
        chatserve.ChatMessage("Looked at the file", metadata={"title": "Thinking"}),
        f"{message['text']}: {pathlib.Path(path).name} has {size} bytes",
        {"path": str(chart)},
    ]
"""


def test_multimodal_examples_with_files_and_rich_answers(
    write_config, live_server, tmp_path: Path
) -> None:
    (tmp_path / "cat.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 24)
    config = write_config(
        "fn: bot.py:describe\nmultimodal: true\ncache_examples: true\n"
        "examples: [{text: Describe, files: [cat.png]}]\n",
        bot_py=RICH_PY,
    )
    server = live_server(config)
    [example] = httpx.get(server.url + "/api/config").json()["examples"]
    message = {"text": "Describe", "files": [example["files"][0]["id"]]}
    answer = ask(server.url, message)
    assert answer.headers["chatserve-cache"] == "hit"
    thought, text, picture = answer.json()["messages"]
    assert thought["metadata"] == {"title": "Thinking"}
    assert text["content"] == "Describe: cat.png has 32 bytes"
    image = httpx.get(f"{server.url}/{picture['content']['file']['url']}")
    assert image.content == b"\x89PNG\r\n\x1a\n32"  # a copy kept with the answer

    (tmp_path / "cat.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 40)  # the example changed
    config.write_text(config.read_text() + "\n")  # and the watcher notices
    wait_until(lambda: "has 48 bytes" in str(ask(server.url, fresh_message(server)).json()), 10)


def fresh_message(server) -> dict:
    [example] = httpx.get(server.url + "/api/config").json()["examples"]
    return {"text": "Describe", "files": [example["files"][0]["id"]]}


def test_sweeps_keep_the_answers_in_use(write_config, live_server, tmp_path: Path) -> None:
    config = write_config(CACHED + "delete_cache: [1, 60]\n", bot_py=COUNTING_PY)
    examples = tmp_path / ".chatserve" / "examples"
    stale = examples / "0123456789abcdef0123456789abcdef"
    (stale / "files").mkdir(parents=True)
    (stale / "answer.json").write_text("{}")
    server = live_server(config)
    then = time.time() - 3600
    for path in examples.rglob("*"):
        os.utime(path, (then, then))
    wait_until(lambda: not stale.exists(), timeout=5)
    assert len(list(examples.iterdir())) == 3  # the two in use, and the lock file
    assert ask(server.url, "hello").headers["chatserve-cache"] == "hit"


OUTPUT_PY = """
import pathlib
import tempfile


def drawn(message, history):
    path = pathlib.Path(tempfile.mkdtemp()) / "drawing.png"
    path.write_bytes(b"\\x89PNG\\r\\n\\x1a\\n" + message.encode())
    return f"drew {message}", str(path), {"id": "not a file", "url": "api/files/x"}
"""


def test_image_outputs_are_kept_with_the_answer(client, tmp_path: Path) -> None:
    http = client(
        "fn: bot.py:drawn\ncache_examples: true\nexamples: [cat]\n"
        "additional_outputs: [image, json]\n",
        bot_py=OUTPUT_PY,
    )
    answer = http.post("/api/chat", json={"message": "cat", "history": []})
    assert answer.headers["chatserve-cache"] == "hit"
    image, data = answer.json()["outputs"]
    assert http.get("/" + image["url"]).content == b"\x89PNG\r\n\x1a\ncat"
    assert data == {"id": "not a file", "url": "api/files/x"}  # JSON output, left as it is


GATED_PY = """
import pathlib
import time

GATE = pathlib.Path(__file__).with_name("gate")


def answer(message, history):
    while message == "slow" and not GATE.exists():
        time.sleep(0.05)
    return f"answer to {message}"
"""


def test_ready_only_once_the_eager_answers_exist_after_a_reload_too(
    write_config, live_server, tmp_path: Path
) -> None:
    config = write_config(
        "fn: bot.py:answer\ncache_examples: true\nexamples: [hello]\n", bot_py=GATED_PY
    )
    server = live_server(config)
    readiness = lambda: httpx.get(server.url + "/readyz", timeout=10)  # noqa: E731
    assert readiness().json() == {"status": "ready", "reasons": []}
    config.write_text("fn: bot.py:answer\ncache_examples: true\nexamples: [hello, slow]\n")
    wait_until(lambda: readiness().status_code == 503, timeout=10)
    assert readiness().json() == {
        "status": "not ready",
        "reasons": ["The answers to the examples are being computed."],
    }
    (tmp_path / "gate").touch()
    wait_until(lambda: readiness().status_code == 200, timeout=10)
