"""A bot's test cases, gathered from its config: `tests:` (a list, or a file beside it) and
the examples that say what to `expect:`. Each case knows where it is written, so a failure
points at its line; the checks that need the loaded bot (inputs by label, files) run here."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatserve.bot.load import Bot
from chatserve.config.cases import Case, CaseTurn, Expect, UserMessage
from chatserve.config.checks import example_message, file_problem, input_files_problem
from chatserve.config.inputs import InvalidInput, UploadInput
from chatserve.config.loader import load_cases
from chatserve.config.models import Config
from chatserve.config.source import Key, Source
from chatserve.errors import ConfigError, Problem

_TESTS_FILE = re.compile(r"\.tests\.ya?ml$")

_REPLY_ONLY = ("files", "thought", "error", "max_seconds", "outputs")
"""Expectations of a whole turn, which mean nothing for an additional output's value."""


@dataclass(frozen=True)
class Step:
    """One turn of a case: the user's message (files as absolute paths) and what to expect."""

    text: str
    files: list[Path]
    expect: Expect | None
    at: Key
    """The turn's place in its file."""

    def said(self, file_ids: list[str]) -> list[dict[str, Any]]:
        """The user's messages of this turn as a client's history holds them (its files by
        the ids they were given, then its text)."""
        files = [{"role": "user", "content": {"file": {"id": i}}} for i in file_ids]
        return files + ([{"role": "user", "content": self.text}] if self.text else [])


@dataclass(frozen=True)
class TestCase:
    """A case ready to run against one bot."""

    __test__ = False  # not a pytest class

    config: str
    """The config file, as named on the command line."""
    name: str
    source: Source
    """The file it is written in (the config, or its tests file)."""
    at: Key
    inputs: list[Any]
    """The additional inputs' values in order (file inputs: absolute paths, or None)."""
    steps: list[Step]
    repeat: int = 1
    pass_rate: float = 1.0
    snapshot: bool = False

    @property
    def file(self) -> str:
        return self.source.file

    def locate(self, at: Key | None = None) -> tuple[int, int]:
        return self.source.locate(self.at if at is None else at)


def collect(bot: Bot) -> list[TestCase]:
    """Every case of the bot: its `tests:`, then its examples with `expect:`. Raises
    ConfigError with every problem found (a tests file's at their place in that file)."""
    written, source, at = written_cases(bot.config)
    gather = _Gatherer(bot)
    cases = [gather.case(case, source, (*at, index)) for index, case in enumerate(written)]
    cases += gather.examples()
    if gather.problems:
        raise ConfigError(sorted(gather.problems, key=lambda p: (p.file, p.line, p.column)))
    return cases


def is_tests_file(path: str) -> bool:
    """Whether a file is a tests file by its name (`*.tests.yaml`): a list of cases, run with
    the config that names it."""
    return _TESTS_FILE.search(path) is not None


def configs_naming(tests_file: str) -> list[str]:
    """The configs beside a tests file whose `tests:` names it (found in their text, so that
    `chatserve test bot.tests.yaml` runs the cases of `bot.yaml`)."""
    path = Path(tests_file)
    named = re.compile(rf"^tests:\s*[\"']?{re.escape(path.name)}[\"']?\s*(#.*)?$", re.M)
    return [
        str(config)
        for config in sorted(path.parent.glob("*.y*ml"))
        if not is_tests_file(config.name)
        and named.search(config.read_text(encoding="utf-8", errors="replace"))
    ]


def written_cases(config: Config) -> tuple[list[Case], Source, Key]:
    """The cases of `tests:` as written, the file they are in and the key of their list in it
    (a tests file is read here; raises ConfigError)."""
    if isinstance(config.tests, str):
        name = os.path.normpath(os.path.join(os.path.dirname(config.source.file), config.tests))
        folder = Path(config.source.file).resolve().parent
        cases, source = load_cases(folder / config.tests, name)
        return cases, source, ()
    return config.tests or [], config.source, ("tests",)


