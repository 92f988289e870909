"""`/api/conversations`: a user's saved conversations (`save_history: server`), for the side
panel and for the user's own copy: the list (search, pages), one conversation (JSON, or
Markdown to download), rename, delete, and all of them at once (download, delete).

Every route answers only for the request's owner (`chatserve.saving.conversations_owner`):
another owner's id is answered 404, as a missing one is. Deleting a conversation deletes the
files no other conversation shows.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal
from urllib.parse import quote

import msgspec
from litestar import Request, Response, delete, get, patch
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from chatserve.config.models import Config
from chatserve.http.openapi import errors
from chatserve.saving import NOT_FOUND, conversations_owner
from chatserve.security.clients import owner_of
from chatserve.services import Services
from chatserve.store.conversations import TITLE_CHARS, Conversation, Conversations, Summary, now
from chatserve.store.files import safe_name

PATH = "/api/conversations"
EXPORT_BATCH = 50
"""Conversations read at a time while all of them are exported."""

_CURSOR = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)_([A-Za-z0-9_-]{22})$")

_ERRORS = {
    401: "Not signed in (with `server.auth`)",
    403: "No session and no page cookie: nobody's conversations",
    404: "No such conversation (or not yours), or the bot keeps none on the server",
}


class ConversationPage(msgspec.Struct):
    """Conversations, most recently updated first."""

    conversations: list[Summary]
    next: str | None
    """Pass it as `before` for the next page; null on the last."""


class Rename(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=TITLE_CHARS)]


class Deleted(msgspec.Struct):
    deleted: int
    """How many conversations were deleted."""


def _list(
    request: Request[Any, Any, State],
    services: NamedDependency[Services],
    q: Annotated[
        str, QueryParameter(max_length=200, description="Words the title or the text has.")
    ] = "",
    before: Annotated[
        str | None, QueryParameter(description="The `next` of the page before: the next page.")
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> ConversationPage:
    owner = conversations_owner(request, services)
    cursor = None
    if before is not None:
        match = _CURSOR.match(before)
        if match is None:
            raise HTTPException(status_code=422, detail="`before` must be a page's `next`.")
        cursor = (match[1], match[2])
    found = services.conversations.page(owner, q.strip(), cursor, limit)
    last = found[-1] if len(found) == limit else None
    return ConversationPage(found, None if last is None else f"{last.updated}_{last.id}")


async def _one(
    request: Request[Any, Any, State],
    services: NamedDependency[Services],
    conversation_id: FromPath[str],
    format: Annotated[
        Literal["json", "markdown"],
        QueryParameter(description="`markdown`: a Markdown file to download."),
    ] = "json",
) -> Response[Any]:
    # Async: Litestar 2 fails a sync handler that answers a `Response` when other methods share
    # its path.
    conversation = await asyncio.to_thread(_owned, request, services, conversation_id)
    if format == "json":
        return Response(msgspec.json.encode(conversation), media_type="application/json")
    base = str(request.base_url).rstrip("/") + "/"
    return Response(
        as_markdown(conversation, base),
        media_type="text/markdown",
        headers=attachment(f"{conversation.title or 'conversation'}.md"),
    )


def _rename(
    request: Request[Any, Any, State],
    services: NamedDependency[Services],
    conversation_id: FromPath[str],
    data: JSONBody[Rename],
) -> Summary:
    title = " ".join(data.title.split())
    if not title:
        raise HTTPException(status_code=422, detail="A title needs more than spaces.")
    owner = conversations_owner(request, services)
    renamed = services.conversations.rename(owner, conversation_id, title)
    if renamed is None:
        raise NotFoundException(NOT_FOUND)
    return renamed


def _delete(
    request: Request[Any, Any, State],
    services: NamedDependency[Services],
    conversation_id: FromPath[str],
) -> None:
    owner = conversations_owner(request, services)
    files = services.conversations.delete(owner, conversation_id)
    if files is None:
        raise NotFoundException(NOT_FOUND)
    _delete_files(request, services, files)


def _delete_all(request: Request[Any, Any, State], services: NamedDependency[Services]) -> Deleted:
    owner = conversations_owner(request, services)
    count, files = services.conversations.delete_all(owner)
    _delete_files(request, services, files)
    return Deleted(count)


def _export(request: Request[Any, Any, State], services: NamedDependency[Services]) -> Stream:
    owner = conversations_owner(request, services)
    return Stream(
        everything(services.conversations, owner),
        media_type="application/json",
        headers=attachment("conversations.json"),
    )


def _owned(
    request: Request[Any, Any, State], services: Services, conversation_id: str
) -> Conversation:
    owner = conversations_owner(request, services)
    found = services.conversations.get(owner, conversation_id)
    if found is None:
        raise NotFoundException(NOT_FOUND)
    return found


def _delete_files(request: Request[Any, Any, Any], services: Services, files: list[str]) -> None:
    """The files only deleted conversations showed, if they are the client's own."""
    owner = owner_of(request)
    if files and owner is not None:
        services.files.delete(files, owner)


