"""The flag stores' contract, run against each implementation: SQLite with files in its folder,
PostgreSQL with files in a folder, and PostgreSQL with files in an S3 bucket. And their
schemas' migrations: a store written by an earlier release opens and keeps its flags."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chatserve.store.flags import MIGRATIONS as SQLITE_MIGRATIONS
from chatserve.store.flags import Flag, Flags, FlagStore
from chatserve.store.shared.backends import Backends
from chatserve.store.shared.postgres import MIGRATIONS, Postgres, SchemaTooNew, migrate
from chatserve.store.shared.s3 import Bucket

DATA = Path(__file__).parent / "data"

Opener = Callable[[], Flags]
"""Opens the store under test again, as another process or replica would."""


def flag(id: str, time: str = "2026-12-01T10:00:00Z", option: str | None = "Like") -> Flag:
    return Flag(
        id=id,
        time=time,
        option=option,
        message_index=1,
        conversation=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
        inputs=[3, "x"],
        config_hash="c0ffee",
        client="k1",
        user="ana",
        files=[],
    )


@pytest.fixture(params=["sqlite", "postgres", "postgres+s3"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens a fresh store of one kind; every store opened is closed after the test."""
    opened: list[Flags] = []
    backends: list[Backends] = []

    def sqlite() -> Flags:
        return FlagStore(tmp_path / "flagged")

    def postgres() -> Flags:
        shared = Backends(Postgres(request.getfixturevalue("postgres_url")))
        if request.param == "postgres+s3":
            shared.bucket = Bucket(request.getfixturevalue("s3_url"), tmp_path / "cache")
        shared.open()
        backends.append(shared)
        store = shared.flags(tmp_path / "flagged")
        assert store is not None
        return store

    def open_one() -> Flags:
        store = sqlite() if request.param == "sqlite" else postgres()
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()
    for shared in backends:
        shared.close()


def test_a_flag_is_stored_once_and_read_back_whole(open_store: Opener) -> None:
    store = open_store()
    assert store.add(flag("a" * 22)) is True
    assert store.add(flag("a" * 22)) is False  # sent twice: stored once
    assert store.add(flag("b" * 22, time="2026-12-01T11:00:00Z", option=None)) is True
    read = list(open_store().flags())  # another process (or replica) sees them
    assert read == [flag("a" * 22), flag("b" * 22, time="2026-12-01T11:00:00Z", option=None)]
    assert read[1].record()["action"] == "undo"


def test_flags_since_a_time(open_store: Opener) -> None:
    store = open_store()
    for hour in (9, 10, 11):
        store.add(flag(f"{hour:02d}" * 11, time=f"2026-12-01T{hour:02d}:00:00Z"))
    since = [f.id for f in store.flags("2026-12-01T10:00:00Z")]
    assert since == ["10" * 11, "11" * 11]


def test_concurrent_writers_of_one_flag_store_it_once(open_store: Opener) -> None:
    stores = [open_store() for _ in range(4)]
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def add(store: Flags) -> None:
        barrier.wait()
        results.append(store.add(flag("c" * 22)))

    threads = [threading.Thread(target=add, args=(stores[i % 4],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    assert [f.id for f in stores[0].flags()] == ["c" * 22]


def test_a_file_is_kept_once_per_content(open_store: Opener, tmp_path: Path) -> None:
    source = tmp_path / "chart.png"
    source.write_bytes(b"\x89PNG picture")
    copies: list[int] = []
    first = open_store().keep_file(source, "chart.png", copies.append)
    again = open_store().keep_file(source, "chart.png", copies.append)
    assert first == again
    assert first["size"] == len(b"\x89PNG picture") and first["name"] == "chart.png"
    assert first["path"] == f"files/{first['sha256']}/chart.png"
    assert copies == [len(b"\x89PNG picture")]  # the quota is charged for one copy
    source.unlink()  # the original may go (`delete_cache`); the kept copy stays
    store = open_store()
    kept = store.files.local(first["path"])
    assert kept is not None and kept.read_bytes() == b"\x89PNG picture"


def test_a_store_written_by_release_0_1_0_opens_and_keeps_its_flags(tmp_path: Path) -> None:
    folder = tmp_path / "flagged"
    folder.mkdir()
    shutil.copy(DATA / "flags-0.1.0.sqlite3", folder / "flags.sqlite3")
    store = FlagStore(folder)
    try:
        assert [(f.id, f.option, f.user) for f in store.flags()] == [
            ("a" * 22, "Like", None),
            ("b" * 22, None, "ana"),
        ]
        assert store.add(flag("c" * 22)) is True
    finally:
        store.close()
    with sqlite3.connect(folder / "flags.sqlite3") as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (2,)


def test_a_store_from_before_sign_ins_gains_the_user_column(tmp_path: Path) -> None:
    folder = tmp_path / "flagged"
    folder.mkdir()
    with sqlite3.connect(folder / "flags.sqlite3") as connection:
        for statement in SQLITE_MIGRATIONS[0]:
            connection.execute(statement)
    store = FlagStore(folder)
    try:
        assert store.add(flag("d" * 22)) is True
        assert [f.user for f in store.flags()] == ["ana"]
    finally:
        store.close()


def test_a_store_of_a_newer_release_is_refused_not_changed(tmp_path: Path) -> None:
    folder = tmp_path / "flagged"
    folder.mkdir()
    with sqlite3.connect(folder / "flags.sqlite3") as connection:
        connection.execute("PRAGMA user_version = 99")
    store = FlagStore(folder)
    with pytest.raises(RuntimeError, match="version 99, newer than this release"):
        store.add(flag("e" * 22))


def test_replicas_starting_together_migrate_the_database_once(postgres_url: str) -> None:
    import psycopg

    versions: list[int] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            barrier.wait()
            versions.append(migrate(connection, MIGRATIONS))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert versions == [len(MIGRATIONS)] * 4
    with psycopg.connect(postgres_url) as connection:
        assert connection.execute("SELECT version FROM chatserve_schema").fetchall() == [
            (len(MIGRATIONS),)
        ]


def test_a_database_of_a_newer_release_is_refused(postgres_url: str) -> None:
    import psycopg

    database = Postgres(postgres_url)
    database.open()
    database.close()
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("UPDATE chatserve_schema SET version = 99")
    with pytest.raises(SchemaTooNew, match="version 99, newer than this release"):
        Postgres(postgres_url).open()
