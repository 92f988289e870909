"""`POST /api/flag`: a user's rating of a reply, kept in the flag store with its context."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.params import JSONBody

from chatserve.bot.history import History, UnknownFile
from chatserve.bot.load import flagging_dir
from chatserve.bot.replies import file_refs
from chatserve.config.inputs import InvalidInput
from chatserve.http.openapi import errors
from chatserve.http.wire import Message, check_limits
from chatserve.saving import NOT_FOUND, conversations_owner
from chatserve.security.clients import owner_of
from chatserve.services import Services
from chatserve.store.digests import sha256_hex
from chatserve.store.files import FileStore, new_id
from chatserve.store.flags import DATABASE, Flag, Flags


class FlagRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A rating of the reply that starts at `history[index]`; `option` null takes it back."""

    history: list[Message]
    index: int
    option: str | None
    inputs: Annotated[
        list[Any], msgspec.Meta(description="The additional inputs' values, as in a chat.")
    ] = []
    id: (
        Annotated[
            str,
            msgspec.Meta(
                pattern=r"^[A-Za-z0-9_-]{8,64}$",
                description="Made by the client, once per click: a request sent again with the "
                "same id is stored once.",
            ),
        ]
        | None
    ) = None
    conversation_id: Annotated[
        str | None,
        msgspec.Meta(
            description="With `save_history: server`: the saved conversation the reply is in; "
            "the rating is kept with it too."
        ),
    ] = None


class FlagResponse(msgspec.Struct):
    id: str
    stored: bool
    """False when a flag with this id was already stored."""


@post(
    "/api/flag",
    summary="Rate a reply",
    description=(
        "With `flagging_mode: manual`: records `option` (one of `flagging_options`, or null to "
        "take a rating back) for the reply that starts at `index` of `history`, with the "
        f"conversation, the inputs' values and the files shown, in `{DATABASE}` in "
        "`flagging_dir` (with `server.database`, in its `flags` table). `chatserve flags CONFIG` "
        "exports them."
    ),
    status_code=200,
    sync_to_thread=True,
    responses={
        **errors(
            {
                403: "Flagging is off, or a `conversation_id` from a client with no owner",
                404: "No such saved conversation",
                413: "Request body too large",
                422: "Unknown option, index, input or file",
                429: "This client's rating quota is used up",
                507: "All clients' quota, or disk, is full",
            }
        )
    },
)
def flag(
    request: Request[Any, Any, State],
    data: JSONBody[FlagRequest],
    services: NamedDependency[Services],
) -> FlagResponse:
    bot = services.served.bot
    config = bot.config
    if config.flagging_mode != "manual":
        raise PermissionDeniedException("Flagging is off for this bot (flagging_mode: never).")
    quotas = services.quotas
    quotas.take_flag(request)
    check_limits(data.history, data.inputs)
    _check_rating(data, config.flagging_options)
    owner = owner_of(request)
    end = _reply_end(data.history, data.index)
    conversation = msgspec.to_builtins(data.history[:end])
    try:
        History(services.files, owner).messages(conversation)  # every file id is the client's
        inputs = bot.check_inputs(data.inputs)
    except (UnknownFile, InvalidInput) as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    if data.conversation_id is not None:
        saved = services.conversations
        owner_key = conversations_owner(request, services)
        if not saved.rate(owner_key, data.conversation_id, data.index, data.option):
            raise NotFoundException(NOT_FOUND)
    store = services.flag_stores.get(flagging_dir(config, bot.folder))
    # Checked once, before anything is written: a flag is stored whole or not at all, and its
    # bytes are counted after (the next one waits if they went past the quota).
    quotas.room(request, store.folder)
    spend = partial(quotas.spend, request)
    record = Flag(
        id=data.id or new_id(),
        time=datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds"),
        option=data.option,
        message_index=data.index,
        conversation=conversation,
        inputs=inputs,
        config_hash=config.source.digest[:16],
        client=_anonymized(owner),
        user=request.scope.get("user"),
        files=_keep_files(store, services.files, owner, conversation, spend),
    )
    stored = store.add(record)
    if stored:  # a flag sent again wrote nothing
        spend(record.size())
    return FlagResponse(id=record.id, stored=stored)


def _check_rating(data: FlagRequest, options: list[str]) -> None:
    """A rating names one of the bot's options (or none) and a reply of the bot."""
    if data.option is not None and data.option not in options:
        raise HTTPException(
            status_code=422, detail=f"Unknown option {data.option!r}; this bot offers {options}."
        )
    if not 0 <= data.index < len(data.history) or data.history[data.index].role != "assistant":
        raise HTTPException(
            status_code=422, detail=f"history[{data.index}] is not a reply of the bot."
        )


def _reply_end(history: list[Message], index: int) -> int:
    """Where the reply starting at `index` ends: at the next user message."""
    end = index
    while end < len(history) and history[end].role == "assistant":
        end += 1
    return end


def _anonymized(owner: str | None) -> str | None:
    """The browser's id hashed: it groups a client's flags without handing out its cookie."""
    return sha256_hex(owner)[:16] if owner else None


def _keep_files(
    store: Flags,
    files: FileStore,
    owner: str | None,
    conversation: list[dict[str, Any]],
    copied: Callable[[int], None],
) -> list[dict[str, Any]]:
    """Copy the files the conversation shows into the flag store (telling `copied` the size of
    each copy), from the data dir only; others (a config's example files) are named, not
    copied."""
    data_dir = files.data_dir.resolve()
    kept = []
    for file_id in dict.fromkeys(ref["id"] for ref in file_refs(conversation)):
        found = files.get(file_id, owner)
        if found is None:
            continue
        if found.path.resolve().is_relative_to(data_dir):
            kept.append({"id": file_id, **store.keep_file(found.path, found.name, copied)})
        else:
            kept.append({"id": file_id, "name": found.name, "path": None})
    return kept
