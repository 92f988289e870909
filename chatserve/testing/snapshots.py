"""`chatserve test --update`: each `snapshot: true` case's replies written into its file as
its turns' `equals`, the rest of the file (comments, order, quoting) left as it was.

The file is edited as text at the places its YAML nodes were read from; the result is read
again before it is written, so an edit that would break the file is never saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from chatserve.config.source import Key
from chatserve.testing.run import Result


class SnapshotError(Exception):
    """A snapshot could not be written (the file changed, or its turn was not found)."""


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


def update(results: list[Result]) -> list[str]:
    """Write the replies of the first run of each snapshot case; the files written."""
    by_file: dict[str, list[tuple[Key, str]]] = {}
    for result in results:
        if not result.case.snapshot or not result.runs:
            continue
        replies = result.runs[0].replies
        for step, reply in zip(result.case.steps, replies, strict=False):
            if reply is not None:
                by_file.setdefault(result.case.file, []).append((step.at, reply))
    for file, replies in by_file.items():
        write(Path(file), replies)
    return list(by_file)


def write(path: Path, replies: list[tuple[Key, str]]) -> None:
    """Set `expect.equals` of the turn at each key to its reply. Raises SnapshotError."""
    raw = path.read_bytes()
    text = raw.decode("utf-8").replace("\r\n", "\n")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits = [_edit(text, _find(root, at), reply) for at, reply in replies]
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:  # never leave a broken file behind
        raise SnapshotError(f"{path}: the snapshot would break the file ({exc})") from None
    path.write_text(text, encoding="utf-8", newline="\r\n" if b"\r\n" in raw else "\n")


def _find(node: Node | None, at: Key) -> MappingNode:
    for part in at:
        if isinstance(node, MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
    if not isinstance(node, MappingNode):
        raise SnapshotError(f"no turn at {at}; did the file change while the cases ran?")
    return node


def _edit(text: str, turn: MappingNode, reply: str) -> _Edit:
    """The text edit that makes `turn`'s `expect.equals` the reply."""
    value = _quoted(reply)
    expect = next((v for k, v in turn.value if k.value == "expect"), None)
    if isinstance(expect, ScalarNode):  # `expect:` with nothing after it
        start, end = expect.start_mark.index, expect.end_mark.index
        space = " " if start == end else ""
        return _Edit(start, end, f"{space}{{equals: {value}}}")
    if isinstance(expect, MappingNode):
        equals = next((v for k, v in expect.value if k.value == "equals"), None)
        if equals is not None:
            return _Edit(equals.start_mark.index, equals.end_mark.index, value)
        return _insert_key(text, expect, f"equals: {value}")
    return _insert_key(text, turn, f"expect: {{equals: {value}}}", last=True)


def _insert_key(text: str, mapping: MappingNode, entry: str, *, last: bool = False) -> _Edit:
    """An entry added to a mapping: in a flow mapping inside its braces, in a block mapping on
    a line of its own (after the last entry's line when that entry ends on it, else before the
    first)."""
    if mapping.flow_style:
        if not mapping.value:
            at = mapping.start_mark.index + 1
            return _Edit(at, at, entry)
        if last:
            at = mapping.value[-1][1].end_mark.index
            return _Edit(at, at, f", {entry}")
        at = mapping.value[0][0].start_mark.index
        return _Edit(at, at, f"{entry}, ")
    first_key = mapping.value[0][0]
    indent = " " * first_key.start_mark.column
    final = mapping.value[-1][1]
    if isinstance(final, ScalarNode):
        ends_on_its_line = final.style not in ("|", ">")  # a block scalar ends a line later
    else:
        ends_on_its_line = bool(final.flow_style)
    if last and ends_on_its_line:  # after the line's comment, which stays with its entry
        end = text.find("\n", final.end_mark.index)
        at = len(text) if end < 0 else end
        return _Edit(at, at, f"\n{indent}{entry}")
    at = first_key.start_mark.index
    return _Edit(at, at, f"{entry}\n{indent}")


def _quoted(reply: str) -> str:
    """The reply as a YAML double-quoted scalar on one line."""
    dumped = yaml.safe_dump(reply, default_style='"', allow_unicode=True, width=float("inf"))
    return dumped.rstrip("\n")
