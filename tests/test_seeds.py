"""Every bot in configs/ through the API, as shipped: the seeds keep their Gradio meaning."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import parse_sse, replay
from litestar.testing import TestClient

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


@pytest.fixture
def bot(client):
    """In-process clients for the shipped configs, by name, holding their client cookie."""

    def open_config(name: str) -> TestClient:
        http = client(CONFIGS / f"{name}.yaml")
        http.get("/")
        return http

    return open_config


def say(http: TestClient, message, history=(), inputs=(), stream=False):
    body = {"message": message, "history": list(history), "inputs": list(inputs), "stream": stream}
    response = http.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    return parse_sse(response.text) if stream else response.json()["messages"]


def test_random_response(bot) -> None:
    http = bot("random_response")
    assert {say(http, "Hi?")[0]["content"] for _ in range(20)} == {"Yes", "No"}


def test_alternating_agree(bot) -> None:
    http = bot("alternating_agree")
    first = say(http, "cats rule")
    assert first == [{"role": "assistant", "content": "Yes, I do think that: cats rule"}]
    history = [{"role": "user", "content": "cats rule"}, *first]
    assert say(http, "dogs too", history)[0]["content"] == "I don't think so"


def test_slow_echo_streams(bot) -> None:
    events = say(bot("slow_echo"), "hey", stream=True)
    assert [name for name, _ in events] == ["message", "delta", "delta", "done"]
    assert replay(events) == [{"role": "assistant", "content": "You typed: hey"}]


def test_yes_man(bot) -> None:
    http = bot("yes_man")
    assert say(http, "Am I cool?")[0]["content"] == "Yes"
    assert say(http, "Hello")[0]["content"] == "Ask me anything!"
    cached = http.post("/api/chat", json={"message": "Are tomatoes vegetables?", "history": []})
    assert cached.headers["chatserve-cache"] == "hit"  # the seed's cache_examples=True
    assert cached.json()["messages"][0]["content"] == "Yes"
    config = http.get("/api/config").json()
    assert (config["title"], config["theme"], config["chatbot"]["height"]) == (
        "Yes Man",
        "ocean",
        "300px",
    )


def test_count_images(bot) -> None:
    http = bot("count_images")
    ids = [
        http.post("/api/upload", files=[("files", (f"{n}.png", PNG, "image/png"))]).json()["files"][
            0
        ]["id"]
        for n in range(3)
    ]
    history = [
        {"role": "user", "content": {"file": {"id": ids[0]}}},
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "You just uploaded 1 images, total uploaded: 1"},
    ]
    reply = say(http, {"text": "two more", "files": ids[1:]}, history)
    assert reply[0]["content"] == "You just uploaded 2 images, total uploaded: 3"
    assert http.get("/api/config").json()["examples"] == [
        {"text": "No files", "files": [], "inputs": None, "label": None, "icon": None}
    ]


def test_system_prompt_and_slider(bot) -> None:
    http = bot("system_prompt")
    events = say(http, "hi", inputs=["Be nice", 20], stream=True)
    assert replay(events)[0]["content"] == "System prompt: Be nice\n Message: hi."[:20]
    textbox, slider = http.get("/api/config").json()["additional_inputs"]
    assert (textbox["label"], textbox["position"], slider["label"]) == (
        "System Prompt",
        "accordion",
        "Tokens",
    )
    assert http.post("/api/chat", json={"message": "x", "inputs": ["", 500]}).status_code == 422


def test_system_prompt_above(bot) -> None:
    textbox, slider = bot("system_prompt_above").get("/api/config").json()["additional_inputs"]
    assert (textbox["position"], slider["position"]) == ("above", "accordion")


def test_music_returns_an_audio_component(bot) -> None:
    [message] = say(bot("music"), "Queen")
    assert message["content"]["component"] == "audio"
    assert message["content"]["file"]["url"].endswith("audio_sample.wav")
    assert say(bot("music"), " ")[0]["content"] == "Please provide the name of an artist"


def test_file_dict(bot) -> None:
    [message] = say(bot("file_dict"), "Queen")
    assert message["content"]["file"]["mime_type"] == "audio/x-wav"


def test_options(bot) -> None:
    http = bot("options")
    [message] = say(http, "Write a Python function that takes a string and returns a greeting.")
    assert message["options"] == [
        {"value": "Yes, that's correct.", "label": "Yes"},
        {"value": "No"},
    ]
    assert say(http, "Yes, that's correct.", [message])[0]["content"] == "Great!"


def test_thoughts_nest_and_finish(bot) -> None:
    events = say(bot("thoughts"), "weather?", stream=True)
    first = events[0][1]["message"]
    assert first["metadata"]["status"] == "pending"
    final = events[-1][1]["messages"]
    assert [m.get("metadata", {}).get("status") for m in final] == ["done", None, None]
    assert final[1]["metadata"]["parent_id"] == final[0]["metadata"]["id"] == "weather"


def test_showcase_every_shape(bot) -> None:
    http = bot("showcase")
    events = say(http, "everything", inputs=["formal", 3, True], stream=True)
    messages = events[-1][1]["messages"]
    kinds = [
        m["content"].get("component", "file") if isinstance(m["content"], dict) else "text"
        for m in messages
    ]
    assert kinds == ["text", "text", "text", "image", "audio", "file", "plot", "text"]
    assert messages[-1]["options"][0] == {"value": "Again, please", "label": "Again"}
    assert events[-1][1]["outputs"] == [{"status": "done", "style": "formal", "messages": 8}]
    for message in messages[3:7]:
        data = message["content"]["file"]
        served = http.get(f"/api/files/{data['id']}")
        assert served.status_code == 200
        assert served.headers["content-type"].startswith(data["mime_type"])
