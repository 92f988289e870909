"""Saved conversations (`save_history: server`): each owner's conversations, in SQLite in the
data dir here, in PostgreSQL for replicas (`chatserve.store.shared.conversations`); the same
tables and the same SQL in both.

A conversation is written whole at the end of each turn (its messages, the additional inputs'
values, the files its messages show), so a client that sends a shorter history (retry, undo,
edit) cuts it there. Owners are stored as SHA-256 digests, never as the browser's cookie. Ids
are 128 random bits; every read and write names the owner too, so an id alone opens nothing.
Search folds case (`str.casefold`) when a conversation is written and finds text with
`instr`/`strpos`, so `%` and `_` in a query are plain characters.
"""

from __future__ import annotations

import datetime
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from chatserve.bot.replies import file_refs
from chatserve.store.digests import sha256_hex
from chatserve.store.sqlite import Migrations, open_database, transaction

if TYPE_CHECKING:
    import sqlite3

DATABASE = "conversations.sqlite3"

TABLES = (
    """CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    renamed BOOLEAN NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    messages TEXT NOT NULL,
    inputs TEXT NOT NULL,
    size BIGINT NOT NULL,
    folded_title TEXT NOT NULL,
    folded_text TEXT NOT NULL
    )""",
    "CREATE INDEX conversations_owner ON conversations (owner, updated, id)",
    """CREATE TABLE conversation_files (
    conversation TEXT NOT NULL,
    file TEXT NOT NULL,
    PRIMARY KEY (conversation, file)
    )""",
    "CREATE INDEX conversation_files_file ON conversation_files (file)",
    """CREATE TABLE conversation_feedback (
    conversation TEXT NOT NULL,
    message INTEGER NOT NULL,
    option TEXT NOT NULL,
    PRIMARY KEY (conversation, message)
    )""",
)
"""The tables, in SQLite (step 1 of `MIGRATIONS`) and in PostgreSQL (its step 4) alike. A
migration step never changes: a new column is a new step in both."""

MIGRATIONS: Migrations = (TABLES,)
"""The SQLite schema, one step per version."""

TITLE_CHARS = 200
"""The longest title kept."""

AUTO_TITLE_CHARS = 80
"""The longest title made from a first message."""

_SUMMARY = "id, title, created, updated"


def owner_key(owner: str) -> str:
    """How an owner is stored: a digest, so the database never holds a browser's cookie."""
    return sha256_hex(f"conversations:{owner}")


def now() -> str:
    """The time as stored: ISO 8601 UTC to the microsecond, ordered as text."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Summary(msgspec.Struct):
    """A conversation as the list shows it."""

    id: str
    title: str
    created: str
    updated: str


class Conversation(msgspec.Struct):
    """A whole conversation: its messages as the page shows them, the additional inputs'
    values of its last turn, and the ratings given, by the index where each rated reply
    starts."""

    id: str
    title: str
    created: str
    updated: str
    messages: list[Any]
    inputs: list[Any]
    feedback: dict[int, str]


@dataclass(frozen=True)
class Turn:
    """What a finished turn saves: the conversation's messages now, `kept` of them as the
    client sent them (ratings of later ones go); `title` names a new conversation, or any
    when `titled` (the bot set it)."""

    id: str
    owner: str
    messages: list[Any]
    inputs: list[Any]
    kept: int
    title: str
    titled: bool = False
    time: str = field(default_factory=now)

    def encoded(self) -> tuple[str, str]:
        return _json(self.messages), _json(self.inputs)

    def size(self) -> int:
        """Its bytes as stored: the messages and values as JSON."""
        return sum(len(part.encode()) for part in self.encoded())

    def files(self) -> list[str]:
        return list(dict.fromkeys(ref["id"] for ref in file_refs(self.messages)))


def first_title(messages: list[Any]) -> str:
    """A new conversation's title: its first user text (or file names), on one line, cut to
    `AUTO_TITLE_CHARS`; empty when there is none (the page says "Conversation")."""
    names = []
    for message in messages:
        if message.get("role") != "user":
            if names:
                break
            continue
        content = message.get("content")
        if isinstance(content, str) and content.strip():
            text = " ".join(content.split())
            return text if len(text) <= AUTO_TITLE_CHARS else text[: AUTO_TITLE_CHARS - 1] + "…"
        if isinstance(content, dict) and isinstance(content.get("file"), dict):
            names.append(str(content["file"].get("name") or ""))
    return " ".join(filter(None, names))[:AUTO_TITLE_CHARS]


def searchable(messages: list[Any]) -> str:
    """The text search looks in: each message's text and the names of its files, case-folded."""
    parts = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
    parts.extend(str(ref.get("name") or "") for ref in file_refs(messages))
    return "\n".join(parts).casefold()


