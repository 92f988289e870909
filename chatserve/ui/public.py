"""The part of a bot's config the browser renders from: no server settings, no `fn`."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from chatserve.bot.load import Bot, example_files
from chatserve.config.checks import example_message
from chatserve.config.models import is_url
from chatserve.config.theme import CustomTheme
from chatserve.store.files import FileStore

AS_THEY_ARE = frozenset(
    {
        "title",
        "description",
        "multimodal",
        "run_examples_on_click",
        "cache_examples",
        "submit_btn",
        "stop_btn",
        "autofocus",
        "editable",
        "save_history",
        "fill_height",
        "fill_width",
        "autoscroll",
        "show_progress",
        "show_api",
        "language",
        "texts",
    }
)
"""Top-level keys the page reads as written; the rest is derived below. `fn`, `server:`,
paths, code and caching settings never leave the server."""


def public_config(bot: Bot, store: FileStore, theme_css: str) -> dict[str, Any]:
    config = bot.config
    chatbot, textbox = config.chatbot, config.textbox
    labels = bot.input_labels
    theme = config.theme.base if isinstance(config.theme, CustomTheme) else config.theme
    url = partial(_url, bot, store)
    return {
        **config.model_dump(include=AS_THEY_ARE),
        "examples": list(_examples(bot, store)),
        "chatbot": {
            **chatbot.model_dump(exclude={"type"}),  # the history's shape is the server's business
            "height": _css(chatbot.height),
            "min_height": _css(chatbot.min_height),
            "max_height": _css(chatbot.max_height),
            "avatar_images": [url(name) for name in chatbot.avatar_images or (None, None)],
        },
        "textbox": {**textbox.model_dump(), "max_file_size": bot.max_file_size()},
        "additional_inputs": [
            {**spec.public(), "label": label, **_size_limit(bot, index)}
            for index, (spec, label) in enumerate(
                zip(config.additional_inputs, labels, strict=True)
            )
        ],
        "additional_inputs_accordion": config.accordion.model_dump(),
        "additional_outputs": [
            {**spec.model_dump(), "label": spec.label or f"{spec.type.capitalize()} {i}"}
            for i, spec in enumerate(config.additional_outputs, 1)
        ],
        "flagging": {"mode": config.flagging_mode, "options": config.flagging_options},
        "theme": theme,
        "theme_css": theme_css,
        "api": {"upload": "api/upload"},
    }


def _examples(bot: Bot, store: FileStore) -> Iterator[dict[str, Any]]:
    """The examples as the page shows them: text, files by URL, inputs, label and icon."""
    config = bot.config
    for index, example in enumerate(config.examples or ()):
        message = example_message(example)
        icon = config.example_icons[index] if config.example_icons else None
        yield {
            "text": message.text,
            "files": [store.public(bot.folder / name).data() for name in message.files],
            "inputs": _example_inputs(bot, store, example[1:])
            if isinstance(example, list)
            else None,
            "label": config.example_labels[index] if config.example_labels else None,
            "icon": _url(bot, store, icon),
        }


def _size_limit(bot: Bot, index: int) -> dict[str, int]:
    """A file input's largest file, the server's default filled in, for the page to check."""
    takes_files = index in dict(bot.file_inputs())
    return {"max_file_size": bot.input_file_size(index)} if takes_files else {}


def _example_inputs(bot: Bot, store: FileStore, values: list[Any]) -> list[Any]:
    """An example row's input values, the files of file inputs as file data (the page sends
    back their ids)."""
    shown = list(values)
    for index, spec in bot.file_inputs():
        files = [store.public(bot.folder / name).data() for name in example_files(values[index])]
        shown[index] = files if spec.file_count == "multiple" else next(iter(files), None)
    return shown


def _url(bot: Bot, store: FileStore, name: str | None) -> str | None:
    """A file the config names, as the page loads it: a URL as it is, a path as its file's URL."""
    if name is None or is_url(name):
        return name
    return store.public(bot.folder / name).data()["url"]


def _css(length: int | str | None) -> str | None:
    return f"{length}px" if isinstance(length, int) else length
