"""`POST /api/chat` in process: every kind of chat function, errors, and the wire contract."""

from __future__ import annotations

import logging

import msgspec
import pytest
from helpers import parse_sse, replay

from chatserve.http.openapi import EVENTS
from chatserve.http.sse import sse
from chatserve.http.wire import ChatRequest, ChatResponse
from chatserve.routes.chat import _first_delta


def test_sync_function_answers_json(client) -> None:
    http = client("fn: bot.py:echo\n")
    history = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    response = http.post("/api/chat", json={"message": "hi", "history": history})
    assert response.status_code == 200
    assert response.json() == {
        "messages": [{"role": "assistant", "content": "echo: hi (2 in history)"}],
        "outputs": [],
    }


@pytest.mark.parametrize(
    ("fn", "final"),
    [
        ("echo", "echo: hi (0 in history)"),
        ("async_echo", "async: hi"),
        ("stream", "word " * 5),
        ("async_stream", "tick " * 3),
    ],
)
def test_every_kind_of_function_streams(client, fn: str, final: str) -> None:
    http = client(f"fn: bot.py:{fn}\n")
    response = http.post("/api/chat", json={"message": "hi", "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    assert events[0][0] == "message"
    assert events[-1] == (
        "done",
        {"messages": [{"role": "assistant", "content": final}], "outputs": []},
    )
    assert replay(events) == [{"role": "assistant", "content": final}]


@pytest.mark.parametrize("fn", ["paced", "async_paced"])
def test_stream_sends_only_the_change(client, fn: str) -> None:
    http = client(f"fn: bot.py:{fn}\n")
    events = parse_sse(http.post("/api/chat", json={"message": "x", "stream": True}).text)
    assert events[0] == (
        "message",
        {"index": 0, "message": {"role": "assistant", "content": "word "}},
    )
    # Yields 50 ms apart each get their own event, and each carries only the new suffix.
    assert [data for name, data in events[1:-1]] == [{"index": 0, "text": "word "}] * 4
    assert [name for name, _ in events[1:]] == ["delta"] * 4 + ["done"]


@pytest.mark.parametrize("text", [" word", "", 'a "quote" and a \\ \n', "é \u2028 🙂 \x00"])
def test_a_delta_is_made_as_any_event_is(text: str) -> None:
    """The first message's delta, made without its dict, is the event `sse` makes of it."""
    assert _first_delta(text) == sse({"index": 0, "text": text}, "delta")


def test_a_burst_is_coalesced_and_the_slower_steps_after_it_are_not(
    client, monkeypatch, tmp_path
) -> None:
    monkeypatch.chdir(tmp_path)  # the bot's `finally` writes closed.txt where it runs
    http = client("fn: bot.py:async_burst_then_slow\n")
    events = parse_sse(http.post("/api/chat", json={"message": "8", "stream": True}).text)
    assert replay(events) == [{"role": "assistant", "content": "step " * 8}]
    # The first step at once, the four after it in one event, then each 50 ms step alone.
    assert [name for name, _ in events] == ["message", "delta", "delta", "delta", "delta", "done"]
    assert [data["text"] for _, data in events[1:-1]] == ["step " * 4, "step ", "step ", "step "]


@pytest.mark.parametrize("fn", ["flood", "async_flood"])
def test_fast_generators_are_coalesced(client, fn: str) -> None:
    http = client(f"fn: bot.py:{fn}\n")
    text = http.post("/api/chat", json={"message": "x", "stream": True}).text
    events = parse_sse(text)
    final = "".join(f"t{i} " for i in range(5000))
    assert replay(events) == [{"role": "assistant", "content": final}]
    assert len(events) < 50  # 5000 yields, a handful of events
    # Bytes on the wire grow linearly: the reply once in deltas, once in `done`.
    assert len(text) < 2 * len(final) + 2000


def test_history_mutation_does_not_leak(client) -> None:
    http = client("fn: bot.py:mutate\n")
    response = http.post("/api/chat", json={"message": "x", "history": []})
    assert response.json()["messages"] == [{"role": "assistant", "content": "1"}]


def test_chatserve_error_is_shown_to_the_user(client) -> None:
    http = client("fn: bot.py:refuse\n")
    response = http.post("/api/chat", json={"message": "x"})
    assert response.status_code == 422
    assert response.json()["error"] == {
        "message": "I can't answer that.",
        "request_id": response.headers["x-request-id"],  # as the server's log names it
    }
    events = parse_sse(http.post("/api/chat", json={"message": "x", "stream": True}).text)
    assert events == [
        ("error", {"message": "I can't answer that."}),
        ("done", {"messages": [], "outputs": []}),
    ]


def test_other_exceptions_are_generic_for_the_user_and_logged(client, caplog) -> None:
    http = client("fn: bot.py:crash\n")
    with caplog.at_level(logging.ERROR, logger="chatserve"):
        response = http.post("/api/chat", json={"message": "x"})
    assert response.status_code == 500
    assert "secret" not in response.text
    assert response.json()["error"]["message"].startswith("Something went wrong")
    assert "secret internal detail" in caplog.text
    assert "Traceback" in caplog.text


def test_failure_mid_stream_keeps_the_partial_reply(client, caplog) -> None:
    http = client("fn: bot.py:partial_then_crash\n")
    with caplog.at_level(logging.ERROR, logger="chatserve"):
        text = http.post("/api/chat", json={"message": "x", "stream": True}).text
    events = parse_sse(text)
    assert [name for name, _ in events] == ["message", "error", "done"]
    assert "secret" not in text
    assert events[-1][1] == {
        "messages": [{"role": "assistant", "content": "partial"}],
        "outputs": [],
    }


def test_server_keeps_serving_after_a_failure(client, caplog) -> None:
    http = client("fn: bot.py:crash\n")
    with caplog.at_level(logging.CRITICAL, logger="chatserve"):
        for _ in range(3):
            assert http.post("/api/chat", json={"message": "x"}).status_code == 500
    assert http.get("/healthz").json() == {"status": "ok"}


def test_reply_chatserve_cannot_show_is_said_in_the_chat_and_logged(client, caplog) -> None:
    http = client("fn: bot.py:odd\n")
    with caplog.at_level(logging.WARNING, logger="chatserve"):
        response = http.post("/api/chat", json={"message": "x"})
    assert response.status_code == 422
    assert "must return text, a message dict" in response.json()["error"]["message"]
    assert "must return text, a message dict" in caplog.text


def test_public_config_has_no_server_settings_or_fn(client) -> None:
    http = client(
        """
        fn: bot.py:echo
        title: T
        examples: [a, b]
        chatbot: {height: 300}
        server: {port: 9999, data_dir: secret-place}
        flagging_dir: also-secret
        """
    )
    config = http.get("/api/config").json()
    assert set(config) == {
        "title", "description", "examples", "run_examples_on_click", "cache_examples",
        "multimodal", "chatbot",
        "textbox", "additional_inputs", "additional_inputs_accordion", "additional_outputs",
        "submit_btn", "stop_btn", "autofocus", "editable", "save_history", "flagging",
        "fill_height", "fill_width", "autoscroll", "show_progress", "theme", "theme_css", "api",
        "revision", "auth", "language", "texts", "show_api",
    }  # fmt: skip
    text = http.get("/api/config").text
    for private in ("bot.py", "echo", "9999", "secret-place", "also-secret"):
        assert private not in text
    assert config["examples"][0] == {
        "text": "a", "files": [], "inputs": None, "label": None, "icon": None
    }  # fmt: skip
    assert config["chatbot"]["height"] == "300px"
    assert config["flagging"] == {"mode": "never", "options": ["Like", "Dislike"]}
    assert config["api"] == {
        "chat": "api/chat", "upload": "api/upload", "events": None, "model": "t",
        "reference": "schema",
    }  # fmt: skip
    assert config["revision"] == 1


def test_healthz(client) -> None:
    assert client("fn: bot.py:echo\n").get("/healthz").json() == {"status": "ok"}


def test_openapi_describes_the_chat_route_and_its_events(client) -> None:
    document = client("fn: bot.py:echo\n").get("/schema/openapi.json").json()
    operation = document["paths"]["/api/chat"]["post"]
    for event in ("message", "delta", "replace", "error", "done"):
        assert f"`{event}`" in operation["description"]
    assert "text/event-stream" in str(operation)
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ChatRequest"
    )
    assert "ChatResponse" in str(operation["responses"]["200"])


def test_openapi_examples_are_valid_requests_answers_and_events(client) -> None:
    document = client("fn: bot.py:echo\n").get("/schema/openapi.json").json()
    operation = document["paths"]["/api/chat"]["post"]
    requests = operation["requestBody"]["content"]["application/json"]["examples"]
    assert len(requests) == 3
    for example in requests.values():
        msgspec.convert(example["value"], ChatRequest)
    answers = operation["responses"]["200"]["content"]
    msgspec.convert(answers["application/json"]["example"], ChatResponse)
    stream = answers["text/event-stream"]
    events = {
        schema["title"].removeprefix("event: "): schema for schema in stream["schema"]["oneOf"]
    }
    assert set(events) == set(EVENTS)
    for name, schema in events.items():
        [example] = schema["examples"]
        msgspec.convert(example, EVENTS[name])
    assert [name for name, _ in parse_sse(stream["example"])] == ["message", "delta", "done"]
