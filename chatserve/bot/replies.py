"""Chat function replies as wire messages, and the events that turn one reply into the next."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import msgspec

from chatserve.bot.components import (
    FILE_COMPONENTS,
    HTML,
    ChatMessage,
    Gallery,
    Plot,
)
from chatserve.config.outputs import AdditionalOutput
from chatserve.errors import Error
from chatserve.http.wire import Option
from chatserve.store.files import FileRefused, FileStore
from chatserve.store.mediatypes import media_type

Message = dict[str, Any]
Event = tuple[str, Any]

_MESSAGE_KEYS = ("metadata", "options")


class ReplyError(Error):
    """The chat function returned something chatserve cannot show; like a file it may not
    serve, this is said in the chat (and logged), never a server error."""


class _Extras(msgspec.Struct, forbid_unknown_fields=True):
    """What a message may carry besides its content."""

    metadata: dict[str, Any] | None = None
    options: list[Option] | None = None


@dataclass
class Replies:
    """Converts one run's replies, registering the files they name for `owner`.

    Rendered objects (plots, PIL images) are remembered by identity for the whole run, so a
    generator that yields the same figure again does not render it again.
    """

    store: FileStore
    owner: str | None
    outputs: list[AdditionalOutput] = field(default_factory=list)
    _rendered: dict[int, tuple[Any, dict[str, Any]]] = field(default_factory=dict)

    def split(self, reply: Any) -> tuple[Any, list[Any] | None]:
        """`(response, *outputs)` when the config declares outputs; else `(reply, None)`."""
        if self.outputs and isinstance(reply, tuple) and len(reply) == 1 + len(self.outputs):
            return reply[0], [
                self.output(o, v) for o, v in zip(self.outputs, reply[1:], strict=True)
            ]
        return reply, None

    def messages(self, reply: Any) -> list[Message]:
        """Normalize a reply into assistant messages."""
        if isinstance(reply, str):  # first: a streamed text reply takes this path per token
            return [{"role": "assistant", "content": reply}]
        if reply is None:
            return []
        if isinstance(reply, list) or (isinstance(reply, tuple) and not _is_file_tuple(reply)):
            return [message for item in reply for message in self.messages(item)]
        if isinstance(reply, dict) and "content" not in reply and "text" in reply:
            paths = reply.get("files") or []
            if not isinstance(paths, list | tuple):
                raise ReplyError(f"'files' must be a list of paths, got {type(paths).__name__}")
            files = [self.message({"path": path}) for path in paths]
            return [*files, *self.messages(reply["text"] or None)]
        return [self.message(reply)]

    def message(self, item: Any) -> Message:
        if isinstance(item, ChatMessage):
            item = {"content": item.content, "metadata": item.metadata, "options": item.options}
        if isinstance(item, dict) and "content" in item:
            message = {"role": "assistant", "content": self.content(item["content"])}
            message.update(_extras(item))
            return message
        return {"role": "assistant", "content": self.content(item)}

    def content(self, value: Any) -> Any:
        """Wire content: str, `{"file": ...}` or `{"component": ...}`."""
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "path" in value:
            return _with_alt({"file": self.file(value["path"])}, value.get("alt_text"))
        if _is_file_tuple(value):
            return _with_alt({"file": self.file(value[0])}, value[1] if len(value) > 1 else None)
        if isinstance(value, os.PathLike):
            return {"file": self.file(value)}
        kind = FILE_COMPONENTS.get(type(value))
        if kind is not None:
            content = {"component": kind, "file": self.file(value.value)}
            return _with_alt(content, getattr(value, "alt_text", None))
        if isinstance(value, HTML):
            return {"component": "html", "html": _text(value.value)}
        if isinstance(value, Plot):
            return {"component": "plot", "file": self.render(value.value)}
        if isinstance(value, Gallery):
            if not isinstance(value.value, list | tuple):
                raise ReplyError(
                    f"chatserve.Gallery needs a list of files, got {type(value.value).__name__}"
                )
            return {"component": "gallery", "items": [self._gallery_item(v) for v in value.value]}
        raise ReplyError(
            "a chat function must return text, a message dict, a file ({'path': ...} or "
            "(path,)), a chatserve component, or a list of them; "
            f"got {type(value).__name__}"
        )

    def file(self, value: Any) -> dict[str, Any]:
        """FileData for a path, an http(s) URL, or an image object with `save()`."""
        if isinstance(value, str) and "://" in value:
            return _url(value)
        if isinstance(value, str | os.PathLike):
            return self.store.register(value, self.owner).data()
        if hasattr(value, "save"):
            return self._once(value, lambda: self._write(_saved_png(value), "image.png"))
        raise ReplyError(f"expected a file path, URL or image, got {type(value).__name__}")

    def render(self, figure: Any) -> dict[str, Any]:
        """A plot as a PNG, SVG or sandboxed HTML file."""
        if hasattr(figure, "savefig"):
            return self._once(figure, lambda: self._write(_figure_png(figure), "plot.png"))
        for method, name in (("_repr_png_", "plot.png"), ("_repr_svg_", "plot.svg")):
            if hasattr(figure, method):
                data = getattr(figure, method)()
                return self._once(figure, lambda d=data, n=name: self._write(_bytes(d), n))
        if hasattr(figure, "_repr_html_"):
            html = figure._repr_html_().encode()
            return self._once(figure, lambda: self._write(html, "plot.html", sandboxed=True))
        raise ReplyError(
            f"chatserve.Plot needs a matplotlib figure or an object with _repr_png_, "
            f"_repr_svg_ or _repr_html_; got {type(figure).__name__}"
        )

    def output(self, declared: AdditionalOutput, value: Any) -> Any:
        """An additional output's value as the browser gets it."""
        if value is None:
            return None
        if declared.type == "image":
            return self.file(value.value if FILE_COMPONENTS.get(type(value)) else value)
        if declared.type == "json":
            try:
                return msgspec.json.decode(msgspec.json.encode(value))
            except (TypeError, ValueError) as exc:
                raise ReplyError(f"a json output must be JSON data: {exc}") from None
        return _text(value)

    def _gallery_item(self, item: Any) -> dict[str, Any]:
        if isinstance(item, tuple) and len(item) == 2:
            return {"file": self.file(item[0]), "caption": _text(item[1])}
        if FILE_COMPONENTS.get(type(item)):
            return {"file": self.file(item.value)}
        return {"file": self.file(item)}

    def _once(self, obj: Any, make: Any) -> dict[str, Any]:
        known = self._rendered.get(id(obj))
        if known is not None and known[0] is obj:
            return known[1]
        data = make()
        self._rendered[id(obj)] = (obj, data)  # holding obj keeps its id from being reused
        return data

    def _write(self, content: bytes, name: str, *, sandboxed: bool = False) -> dict[str, Any]:
        return self.store.write(content, name, self.owner, sandboxed_html=sandboxed).data()


