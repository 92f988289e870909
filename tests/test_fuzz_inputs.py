"""hypothesis on request bodies (`/api/chat`, `/api/flag`, `/v1/chat/completions`) and on the
`Last-Event-ID` header: shaped like the real ones, with junk where a value should be. None may
be answered 5xx or make the server log an error."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest
from fuzzing import BOT_PY, CONFIG, FUZZ, HUGE, JSON, ServerLog, Tally, logged, problems_of
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

INPUT_VALUES = [["", "a"], [0, 1.5], [-5, 5, 0.5], [True, False], ["a", 1], ["x", "y"], [["p"]]]
"""Values each additional input of the fuzz bot takes, in order."""

HEADER_BYTES = st.integers(0x21, 0x7E) | st.integers(0x80, 0xFF)
"""Bytes an HTTP client may send in a header value."""

RAW_BODIES = [
    b"",
    b"\xff\xfe",
    b"NaN",
    b'{"message": 1e400}',
    b'{"message": "x", "inputs": [' + b"1" * 5000 + b"]}",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"message": "x", "history": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
]


def valid_bodies(route: str, file_ids: list[str]) -> st.SearchStrategy[Any]:
    """Bodies the route accepts."""
    text = st.text(max_size=12)
    ids = st.sampled_from(file_ids)
    ref = st.fixed_dictionaries({"id": ids})
    file = st.fixed_dictionaries({"file": ref})
    component = st.fixed_dictionaries(
        {"component": st.sampled_from(["image", "file", "plot"]), "file": ref}
    )
    roles = st.sampled_from(["user", "assistant"])
    message = st.fixed_dictionaries(
        {"role": roles, "content": text | file | component},
        optional={
            "metadata": st.dictionaries(text, JSON, max_size=2),
            "options": st.lists(st.fixed_dictionaries({"value": text}), max_size=2),
        },
    )
    inputs = st.tuples(*[st.sampled_from(values) for values in INPUT_VALUES]).flatmap(
        lambda values: st.integers(0, len(values)).map(lambda count: list(values[:count]))
    )
    if route == "/api/chat":
        return st.fixed_dictionaries(
            {"message": text | st.fixed_dictionaries({"text": text, "files": st.lists(ids)})},
            optional={
                "history": st.lists(message, max_size=3),
                "inputs": inputs,
                "stream": st.booleans(),
            },
        )
    if route == "/api/flag":
        reply = st.fixed_dictionaries({"role": st.just("assistant"), "content": text})
        return st.fixed_dictionaries(
            {
                "history": st.tuples(st.lists(message, max_size=2), reply).map(
                    lambda parts: [*parts[0], parts[1]]
                ),
                "option": st.sampled_from(["Like", "Dislike", None]),
            },
            optional={"inputs": inputs, "id": st.from_regex(r"\A[a-z0-9]{8,20}\Z")},
        ).map(lambda body: {**body, "index": len(body["history"]) - 1})
    spoken = st.fixed_dictionaries({"role": roles, "content": text})
    last = st.fixed_dictionaries({"role": st.just("user"), "content": text})
    return st.fixed_dictionaries(
        {
            "model": st.just("fuzz"),
            "messages": st.tuples(st.lists(spoken, max_size=3), last).map(
                lambda parts: [*parts[0], parts[1]]
            ),
        },
        optional={"stream": st.booleans(), "inputs": inputs},
    )


def bodies(route: str, file_ids: list[str]) -> st.SearchStrategy[Any]:
    """Valid bodies, and valid bodies with one value replaced by junk: anywhere in them, or
    one of the additional inputs' values."""
    valid = valid_bodies(route, file_ids)
    junk = HUGE | JSON | st.sampled_from(["A" * 22, "../../etc/passwd", "system", "tool"])
    inputs = [values[0] for values in INPUT_VALUES]
    return st.one_of(
        valid,
        valid.flatmap(
            lambda body: st.tuples(st.sampled_from(list(_spots(body))[1:]), junk).map(
                lambda change: _replaced(body, *change)
            )
        ),
        st.tuples(valid, st.sampled_from(range(len(inputs))), junk).map(
            lambda change: {**change[0], "inputs": _replaced(inputs, change[1:2], change[2])}
        ),
    )


def _spots(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path to every value inside `value`, `()` (itself) first."""
    yield path
    if isinstance(value, dict | list):
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _spots(child, (*path, key))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


@pytest.fixture
def fuzz_client(client) -> tuple[TestClient, list[str]]:
    """The fuzz bot in process, with one upload to name in requests."""
    http = client(CONFIG, bot_py=BOT_PY)
    upload = http.post("/api/upload", files=[("files", ("cat.png", b"\x89PNG", "image/png"))])
    return http, [upload.json()["files"][0]["id"]]


@pytest.mark.parametrize("route", ["/api/chat", "/api/flag", "/v1/chat/completions"])
def test_no_request_body_is_a_server_error(fuzz_client, caplog, route: str) -> None:
    http, file_ids = fuzz_client
    tally = Tally()

    @settings(FUZZ, max_examples=300)
    @given(st.sampled_from(RAW_BODIES) | bodies(route, file_ids).map(msgspec.json.encode))
    def check(body: bytes) -> None:
        caplog.clear()
        problems = problems_of(http, route, body)
        problems += [logged(r) for r in caplog.records if r.levelno >= logging.ERROR]
        tally.record(repr(body[:300]), problems)

    check()
    tally.check()


def test_no_last_event_id_is_a_server_error(live_server, write_config) -> None:
    server = live_server(write_config(CONFIG, bot_py=BOT_PY))
    tally = Tally()
    log = ServerLog(server)

    @settings(FUZZ, max_examples=60)
    @given(
        st.sampled_from([b"\xb2", "²".encode(), "٣".encode(), b"1" * 5000, b"-1", b"1e3"])
        | st.lists(HEADER_BYTES, min_size=1, max_size=12).map(bytes)
        | st.text(alphabet="0123456789", min_size=1, max_size=30).map(str.encode)
    )
    def check(last: bytes) -> None:
        problems = []
        try:
            with httpx.stream(
                "GET", server.url + "/api/events", headers={"Last-Event-ID": last}, timeout=5
            ) as response:
                if response.status_code >= 500:
                    problems.append(f"/api/events: {response.status_code}")
        except httpx.TransportError as exc:
            problems.append(f"/api/events: connection lost: {exc}")
        tally.record(repr(last[:40]), problems + log.new_errors())

    check()
    tally.check()