class Conversations(Protocol):
    """A store of conversations; safe to share between threads. `owner` is always an
    `owner_key`."""

    where: str

    def count(self, owner: str) -> int:
        """How many conversations `owner` keeps."""

    def exists(self, owner: str, conversation: str) -> bool: ...

    def save(self, turn: Turn) -> int | None:
        """Write the conversation as `turn` leaves it (making it if new); the bytes it grew
        by, or None if the id is someone else's."""

    def get(self, owner: str, conversation: str) -> Conversation | None: ...

    def page(
        self, owner: str, query: str, before: tuple[str, str] | None, limit: int
    ) -> list[Summary]:
        """`owner`'s conversations, most recently updated first: those whose title or text
        has `query` (any, if empty), after the one `before` names (`(updated, id)`)."""

    def rename(self, owner: str, conversation: str, title: str) -> Summary | None: ...

    def rate(self, owner: str, conversation: str, index: int, option: str | None) -> bool:
        """Keep (or, with `option` None, forget) the rating of the reply starting at message
        `index`; False when there is no such conversation."""

    def delete(self, owner: str, conversation: str) -> list[str] | None:
        """Delete a conversation; the ids of the files no conversation shows any more, or
        None when there was no such conversation."""

    def delete_all(self, owner: str) -> tuple[int, list[str]]:
        """Delete every conversation of `owner`: how many, and the files no conversation
        shows any more."""

    def file_ids(self) -> set[str]:
        """The files any conversation shows (sweeps keep them)."""

    def close(self) -> None: ...


Execute = Callable[[str, tuple[Any, ...]], Any]
"""Runs one statement (`?` placeholders) in the open transaction; returns the cursor."""


