"""`GET /api/events`: the page learns about reloads and broken configs as server-sent events."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Stream

from chatserve.errors import Problem
from chatserve.holder import BotHolder
from chatserve.http.sse import EventStream, sse
from chatserve.services import Services

HEARTBEAT_SECONDS = 15.0

DESCRIPTION = """\
Live reload, for the web page. Events (each with `id:` = the config revision):
`reload` `{"revision", "config"}` when the config was reloaded, and `error`
`{"revision", "problems": [{"file", "line", "column", "path", "message"}]}` when the config on
disk is broken (the last good revision keeps serving; problems in `server:` show as one,
"server settings changed: see the log"). On connect, the events the client
missed since `?revision=` (or the `Last-Event-ID` header, when it holds a revision number)
come first. 404 without live reload.
"""


@get("/api/events", summary="Live reload events", description=DESCRIPTION)
async def events(
    request: Request[Any, Any, State],
    services: NamedDependency[Services],
    revision: FromQuery[int | None] = None,
) -> Stream:
    holder = services.holder
    if not holder.live:
        raise NotFoundException("Live reload is off (chatserve serve --no-reload).")
    last = _last_event_id(request.headers.get("last-event-id", ""))
    seen = last if last is not None else revision or holder.current.revision
    return EventStream(_stream(holder, seen))


_REVISION = re.compile(r"[0-9]{1,18}")


def _last_event_id(header: str) -> int | None:
    """The revision a reconnecting page saw last. The header holds what the browser kept from
    an `id:` line, so anything but a revision number (a proxy's id, a stranger's bytes) was
    not ours: it counts as absent, as if the page connected for the first time."""
    return int(header) if _REVISION.fullmatch(header) else None


async def _stream(holder: BotHolder, seen: int) -> AsyncIterator[bytes]:
    yield b"retry: 1000\n\n"
    reported = None
    while not holder.closing:
        changed = holder.changed  # taken before looking, so no change slips between
        current = holder.current
        if current.revision != seen:
            seen = current.revision
            reported = None
            config = b'{"revision":%d,"config":%s}' % (seen, current.public_config)
            yield sse(config, "reload", seen)
        if holder.problems and holder.problems is not reported:
            reported = holder.problems
            folder = current.bot.folder
            problems = [_for_browser(p, folder) for p in _server_as_one(holder.problems)]
            yield sse({"revision": seen, "problems": problems}, "error", seen)
        try:
            await asyncio.wait_for(changed.wait(), HEARTBEAT_SECONDS)
        except TimeoutError:
            yield b": ping\n\n"


SERVER_CHANGED = "server settings changed: see the log"
"""All the page learns of problems in `server:`: its values are secrets or the deployment's."""


def _server_as_one(problems: list[Problem]) -> list[Problem]:
    """Problems in `server:` become one, at the first one's place, saying only that the log
    has them."""
    shown: list[Problem] = []
    for problem in problems:
        if problem.path == "server" or problem.path.startswith(("server.", "server[")):
            if any(earlier.path == "server" for earlier in shown):
                continue
            problem = dataclasses.replace(problem, path="server", message=SERVER_CHANGED)
        shown.append(problem)
    return shown


def _for_browser(problem: Problem, folder: Path) -> dict[str, Any]:
    """A problem as the page shows it: the file named relative to the config's folder, so
    visitors never learn where the server keeps its files."""
    path = Path(problem.file).resolve()
    shown = path.relative_to(folder) if path.is_relative_to(folder) else Path(path.name)
    return {**problem.as_dict(), "file": shown.as_posix()}
