"""The config file's shape: pydantic models that are also the source of the JSON Schema.

Field names follow `gr.ChatInterface` so that a Gradio app translates line by line. Every field
carries an attribute docstring; they become the schema descriptions editors show.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from chatserve.inputs import Accordion, AdditionalInput
from chatserve.outputs import AdditionalOutput
from chatserve.source import Source

THEMES = ("default", "soft", "ocean", "citrus", "glass", "monochrome", "origin", "base")

_CSS_LENGTH = re.compile(r"^(0|\d+(\.\d+)?(px|em|rem|vh|vw|dvh|svh|lvh|%))$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9}
_SIZE_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30}
_FN_SPEC = re.compile(r"^[^:\s]+:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

ByteSize = Annotated[
    int | str,
    Field(json_schema_extra={"pattern": _SIZE.pattern}),
]
"""Bytes as an integer, or a string such as `10MB` or `512 KiB`."""


def parse_size(value: int | str) -> int:
    """`"10MB"` -> 10_000_000; raises ValueError with the accepted forms."""
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"must be a positive number of bytes, got {value}")
        return value
    match = _SIZE.match(value)
    if not match:
        raise ValueError(f"must be bytes as an integer or a size such as '10MB', got {value!r}")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()])


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

    type: Literal["messages", "tuples"] = "messages"
    """Shape of `history` given to the chat function: `messages` (OpenAI-style dicts) or the
    deprecated `tuples` (`[[user, assistant], ...]` pairs)."""

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

    file_types: list[str] | None = None
    """With `multimodal`: the files accepted, as kinds (`image`, `audio`, `video`, `text`) or
    extensions (`.pdf`). Default: any file."""

    file_count: Literal["single", "multiple"] = "single"
    """With `multimodal`: one file per message, or several."""

    max_file_size: ByteSize | None = None
    """With `multimodal`: the largest file accepted. Default: `server.max_upload_size`."""

    @field_validator("max_file_size")
    @classmethod
    def _size(cls, value: int | str | None) -> int | None:
        return None if value is None else parse_size(value)

    @field_validator("file_types")
    @classmethod
    def _file_types(cls, value: list[str] | None) -> list[str] | None:
        for item in value or ():
            if item not in FILE_KINDS and not re.fullmatch(r"\.[A-Za-z0-9]+", item):
                raise ValueError(
                    f"{item!r} is neither a kind ({', '.join(FILE_KINDS)}) nor an extension "
                    "such as '.pdf'"
                )
        return value


FILE_KINDS = ("image", "audio", "video", "text")


class ExampleMessage(Model):
    """A multimodal example: text and files (paths relative to the config file)."""

    text: str = ""
    """The message text."""

    files: list[str] = []
    """Files sent with the example, relative to the config file."""


class ServerConfig(Model):
    """Where and how the server listens. Never sent to the browser."""

    host: str = "127.0.0.1"
    """Interface to bind; `0.0.0.0` listens on every interface. The `--host` option wins."""

    port: int = Field(8000, ge=0, le=65535)
    """TCP port; 0 picks a free one. The `--port` option wins."""

    data_dir: str | None = None
    """Where uploads and files the bot makes are kept, relative to the config file.
    Default: `.chatserve` beside the config."""

    allowed_paths: list[str] = []
    """Folders (relative to the config file, or absolute) from which the chat function may
    return files, besides the data dir and the system temp dir."""

    max_upload_size: ByteSize = 50_000_000
    """The largest file a client may upload: bytes, or a size such as `10MB`."""

    @field_validator("max_upload_size")
    @classmethod
    def _size(cls, value: int | str) -> int:
        return parse_size(value)


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

    multimodal: bool = False
    """Let users attach files; the chat function's `message` becomes `{"text", "files"}`."""

    examples: list[str | ExampleMessage | list[Any]] | None = None
    """Example messages shown in the empty chat; clicking one sends it. With `multimodal`,
    `{text, files}` mappings; with `additional_inputs`, rows `[message, value, ...]` shown as a
    table under the chat (a message alone is sent with the inputs' current values)."""

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

    additional_inputs: list[AdditionalInput] = []
    """Extra controls whose values reach the chat function after `history`, in order: a type
    (`textbox`, `number`, `slider`, `checkbox`, `dropdown`, `radio`, `checkboxgroup`) or a
    mapping with `type`, `label`, `value`, `info` and the type's options (Gradio's names)."""

    additional_inputs_accordion: str | Accordion | None = None
    """The accordion holding the additional inputs: its label, or `{label, open}`."""

    additional_outputs: list[AdditionalOutput] = []
    """Panels beside the chat (`markdown`, `code`, `json`, `html`, `image`); the chat function
    then returns `(reply, value, ...)`."""

    concurrency_limit: int | None = Field(None, ge=1)
    """How many chats may run at once; the rest wait in line and see their place.
    Null: no limit."""

    server: ServerConfig = ServerConfig()
    """Server settings."""

    _source: Source | None = PrivateAttr(default=None)

    @field_validator("additional_inputs", "additional_outputs", mode="before")
    @classmethod
    def _shortcuts(cls, value: Any) -> Any:
        # Gradio accepts "textbox" for gr.Textbox(); so do we.
        if isinstance(value, list):
            return [{"type": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("additional_inputs_accordion", mode="before")
    @classmethod
    def _accordion_label(cls, value: Any) -> Any:
        return {"label": value} if isinstance(value, str) else value

    @property
    def accordion(self) -> Accordion:
        return self.additional_inputs_accordion or Accordion()  # type: ignore[return-value]

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
