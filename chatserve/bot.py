"""A loaded bot: its validated config, its chat function, and what the browser is sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatserve.config import Config
from chatserve.errors import ConfigError
from chatserve.importer import ImportFromStringError, import_from_string
from chatserve.loader import load_config
from chatserve.runner import kind_of


@dataclass(frozen=True)
class Bot:
    """Everything a request needs, built once per (re)load and never mutated."""

    config: Config
    path: Path
    fn: Callable[..., Any] = field(repr=False)
    kind: str

    @property
    def chat_route(self) -> str:
        return "/api/chat"

    def public_config(self) -> dict[str, Any]:
        """The part of the config the UI renders from: no server settings, no `fn`."""
        config = self.config
        height = config.chatbot.height
        return {
            "title": config.title,
            "description": config.description,
            "examples": config.examples or [],
            "chatbot": {
                "placeholder": config.chatbot.placeholder,
                "height": f"{height}px" if isinstance(height, int) else height,
            },
            "textbox": {"placeholder": config.textbox.placeholder},
            "submit_btn": config.submit_btn,
            "stop_btn": config.stop_btn,
            "autofocus": config.autofocus,
            "theme": config.theme,
            "api": {"chat": self.chat_route.lstrip("/")},
        }


def load(path: str | Path) -> Bot:
    """Load a config file and import its chat function; raises ConfigError."""
    config = load_config(path)
    return Bot(
        config=config, path=Path(path), fn=(fn := import_fn(config, Path(path))), kind=kind_of(fn)
    )


def import_fn(config: Config, path: Path) -> Callable[..., Any]:
    """Import `config.fn`, reporting failure as a problem at the `fn` key."""
    try:
        return import_from_string(config.fn, path.resolve().parent)
    except ImportFromStringError as exc:
        raise ConfigError([config.source.problem(("fn",), str(exc))]) from None
