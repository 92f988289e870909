"""The flag store: every rating users give, in SQLite in `flagging_dir`, never rewritten.

One row per click, undoing included (`option` null). Each row carries a client-made `id`, so a
request sent twice is stored once. The rated reply is kept once, as the conversation's end from
`message_index` on (stores made before also kept it in a column of its own; they still work).
The database runs in WAL mode with full syncs: several worker processes may write at once, and
a killed server leaves every committed row intact.
Files the flagged conversation shows are copied beside the database, named by their SHA-256,
so the flags stay complete after `delete_cache` removes the originals.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from chatserve.store.digests import file_sha256

if TYPE_CHECKING:
    import sqlite3

DATABASE = "flags.sqlite3"
OPENING = ".flags.lock"
FILES = "files"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS flags (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    time TEXT NOT NULL,
    option TEXT,
    message_index INTEGER NOT NULL,
    conversation TEXT NOT NULL,
    inputs TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    client TEXT,
    files TEXT NOT NULL,
    user TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS flags_time ON flags (time)",
)

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


class FlagStore:
    """The database of one flagging dir; safe to share between threads."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / DATABASE
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._legacy_message = False
        """Made when the reply had a column of its own, which still needs a value."""

    def add(self, flag: Flag) -> bool:
        """Store `flag`; False when a flag with its id is already stored."""
        with self._lock:
            connection = self._connect()
            with _transaction(connection):
                cursor = connection.execute(_insert(self._legacy_message), flag.row())
            return cursor.rowcount == 1

    def keep_file(
        self, source: Path, name: str, copied: Callable[[int], None] | None = None
    ) -> dict[str, Any]:
        """Copy a file into the store (once per content); its description for the flag.
        `copied` (a quota) is told the size of each copy made."""
        digest = file_sha256(source)
        kept = self.folder / FILES / digest / name
        if not kept.exists():
            kept.parent.mkdir(parents=True, exist_ok=True)
            partial = kept.with_name(f".{name}.{os.getpid()}.{threading.get_ident()}.part")
            shutil.copyfile(source, partial)
            os.replace(partial, kept)  # never a half-written file under the final name
            if copied is not None:
                copied(kept.stat().st_size)
        return {
            "name": name,
            "path": kept.relative_to(self.folder).as_posix(),
            "sha256": digest,
            "size": kept.stat().st_size,
        }

    def flags(self, since: str | None = None) -> Iterator[Flag]:
        """Every stored flag in the order stored; `since` is an ISO 8601 UTC time."""
        if not self.path.exists():
            return
        query = f"SELECT {', '.join(COLUMNS)} FROM flags"
        query += " WHERE time >= ? ORDER BY seq" if since else " ORDER BY seq"
        with self._lock:
            rows = self._connect().execute(query, (since,) if since else ()).fetchall()
        for row in rows:
            values = {
                name: msgspec.json.decode(value) if name in JSON_COLUMNS else value
                for name, value in zip(COLUMNS, row, strict=True)
            }
            yield Flag(**values)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _connect(self) -> sqlite3.Connection:
        import sqlite3  # here: most bots never rate replies, so most never open a store

        if self._connection is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Switching a new database to WAL fails at once ("database is locked") while another
            # process does the same, without waiting: processes take turns opening it.
            with (self.folder / OPENING).open("w") as opening:
                fcntl.flock(opening, fcntl.LOCK_EX)
                connection = sqlite3.connect(
                    self.path, timeout=60, isolation_level=None, check_same_thread=False
                )
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = FULL")
                with _transaction(connection):
                    for statement in _SCHEMA:
                        connection.execute(statement)
                    columns = {row[1] for row in connection.execute("PRAGMA table_info(flags)")}
                    if "user" not in columns:  # a store made before sign-ins existed
                        connection.execute("ALTER TABLE flags ADD COLUMN user TEXT")
            self._connection = connection
            self._legacy_message = "message" in columns
        return self._connection


def _insert(legacy_message: bool) -> str:
    """The INSERT for a new flag; in a store with the old `message` column, an empty list goes
    there (the reply is read from the conversation)."""
    columns, values = ", ".join(COLUMNS), ", ".join("?" * len(COLUMNS))
    if legacy_message:
        columns, values = f"{columns}, message", f"{values}, '[]'"
    return f"INSERT OR IGNORE INTO flags ({columns}) VALUES ({values})"


@contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """`BEGIN IMMEDIATE` … `COMMIT`: takes the write lock up front, so writers queue on the
    busy timeout instead of failing to upgrade a read lock."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


class FlagStores:
    """The store of each flagging dir in use, opened on first use (a reload may move it)."""

    def __init__(self) -> None:
        self._stores: dict[Path, FlagStore] = {}
        self._lock = threading.Lock()

    def get(self, folder: Path) -> FlagStore:
        with self._lock:
            if folder not in self._stores:
                self._stores[folder] = FlagStore(folder)
            return self._stores[folder]

    def close(self) -> None:
        with self._lock:
            for store in self._stores.values():
                store.close()
