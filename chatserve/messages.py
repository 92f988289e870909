"""Chat function replies as wire messages, and the events that turn one reply into the next."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Message = dict[str, Any]
Event = tuple[str, Any]

_MESSAGE_KEYS = ("metadata", "options")


class ReplyError(TypeError):
    """The chat function returned something chatserve cannot show."""


def to_messages(reply: Any) -> list[Message]:
    """Normalize a reply (str, message dict, or a list of them) into assistant messages."""
    if reply is None:
        return []
    if isinstance(reply, list | tuple):
        return [message for item in reply for message in to_messages(item)]
    return [_message(reply)]


def _message(item: Any) -> Message:
    if isinstance(item, str):
        return {"role": "assistant", "content": item}
    if isinstance(item, dict) and "content" in item:
        content = item["content"]
        if not isinstance(content, str):
            raise ReplyError(f"message content must be a string, got {type(content).__name__}")
        message: Message = {"role": "assistant", "content": content}
        message.update({key: item[key] for key in _MESSAGE_KEYS if item.get(key)})
        return message
    raise ReplyError(
        "a chat function must return a string, a message dict with 'content', "
        f"or a list of them; got {type(item).__name__}"
    )


def changes(sent: list[Message], current: list[Message]) -> Iterator[Event]:
    """Events that turn the messages the client has into `current`.

    A message whose text only grew is sent as a `delta` with the new suffix, so the bytes on
    the wire grow linearly with the reply; anything else is a `replace`.
    """
    for index, message in enumerate(current):
        if index >= len(sent):
            yield "message", {"index": index, "message": message}
            continue
        before = sent[index]
        if before == message:
            continue
        suffix = _grown_text(before, message)
        if suffix is None:
            yield "replace", {"index": index, "message": message}
        else:
            yield "delta", {"index": index, "text": suffix}


def _grown_text(before: Message, after: Message) -> str | None:
    old, new = before.get("content"), after.get("content")
    if not (isinstance(old, str) and isinstance(new, str) and new.startswith(old)):
        return None
    if any(before.get(key) != after.get(key) for key in ("role", *_MESSAGE_KEYS)):
        return None
    return new[len(old) :]
