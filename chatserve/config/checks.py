"""Checks that span keys, run after the models validated: examples against the inputs they feed,
files the config names, the keys of `texts:` against the page's, and the chat function's
signature."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chatserve.config.inputs import InvalidInput, UploadInput
from chatserve.config.models import Config, ExampleMessage
from chatserve.errors import Problem
from chatserve.store.files import accepts
from chatserve.store.mediatypes import media_type
from chatserve.ui.texts import english


def config_problems(config: Config, folder: Path) -> list[Problem]:
    """Problems with `examples`, with the files the config names and with `texts:`."""
    return [
        *_example_problems(config, folder),
        *_file_problems(config, folder),
        *_text_problems(config),
    ]


def _text_problems(config: Config) -> Iterator[Problem]:
    """A key of `texts:` that the page does not have (a typo, most likely)."""
    known = english()
    for key in config.texts:
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else 'see "Languages" in the README'
            yield config.source.problem(("texts", key), f"unknown text {key!r}; {hint}")


def _file_problems(config: Config, folder: Path) -> Iterator[Problem]:
    source = config.source
    named = config.named_files()
    for where, name in named:
        problem = file_problem(folder, name, config)
        if problem:
            yield source.problem(where, problem)
    if isinstance(config.tests, str):
        problem = file_problem(folder, config.tests, config)
        if problem:
            yield source.problem(("tests",), problem)
    count = len(config.examples or ())
    for key in ("example_labels", "example_icons"):
        given = getattr(config, key)
        if given is not None and len(given) != count:
            yield source.problem((key,), f"needs one entry per example ({count}), got {len(given)}")


def example_message(example: Any) -> ExampleMessage:
    """An example's message part as `{text, files}`."""
    message = example[0] if isinstance(example, list) else example
    if isinstance(message, ExampleMessage):
        return message
    if isinstance(message, dict):
        return ExampleMessage.model_validate(message)
    return ExampleMessage(text=message)


def _example_problems(config: Config, folder: Path) -> Iterator[Problem]:
    source, inputs = config.source, config.additional_inputs
    for index, example in enumerate(config.examples or ()):
        where: tuple[str | int, ...] = ("examples", index)
        if isinstance(example, list):
            if not inputs:
                yield source.problem(
                    where, "a row of values needs additional_inputs; give the message alone"
                )
                continue
            if len(example) != 1 + len(inputs):
                yield source.problem(
                    where,
                    f"a row must have {1 + len(inputs)} values (the message, then one per "
                    f"additional input), got {len(example)}",
                )
                continue
            if isinstance(example[0], dict):
                try:
                    ExampleMessage.model_validate(example[0])
                except ValidationError as exc:
                    yield source.problem((*where, 0), exc.errors()[0]["msg"])
                    continue
            elif not isinstance(example[0], str):
                yield source.problem((*where, 0), "the message must be text or {text, files}")
                continue
            for column, (declared, value) in enumerate(zip(inputs, example[1:], strict=True), 1):
                if isinstance(declared, UploadInput):
                    problem = input_files_problem(declared, value, folder, config)
                    if problem:
                        yield source.problem((*where, column), problem)
                    continue
                try:
                    declared.check(value)
                except InvalidInput as exc:
                    yield source.problem((*where, column), f"value {exc}")
        message = example_message(example)
        if message.files and not config.multimodal:
            yield source.problem(where, "examples with files need multimodal: true")
        for number, name in enumerate(message.files):
            problem = file_problem(folder, name, config)
            if problem:
                files = (*where, 0) if isinstance(example, list) else where
                yield source.problem((*files, "files", number), problem)


def input_files_problem(
    declared: UploadInput, value: Any, folder: Path, config: Config
) -> str | None:
    """An example's value for a file input: a file name (relative to the config's folder),
    null, or a list of names with `file_count: multiple`."""
    multiple = declared.file_count == "multiple"
    names = value if multiple and isinstance(value, list) else [] if value is None else [value]
    if not all(isinstance(name, str) for name in names):
        shape = "a list of file names" if multiple else "a file name or null"
        return f"value must be {shape}, got {value!r}"[:200]
    accept = declared.accepted()
    return next(filter(None, (file_problem(folder, name, config, accept) for name in names)), None)


def file_problem(
    folder: Path, name: str, config: Config, accept: list[str] | None = None
) -> str | None:
    """What is wrong with a file a config names: not there, outside where files may come from,
    or (with `accept`, Gradio-style `file_types`) of a type not accepted."""
    path = (folder / name).resolve()
    if not path.is_file():
        return f"file {name!r} not found"
    allowed = [folder.resolve(), *((folder / p).resolve() for p in config.server.allowed_paths)]
    if not any(path.is_relative_to(root) for root in allowed):
        return f"file {name!r} is outside the config's folder and server.allowed_paths"
    if accept and not accepts(accept, name, media_type(name)):
        return f"file {name!r} is not an accepted file type ({', '.join(accept)})"
    return None


def signature_problem(
    config: Config, fn: Callable[..., Any], request_parameter: str | None = None
) -> Problem | None:
    """The chat function must accept `message, history` plus one value per additional input
    (and its `chatserve.Request` parameter by name)."""
    count = 2 + len(config.additional_inputs)
    by_name = {request_parameter: None} if request_parameter else {}
    try:
        inspect.signature(fn).bind(*range(count), **by_name)
    except TypeError as exc:
        extra = f" and {len(config.additional_inputs)} additional input(s)" if count > 2 else ""
        return config.source.problem(
            ("fn",),
            f"{config.fn} cannot be called with {count} arguments (message, history{extra}): {exc}",
        )
    except ValueError:
        return None  # no signature to inspect (some builtins); calling it will tell
    return None
