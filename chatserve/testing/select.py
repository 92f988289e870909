"""`-k`: which cases to run, by an expression over their names as pytest's `-k` reads it:
words (each matches a name that has it, ignoring case) joined by `and`, `or`, `not` and
parentheses."""

from __future__ import annotations

import re
from collections.abc import Callable

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")

Matcher = Callable[[str], bool]


class BadExpression(ValueError):
    pass


def selector(expression: str) -> Matcher:
    """A test of names for `expression`; raises BadExpression."""
    tokens = _TOKEN.findall(expression)
    if not tokens:
        raise BadExpression("-k needs at least one word")
    parser = _Parser(tokens)
    match = parser.either()
    if parser.position != len(tokens):
        raise BadExpression(f"unexpected {tokens[parser.position]!r} in -k {expression!r}")
    return match


class _Parser:
    """either := both ("or" both)*; both := single ("and" single)*;
    single := "not" single | "(" either ")" | word."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.position = 0

    def either(self) -> Matcher:
        parts = [self.both()]
        while self._take("or"):
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else lambda name: any(p(name) for p in parts)

    def both(self) -> Matcher:
        parts = [self.single()]
        while self._take("and"):
            parts.append(self.single())
        return parts[0] if len(parts) == 1 else lambda name: all(p(name) for p in parts)

    def single(self) -> Matcher:
        if self._take("not"):
            inner = self.single()
            return lambda name: not inner(name)
        if self._take("("):
            inner = self.either()
            if not self._take(")"):
                raise BadExpression("-k has a '(' without its ')'")
            return inner
        word = self._next()
        if word in ("and", "or", ")"):
            raise BadExpression(f"-k expected a word, got {word!r}")
        return lambda name: word.lower() in name.lower()

    def _take(self, token: str) -> bool:
        if self.position < len(self.tokens) and self.tokens[self.position] == token:
            self.position += 1
            return True
        return False

    def _next(self) -> str:
        if self.position >= len(self.tokens):
            raise BadExpression("-k ends where a word was expected")
        self.position += 1
        return self.tokens[self.position - 1]
