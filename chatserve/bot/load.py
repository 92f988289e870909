"""A loaded bot: its validated config, its chat function, and what the browser is sent."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any

from chatserve.bot.importer import ImportFromStringError, import_from_string
from chatserve.bot.request import Request, request_parameter
from chatserve.bot.runner import kind_of
from chatserve.config.checks import signature_problem
from chatserve.config.inputs import InvalidInput
from chatserve.config.loader import load_config
from chatserve.config.models import Config
from chatserve.errors import ConfigError

DATA_DIR = ".chatserve"


@dataclass(frozen=True)
class Bot:
    """Everything a request needs, built once per (re)load and never mutated."""

    config: Config
    path: Path
    fn: Callable[..., Any] = field(repr=False)
    kind: str
    request_parameter: str | None = None
    """The chat function's parameter annotated `chatserve.Request`, if any."""

    @property
    def folder(self) -> Path:
        return self.path.resolve().parent

    def fn_for(self, request: Request) -> Callable[..., Any]:
        """The chat function, handed `request` if it asks for it."""
        if self.request_parameter is None:
            return self.fn
        return partial(self.fn, **{self.request_parameter: request})

    def data_dir(self) -> Path:
        return data_dir(self.config, self.folder)

    def allowed_paths(self) -> list[Path]:
        return [self.folder / path for path in self.config.server.allowed_paths]

    def max_file_size(self) -> int:
        return self.config.textbox.max_file_size or self.config.server.max_upload_size

    @cached_property
    def input_labels(self) -> list[str]:
        """Each additional input's label: as configured, else the chat function's parameter
        (found once per load: reading a signature is slow)."""
        try:
            names = list(inspect.signature(self.fn).parameters)[2:]
            names = [name for name in names if name != self.request_parameter]
        except (TypeError, ValueError):
            names = []
        labels = []
        for index, declared in enumerate(self.config.additional_inputs):
            fallback = names[index] if index < len(names) else f"Input {index + 1}"
            labels.append(declared.label or fallback.replace("_", " ").capitalize())
        return labels

    @property
    def model_id(self) -> str:
        """The bot's model id on `/v1/*`: its title as a slug (`Yes Man` → `yes-man`), else
        the config file's name."""
        slug = re.sub(r"[^a-z0-9]+", "-", (self.config.title or "").lower()).strip("-")
        return slug or self.path.stem

    def check_inputs(self, values: list[Any]) -> list[Any]:
        """The values to pass after `history`; missing ones take their defaults."""
        declared = self.config.additional_inputs
        if len(values) > len(declared):
            raise InvalidInput(
                f"This bot takes {len(declared)} additional input(s), got {len(values)}."
            )
        checked = []
        for index, (spec, label) in enumerate(zip(declared, self.input_labels, strict=True)):
            if index >= len(values):
                checked.append(spec.default())
                continue
            try:
                checked.append(spec.check(values[index]))
            except InvalidInput as exc:
                raise InvalidInput(f"Input {index + 1} ({label}): {exc}.") from None
        return checked


def data_dir(config: Config, folder: Path) -> Path:
    """Where the server keeps uploads, the bot's files and its caches."""
    return folder / (config.server.data_dir or DATA_DIR)


def flagging_dir(config: Config, folder: Path) -> Path:
    """Where the flag store of this config lives."""
    return (
        folder / config.flagging_dir
        if config.flagging_dir
        else data_dir(config, folder) / "flagged"
    )


def load(path: str | Path) -> Bot:
    """Load a config file and import its chat function; raises ConfigError."""
    config = load_config(path)
    fn = import_fn(config, Path(path))
    wants_request = request_parameter(fn)
    problem = signature_problem(config, fn, wants_request)
    if problem:
        raise ConfigError([problem])
    return Bot(config, Path(path), fn, kind_of(fn), wants_request)


def validated_config(path: str | Path) -> Config:
    """`chatserve.load`: the config at `path`, checked as fully as `chatserve validate` does
    (its chat function imported and its signature checked); raises ConfigError."""
    return load(path).config


def import_fn(config: Config, path: Path) -> Callable[..., Any]:
    """Import `config.fn`, reporting failure as a problem at the `fn` key."""
    try:
        return import_from_string(config.fn, path.resolve().parent)
    except ImportFromStringError as exc:
        raise ConfigError([config.source.problem(("fn",), str(exc))]) from None