def everything(store: Conversations, owner: str) -> Iterator[bytes]:
    """All of `owner`'s conversations as one JSON document, written a few at a time."""
    yield b'{"exported":' + msgspec.json.encode(now()) + b',"conversations":['
    before, sep = None, b""
    while True:
        batch = store.page(owner, "", before, EXPORT_BATCH)
        for summary in batch:
            conversation = store.get(owner, summary.id)
            if conversation is not None:  # else deleted meanwhile
                yield sep + msgspec.json.encode(conversation)
                sep = b","
        if len(batch) < EXPORT_BATCH:
            break
        before = (batch[-1].updated, batch[-1].id)
    yield b"]}"


def as_markdown(conversation: Conversation, base: str) -> str:
    """The conversation as a Markdown document; files link to `base` + their URL."""
    lines = [
        f"# {conversation.title or 'Conversation'}",
        "",
        f"*Started {conversation.created}, last message {conversation.updated}.*",
    ]
    for message in conversation.messages:
        who = "You" if message.get("role") == "user" else "Assistant"
        body = _markdown_content(message.get("content"), base)
        title = (message.get("metadata") or {}).get("title")
        if title:
            body = "\n".join(f"> {line}" for line in [f"**{title}**", "", *body.splitlines()])
        lines += ["", f"**{who}:**", "", body]
    return "\n".join(lines) + "\n"


def _markdown_content(content: Any, base: str) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, dict):
        return ""
    items = content.get("items") if isinstance(content.get("items"), list) else [content]
    links = []
    for item in items:
        data = item.get("file") if isinstance(item, dict) else None
        if not isinstance(data, dict):
            links.append(f"[{content.get('component', 'file')}]")
            continue
        name = str(data.get("name") or "file").replace("]", "")
        url = str(data.get("url") or "")
        url = url if url.startswith(("http://", "https://")) else base + url
        image = str(data.get("mime_type") or "").startswith("image/")
        links.append(f"{'!' if image else ''}[{name}]({url})")
    return "\n\n".join(links)


def attachment(name: str) -> dict[str, str]:
    """The header that makes a response a download named `name`."""
    name = safe_name(name)  # no quotes, no slashes
    if name.isascii():
        return {"Content-Disposition": f'attachment; filename="{name}"'}
    return {"Content-Disposition": f"attachment; filename*=utf-8''{quote(name)}"}


def conversation_routes(config: Config) -> list[HTTPRouteHandler]:
    """The routes, always there (a reload may turn `save_history: server` on or off; they
    answer 404 while it is off), in the OpenAPI document when the config the server started
    with keeps conversations on the server and has an API."""
    shown = config.history_mode == "server" and config.api_name is not False
    one = PATH + "/{conversation_id:str}"
    common: dict[str, Any] = {"sync_to_thread": True, "include_in_schema": shown}
    no_body: dict[str, Any] = {**common, "opt": {"body": None}}
    return [
        get(
            PATH,
            summary="List saved conversations",
            description=(
                "With `save_history: server`: the client's conversations (the signed-in "
                "user's; without `server.auth`, the browser's), most recently updated first, "
                "`limit` at a time; `q` keeps those whose title or text has it (any case; `%` "
                "and `_` are plain characters)."
            ),
            responses=errors({**_ERRORS, 422: "Invalid `before`, `q` or `limit`"}),
            **common,
        )(_list),
        get(
            PATH + "/export",
            summary="Download all saved conversations",
            description="Every conversation of the client, whole, as one JSON file to download.",
            responses=errors(_ERRORS),
            **common,
        )(_export),
        delete(
            PATH,
            summary="Delete all saved conversations",
            description="Deletes every conversation of the client, and the files they alone show.",
            status_code=200,
            responses=errors(_ERRORS),
            **no_body,
        )(_delete_all),
        get(
            one,
            summary="A saved conversation",
            description=(
                "Its messages (files by id), the additional inputs' values of its last turn, "
                "and the ratings given (by the index where the rated reply starts). "
                "`format=markdown` answers a Markdown file to download instead."
            ),
            responses=errors({**_ERRORS, 422: "Unknown `format`"}),
            include_in_schema=shown,
        )(_one),
        patch(
            one,
            summary="Rename a saved conversation",
            description="Sets its title; the bot no longer names it.",
            responses=errors({**_ERRORS, 422: "Empty or too long title"}),
            **common,
        )(_rename),
        delete(
            one,
            summary="Delete a saved conversation",
            description="Deletes it, and the files no other conversation shows.",
            responses=errors(_ERRORS),
            **no_body,
        )(_delete),
    ]
