"""`POST /api/flag`: a user's rating of a reply, appended to `flags.jsonl` and never rewritten."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from chatserve.bot import Bot
from chatserve.wire import MAX_HISTORY_MESSAGES, ErrorResponse, Message

FLAGS_FILE = "flags.jsonl"


class FlagRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A rating of the reply that starts at `history[index]`; `option` null takes it back."""

    history: list[Message]
    index: int
    option: str | None


class FlagResponse(msgspec.Struct):
    ok: bool


def flagging_dir(bot: Bot) -> Path:
    configured = bot.config.flagging_dir
    return bot.folder / configured if configured else bot.data_dir() / "flagged"


@post(
    "/api/flag",
    summary="Rate a reply",
    description=(
        "With `flagging_mode: manual`: records `option` (one of `flagging_options`, or null to "
        f"take a rating back) for the assistant message at `index` of `history`, appended to "
        f"`{FLAGS_FILE}` in `flagging_dir`."
    ),
    status_code=200,
    responses={
        403: ResponseSpec(ErrorResponse, description="Flagging is off"),
        422: ResponseSpec(ErrorResponse, description="Unknown option or index"),
    },
)
async def flag(request: Request[Any, Any, State], data: JSONBody[FlagRequest]) -> FlagResponse:
    bot: Bot = request.app.state.holder.current.bot
    config = bot.config
    if config.flagging_mode != "manual":
        raise PermissionDeniedException("Flagging is off for this bot (flagging_mode: never).")
    if data.option is not None and data.option not in config.flagging_options:
        raise HTTPException(
            status_code=422,
            detail=f"Unknown option {data.option!r}; this bot offers {config.flagging_options}.",
        )
    if len(data.history) > MAX_HISTORY_MESSAGES:
        raise HTTPException(status_code=422, detail="The history is too long to flag.")
    if not 0 <= data.index < len(data.history) or data.history[data.index].role != "assistant":
        raise HTTPException(
            status_code=422, detail=f"history[{data.index}] is not a reply of the bot."
        )
    record = {
        "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "option": data.option,
        "index": data.index,
        "message": data.history[data.index],
        "conversation": data.history,
    }
    append_line(flagging_dir(bot) / FLAGS_FILE, msgspec.json.encode(record) + b"\n")
    return FlagResponse(ok=True)


def append_line(path: Path, line: bytes) -> None:
    """One `write` to a file opened for appending: concurrent writers never interleave lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)
