"""The part of a bot's config the browser renders from: no server settings, no `fn`."""

from __future__ import annotations

from typing import Any

from chatserve.bot import Bot
from chatserve.checks import example_message
from chatserve.config import is_url
from chatserve.files import FileStore
from chatserve.theme import CustomTheme


def public_config(bot: Bot, store: FileStore, theme_css: str) -> dict[str, Any]:
    config = bot.config
    chatbot, textbox = config.chatbot, config.textbox
    labels = bot.input_labels()
    theme = config.theme.base if isinstance(config.theme, CustomTheme) else config.theme

    def url(name: str | None) -> str | None:
        if name is None or is_url(name):
            return name
        return store.public(bot.folder / name).data()["url"]

    examples = []
    for index, example in enumerate(config.examples or ()):
        message = example_message(example)
        examples.append(
            {
                "text": message.text,
                "files": [store.public(bot.folder / name).data() for name in message.files],
                "inputs": example[1:] if isinstance(example, list) else None,
                "label": config.example_labels[index] if config.example_labels else None,
                "icon": url(config.example_icons[index]) if config.example_icons else None,
            }
        )
    return {
        "title": config.title,
        "description": config.description,
        "examples": examples,
        "run_examples_on_click": config.run_examples_on_click,
        "cache_examples": config.cache_examples,
        "multimodal": config.multimodal,
        "chatbot": {
            "placeholder": chatbot.placeholder,
            "height": _css(chatbot.height),
            "min_height": _css(chatbot.min_height),
            "max_height": _css(chatbot.max_height),
            "avatar_images": [url(name) for name in chatbot.avatar_images or (None, None)],
            "layout": chatbot.layout,
            "render_markdown": chatbot.render_markdown,
            "sanitize_html": chatbot.sanitize_html,
            "latex_delimiters": [d.model_dump() for d in chatbot.latex_delimiters],
            "line_breaks": chatbot.line_breaks,
            "rtl": chatbot.rtl,
            "show_copy_button": chatbot.show_copy_button,
            "show_copy_all_button": chatbot.show_copy_all_button,
            "watermark": chatbot.watermark,
            "group_consecutive_messages": chatbot.group_consecutive_messages,
            "allow_file_downloads": chatbot.allow_file_downloads,
            "resizable": chatbot.resizable,
        },
        "textbox": {
            "placeholder": textbox.placeholder,
            "lines": textbox.lines,
            "max_lines": textbox.max_lines,
            "max_length": textbox.max_length,
            "submit_btn": textbox.submit_btn,
            "stop_btn": textbox.stop_btn,
            "autofocus": textbox.autofocus,
            "file_types": textbox.file_types,
            "file_count": textbox.file_count,
            "max_file_size": bot.max_file_size(),
        },
        "additional_inputs": [
            {**spec.public(), "label": label}
            for spec, label in zip(config.additional_inputs, labels, strict=True)
        ],
        "additional_inputs_accordion": config.accordion.model_dump(),
        "additional_outputs": [
            {**spec.model_dump(), "label": spec.label or f"{spec.type.capitalize()} {i}"}
            for i, spec in enumerate(config.additional_outputs, 1)
        ],
        "submit_btn": config.submit_btn,
        "stop_btn": config.stop_btn,
        "autofocus": config.autofocus,
        "editable": config.editable,
        "save_history": config.save_history,
        "flagging": {"mode": config.flagging_mode, "options": config.flagging_options},
        "fill_height": config.fill_height,
        "fill_width": config.fill_width,
        "autoscroll": config.autoscroll,
        "show_progress": config.show_progress,
        "theme": theme,
        "theme_css": theme_css,
        "api": {"upload": "api/upload"},
    }


def _css(length: int | str | None) -> str | None:
    return f"{length}px" if isinstance(length, int) else length
