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
from chatserve.config.inputs import ImageInput, InvalidInput, UploadInput
from chatserve.config.loader import load_config
from chatserve.config.models import Config
from chatserve.errors import ConfigError
from chatserve.store.files import StoredFile

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

    def input_file_size(self, index: int) -> int:
        """The largest file the additional input at `index` (a file or image) takes."""
        spec = self.config.additional_inputs[index]
        return getattr(spec, "max_file_size", None) or self.config.server.max_upload_size

    def largest_upload(self) -> int:
        """The largest file any upload may be: for the message, or for a file input."""
        sizes = [self.input_file_size(i) for i, _ in self.file_inputs()]
        return max([self.max_file_size(), *sizes])

    def file_inputs(self) -> list[tuple[int, UploadInput]]:
        """The file and image inputs, with their places among the additional inputs."""
        return [
            (index, spec)
            for index, spec in enumerate(self.config.additional_inputs)
            if isinstance(spec, UploadInput)
        ]

    @cached_property
    def input_names(self) -> list[str]:
        """Each additional input's name: the chat function's parameter, else (past them, or
        for `*inputs`) `input_<n>` (found once per load: reading a signature is slow)."""
        try:
            parameters = list(inspect.signature(self.fn).parameters.values())[2:]
        except (TypeError, ValueError):
            parameters = []
        names = [
            p.name for p in parameters if p.name != self.request_parameter and p.kind in _NAMED
        ]
        count = len(self.config.additional_inputs)
        return [names[i] if i < len(names) else f"input_{i + 1}" for i in range(count)]

    @cached_property
    def input_labels(self) -> list[str]:
        """Each additional input's label: as configured, else its name."""
        return [
            declared.label or name.replace("_", " ").capitalize()
            for declared, name in zip(self.config.additional_inputs, self.input_names, strict=True)
        ]

    @property
    def model_id(self) -> str:
        """The bot's model id on `/v1/*`: its title as a slug (`Yes Man` → `yes-man`), else
        the config file's name."""
        slug = re.sub(r"[^a-z0-9]+", "-", (self.config.title or "").lower()).strip("-")
        return slug or self.path.stem

    def check_inputs(
        self, values: list[Any], find: Callable[[str], StoredFile] | None = None
    ) -> list[Any]:
        """The values to pass after `history`; missing ones take their defaults. With `find`
        (a client's files by id, raising for one it may not use), file inputs' refs become
        paths; without it they stay refs."""
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
                value = spec.check(values[index])
                if find is not None and isinstance(spec, UploadInput):
                    value = spec.resolve(value, find, self.input_file_size(index))
                checked.append(value)
            except InvalidInput as exc:
                raise InvalidInput(f"Input {index + 1} ({label}): {exc}.") from None
        return checked

    @cached_property
    def opens_images(self) -> bool:
        """Whether an input hands the chat function Pillow images (`fn_inputs` then converts)."""
        return any(isinstance(s, ImageInput) and s.format == "pil" for _, s in self.file_inputs())

    def fn_inputs(self, checked: list[Any]) -> list[Any]:
        """Checked values as the chat function takes them (images opened with Pillow)."""
        specs = self.config.additional_inputs
        return [spec.argument(value) for spec, value in zip(specs, checked, strict=True)]

    def example_inputs(self, values: list[Any]) -> list[Any]:
        """An example row's input values as the chat function gets them: files (named
        relative to the config's folder; the config's checks found them) as their paths."""
        files = dict(self.file_inputs())
        checked = self.check_inputs(
            [files[i].default() if i in files else v for i, v in enumerate(values)]
        )
        for index, spec in files.items():
            names = example_files(values[index] if index < len(values) else None)
            paths = [str((self.folder / name).resolve()) for name in names]
            checked[index] = paths if spec.file_count == "multiple" else next(iter(paths), None)
        return checked


def example_files(value: Any) -> list[str]:
    """The files an example row names for a file input: none, one, or a list."""
    return [] if value is None else [value] if isinstance(value, str) else list(value)


_NAMED = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
"""The parameters an additional input's value can be passed as (not `*inputs`)."""


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
