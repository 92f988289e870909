"""hypothesis on the chat function's return values: arbitrary nested reply shapes go through the
real conversion and streaming (`/api/chat` as JSON and as a stream, `/v1/chat/completions`
both ways). None may be answered 5xx, end a stream in a generic failure, or be logged as an
error: what chatserve cannot show is said in the chat."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from fuzzing import BOT_PY, CONFIG, FUZZ, HUGE, Tally, logged, problems_of, shown
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

import chatserve
from chatserve.app import create_app
from chatserve.bot.load import load
from chatserve.bot.runner import GENERATOR

PLACES = [
    "/etc/passwd",
    "../../../../etc/passwd",
    "file:///etc/passwd",
    "FILE://localhost/etc/passwd",
    "file:/etc/passwd",
    "ftp://example.com/cat.png",
    "javascript:alert(1)",
    "data:image/png;base64,iVBORw0KGgo=",
    "https://example.com/cat.png",
    "http://[::1",
    "https://",
    "//example.com/cat.png",
    "",
    ".",
    "/",
    "a\x00b",
    "x" * 5000,
    "C:\\Windows\\win.ini",
]
"""What a bot may name as a file: paths outside the allowed places, URLs of every scheme, and
strings that are not paths at all."""


def replies(allowed: list[str]) -> st.SearchStrategy[Any]:
    """Arbitrary nested reply shapes, made of what chat functions return and what they should
    not."""
    names = st.sampled_from(PLACES + allowed)
    place = names | st.builds(Path, names)
    leaves = st.one_of(
        st.text(max_size=12),
        st.none(),
        st.booleans(),
        st.integers(),
        HUGE,
        st.just(5000).map(lambda digits: 10**digits),  # beyond what str() and JSON take
        st.floats(),
        st.binary(max_size=4),
        st.builds(object),
        place,
    )

    def nested(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        mapping = st.dictionaries(st.text(max_size=6), children, max_size=3)
        options = st.lists(
            st.fixed_dictionaries({"value": children}, optional={"label": children}), max_size=2
        )
        return st.one_of(
            st.lists(children, max_size=3),
            st.lists(children, max_size=3).map(tuple),
            st.tuples(place),
            st.tuples(place, children),
            st.fixed_dictionaries(
                {"content": children},
                optional={"metadata": mapping | children, "options": options | children},
            ),
            st.fixed_dictionaries({"path": place | children}, optional={"alt_text": children}),
            st.fixed_dictionaries({"text": children}, optional={"files": st.lists(place)}),
            mapping,
            st.builds(chatserve.ChatMessage, children, metadata=mapping, options=options),
            st.builds(chatserve.Image, place | children, children),
            st.builds(chatserve.Audio, place | children),
            st.builds(chatserve.Video, place | children),
            st.builds(chatserve.File, place | children),
            st.builds(chatserve.HTML, children),
            st.builds(chatserve.Plot, children),
            st.builds(chatserve.Gallery, st.lists(place | st.tuples(place, children)) | children),
        )

    return st.recursive(leaves, nested, max_leaves=8)


@pytest.fixture
def reply_client(
    write_config, web_ui, tmp_path: Path
) -> Iterator[tuple[TestClient, list[str], dict]]:
    """An in-process server whose chat function yields, one after another, the replies the
    test puts in `script["replies"]`; and the files it may name."""
    script: dict[str, Any] = {"replies": []}

    def scripted(message, history, *inputs):
        yield from script["replies"]

    bot = load(write_config(CONFIG, bot_py=BOT_PY))
    picture = tmp_path / "cat.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "passwd.png").symlink_to("/etc/passwd")
    allowed = [str(picture), str(tmp_path / "passwd.png"), str(tmp_path)]
    with TestClient(
        create_app(dataclasses.replace(bot, fn=scripted, kind=GENERATOR), webui=web_ui)
    ) as http:
        yield http, allowed, script


def test_no_reply_is_a_server_error(reply_client, caplog) -> None:
    http, allowed, script = reply_client
    tally = Tally()
    v1 = {"model": "fuzz", "messages": [{"role": "user", "content": "x"}]}

    @settings(FUZZ, max_examples=120)
    @given(st.lists(replies(allowed), min_size=1, max_size=3))
    def check(values: list[Any]) -> None:
        script["replies"] = values
        caplog.clear()
        problems = [
            *problems_of(http, "/api/chat", b'{"message": "x"}'),
            *problems_of(http, "/api/chat", b'{"message": "x", "stream": true}'),
            *problems_of(http, "/v1/chat/completions", msgspec.json.encode(v1)),
            *problems_of(http, "/v1/chat/completions", msgspec.json.encode({**v1, "stream": True})),
        ]
        problems += [logged(r) for r in caplog.records if r.levelno >= logging.ERROR]
        tally.record(shown(values), problems)

    check()
    tally.check()
