"""Saved conversations (`save_history: server`) through the HTTP API: who sees what (the
ownership table), the `conversation_id` of a chat turn (stream, JSON, cached examples),
search and pages, exports, caps and quotas, ratings, and the files conversations keep and
delete."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import BOT_PY, parse_sse
from litestar.testing import TestClient

from chatserve.routes import conversations as routes
from chatserve.store.cleanup import _sweep_all

PY = (
    BOT_PY
    + '''
import chatserve


def titled(message, history, request: chatserve.Request):
    """Names the conversation after its first message, as a bot may."""
    if request.conversation is not None and not history:
        request.conversation.title = f"About {message}"
    return f"noted {message}"


def describe(message, history):
    names = ", ".join(path.rsplit("/", 1)[-1] for path in message["files"])
    return f"{message['text']} [{names}] ({len(history)} in history)"
'''
)

SERVER = "fn: bot.py:echo\nsave_history: server\nflagging_mode: manual\n"
ID = re.compile(r"^[A-Za-z0-9_-]{22}$")


@pytest.fixture
def bot_py() -> str:
    return PY


def chat(http: TestClient, message: Any, history: list | None = None, **fields) -> Any:
    body = {"message": message, "history": history or [], **fields}
    return http.post("/api/chat", json=body)


def stream(http: TestClient, message: Any, history: list | None = None, **fields):
    answer = chat(http, message, history, stream=True, **fields)
    assert answer.status_code == 200, answer.text
    return answer, parse_sse(answer.text)


def saved(http: TestClient, conversation: str) -> dict:
    answer = http.get(f"/api/conversations/{conversation}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def titles(http: TestClient, **params) -> list[str]:
    answer = http.get("/api/conversations", params=params)
    assert answer.status_code == 200, answer.text
    return [c["title"] for c in answer.json()["conversations"]]


# The conversation_id of a turn ----------------------------------------------------------------


def test_a_streamed_turn_starts_a_conversation_and_the_next_goes_on(client) -> None:
    http = client(SERVER)
    http.get("/")  # the page's cookie: whose conversations these are
    answer, events = stream(http, "Plan my trip")
    conversation = answer.headers["chatserve-conversation"]
    assert ID.match(conversation)
    name, done = events[-1]
    assert name == "done" and done["conversation_id"] == conversation
    history = [{"role": "user", "content": "Plan my trip"}, *done["messages"]]
    _, events = stream(http, "To Rome", history, conversation_id=conversation)
    assert events[-1][1]["conversation_id"] == conversation
    kept = saved(http, conversation)
    assert kept["title"] == "Plan my trip"
    assert [m["content"] for m in kept["messages"]] == [
        "Plan my trip",
        "echo: Plan my trip (0 in history)",
        "To Rome",
        "echo: To Rome (2 in history)",
    ]
    assert kept["created"] < kept["updated"]
    # Retry of the second turn sends the first two messages: the conversation is cut there.
    _, events = stream(http, "To Paris", history, conversation_id=conversation)
    assert [m["content"] for m in saved(http, conversation)["messages"]][2:] == [
        "To Paris",
        "echo: To Paris (2 in history)",
    ]
    assert titles(http) == ["Plan my trip"]  # one conversation all along


def test_a_json_turn_names_its_conversation_in_the_body_and_a_header(client) -> None:
    http = client(SERVER + "additional_inputs: [{type: slider, value: 3}]\n")
    http.get("/")
    answer = chat(http, "hello", inputs=[7])
    assert answer.status_code == 200, answer.text
    conversation = answer.json()["conversation_id"]
    assert answer.headers["chatserve-conversation"] == conversation
    kept = saved(http, conversation)
    assert kept["inputs"] == [7] and len(kept["messages"]) == 2
    # A failed turn (JSON) saves nothing: the client was told it failed.
    failing = client(SERVER.replace("echo", "crash"))
    failing.get("/")
    assert chat(failing, "boom").status_code == 500
    assert titles(failing) == []


def test_a_failed_streamed_turn_keeps_what_the_user_wrote(client) -> None:
    http = client(SERVER.replace("echo", "partial_then_crash"))
    http.get("/")
    _, events = stream(http, "tell me")
    assert [name for name, _ in events][-2:] == ["error", "done"]
    kept = saved(http, events[-1][1]["conversation_id"])
    assert kept["messages"][0] == {"role": "user", "content": "tell me"}


def test_the_bot_may_name_the_conversation(client) -> None:
    http = client(SERVER.replace("echo", "titled"))
    http.get("/")
    conversation = chat(http, "cats").json()["conversation_id"]
    assert titles(http) == ["About cats"]
    assert http.patch(f"/api/conversations/{conversation}", json={"title": "Mine"}).is_success
    history = saved(http, conversation)["messages"]
    chat(http, "dogs", history, conversation_id=conversation)
    assert titles(http) == ["Mine"]  # the user's name wins


def test_a_cached_example_answer_is_saved_too(client) -> None:
    http = client(SERVER + "examples: [Hi there]\ncache_examples: true\n")
    http.get("/")
    answer, events = stream(http, "Hi there")
    assert answer.headers["chatserve-cache"] == "hit"
    conversation = events[-1][1]["conversation_id"]
    assert answer.headers["chatserve-conversation"] == conversation
    assert saved(http, conversation)["messages"][1]["content"] == "echo: Hi there (0 in history)"


def test_api_clients_without_a_cookie_chat_but_keep_nothing(client, tmp_path: Path) -> None:
    http = client(SERVER)
    answer = chat(http, "hi")
    assert answer.status_code == 200 and "conversation_id" not in answer.json()
    assert "chatserve-conversation" not in answer.headers
    refused = chat(http, "hi", conversation_id="a" * 22)
    assert refused.status_code == 403
    assert "signed-in user" in refused.json()["error"]["message"]
    assert not (tmp_path / ".chatserve" / "conversations.sqlite3").exists()


def test_a_bot_that_keeps_none_on_the_server_says_so(client) -> None:
    for mode in ("true", "browser", "false"):
        http = client(f"fn: bot.py:echo\nsave_history: {mode}\n")
        http.get("/")
        answer = chat(http, "hi")
        assert answer.status_code == 200 and "conversation_id" not in answer.json()
        refused = chat(http, "hi", conversation_id="a" * 22)
        assert refused.status_code == 404
        assert "save_history" in refused.json()["error"]["message"]
        assert http.get("/api/conversations").status_code == 404
        document = http.get("/schema/openapi.json").json()
        assert "/api/conversations" not in document["paths"]
    document = client(SERVER).get("/schema/openapi.json").json()
    assert {"/api/conversations", "/api/conversations/{conversation_id}"} <= set(document["paths"])


def test_a_reload_that_turns_it_on_needs_no_restart(client, write_config) -> None:
    from chatserve.bot.load import load

    http = client("fn: bot.py:echo\nsave_history: true\n")
    http.get("/")
    assert http.get("/api/conversations").status_code == 404
    holder = http.app.state.services.holder
    holder.replace(load(write_config(SERVER)))
    assert chat(http, "now").json()["conversation_id"]
    assert titles(http) == ["now"]


# Who sees what --------------------------------------------------------------------------------

PRIVATE = SERVER + (
    "server:\n  auth:\n    users:\n"
    "      - {username: ana, password: ana-secret}\n"
    "      - {username: ben, password: ben-secret}\n"
)

Call = Callable[[TestClient, str, list], Any]
ROUTES: list[tuple[str, Call]] = [
    ("GET /api/conversations", lambda http, c, m: http.get("/api/conversations")),
    ("GET /api/conversations/export", lambda http, c, m: http.get("/api/conversations/export")),
    ("GET /api/conversations/{id}", lambda http, c, m: http.get(f"/api/conversations/{c}")),
    (
        "GET /api/conversations/{id}?format=markdown",
        lambda http, c, m: http.get(f"/api/conversations/{c}?format=markdown"),
    ),
    (
        "PATCH /api/conversations/{id}",
        lambda http, c, m: http.patch(f"/api/conversations/{c}", json={"title": "Renamed"}),
    ),
    (
        "POST /api/chat (conversation_id)",
        lambda http, c, m: chat(http, "more", m, conversation_id=c),
    ),
    (
        "POST /api/flag (conversation_id)",
        lambda http, c, m: http.post(
            "/api/flag",
            json={"history": m, "index": 1, "option": "Like", "conversation_id": c},
        ),
    ),
    ("DELETE /api/conversations/{id}", lambda http, c, m: http.delete(f"/api/conversations/{c}")),
    ("DELETE /api/conversations", lambda http, c, m: http.delete("/api/conversations")),
]
EXPECTED = {
    "GET /api/conversations": (401, 200, 200),
    "GET /api/conversations/export": (401, 200, 200),
    "GET /api/conversations/{id}": (401, 404, 200),
    "GET /api/conversations/{id}?format=markdown": (401, 404, 200),
    "PATCH /api/conversations/{id}": (401, 404, 200),
    "POST /api/chat (conversation_id)": (401, 404, 200),
    "POST /api/flag (conversation_id)": (401, 404, 200),
    "DELETE /api/conversations/{id}": (401, 404, 204),
    "DELETE /api/conversations": (401, 200, 200),
}
"""Route → (without sign-in, as another user with ana's id, as ana): the statuses the test
below observes. On the list routes another user gets 200 with none of ana's conversations."""


def signed_in(http: TestClient, username: str) -> dict[str, str]:
    http.cookies.clear()
    answer = http.post(
        "/login",
        data={"username": username, "password": f"{username}-secret"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return dict(http.cookies)


def test_ownership_table(client) -> None:
    http = client(PRIVATE)
    ben, ana = signed_in(http, "ben"), signed_in(http, "ana")
    observed: dict[str, list[int]] = {}
    for label, call in ROUTES:
        http.cookies = ana
        first = chat(http, f"ana's secret for {label}")
        conversation = first.json()["conversation_id"]
        messages = saved(http, conversation)["messages"]
        http.cookies.clear()
        nobody = call(http, conversation, messages)
        http.cookies = ben
        other = call(http, conversation, messages)
        assert "ana's secret" not in other.text  # nothing of ana's, whatever the status
        http.cookies = ana
        assert saved(http, conversation)["messages"] == messages  # ben changed nothing
        own = call(http, conversation, messages)
        observed[label] = [nobody.status_code, other.status_code, own.status_code]
    assert {label: tuple(codes) for label, codes in observed.items()} == EXPECTED
    print("| route | without sign-in | another user's id | own id |\n|---|---|---|---|")
    for label, codes in observed.items():  # the table, with `pytest -s`
        print(f"| `{label}` | " + " | ".join(map(str, codes)) + " |")


def test_without_auth_each_browser_has_its_own(client) -> None:
    http = client(SERVER)
    http.get("/")
    mine = dict(http.cookies)
    conversation = chat(http, "my browser's secret").json()["conversation_id"]
    messages = saved(http, conversation)["messages"]
    http.cookies.clear()
    http.get("/")  # another browser: another cookie
    assert http.get(f"/api/conversations/{conversation}").status_code == 404
    assert titles(http) == []
    assert "secret" not in http.get("/api/conversations/export").text
    http.cookies.clear()  # no cookie at all: nobody's
    for label, call in ROUTES:
        answer = call(http, conversation, messages)
        assert answer.status_code == 403, (label, answer.status_code, answer.text)
    http.cookies = mine
    assert titles(http) == ["my browser's secret"]


def test_ids_are_unguessable_and_a_guess_is_404(client) -> None:
    http = client(SERVER)
    http.get("/")
    ids = {chat(http, f"q{n}").json()["conversation_id"] for n in range(20)}
    assert len(ids) == 20 and all(ID.match(i) for i in ids)  # 128 random bits each
    for guess in ("a" * 22, "../../etc/passwd", "%00", "1' OR '1'='1"):
        assert http.get(f"/api/conversations/{guess}").status_code == 404
        assert http.delete(f"/api/conversations/{guess}").status_code == 404
    assert len(titles(http)) == 20


def test_changing_routes_need_json_from_this_site(client) -> None:
    http = client(SERVER)
    http.get("/")
    conversation = chat(http, "hi").json()["conversation_id"]
    evil = {"Origin": "https://evil.example"}
    assert http.delete(f"/api/conversations/{conversation}", headers=evil).status_code == 403
    assert http.delete("/api/conversations", headers=evil).status_code == 403
    patched = http.patch(
        f"/api/conversations/{conversation}",
        content=b'{"title": "x"}',
        headers={"Content-Type": "text/plain"},
    )
    assert patched.status_code == 415
    assert titles(http) == ["hi"]


# Search, pages, rename, export -----------------------------------------------------------------


def test_search_and_pages(client) -> None:
    http = client(SERVER)
    http.get("/")
    for text in ("Growth was 100% in 2025", "growth was 100 percent", "snake_case", "Über Straße"):
        chat(http, text)
    assert titles(http, q="GROWTH") == ["growth was 100 percent", "Growth was 100% in 2025"]
    assert titles(http, q="%") == ["Growth was 100% in 2025"]
    assert titles(http, q="_") == ["snake_case"]
    assert titles(http, q="ÜBER STRASSE") == ["Über Straße"]
    assert titles(http, q="echo: snake") == ["snake_case"]  # the replies' text too
    first = http.get("/api/conversations", params={"limit": 3}).json()
    assert len(first["conversations"]) == 3 and first["next"]
    rest = http.get("/api/conversations", params={"limit": 3, "before": first["next"]}).json()
    assert [c["title"] for c in rest["conversations"]] == ["Growth was 100% in 2025"]
    assert rest["next"] is None
    for bad in ({"before": "yesterday"}, {"limit": 0}, {"limit": 201}, {"q": "x" * 201}):
        assert http.get("/api/conversations", params=bad).status_code in (400, 422), bad


def test_rename(client) -> None:
    http = client(SERVER)
    http.get("/")
    conversation = chat(http, "hi").json()["conversation_id"]
    renamed = http.patch(f"/api/conversations/{conversation}", json={"title": "  Trip\n plans "})
    assert renamed.json()["title"] == "Trip plans"
    for bad in ({"title": ""}, {"title": "   "}, {"title": "x" * 201}, {"title": 1}, {"t": "x"}):
        answer = http.patch(f"/api/conversations/{conversation}", json=bad)
        assert answer.status_code in (400, 422), bad
    assert titles(http, q="trip") == ["Trip plans"]


def test_exports_json_and_markdown(client, monkeypatch) -> None:
    monkeypatch.setattr(routes, "EXPORT_BATCH", 2)  # several batches
    http = client(SERVER.replace("echo", "describe") + "multimodal: true\n")
    http.get("/")
    upload = http.post("/api/upload", files=[("files", ("cat.png", b"\x89PNG", "image/png"))])
    file_id = upload.json()["files"][0]["id"]
    conversation = chat(http, {"text": "Ça va?", "files": [file_id]}).json()["conversation_id"]
    for n in range(4):
        chat(http, {"text": f"other {n}", "files": []})
    markdown = http.get(f"/api/conversations/{conversation}", params={"format": "markdown"})
    assert markdown.headers["content-type"].startswith("text/markdown")
    disposition = markdown.headers["content-disposition"]
    assert disposition == "attachment; filename*=utf-8''%C3%87a%20va_.md"
    text = markdown.text
    assert text.startswith("# Ça va?\n")
    assert f"![cat.png](http://testserver.local/api/files/{file_id})" in text
    assert (
        "**You:**\n\nÇa va?" in text and "**Assistant:**\n\nÇa va? [cat.png] (0 in history)" in text
    )
    whole = http.get(f"/api/conversations/{conversation}").json()
    assert whole["messages"][0]["content"]["file"]["name"] == "cat.png"
    everything = http.get("/api/conversations/export")
    assert everything.headers["content-disposition"] == 'attachment; filename="conversations.json"'
    exported = everything.json()
    assert len(exported["conversations"]) == 5
    assert exported["conversations"][-1] == whole  # oldest last, each whole
    assert http.get(f"/api/conversations/{conversation}?format=pdf").status_code == 422


# Caps and quotas -------------------------------------------------------------------------------


def test_caps_on_conversations_and_their_size(client) -> None:
    http = client(SERVER + "server: {quotas: {conversations: 2, conversation_size: 2KB}}\n")
    http.get("/")
    first = chat(http, "one").json()["conversation_id"]
    chat(http, "two")
    refused = chat(http, "three")
    assert refused.status_code == 409
    assert "delete some" in refused.json()["error"]["message"]
    history = saved(http, first)["messages"]
    assert chat(http, "more", history, conversation_id=first).status_code == 200  # goes on
    long = [{"role": "user", "content": "x" * 1000}, {"role": "assistant", "content": "y" * 1000}]
    too_big = chat(http, "and more", long, conversation_id=first)
    assert too_big.status_code == 413
    assert "start a new chat" in too_big.json()["error"]["message"]
    http.delete(f"/api/conversations/{first}")
    assert chat(http, "three").status_code == 200


def test_saved_bytes_count_against_the_clients_quota(client) -> None:
    http = client(SERVER + "server: {quotas: {client_bytes_per_hour: 300}}\n")
    http.get("/")
    assert chat(http, "x" * 200).status_code == 200
    refused = chat(http, "again")
    assert refused.status_code == 429 and "Retry-After" in refused.headers


# Ratings ---------------------------------------------------------------------------------------


def test_ratings_are_kept_with_the_conversation(client) -> None:
    http = client(SERVER)
    http.get("/")
    conversation = chat(http, "rate me").json()["conversation_id"]
    messages = saved(http, conversation)["messages"]
    body = {"history": messages, "index": 1, "option": "Dislike", "conversation_id": conversation}
    assert http.post("/api/flag", json=body).status_code == 200
    assert saved(http, conversation)["feedback"] == {"1": "Dislike"}
    assert http.post("/api/flag", json={**body, "option": None}).status_code == 200
    assert saved(http, conversation)["feedback"] == {}
    missing = http.post("/api/flag", json={**body, "conversation_id": "z" * 22})
    assert missing.status_code == 404


# Files -----------------------------------------------------------------------------------------


def test_files_stay_while_a_conversation_shows_them(client, tmp_path: Path) -> None:
    http = client(
        SERVER.replace("echo", "describe")
        + "multimodal: true\ntextbox: {file_count: multiple}\nflagging_dir: flags\n"
    )
    http.get("/")
    ids = [
        http.post(
            "/api/upload", files=[("files", (f"{name}.png", b"\x89PNG", "image/png"))]
        ).json()["files"][0]["id"]
        for name in ("shared", "own", "loose")
    ]
    shared, own, loose = ids
    first = chat(http, {"text": "two", "files": [shared, own]}).json()["conversation_id"]
    second = chat(http, {"text": "one", "files": [shared]}).json()["conversation_id"]
    messages = saved(http, first)["messages"]
    rated = {"history": messages, "index": 3, "option": "Like", "conversation_id": first}
    assert http.post("/api/flag", json=rated).status_code == 200  # the flag copies its files
    services = http.app.state.services
    uploads = tmp_path / ".chatserve" / "uploads"
    # A sweep of everything (age -1) keeps the files conversations show, and only those.
    _sweep_all(services.files, services.conversations, -1, keep=set(), spared=tmp_path / "flags")
    assert sorted(p.name for p in uploads.iterdir()) == sorted([shared, own])
    assert http.get(f"/api/files/{loose}").status_code == 404
    assert http.delete(f"/api/conversations/{first}").status_code == 204
    assert http.get(f"/api/files/{own}").status_code == 404  # no conversation shows it
    assert http.get(f"/api/files/{shared}").status_code == 200  # the second one does
    assert http.delete("/api/conversations").json() == {"deleted": 1}
    assert http.get(f"/api/files/{shared}").status_code == 404
    assert not list(uploads.iterdir())
    kept = list((tmp_path / "flags" / "files").rglob("*.png"))
    assert sorted(p.name for p in kept) == ["own.png", "shared.png"]  # the flag's copies stay
    assert second not in json.dumps(http.get("/api/conversations").json())


def test_only_the_owners_own_files_are_deleted(client, tmp_path: Path) -> None:
    """A copy of a file the bot returned may serve several ids: it stays for the sweeps."""
    http = client(SERVER.replace("echo", "picture"))
    http.get("/")
    answer = chat(http, "sunset").json()
    file_id = answer["messages"][1]["content"]["file"]["id"]
    assert http.delete(f"/api/conversations/{answer['conversation_id']}").status_code == 204
    assert http.get(f"/api/files/{file_id}").status_code == 200