class _Gatherer:
    """Turns cases as written into cases to run, noting the problems on the way."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.problems: list[Problem] = []
        self.names: set[str] = set()

    def case(self, case: Case, source: Source, at: Key) -> TestCase:
        self._unique(case.name, source, (*at, "name"))
        inputs = self._inputs(case.inputs, source, (*at, "inputs"))
        folder = Path(source.file).resolve().parent
        steps = [
            self._step(turn, source, (*at, "turns", index), folder)
            for index, turn in enumerate(case.turns)
        ]
        return TestCase(
            self.bot.config.source.file,
            case.name,
            source,
            at,
            inputs,
            steps,
            case.repeat,
            float(case.pass_rate),
            case.snapshot,
        )

    def examples(self) -> Iterator[TestCase]:
        """The examples with `expect:`, each a one-turn case named by its label or text."""
        config = self.bot.config
        labels = config.example_labels or []
        for index, example in enumerate(config.examples or ()):
            message = example_message(example)
            if message.expect is None:
                continue
            at: Key = ("examples", index)
            label = labels[index] if index < len(labels) else message.text or "files"
            name = f"example {index + 1}: {label}"
            self._unique(name, config.source, at)
            row = example[1:] if isinstance(example, list) else []
            step_at = (*at, 0) if isinstance(example, list) else at
            user = UserMessage(text=message.text, files=message.files)
            step = self._step(
                CaseTurn(user=user, expect=message.expect), config.source, step_at, self.bot.folder
            )
            yield TestCase(config.source.file, name, config.source, at, self._row(row), [step])

    def _unique(self, name: str, source: Source, at: Key) -> None:
        if name in self.names:
            self.problems.append(source.problem(at, f"another case is named {name!r}"))
        self.names.add(name)

    def _inputs(self, given: dict[str, Any], source: Source, at: Key) -> list[Any]:
        """Values by label (or parameter name) → every input's value, in order."""
        bot = self.bot
        labels, names = bot.input_labels, bot.input_names
        values = [spec.default() for spec in bot.config.additional_inputs]
        folder = Path(source.file).resolve().parent
        for key, value in given.items():
            index = labels.index(key) if key in labels else names.index(key) if key in names else -1
            if index < 0:
                self.problems.append(source.problem((*at, key), _unknown_input(key, labels)))
                continue
            spec = bot.config.additional_inputs[index]
            if isinstance(spec, UploadInput):
                problem = input_files_problem(spec, value, folder, bot.config)
                if problem:
                    self.problems.append(source.problem((*at, key), problem))
                    continue
                values[index] = _paths(value, folder)
                continue
            try:
                values[index] = spec.check(value)
            except InvalidInput as exc:
                self.problems.append(source.problem((*at, key), f"value {exc}"))
        return values

    def _row(self, row: list[Any]) -> list[Any]:
        """An example row's values (its checks ran with the config's)."""
        values = [spec.default() for spec in self.bot.config.additional_inputs]
        for index, value in enumerate(row):
            spec = self.bot.config.additional_inputs[index]
            is_files = isinstance(spec, UploadInput)
            values[index] = _paths(value, self.bot.folder) if is_files else value
        return values

    def _step(self, turn: CaseTurn, source: Source, at: Key, folder: Path) -> Step:
        user = turn.user if isinstance(turn.user, UserMessage) else UserMessage(text=turn.user)
        config = self.bot.config
        user_at = (*at, "user")
        if user.files and not config.multimodal:
            self.problems.append(source.problem(user_at, "files need multimodal: true"))
        elif len(user.files) > 1 and config.textbox.file_count == "single":
            count = len(user.files)
            message = f"the bot takes one file per message (textbox.file_count), got {count}"
            self.problems.append(source.problem((*user_at, "files"), message))
        for number, name in enumerate(user.files):
            problem = file_problem(folder, name, config, config.textbox.file_types)
            if problem:
                self.problems.append(source.problem((*user_at, "files", number), problem))
        if turn.expect is not None:
            self._outputs(turn.expect, source, (*at, "expect"))
        files = [(folder / name).resolve() for name in user.files]
        return Step(user.text, files, turn.expect, at)

    def _outputs(self, expect: Expect, source: Source, at: Key) -> None:
        """`outputs:` (here and in `any_of`'s alternatives) names outputs the config has, with
        expectations of a value."""
        for index, alternative in enumerate(expect.any_of or ()):
            if isinstance(alternative, Expect):
                self._outputs(alternative, source, (*at, "any_of", index))
        known = output_labels(self.bot)
        for label, wanted in (expect.outputs or {}).items():
            where = (*at, "outputs", label)
            if label not in known:
                hint = (
                    f"the outputs are {', '.join(map(repr, known))}"
                    if known
                    else "the bot has no additional outputs"
                )
                message = f"unknown output {label!r}; {hint}"
                self.problems.append(source.problem(where, message))
            self._of_a_value(wanted, source, where)

    def _of_a_value(self, wanted: Expect, source: Source, at: Key) -> None:
        """An output's expectation (and its alternatives') has no key that only a reply has."""
        for key in _REPLY_ONLY:
            if getattr(wanted, key) is not None:
                message = f"{key} applies to the reply, not to an output's value"
                self.problems.append(source.problem((*at, key), message))
        for index, alternative in enumerate(wanted.any_of or ()):
            if isinstance(alternative, Expect):
                self._of_a_value(alternative, source, (*at, "any_of", index))


def output_labels(bot: Bot) -> list[str]:
    """Each additional output's name in `expect.outputs`: its label, else its type."""
    return [spec.label or spec.type for spec in bot.config.additional_outputs]


def _unknown_input(key: str, labels: list[str]) -> str:
    close = difflib.get_close_matches(key, labels, n=1, cutoff=0.6)
    if close:
        return f"unknown input {key!r}; did you mean {close[0]!r}?"
    if labels:
        return f"unknown input {key!r}; the inputs are {', '.join(map(repr, labels))}"
    return f"unknown input {key!r}; the bot has no additional inputs"


def _paths(value: Any, folder: Path) -> Any:
    """A file input's value as written (names) → absolute paths, in the same shape."""
    if value is None:
        return None
    if isinstance(value, list):
        return [str((folder / name).resolve()) for name in value]
    return str((folder / value).resolve())
