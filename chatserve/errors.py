"""The two kinds of failure chatserve reports: a bad config file, and a chat function's error."""

from __future__ import annotations

from dataclasses import dataclass


class Error(Exception):
    """Raised by a chat function: its text is shown to the user in the chat."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a config file, located like a compiler error."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: {where}{self.message}"

    def annotation(self) -> str:
        """The problem as a GitHub Actions error at its line."""
        message = f"{self.path}: {self.message}" if self.path else self.message
        return workflow_command("error", self.file, self.line, self.column, "chatserve", message)

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
        }


def workflow_command(
    level: str, file: str, line: int, column: int, title: str, message: str
) -> str:
    """A GitHub Actions annotation (`::error file=...::message`) at a place in a file.
    https://docs.github.com/actions/reference/workflow-commands-for-github-actions"""

    def escaped(value: str, *, prop: bool = False) -> str:
        value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return value.replace(":", "%3A").replace(",", "%2C") if prop else value

    return (
        f"::{level} file={escaped(file, prop=True)},line={line},col={column},"
        f"title={escaped(title, prop=True)}::{escaped(message)}"
    )


class ConfigError(Exception):
    """A config file could not be loaded; carries every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
