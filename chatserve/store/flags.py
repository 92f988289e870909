"""The flag store: every rating users give, never rewritten; in SQLite in `flagging_dir`
here, in PostgreSQL for replicas (`chatserve.store.shared.flags`), the same table in both.

One row per click, undoing included (`option` null). Each row carries a client-made `id`, so a
request sent twice is stored once. The rated reply is kept once, as the conversation's end from
`message_index` on (stores made before also kept it in a column of its own; they still work).
The database is opened as `chatserve.store.sqlite` opens each: WAL mode, full syncs, a
versioned schema migrated when it is opened.
Files the flagged conversation shows are copied beside the database (or into the bucket),
named by their SHA-256, so the flags stay complete after `delete_cache` removes the originals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from chatserve.store.blobs import Blobs, Folder
from chatserve.store.digests import file_sha256
from chatserve.store.sqlite import open_database, transaction, user_version

if TYPE_CHECKING:
    import sqlite3

DATABASE = "flags.sqlite3"
FILES = "files"

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1
        """CREATE TABLE flags (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        time TEXT NOT NULL,
        option TEXT,
        message_index INTEGER NOT NULL,
        conversation TEXT NOT NULL,
        inputs TEXT NOT NULL,
        config_hash TEXT NOT NULL,
        client TEXT,
        files TEXT NOT NULL
        )""",
        "CREATE INDEX flags_time ON flags (time)",
    ),
    ("ALTER TABLE flags ADD COLUMN user TEXT",),  # 2: who was signed in
)
"""The SQLite schema, one step per version: step N brings a store at version N - 1 to N."""

COLUMNS = (
    "id",
    "time",
    "option",
    "message_index",
    "conversation",
    "inputs",
    "config_hash",
    "client",
    "user",
    "files",
)
JSON_COLUMNS = frozenset({"conversation", "inputs", "files"})
FIELDS = (*COLUMNS[:4], "message", *COLUMNS[4:])
"""A flag as exported: the stored columns, with the reply after its index."""


@dataclass(frozen=True)
class Flag:
    """One rating: `conversation` is everything up to and including the rated reply, which
    starts at `message_index`; `time` is ISO 8601 UTC; `client` a one-way hash of the
    browser's id; `user` who was signed in (with `server.auth`)."""

    id: str
    time: str
    option: str | None
    message_index: int
    conversation: list[Any]
    inputs: list[Any]
    config_hash: str
    client: str | None
    user: str | None
    files: list[dict[str, Any]]

    @property
    def message(self) -> list[Any]:
        """The rated reply: its messages."""
        return self.conversation[self.message_index :]

    def row(self) -> tuple[Any, ...]:
        values = (getattr(self, name) for name in COLUMNS)
        return tuple(
            msgspec.json.encode(value).decode() if name in JSON_COLUMNS else value
            for name, value in zip(COLUMNS, values, strict=True)
        )

    def size(self) -> int:
        """About the bytes its row takes: the length of its values as text."""
        return sum(len(str(value).encode()) for value in self.row() if value is not None)

    def record(self) -> dict[str, Any]:
        """The flag as exported: its fields, with `action` saying whether it was undone."""
        action = "flag" if self.option is not None else "undo"
        fields = {name: getattr(self, name) for name in FIELDS}
        return {"id": self.id, "time": self.time, "action": action, **fields}

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Flag:
        """A flag from the values of `COLUMNS`, as stored."""
        values = {
            name: msgspec.json.decode(value) if name in JSON_COLUMNS else value
            for name, value in zip(COLUMNS, row, strict=True)
        }
        return cls(**values)


class Flags(Protocol):
    """A flag store; safe to share between threads."""

    folder: Path | None
    """The folder on this machine its files are copied to; None when they go to a bucket."""

    where: str
    """Where it is, for people: a path, or the database's host and name."""

    files: Blobs
    """Where the files kept with flags are."""

    def add(self, flag: Flag) -> bool:
        """Store `flag`; False when a flag with its id is already stored."""

    def keep_file(
        self, source: Path, name: str, copied: Callable[[int], None] | None = None
    ) -> dict[str, Any]:
        """Copy a file into the store (once per content); its description for the flag.
        `copied` (a quota) is told the size of each copy made."""

    def flags(self, since: str | None = None) -> Iterator[Flag]:
        """Every stored flag in the order stored; `since` is an ISO 8601 UTC time."""

    def close(self) -> None: ...


class KeptFiles:
    """`Flags.keep_file` for a store that keeps its files in `files`."""

    files: Blobs

    def keep_file(
        self, source: Path, name: str, copied: Callable[[int], None] | None = None
    ) -> dict[str, Any]:
        digest, size = file_sha256(source), source.stat().st_size
        key = f"{FILES}/{digest}/{name}"
        if self.files.put(key, source) and copied is not None:
            copied(size)
        return {"name": name, "path": key, "sha256": digest, "size": size}


class FlagStore(KeptFiles):
    """The SQLite database of one flagging dir."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / DATABASE
        self.where = str(self.path)
        self.files = Folder(folder)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._legacy_message = False
        """Made when the reply had a column of its own, which still needs a value."""

    def add(self, flag: Flag) -> bool:
        """Store `flag`; False when a flag with its id is already stored."""
        with self._lock:
            connection = self._connect()
            with transaction(connection):
                cursor = connection.execute(_insert(self._legacy_message), flag.row())
            return cursor.rowcount == 1

    def flags(self, since: str | None = None) -> Iterator[Flag]:
        """Every stored flag in the order stored; `since` is an ISO 8601 UTC time."""
        if not self.path.exists():
            return
        query = f"SELECT {', '.join(COLUMNS)} FROM flags"
        query += " WHERE time >= ? ORDER BY seq" if since else " ORDER BY seq"
        with self._lock:
            rows = self._connect().execute(query, (since,) if since else ()).fetchall()
        for row in rows:
            yield Flag.from_row(row)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = open_database(self.path, MIGRATIONS, "the flag store", _version)
            columns = {row[1] for row in connection.execute("PRAGMA table_info(flags)")}
            self._connection = connection
            self._legacy_message = "message" in columns
        return self._connection


def _version(connection: sqlite3.Connection) -> int:
    """The schema's version; for a store made before versions were kept, read off its
    columns."""
    version = user_version(connection)
    if version:
        return version
    columns = {row[1] for row in connection.execute("PRAGMA table_info(flags)")}
    if not columns:
        return 0
    return 2 if "user" in columns else 1


def _insert(legacy_message: bool) -> str:
    """The INSERT for a new flag; in a store with the old `message` column, an empty list goes
    there (the reply is read from the conversation)."""
    columns, values = ", ".join(COLUMNS), ", ".join("?" * len(COLUMNS))
    if legacy_message:
        columns, values = f"{columns}, message", f"{values}, '[]'"
    return f"INSERT OR IGNORE INTO flags ({columns}) VALUES ({values})"


class FlagStores:
    """The store of each flagging dir in use, opened on first use (a reload may move it);
    or, for replicas, the one shared store whatever the flagging dir."""

    def __init__(self, shared: Flags | None = None) -> None:
        self._stores: dict[Path, Flags] = {}
        self._shared = shared
        self._lock = threading.Lock()

    def get(self, folder: Path) -> Flags:
        if self._shared is not None:
            return self._shared
        with self._lock:
            if folder not in self._stores:
                self._stores[folder] = FlagStore(folder)
            return self._stores[folder]

    def close(self) -> None:
        with self._lock:
            for store in [*self._stores.values(), *filter(None, [self._shared])]:
                store.close()
