"""The shape of a bot's tests (`tests:`, and `expect:` beside an example): cases of one or
more turns, each reply checked against what is expected of it. `chatserve test` runs them."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from chatserve.config.base import ConfigModel


class FilesExpected(ConfigModel):
    """The files a reply shows."""

    count: int | None = Field(None, ge=0)
    """How many (any number when left out)."""

    type: str | None = None
    """What each is: `image`, `audio`, `video` or `text`, a media type such as
    `application/pdf`, or an extension such as `.csv`."""


class Expect(ConfigModel):
    """What a reply must be; every key given must hold. The reply's text is its messages'
    text, thoughts left out, joined by blank lines."""

    contains: str | list[str] | None = None
    """Text the reply has (each of a list)."""

    not_contains: str | list[str] | None = None
    """Text the reply does not have (none of a list)."""

    matches: str | None = None
    """A regular expression (Python's) found in the reply; `(?i)` at its start ignores case."""

    equals: str | None = None
    """The whole reply, ignoring whitespace at its ends."""

    json_schema: dict[str, Any] | None = None
    """A JSON Schema the reply (parsed as JSON; a fenced code block's content) is valid for."""

    files: int | FilesExpected | None = None
    """The files the reply shows: how many, or `{count, type}`."""

    thought: bool | str | None = None
    """A thought (a message with a `metadata.title`); text: one whose title has it."""

    error: bool | str | None = None
    """The turn ends with a `chatserve.Error`; text: one whose message has it. Without this
    key, any error fails the case."""

    max_seconds: float | int | None = Field(None, gt=0)
    """The turn's time budget; a turn still running then is stopped and fails."""

    any_of: list[str | Expect] | None = Field(None, min_length=1)
    """Acceptable answers: the reply passes when one of them holds (text: the whole reply)."""

    outputs: dict[str, Expect] | None = None
    """Expectations of the additional outputs' values, by label (`contains`, `not_contains`,
    `matches`, `equals`, `json_schema`, `any_of`; a value that is not text is read as JSON)."""

    @field_validator("matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"is not a regular expression: {exc}") from None
        return value

    @field_validator("json_schema")
    @classmethod
    def _schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            import jsonschema  # here: a server's start-up needs no JSON Schema

            try:
                jsonschema.validators.validator_for(value).check_schema(value)
            except jsonschema.SchemaError as exc:
                raise ValueError(f"is not a valid JSON Schema: {exc.message}") from None
        return value


class UserMessage(ConfigModel):
    """A user's message with files (paths relative to the file the case is in)."""

    text: str = ""
    """The message text."""

    files: list[str] = []
    """Files sent with it (the bot needs `multimodal: true`)."""


class CaseTurn(ConfigModel):
    """One turn: what the user says, and what the reply must be."""

    user: str | UserMessage
    """The message: text, or `{text, files}`."""

    expect: Expect | None = None
    """What the reply must be (nothing: only that the turn does not fail)."""


class Case(ConfigModel):
    """A test of the bot: a conversation, and what each reply must be."""

    name: str = Field(min_length=1)
    """What it checks; `chatserve test -k` selects cases by it."""

    inputs: dict[str, Any] = {}
    """Additional inputs' values by label (or by the chat function's parameter name); the
    others take their defaults. A file or image input takes a file name or a list of them."""

    turns: list[CaseTurn] = Field(min_length=1)
    """The user's turns, in order; each turn's history is the turns before it."""

    repeat: int = Field(1, ge=1, le=1000)
    """Run the case this many times (for bots that do not always answer alike)."""

    pass_rate: float | int = Field(1, gt=0, le=1)
    """With `repeat`: the share of runs that must pass (`0.8`: four in five)."""

    snapshot: bool = False
    """`chatserve test --update` writes each turn's current reply as its `equals`."""
