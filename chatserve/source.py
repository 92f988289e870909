"""Safe YAML parsing that remembers where every key and item came from.

PyYAML's `SafeLoader` builds nodes that carry marks; we construct the Python values ourselves so
that each dotted path (`("chatbot", "height")`, `("examples", 2)`) keeps its line and column, and
so that duplicate keys and alias bombs become problems instead of silent surprises.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from chatserve.errors import ConfigError, Problem

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


@dataclass
class Source:
    """A parsed file: its name and the 1-based (line, column) of every path in it."""

    file: str
    positions: dict[Key, tuple[int, int]] = field(default_factory=dict)

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
    """Parse YAML text into plain Python values, filling `source.positions`."""
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

    def build(self, node: Node, path: Key) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooManyNodes
        if len(path) > MAX_DEPTH:
            raise _TooDeep
        if isinstance(node, ScalarNode):
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
            key = self.build(key_node, path)
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