class SQLConversations(ABC):
    """The store's SQL, which both databases run; each subclass opens their transactions."""

    find = "instr"
    """The function that gives where a string is in another (0: nowhere)."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Execute]:
        """One transaction, as an `Execute`."""

    def count(self, owner: str) -> int:
        with self._transaction() as run:
            return int(
                run("SELECT count(*) FROM conversations WHERE owner = ?", (owner,)).fetchone()[0]
            )

    def exists(self, owner: str, conversation: str) -> bool:
        with self._transaction() as run:
            return _owned(run, owner, conversation)

    def save(self, turn: Turn) -> int | None:
        messages, inputs = turn.encoded()
        size = len(messages.encode()) + len(inputs.encode())
        title = turn.title[:TITLE_CHARS]
        with self._transaction() as run:
            row = run("SELECT owner, size FROM conversations WHERE id = ?", (turn.id,)).fetchone()
            if row is not None and row[0] != turn.owner:
                return None
            run(
                """INSERT INTO conversations (id, owner, title, renamed, created, updated,
                messages, inputs, size, folded_title, folded_text)
                VALUES (?, ?, ?, FALSE, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET updated = excluded.updated,
                messages = excluded.messages, inputs = excluded.inputs, size = excluded.size,
                folded_text = excluded.folded_text,
                title = CASE WHEN conversations.renamed OR NOT ? THEN conversations.title
                    ELSE excluded.title END,
                folded_title = CASE WHEN conversations.renamed OR NOT ?
                    THEN conversations.folded_title ELSE excluded.folded_title END
                WHERE conversations.owner = excluded.owner""",
                (
                    turn.id,
                    turn.owner,
                    title,
                    turn.time,
                    turn.time,
                    messages,
                    inputs,
                    size,
                    title.casefold(),
                    searchable(turn.messages),
                    turn.titled,
                    turn.titled,
                ),
            )
            run(
                "DELETE FROM conversation_feedback WHERE conversation = ? AND message >= ?",
                (turn.id, turn.kept),
            )
            run("DELETE FROM conversation_files WHERE conversation = ?", (turn.id,))
            for file_id in turn.files():
                run(
                    "INSERT INTO conversation_files (conversation, file) VALUES (?, ?)",
                    (turn.id, file_id),
                )
        return size - (row[1] if row else 0)

    def get(self, owner: str, conversation: str) -> Conversation | None:
        with self._transaction() as run:
            row = run(
                f"SELECT {_SUMMARY}, messages, inputs FROM conversations "
                "WHERE id = ? AND owner = ?",
                (conversation, owner),
            ).fetchone()
            if row is None:
                return None
            ratings = run(
                "SELECT message, option FROM conversation_feedback WHERE conversation = ?",
                (conversation,),
            ).fetchall()
        id_, title, created, updated, messages, inputs = row
        return Conversation(
            id_,
            title,
            created,
            updated,
            msgspec.json.decode(messages),
            msgspec.json.decode(inputs),
            dict(ratings),
        )

    def page(
        self, owner: str, query: str, before: tuple[str, str] | None, limit: int
    ) -> list[Summary]:
        where, values = ["owner = ?"], [owner]
        if query:
            where.append(f"({self.find}(folded_title, ?) > 0 OR {self.find}(folded_text, ?) > 0)")
            values += [query.casefold()] * 2
        if before is not None:
            where.append("(updated < ? OR (updated = ? AND id < ?))")
            values += [before[0], before[0], before[1]]
        with self._transaction() as run:
            rows = run(
                f"SELECT {_SUMMARY} FROM conversations WHERE {' AND '.join(where)} "
                "ORDER BY updated DESC, id DESC LIMIT ?",
                (*values, limit),
            ).fetchall()
        return [Summary(*row) for row in rows]

    def rename(self, owner: str, conversation: str, title: str) -> Summary | None:
        title = title[:TITLE_CHARS]
        with self._transaction() as run:
            row = run(
                "UPDATE conversations SET title = ?, folded_title = ?, renamed = TRUE "
                f"WHERE id = ? AND owner = ? RETURNING {_SUMMARY}",
                (title, title.casefold(), conversation, owner),
            ).fetchone()
        return None if row is None else Summary(*row)

    def rate(self, owner: str, conversation: str, index: int, option: str | None) -> bool:
        with self._transaction() as run:
            if not _owned(run, owner, conversation):
                return False
            if option is None:
                run(
                    "DELETE FROM conversation_feedback WHERE conversation = ? AND message = ?",
                    (conversation, index),
                )
            else:
                run(
                    "INSERT INTO conversation_feedback (conversation, message, option) "
                    "VALUES (?, ?, ?) ON CONFLICT (conversation, message) "
                    "DO UPDATE SET option = excluded.option",
                    (conversation, index, option),
                )
        return True

    def delete(self, owner: str, conversation: str) -> list[str] | None:
        with self._transaction() as run:
            if not _owned(run, owner, conversation):
                return None
            return _unreferenced(run, [conversation])

    def delete_all(self, owner: str) -> tuple[int, list[str]]:
        with self._transaction() as run:
            ids = [
                row[0]
                for row in run("SELECT id FROM conversations WHERE owner = ?", (owner,)).fetchall()
            ]
            return len(ids), _unreferenced(run, ids)

    def file_ids(self) -> set[str]:
        with self._transaction() as run:
            return {row[0] for row in run("SELECT DISTINCT file FROM conversation_files", ())}


def _owned(run: Execute, owner: str, conversation: str) -> bool:
    row = run(
        "SELECT 1 FROM conversations WHERE id = ? AND owner = ?", (conversation, owner)
    ).fetchone()
    return row is not None


def _unreferenced(run: Execute, conversations: list[str]) -> list[str]:
    """Delete these conversations with their ratings and file references; the files no
    other conversation shows."""
    shown: dict[str, None] = {}
    for conversation in conversations:
        run("DELETE FROM conversations WHERE id = ?", (conversation,))
        run("DELETE FROM conversation_feedback WHERE conversation = ?", (conversation,))
        files = run(
            "DELETE FROM conversation_files WHERE conversation = ? RETURNING file",
            (conversation,),
        ).fetchall()
        shown.update(dict.fromkeys(row[0] for row in files))
    return [
        file_id
        for file_id in shown
        if run("SELECT 1 FROM conversation_files WHERE file = ?", (file_id,)).fetchone() is None
    ]


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


class ConversationStore(SQLConversations):
    """The SQLite database of one data dir, opened on first use."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / DATABASE
        self.where = str(self.path)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    @contextmanager
    def _transaction(self) -> Iterator[Execute]:
        with self._lock:
            if self._connection is None:
                self._connection = open_database(self.path, MIGRATIONS, "the conversation store")
            with transaction(self._connection) as connection:
                yield connection.execute

    def file_ids(self) -> set[str]:
        if self._connection is None and not self.path.exists():
            return set()  # nothing was ever saved here: a sweep makes no database
        return super().file_ids()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
