"""What a chat function may return besides text: `ChatMessage` and the rich components.

They mirror Gradio's (`gr.ChatMessage`, `gr.Image(...)`, ...): the first argument is the value, a
file path or an http(s) URL unless said otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ChatMessage:
    """One message with optional `metadata` (a "thought" when it has a title) and `options`."""

    content: Any
    role: str = "assistant"
    metadata: dict[str, Any] = field(default_factory=dict)
    options: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Image:
    """An image: a path, an http(s) URL, or an object with `save(file, format)` (a PIL image)."""

    value: Any
    alt_text: str | None = None


@dataclass
class Audio:
    """A sound file, shown with a player."""

    value: Any


@dataclass
class Video:
    """A video file, shown with a player."""

    value: Any


@dataclass
class File:
    """Any file, shown as a download."""

    value: Any


@dataclass
class HTML:
    """An HTML fragment; the browser sanitizes it like Markdown output."""

    value: str


@dataclass
class Plot:
    """A figure: matplotlib's (`savefig`), or any object with `_repr_png_`, `_repr_svg_` or
    `_repr_html_` (HTML plots run in a sandboxed frame)."""

    value: Any


@dataclass
class Gallery:
    """Several images or videos: paths, URLs or `(path, caption)` pairs."""

    value: list[Any]


FILE_COMPONENTS: dict[type, str] = {Image: "image", Audio: "audio", Video: "video", File: "file"}