def changes(sent: list[Message], current: list[Message]) -> list[Event]:
    """Events that turn the messages the client has into `current`.

    A message whose text only grew is sent as a `delta` with the new suffix, so the bytes on
    the wire grow linearly with the reply; anything else is a `replace`.
    """
    events: list[Event] = []
    for index, message in enumerate(current):
        if index >= len(sent):
            events.append(("message", {"index": index, "message": message}))
            continue
        suffix = grown_text(sent[index], message)
        if suffix is None:
            events.append(("replace", {"index": index, "message": message}))
        elif suffix:
            events.append(("delta", {"index": index, "text": suffix}))
    return events


def grown_text(before: Message, after: Message) -> str | None:
    """What `after`'s text adds to `before`'s ("" if the message is the same), or None when
    `after` is not `before` with more text."""
    old, new = before["content"], after["content"]
    if not (type(old) is str and type(new) is str and new.startswith(old)):
        return None if before != after else ""
    if before["role"] != after["role"]:
        return None
    # Messages are made with only the extras they have: two keys is the plain text message.
    if (len(before) > 2 or len(after) > 2) and any(
        before.get(key) != after.get(key) for key in _MESSAGE_KEYS
    ):
        return None
    return new[len(old) :]


def _is_file_tuple(value: Any) -> bool:
    """Gradio's `(path,)` and `(path, alt_text)`."""
    return (
        isinstance(value, tuple)
        and len(value) in (1, 2)
        and isinstance(value[0], str | os.PathLike)
        and (len(value) == 1 or isinstance(value[1], str | None))
    )


def _with_alt(content: dict[str, Any], alt_text: Any) -> dict[str, Any]:
    return {**content, "alt_text": _text(alt_text)} if alt_text else content


def _extras(item: dict[str, Any]) -> dict[str, Any]:
    """A message's `metadata` (a dict of JSON data) and `options` (`[{value, label?}]`)."""
    try:
        given = msgspec.json.encode({key: item[key] for key in _MESSAGE_KEYS if item.get(key)})
        msgspec.json.decode(given, type=_Extras)
    except (TypeError, ValueError) as exc:
        raise ReplyError(
            "a message's metadata must be a dict of JSON data, and its options a list of "
            f"{{'value', 'label'}} dicts: {exc}"
        ) from None
    return msgspec.json.decode(given)


def _text(value: Any) -> str:
    try:
        return str(value)
    except ValueError:  # an int with more digits than str() converts
        raise ReplyError("the reply holds a number with too many digits to show") from None


def _url(url: str) -> dict[str, Any]:
    """FileData for a URL the browser fetches; the server never does (SPEC §6)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed IPv6 host
        parts = None
    if parts is None or parts.scheme not in ("http", "https"):
        what = f"a {parts.scheme[:20]}: URL" if parts and parts.scheme else "an invalid URL"
        raise FileRefused(f"The reply names {what}; only http and https URLs can be shown.")
    name = PurePosixPath(parts.path).name or parts.netloc
    return {"id": None, "url": url, "name": name, "mime_type": media_type(name), "size": None}


def _figure_png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def _saved_png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _bytes(data: Any) -> bytes:
    return data.encode() if isinstance(data, str) else bytes(data)


def file_refs(messages: list[Any]) -> Iterator[dict[str, Any]]:
    """The `FileData` of every file wire messages show: a file, a component's file, the items
    of a gallery."""
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, dict):
            continue
        items = [item for item in content.get("items") or () if isinstance(item, dict)]
        for ref in [content.get("file"), *(item.get("file") for item in items)]:
            if isinstance(ref, dict) and isinstance(ref.get("id"), str):
                yield ref
