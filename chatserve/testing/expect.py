"""Whether a turn came to what its case expects: each `expect:` key checked against the
turn's outcome, every miss said in a line that quotes what the bot did."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import jsonschema

from chatserve.config.cases import Expect, FilesExpected
from chatserve.config.source import Key

QUOTED = 120
"""Characters of a reply quoted in a failure."""

_FENCED = re.compile(r"^\s*```[\w-]*\n(.*?)\n```\s*$", re.S)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass
class Outcome:
    """What one turn came to: the messages it added and the outputs' values (as the chat
    API sends them), or the error it ended with, and how long it took."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)
    error: str | None = None
    """A `chatserve.Error`'s message, or why the turn was refused."""
    crash: str | None = None
    """Why the turn broke other than with a `chatserve.Error`, said in full: an exception the
    chat function raised, or (against a server) why no reply came."""
    seconds: float = 0.0
    timed_out: bool = False

    @property
    def text(self) -> str:
        """The reply's text: its messages' text, thoughts left out, joined by blank lines."""
        return "\n\n".join(
            m["content"]
            for m in self.messages
            if isinstance(m.get("content"), str) and not _title(m)
        )

    def files(self) -> Iterator[dict[str, Any]]:
        """The FileData of each file the reply shows (a gallery's items each)."""
        for message in self.messages:
            content = message.get("content")
            if not isinstance(content, dict):
                continue
            if isinstance(content.get("file"), dict):
                yield content["file"]
            for item in content.get("items") or ():
                if isinstance(item, dict) and isinstance(item.get("file"), dict):
                    yield item["file"]


Found = tuple[Key, str]
"""A miss: the `expect` key it is about (empty: the turn as a whole), and what happened."""


def misses(expect: Expect | None, outcome: Outcome, outputs: list[str]) -> list[Found]:
    """What of `expect` the outcome does not hold; `outputs` names the additional outputs in
    order (for `expect.outputs`). Nothing expected: only that the turn not fail."""
    if outcome.timed_out:  # at `max_seconds` when the turn has one (else it was `--timeout`)
        budget = () if expect is None or expect.max_seconds is None else ("max_seconds",)
        return [(budget, f"no reply within {outcome.seconds:g} s (the turn was stopped)")]
    if outcome.crash is not None:
        return [((), plain(outcome.crash))]
    error = None if expect is None else expect.error
    if outcome.error is not None:
        if error is None or error is False:
            return [((), f"the turn failed: {plain(outcome.error)}")]
        if isinstance(error, str) and error not in outcome.error:
            wanted = f"expected an error with {_short(error)}, got {_quote(outcome.error)}"
            return [(("error",), wanted)]
        return []
    if error is not None and error is not False:  # `error: ""`: any error
        return [(("error",), f"expected an error, got the reply {_quote(outcome.text)}")]
    if expect is None:
        return []
    found = list(_text(expect, outcome.text, "the reply"))
    found += _files(expect.files, outcome)
    found += _thought(expect.thought, outcome)
    if expect.max_seconds is not None and outcome.seconds > expect.max_seconds:
        took = f"took {outcome.seconds:.2f} s, over max_seconds {expect.max_seconds:g}"
        found.append((("max_seconds",), took))
    for label, wanted in (expect.outputs or {}).items():
        index = outputs.index(label)
        value = outcome.outputs[index] if index < len(outcome.outputs) else None
        found += [
            (("outputs", label, *key), message)
            for key, message in _value(wanted, value, f"output {label!r}")
        ]
    if expect.any_of and not any(_holds(a, outcome, outputs) for a in expect.any_of):
        found.append((("any_of",), _none_of(expect.any_of, outcome.text, "the reply")))
    return found


def _holds(alternative: str | Expect, outcome: Outcome, outputs: list[str]) -> bool:
    if isinstance(alternative, str):
        return outcome.text.strip() == alternative.strip()
    return not misses(alternative, outcome, outputs)


def _value(expect: Expect, value: Any, what: str) -> Iterator[Found]:
    """The checks of an additional output's value: those of a text, and `any_of` of them."""
    yield from _text(expect, value, what)
    text = _as_text(value)
    if expect.any_of and not any(
        text.strip() == a.strip() if isinstance(a, str) else not any(_value(a, value, what))
        for a in expect.any_of
    ):
        yield ("any_of",), _none_of(expect.any_of, text, what)


