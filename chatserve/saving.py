"""Turns of saved conversations (`save_history: server`): whose conversations a request may
use, which one a turn goes on (checked before the chat function runs), and saving it once the
turn has ended: never per token.

A conversation is saved as the client knows it plus this turn: the history it sent, this
turn's message and the reply, with the additional inputs' values. Files are named by their
ids, described as the file store knows them (never as the client says).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException, PermissionDeniedException

from chatserve.bot.load import Bot
from chatserve.bot.replies import file_refs
from chatserve.bot.request import Conversation
from chatserve.http.wire import ChatRequest
from chatserve.security.clients import owner_of
from chatserve.services import Services
from chatserve.store.conversations import Conversations, Turn, first_title, owner_key
from chatserve.store.files import FileStore, new_id

logger = logging.getLogger("chatserve")

HEADER = "Chatserve-Conversation"
"""On a chat answer with `save_history: server`: the id of the conversation the turn went on."""

NOT_KEPT = "This bot keeps no conversations on the server (its `save_history` is not `server`)."
NO_OWNER = (
    "Saved conversations belong to a signed-in user, or to the browser that made them; this "
    "request has neither a session nor the page's `chatserve_client` cookie."
)
NOT_FOUND = "No such conversation: it was deleted, or it is not yours."


def conversations_owner(request: Request[Any, Any, Any], services: Services) -> str:
    """Whose saved conversations this request may use (an `owner_key`). HTTPException: 404
    when the bot keeps none on the server, 403 when the request has no owner: a client with no
    session and no cookie never shares anyone's conversations."""
    if services.served.bot.config.history_mode != "server":
        raise HTTPException(status_code=404, detail=NOT_KEPT)
    owner = owner_of(request)
    if owner is None:
        raise PermissionDeniedException(NO_OWNER)
    return owner_key(owner)


@dataclass
class Saving:
    """Where a turn is saved once it ends, and what it adds to what the client sent."""

    store: Conversations
    owner: str
    id: str
    existed: bool
    history: list[Any]
    message: list[Any]
    inputs: list[Any]
    conversation: Conversation
    """What the chat function sees as `request.conversation` (it may set the title)."""
    spend: Callable[[int], None]
    """Counts the bytes the conversation grew by against the client's quota."""

    async def finish(self, reply: list[Any]) -> dict[str, Any]:
        """Save the conversation with `reply`; what the answer gains: the conversation's id,
        if it exists now. A failure to save is logged; the answer still goes out."""
        messages = [*self.history, *self.message, *reply]
        named = " ".join(str(self.conversation.title or "").split())
        turn = Turn(
            self.id,
            self.owner,
            messages,
            self.inputs,
            kept=len(self.history),
            title=named or first_title(messages),
            titled=bool(named),
        )
        try:
            grown = await asyncio.to_thread(self.store.save, turn)
        except Exception:  # the database's error, whatever it is: the reply still goes out
            logger.exception("Saving conversation %s failed", self.id)
            grown = None
        if grown is None:
            return {"conversation_id": self.id} if self.existed else {}
        if grown > 0:
            self.spend(grown)
        return {"conversation_id": self.id}


async def saving(
    request: Request[Any, Any, Any], services: Services, bot: Bot, data: ChatRequest
) -> Saving | None:
    """Where this turn will be saved; None when it is not: the bot keeps no conversations on
    the server, or the client (no session, no cookie) names none. Raises HTTPException 404
    for a conversation that is not the client's, 409 when the client keeps as many as it may,
    413 when the conversation is as large as one may be, 429/507 when the client's (or
    everyone's) bytes for the hour are spent."""
    client = owner_of(request)
    if data.conversation_id is None and (bot.config.history_mode != "server" or client is None):
        return None
    owner = conversations_owner(request, services)
    history = _described(msgspec.to_builtins(data.history), services.files, client)
    message = _user_messages(data, services.files, client)
    quotas = services.quotas.config  # `server:` as the server started: a reload changes none of it
    size = len(msgspec.json.encode([history, message, data.inputs]))
    if size > quotas.conversation_size:
        raise HTTPException(
            status_code=413,
            detail=f"This conversation is {size:,} bytes, past the {quotas.conversation_size:,} "
            "this server saves: start a new chat.",
        )
    store = services.conversations
    if data.conversation_id is not None:
        if not await asyncio.to_thread(store.exists, owner, data.conversation_id):
            raise HTTPException(status_code=404, detail=NOT_FOUND)
    elif await asyncio.to_thread(store.count, owner) >= quotas.conversations:
        raise HTTPException(
            status_code=409,
            detail=f"You keep {quotas.conversations:,} conversations, as many as this server "
            "saves for anyone: delete some to start a new one.",
        )
    services.quotas.room(request, None)
    conversation = Conversation(data.conversation_id or new_id())
    return Saving(
        store,
        owner,
        conversation.id,
        data.conversation_id is not None,
        history,
        message,
        data.inputs,
        conversation,
        lambda grown: services.quotas.spend(request, grown),
    )


def _described(messages: list[Any], files: FileStore, owner: str | None) -> list[Any]:
    """`messages` with each file described as the store knows it (its URL, name, type and
    size), whatever the client said."""
    for ref in file_refs(messages):
        found = files.get(ref["id"], owner)
        if found is not None:
            ref.update(found.data())
    return messages


def _user_messages(data: ChatRequest, files: FileStore, owner: str | None) -> list[Any]:
    """This turn's message as the page shows it: a message per file, then the text."""
    if isinstance(data.message, str):
        text, ids = data.message, []
    else:
        text, ids = data.message.text, data.message.files
    found = [files.get(file_id, owner) for file_id in ids]
    shown: list[Any] = [
        {"role": "user", "content": {"file": stored.data()}} for stored in found if stored
    ]
    if text.strip():
        shown.append({"role": "user", "content": text})
    return shown
