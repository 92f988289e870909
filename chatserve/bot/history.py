"""The client's history as the chat function receives it: Gradio's message dicts (files as
`(path,)` tuples) or the deprecated `[user, assistant]` pairs.

Clients name files by id only; an id this client may not use is refused, never guessed at.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from chatserve.bot.components import HTML, Gallery
from chatserve.store.files import FileStore, StoredFile


class UnknownFile(ValueError):
    """A request names a file id that does not exist or belongs to another client."""


class History:
    """Resolves file references for one client."""

    def __init__(self, store: FileStore, owner: str | None) -> None:
        self.store = store
        self.owner = owner

    def messages(self, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """OpenAI-style dicts, a fresh list the chat function may change freely."""
        result = []
        for message in history:
            converted = {"role": message["role"], "content": self.content(message["content"])}
            for key in ("metadata", "options"):
                if message.get(key):
                    converted[key] = message[key]
            result.append(converted)
        return result

    def pairs(self, history: list[dict[str, Any]]) -> list[list[Any]]:
        """`type: tuples`: `[[user, assistant], ...]`, None where a side is missing."""
        pairs: list[list[Any]] = []
        for message in self.messages(history):
            if message["role"] == "user" or not pairs or pairs[-1][1] is not None:
                pairs.append([None, None])
            pairs[-1][0 if message["role"] == "user" else 1] = message["content"]
        return pairs

    def path(self, file_id: Any) -> str:
        """The server path of an id this client may use."""
        return str(self.file(file_id).path)

    def file(self, file_id: Any) -> StoredFile:
        """The file of an id this client may use."""
        found = self.store.get(file_id, self.owner) if isinstance(file_id, str) else None
        if found is None:
            raise UnknownFile(f"Unknown file id {str(file_id)[:40]!r}.")
        return found

    def content(self, content: Any) -> Any:
        if isinstance(content, str):
            return content
        if not isinstance(content, dict):
            raise UnknownFile("Message content must be text, a file or a component.")
        if "file" in content and "component" not in content:
            return self._file_tuple(content["file"], content.get("alt_text"))
        kind = content.get("component")
        if kind == "html":
            return HTML(str(content.get("html", "")))
        if kind == "gallery":
            items = content.get("items")
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise UnknownFile("A gallery needs a list of {'file': ...} items.")
            return Gallery([self._file_tuple(item.get("file"))[0] for item in items])
        if kind in ("image", "audio", "video", "file", "plot"):
            return self._file_tuple(content.get("file"), content.get("alt_text"))
        raise UnknownFile(f"Unknown component {str(kind)[:40]!r}.")

    def _file_tuple(self, data: Any, alt_text: Any = None) -> tuple[str, ...]:
        if not isinstance(data, dict):
            raise UnknownFile("A file must be given as {'file': {'id': ...}}.")
        if data.get("id") is not None:
            location = self.path(data["id"])
        elif _is_web_url(data.get("url")):
            location = data["url"]
        else:
            raise UnknownFile("A file must be named by the id the server gave it.")
        return (location, str(alt_text)) if alt_text else (location,)


def _is_web_url(value: Any) -> bool:
    try:
        return isinstance(value, str) and urlsplit(value).scheme in ("http", "https")
    except ValueError:  # a malformed IPv6 host
        return False
