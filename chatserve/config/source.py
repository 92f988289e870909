"""Safe YAML parsing that remembers where every key and item came from.

PyYAML's `SafeLoader` builds nodes that carry marks; we construct the Python values ourselves so
that each dotted path (`("chatbot", "height")`, `("examples", 2)`) keeps its line and column and
the text its value was written as, and so that duplicate keys and alias bombs become problems
instead of silent surprises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from chatserve.errors import ConfigError, Problem
from chatserve.store.digests import sha256_hex

MAX_FILE_BYTES = 1024 * 1024
"""A config is a few kilobytes; a megabyte is a mistake or an attack."""

MAX_NODES = 100_000
"""Values constructed after alias expansion; stops "billion laughs" documents."""

MAX_DEPTH = 50
"""Nesting levels; a config needs four or five. Also ends recursive aliases (`&a [*a]`)."""

Key = tuple[str | int, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_TAGS = {SequenceNode: "tag:yaml.org,2002:seq", MappingNode: "tag:yaml.org,2002:map"}


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: `title: 2024-01-01` stays a string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


BOOLEAN_WORDS = {
    spelling
    for word in ("yes", "no", "on", "off")
    for spelling in (word, word.title(), word.upper())
}
"""Booleans to YAML 1.1 (and so to us), but words to YAML 1.2 and so to most editors."""

_OCTAL = re.compile(r"0[0-7_]+")


class RawScalar(NamedTuple):
    """A scalar value as written: its text, and whether it was plain (no quotes, no `|` or `>`).

    Only plain scalars are implicitly read as booleans, numbers and null, so `no` and `0755`
    in the file can be told apart from `"no"` and `"0755"` when explaining what YAML made of them.
    """

    text: str
    plain: bool

    def reading(self, value: Any) -> str:
        """How YAML read this scalar as `value`, when that does not look like what was written
        (`no` as false, `0755` as 493, `~` as null); empty otherwise.

        Our YAML is 1.1: `yes`, `no`, `on` and `off` are booleans, `0755` is octal and `1:30`
        is base 60, where YAML 1.2 would read them as text.
        """
        text = self.text
        if not self.plain or isinstance(value, str):
            return ""
        if value is None and not text:
            return "YAML reads an empty value as null"
        if value is None and text.lower() != "null":
            return f"YAML reads an unquoted {text!r} as null"
        if isinstance(value, bool) and text.lower() != str(value).lower():
            return f"YAML reads an unquoted {text!r} as a boolean"
        if isinstance(value, int | float) and not isinstance(value, bool) and text != repr(value):
            return _number_reading(text)
        return ""


def _number_reading(text: str) -> str:
    digits = text.lstrip("+-").lower()
    if _OCTAL.fullmatch(digits):
        return f"YAML 1.1 reads an unquoted {text!r} as an octal number"
    if ":" in digits:
        return f"YAML 1.1 reads an unquoted {text!r} as a base-60 number"
    if digits.startswith("0b"):
        return f"YAML 1.1 reads an unquoted {text!r} as a binary number"
    if digits.startswith("0x"):
        return f"YAML reads an unquoted {text!r} as a hexadecimal number"
    return f"YAML reads an unquoted {text!r} as a number"


@dataclass
class Source:
    """A parsed file: its name, the 1-based (line, column) of every path in it, and the text
    of every scalar value."""

    file: str
    positions: dict[Key, tuple[int, int]] = field(default_factory=dict)
    scalars: dict[Key, RawScalar] = field(default_factory=dict)
    digest: str = ""
    """SHA-256 of the text: which version of the file this is."""

    def locate(self, path: Iterable[str | int]) -> tuple[int, int]:
        """Position of `path`, or of its closest ancestor that exists in the file."""
        key = tuple(path)
        while key not in self.positions and key:
            key = key[:-1]
        return self.positions.get(key, (1, 1))

    def problem(self, path: Iterable[str | int], message: str) -> Problem:
        key = tuple(path)
        line, column = self.locate(key)
        return Problem(self.file, line, column, dotted(key), message)


def dotted(path: Iterable[str | int]) -> str:
    """`("examples", 2, "text")` -> `examples[2].text`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read(path: Path, display_name: str | None = None) -> tuple[Any, Source, list[Problem]]:
    """Read and parse a YAML file.

    Raises ConfigError when nothing usable could be read; returns the problems (duplicate
    keys) that still leave a document worth validating.
    """
    name = display_name or str(path)
    source = Source(name)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(
                [source.problem((), f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")]
            )
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([source.problem((), f"file is not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise ConfigError([source.problem((), f"cannot read file: {exc.strerror}")]) from None
    return parse(text, source)


def parse(text: str, source: Source) -> tuple[Any, Source, list[Problem]]:
    """Parse YAML text into plain Python values, filling `source.positions` and `.scalars`."""
    source.digest = sha256_hex(text)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, source, []
        builder = _Builder(loader, source)
        builder._record((), root)
        value = builder.build(root, ())
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_syntax_problem(source.file, exc)]) from None
    except _TooManyNodes:
        message = f"document expands to more than {MAX_NODES:,} values; are aliases nested?"
        raise ConfigError([source.problem((), message)]) from None
    except (_TooDeep, RecursionError):
        message = f"document nests more than {MAX_DEPTH} levels deep"
        raise ConfigError([source.problem((), message)]) from None
    finally:
        loader.dispose()
    return value, source, builder.problems


class _TooManyNodes(Exception):
    pass


class _TooDeep(Exception):
    pass


class _Builder:
    """Constructs values from composed nodes, recording positions and duplicate keys."""

    def __init__(self, loader: _Loader, source: Source) -> None:
        self.loader = loader
        self.source = source
        self.problems: list[Problem] = []
        self.count = 0

    def build(self, node: Node, path: Key, *, is_key: bool = False) -> Any:
        """The value of `node` found at `path`; a key's text is not recorded as that path's."""
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooManyNodes
        if len(path) > MAX_DEPTH:
            raise _TooDeep
        if isinstance(node, ScalarNode):
            if not is_key:
                self.source.scalars[path] = RawScalar(node.value, node.style is None)
            return self.loader.construct_object(node)
        if node.tag != _PLAIN_TAGS.get(type(node)):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"could not determine a constructor for the tag {node.tag!r}",
                node.start_mark,
            )
        if isinstance(node, SequenceNode):
            items = []
            for index, child in enumerate(node.value):
                self._record((*path, index), child)
                items.append(self.build(child, (*path, index)))
            return items
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        raise yaml.constructor.ConstructorError(
            None, None, f"unexpected node {node.id}", node.start_mark
        )

    def _mapping(self, node: MappingNode, path: Key) -> dict[Any, Any]:
        self._check_duplicates(node, path)
        self.loader.flatten_mapping(node)  # resolves `<<: *anchor` merges; later keys win
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node, path, is_key=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain scalars", key_node.start_mark
                )
            self._record((*path, key), key_node)
            result[key] = self.build(value_node, (*path, key))
        return result

    def _check_duplicates(self, node: MappingNode, path: Key) -> None:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = self.loader.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in first_line:
                self.problems.append(
                    Problem(
                        self.source.file,
                        line,
                        key_node.start_mark.column + 1,
                        dotted((*path, key)),
                        f"duplicate key {key!r}; first defined at line {first_line[key]}",
                    )
                )
            else:
                first_line[key] = line

    def _record(self, path: Key, node: Node) -> None:
        mark = node.start_mark
        self.source.positions[path] = (mark.line + 1, mark.column + 1)


def _syntax_problem(file: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "invalid YAML"
    if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in problem:
        tag = problem.split("tag", 1)[1].strip(" '").replace("tag:yaml.org,2002:", "!!")
        message = (
            f"unsupported YAML tag {tag!r}; config files are plain data "
            "(no Python objects, no custom tags)"
        )
    else:
        message = f"YAML syntax error: {problem}"
        if exc.context and exc.context_mark and exc.context_mark is not mark:
            message += f" ({exc.context} at line {exc.context_mark.line + 1})"
    return Problem(file, line, column, "", message)
