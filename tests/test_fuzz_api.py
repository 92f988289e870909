"""schemathesis against a real server: every operation in `/schema/openapi.json`, with valid
and invalid requests, and call sequences (upload, then chat about the file, fetch it, rate the
reply). No request may be answered 5xx or make the server log an error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from conftest import LiveServer, start_server, stop_server
from fuzzing import BOT_PY, CONFIG, FUZZ, ServerLog, Tally
from hypothesis import given, settings
from schemathesis import GenerationMode

pytestmark = pytest.mark.server  # the module's server starts once, for every test

POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
OPERATIONS = {
    "GET /api/config": (5, [POSITIVE]),
    "GET /healthz": (5, [POSITIVE]),
    "GET /readyz": (5, [POSITIVE]),
    "POST /api/chat": (80, [POSITIVE, NEGATIVE]),
    "POST /api/upload": (40, [POSITIVE, NEGATIVE]),
    "GET /api/files/{file_id}": (40, [POSITIVE]),
    "GET /api/events": (30, [POSITIVE, NEGATIVE]),
    "POST /api/flag": (60, [POSITIVE, NEGATIVE]),
    "GET /v1/models": (5, [POSITIVE]),
    "POST /v1/chat/completions": (60, [POSITIVE, NEGATIVE]),
    "GET /api/conversations": (30, [POSITIVE, NEGATIVE]),
    "DELETE /api/conversations": (5, [POSITIVE]),
    "GET /api/conversations/export": (5, [POSITIVE]),
    "GET /api/conversations/{conversation_id}": (30, [POSITIVE, NEGATIVE]),
    "PATCH /api/conversations/{conversation_id}": (30, [POSITIVE, NEGATIVE]),
    "DELETE /api/conversations/{conversation_id}": (20, [POSITIVE]),
}
"""Every operation in the document, its example budget per generation mode, and the modes (an
operation without parameters or a body has no invalid requests to make)."""

UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["files"],
                "properties": {
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
}
"""The upload handler reads its form itself, so the document does not describe the body."""

LINKS = {
    ("/api/upload", "post"): {
        "FetchFile": {
            "operationRef": "#/paths/~1api~1files~1{file_id}/get",
            "parameters": {"path.file_id": "$response.body#/files/0/id"},
        },
        "ChatAboutFile": {
            "operationRef": "#/paths/~1api~1chat/post",
            "requestBody": {"message": {"text": "what?", "files": ["$response.body#/files/0/id"]}},
        },
    },
    ("/api/chat", "post"): {
        "RateReply": {
            "operationRef": "#/paths/~1api~1flag/post",
            "requestBody": {"history": "$response.body#/messages", "index": 0, "option": "Like"},
        },
        "OpenConversation": {
            "operationRef": "#/paths/~1api~1conversations~1{conversation_id}/get",
            "parameters": {"path.conversation_id": "$response.body#/conversation_id"},
        },
        "RenameConversation": {
            "operationRef": "#/paths/~1api~1conversations~1{conversation_id}/patch",
            "parameters": {"path.conversation_id": "$response.body#/conversation_id"},
        },
        "DeleteConversation": {
            "operationRef": "#/paths/~1api~1conversations~1{conversation_id}/delete",
            "parameters": {"path.conversation_id": "$response.body#/conversation_id"},
        },
    },
}
"""Call sequences: upload, then fetch the file or chat about it; chat, then rate the reply, or
open, rename or delete the conversation it saved."""

COOKIE = {"chatserve_client": "fuzzfuzzfuzzfuzzfuzzfA"}
"""Every request is one browser's: saved conversations are a client's own."""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "bot.py").write_text(BOT_PY)
    (folder / "bot.yaml").write_text(CONFIG.lstrip())
    server = start_server(folder / "bot.yaml", folder / "server.log", "--no-reload")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def document(api: LiveServer) -> Any:
    raw = httpx.get(api.url + "/schema/openapi.json").json()
    raw["paths"]["/api/upload"]["post"]["requestBody"] = UPLOAD_BODY
    for (path, method), links in LINKS.items():
        raw["paths"][path][method]["responses"]["200"]["links"] = links
    return schemathesis.openapi.from_dict(raw)


def sender(api: LiveServer, tally: Tally) -> Callable[[Any], Any]:
    """Sends a schemathesis case to the server and records what went wrong."""
    log = ServerLog(api)

    def send(case: Any) -> Any:
        problems, response = [], None
        try:
            response = case.call(base_url=api.url, timeout=10, cookies=COOKIE)
        except requests.ConnectionError as exc:
            problems.append(f"{case.operation.label}: connection lost: {exc}"[:200])
        if response is not None and response.status_code >= 500:
            problems.append(f"{case.operation.label}: {response.status_code}")
        tally.record(case.as_curl_command(), problems + log.new_errors())
        return response

    return send


def test_the_document_lists_every_operation(document) -> None:
    labels = {result.ok().label for result in document.get_all_operations()}
    assert labels == set(OPERATIONS)


@pytest.mark.parametrize(
    ("label", "mode"),
    [(label, mode) for label, (_, modes) in OPERATIONS.items() for mode in modes],
)
def test_no_generated_request_is_a_server_error(api, document, label: str, mode) -> None:
    operation = document.find_operation_by_label(label)
    tally = Tally()
    send = sender(api, tally)

    @settings(FUZZ, max_examples=OPERATIONS[label][0])
    @given(operation.as_strategy(generation_mode=mode))
    def check(case) -> None:
        send(case)

    check()
    tally.check()


def test_no_call_sequence_is_a_server_error(api, document) -> None:
    tally = Tally()
    send = sender(api, tally)

    class Calls(document.as_state_machine()):
        def call(self, case, **kwargs):
            return send(case)

        def validate_response(self, response, case, **kwargs) -> None:
            """`send` has recorded what went wrong."""

    Calls.run(settings=settings(FUZZ, max_examples=30, stateful_step_count=5))
    tally.check()
