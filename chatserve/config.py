"""The config file's shape: pydantic models that are also the source of the JSON Schema.

Field names follow `gr.ChatInterface` so that a Gradio app translates line by line. Every field
carries an attribute docstring; they become the schema descriptions editors show.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from chatserve.source import Source

THEMES = ("default", "soft", "ocean", "citrus", "glass", "monochrome", "origin", "base")

_CSS_LENGTH = re.compile(r"^(0|\d+(\.\d+)?(px|em|rem|vh|vw|dvh|svh|lvh|%))$")
_FN_SPEC = re.compile(r"^[^:\s]+:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

CssLength = Annotated[
    int | str,
    Field(json_schema_extra={"pattern": _CSS_LENGTH.pattern}),
]


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, use_attribute_docstrings=True
    )


class ChatbotConfig(Model):
    """Settings of the message list (Gradio's `gr.Chatbot`)."""

    placeholder: str | None = None
    """Markdown (or sanitized HTML) shown centred in the chat before the first message."""

    height: CssLength | None = None
    """Height of the message list: pixels as an integer, or a CSS length such as `70vh`.
    Unset, the chat fills the window."""

    @field_validator("height")
    @classmethod
    def _css_length(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, int) and value <= 0:
            raise ValueError(f"must be a positive number of pixels, got {value}")
        if isinstance(value, str) and not _CSS_LENGTH.match(value.strip()):
            raise ValueError(f"must be an integer or a CSS length such as '70vh', got {value!r}")
        return value


class TextboxConfig(Model):
    """Settings of the message box (Gradio's `gr.Textbox`)."""

    placeholder: str | None = None
    """Hint shown in the empty message box. Default: "Type a message…"."""


class ServerConfig(Model):
    """Where and how the server listens. Never sent to the browser."""

    host: str = "127.0.0.1"
    """Interface to bind; `0.0.0.0` listens on every interface. The `--host` option wins."""

    port: int = Field(8000, ge=0, le=65535)
    """TCP port; 0 picks a free one. The `--port` option wins."""


class Config(Model):
    """A chatserve bot: the chat function and everything its web app shows."""

    version: Literal[1] = 1
    """Config format version. Only `1` exists; leaving it out means `1`."""

    fn: str
    """The chat function: `package.module:function` (imported with the config's folder on
    `sys.path`) or `path/to/file.py:function` (relative to the config file)."""

    title: str | None = None
    """Shown above the chat in large type and used as the browser tab title."""

    description: str | None = None
    """Markdown shown under the title."""

    examples: list[str] | None = None
    """Example messages shown as buttons in the empty chat; clicking one sends it."""

    chatbot: ChatbotConfig = ChatbotConfig()
    """The message list."""

    textbox: TextboxConfig = TextboxConfig()
    """The message box."""

    submit_btn: str | bool = True
    """`true` shows the Send button with an icon, a string shows it with that text,
    `false` hides it (Enter still sends)."""

    stop_btn: str | bool = True
    """While a reply streams: `true` shows the Stop button with an icon, a string shows it
    with that text, `false` hides it."""

    autofocus: bool = True
    """Focus the message box when the page loads."""

    theme: Literal[THEMES] = "default"  # type: ignore[valid-type]
    """Built-in theme. Each has a light and a dark mode; the page follows the system setting
    unless the visitor picks one with the toggle in the header."""

    server: ServerConfig = ServerConfig()
    """Server settings."""

    _source: Source | None = PrivateAttr(default=None)

    @field_validator("fn")
    @classmethod
    def _fn_spec(cls, value: str) -> str:
        if not _FN_SPEC.match(value):
            raise ValueError(
                f'{value!r} must be in format "<module>:<function>" or "<file.py>:<function>"'
            )
        return value

    @property
    def source(self) -> Source:
        """Where each key came from, for error messages about checks done after loading."""
        if self._source is None:
            raise RuntimeError("this Config was not loaded from a file")
        return self._source