def _none_of(any_of: list[str | Expect], text: str, what: str) -> str:
    shown = ", ".join(_short(a if isinstance(a, str) else _summary(a)) for a in any_of)
    return f"{what} {_quote(text)} is none of the answers allowed: {shown}"


def _as_text(value: Any) -> str:
    """A value that is not text (an output's) as its JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _text(expect: Expect, value: Any, what: str) -> Iterator[Found]:
    """The checks of a text: `contains` … `json_schema`; a value that is not text (an output's)
    is checked as its JSON."""
    text = _as_text(value)
    for part in _listed(expect.contains):
        if part not in text:
            yield ("contains",), f"expected {what} to contain {_short(part)}, got {_quote(text)}"
    for part in _listed(expect.not_contains):
        if part in text:
            message = f"expected {what} not to contain {_short(part)}, got {_quote(text)}"
            yield ("not_contains",), message
    if expect.matches is not None and not re.search(expect.matches, text):
        yield ("matches",), f"expected {what} to match /{expect.matches}/, got {_quote(text)}"
    if expect.equals is not None and text.strip() != expect.equals.strip():
        yield ("equals",), f"expected {what} to be {_short(expect.equals)}, got {_quote(text)}"
    if expect.json_schema is not None:
        yield from (
            (("json_schema",), message) for message in _json(expect.json_schema, value, what)
        )


def _json(schema: dict[str, Any], value: Any, what: str) -> Iterator[str]:
    if isinstance(value, str):
        fenced = _FENCED.match(value)
        try:
            value = json.loads(fenced.group(1) if fenced else value)
        except ValueError as exc:
            yield f"expected {what} to be JSON, got {_quote(value)} ({exc})"
            return
    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path)
        at = f" at /{where}" if where else ""
        yield f"{what} does not match the JSON Schema{at}: {error.message[:QUOTED]}"


def _files(wanted: int | FilesExpected | None, outcome: Outcome) -> Iterator[Found]:
    if wanted is None:
        return
    spec = FilesExpected(count=wanted) if isinstance(wanted, int) else wanted
    files = list(outcome.files())
    if spec.count is not None and len(files) != spec.count:
        names = ", ".join(str(f.get("name")) for f in files) or "none"
        yield ("files",), f"expected {spec.count} file(s), got {len(files)} ({names})"
    if spec.type is not None:
        for data in files:
            if not _is_type(data, spec.type):
                got = f"{data.get('name')!r} ({data.get('mime_type')})"
                yield ("files",), f"expected {spec.type} files, got {got}"


def _is_type(data: dict[str, Any], kind: str) -> bool:
    mime = str(data.get("mime_type") or "")
    if kind.startswith("."):
        return PurePosixPath(str(data.get("name") or "")).suffix.lower() == kind.lower()
    return mime == kind if "/" in kind else mime.startswith(f"{kind}/")


def _thought(wanted: bool | str | None, outcome: Outcome) -> Iterator[Found]:
    if wanted is None:
        return
    titles = [title for m in outcome.messages if (title := _title(m))]
    if wanted is False and titles:
        yield ("thought",), f"expected no thought, got {', '.join(map(_short, titles))}"
    elif wanted is True and not titles:
        yield ("thought",), "expected a thought (a message with a title), got none"
    elif isinstance(wanted, str) and not any(wanted in title for title in titles):
        got = ", ".join(map(_short, titles)) or "none"
        yield ("thought",), f"expected a thought titled with {_short(wanted)}, got {got}"


def _title(message: dict[str, Any]) -> str:
    metadata = message.get("metadata")
    return str(metadata.get("title") or "") if isinstance(metadata, dict) else ""


def _listed(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else value


def _summary(expect: Expect) -> str:
    given = expect.model_dump(exclude_none=True)
    return ", ".join(f"{key}: {value}" for key, value in given.items())


def plain(text: str) -> str:
    """A message the bot (or a server) wrote, its control characters escaped as `repr` does:
    it is shown on a terminal, in a CI log and in XML, which must not read them."""
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


def _short(text: str) -> str:
    return repr(text if len(text) <= QUOTED else text[: QUOTED - 1] + "…")


def _quote(text: str) -> str:
    return _short(text) if text else "an empty reply"
