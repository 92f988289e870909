"""`/v1/*` with the official `openai` package as the client, against a real server."""

from __future__ import annotations

import httpx
import openai
import pytest

BOT_PY = """
import pathlib
import tempfile
import time

import chatserve


def talk(message, history, tone):
    if message == "refuse":
        raise chatserve.Error("I will not.")
    if message == "crash":
        raise RuntimeError("secret internals")
    if message == "empty gallery":
        yield chatserve.Gallery([])
        return
    if message == "picture":
        path = pathlib.Path(tempfile.mkdtemp()) / "dot.png"
        path.write_bytes(b"\\x89PNG\\r\\n\\x1a\\n")
        thought = chatserve.ChatMessage("hmm", metadata={"title": "Thinking"})
        yield [thought, "Here:", {"path": str(path)}]
        return
    past = " | ".join(f"{m['role']}:{m['content']}" for m in history)
    reply = ""
    for word in f"({tone}) {message} [{past}]".split(" "):
        reply += word + " "
        yield reply.strip()
        time.sleep(0.02)
"""

CONFIG = """
title: Echo Bot
fn: bot.py:talk
additional_inputs: [{type: radio, choices: [calm, loud], value: calm}]
"""


@pytest.fixture
def server(write_config, live_server):
    return live_server(write_config(CONFIG, bot_py=BOT_PY), "--no-reload")


@pytest.fixture
def client(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)


def test_models_lists_the_bot(client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == ["echo-bot"]


def test_a_completion_maps_messages_to_message_and_history(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="echo-bot",
        messages=[
            {"role": "system", "content": "ignored: the bot has its own prompt"},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "user", "content": [{"type": "text", "text": "how are you?"}]},
        ],
        extra_body={"inputs": ["loud"]},
    )
    assert completion.object == "chat.completion"
    assert completion.model == "echo-bot"
    assert completion.choices[0].finish_reason == "stop"
    assert (
        completion.choices[0].message.content == "(loud) how are you? [user:hi | assistant:hello]"
    )


def test_a_streamed_completion_arrives_in_chunks(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="echo-bot", messages=[{"role": "user", "content": "one two three"}], stream=True
    )
    chunks = list(stream)
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [chunk.choices[0].delta.content or "" for chunk in chunks]
    assert "".join(pieces) == "(calm) one two three []"
    assert len([piece for piece in pieces if piece]) >= 2  # streamed, not in one piece
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_files_become_links_and_thoughts_stay_out(client: openai.OpenAI, server) -> None:
    completion = client.chat.completions.create(
        model="echo-bot", messages=[{"role": "user", "content": "picture"}]
    )
    text = completion.choices[0].message.content
    assert text.startswith("Here:\n\n![dot.png](" + server.url + "/api/files/")
    assert "hmm" not in text
    url = text.split("(")[1].rstrip(")")
    assert httpx.get(url).content == b"\x89PNG\r\n\x1a\n"


def test_errors_have_openai_shape_and_status(client: openai.OpenAI, server) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(
            model="echo-bot", messages=[{"role": "user", "content": "refuse"}]
        )
    assert refused.value.body["message"] == "I will not."
    with pytest.raises(openai.InternalServerError) as crashed:
        client.chat.completions.create(
            model="echo-bot", messages=[{"role": "user", "content": "crash"}]
        )
    assert "secret" not in str(crashed.value.body)
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert unknown.value.body["code"] == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad_input:
        client.chat.completions.create(
            model="echo-bot",
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"inputs": ["shy"]},
        )
    assert "shy" in bad_input.value.body["message"]
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="echo-bot", messages=[{"role": "assistant", "content": "hi"}]
        )
    raw = httpx.post(server.url + "/v1/chat/completions", json={"model": "echo-bot"})
    assert raw.status_code == 400
    assert raw.json()["error"]["type"] == "invalid_request_error"


def test_a_failure_mid_stream_is_an_error_event(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="echo-bot", messages=[{"role": "user", "content": "refuse"}], stream=True
    )
    with pytest.raises(openai.APIError, match="I will not"):
        list(stream)


def test_an_empty_gallery_is_an_empty_answer(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="echo-bot", messages=[{"role": "user", "content": "empty gallery"}]
    )
    assert completion.choices[0].message.content == ""


def test_absurdly_deep_json_is_a_400_in_openais_shape(server) -> None:
    body = '{"model": "echo-bot", "messages": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = httpx.post(
        server.url + "/v1/chat/completions",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": "The request nests deeper than 32 levels.",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
