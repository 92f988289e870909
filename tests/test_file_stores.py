"""The file store across replicas: records in PostgreSQL, files in an S3 bucket (moto), and
each replica's data dir a cache of what it read. The same calls run against one data dir
shared by two processes (the local store) and two data dirs sharing a database and a bucket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chatserve.store.cleanup import sweep
from chatserve.store.files import FileStore
from chatserve.store.shared.backends import Backends
from chatserve.store.shared.postgres import Postgres
from chatserve.store.shared.s3 import Bucket

Opener = Callable[[str], FileStore]
"""Opens the file store of one replica (or process) by name."""


@pytest.fixture
def shared_replica(postgres_url: str, s3_url: str, tmp_path: Path) -> Iterator[Opener]:
    """Opens replicas, each with a data dir of its own, sharing a database and a bucket."""
    opened: list[Backends] = []

    def open_one(name: str) -> FileStore:
        data_dir = tmp_path / name
        backends = Backends(Postgres(postgres_url), Bucket(s3_url, data_dir))
        backends.open()
        opened.append(backends)
        return FileStore(data_dir, [], records=backends.file_records(), bucket=backends.bucket)

    yield open_one
    for backends in opened:
        backends.close()


@pytest.fixture(params=["local", "postgres+s3"])
def open_replica(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    if request.param == "local":
        return lambda name: FileStore(tmp_path / "data", [])  # worker processes share one
    return request.getfixturevalue("shared_replica")


def test_a_file_one_replica_made_is_served_by_another(open_replica: Opener) -> None:
    one, two = open_replica("one"), open_replica("two")
    made = one.write(b"a rendered plot", "plot.png", "client-a")
    found = two.get(made.id, "client-a")
    assert found is not None
    assert (found.name, found.size, found.mime_type) == ("plot.png", 15, "image/png")
    assert found.path.read_bytes() == b"a rendered plot"
    assert found.path.is_relative_to(two.data_dir)  # the chat function gets a local path
    assert two.get(made.id, "client-b") is None  # another client's file, on any replica
    assert two.get("A" * 22, "client-a") is None


def test_a_sandboxed_page_stays_sandboxed_on_every_replica(open_replica: Opener) -> None:
    made = open_replica("one").write(b"<p>plot</p>", "plot.html", None, sandboxed_html=True)
    found = open_replica("two").get(made.id, None)
    assert found is not None and found.sandboxed_html and found.inline


def test_a_swept_copy_is_fetched_again_from_the_bucket(shared_replica: Opener) -> None:
    one, two = shared_replica("one"), shared_replica("two")
    made = one.write(b"kept", "note.txt", None)
    copy = two.get(made.id, None)
    assert copy is not None
    assert sweep(two.data_dir, age=-1) > 0  # everything is old: the replica's copy goes
    assert not copy.path.exists()
    again = shared_replica("two").get(made.id, None)  # a new process of that replica
    assert again is not None and again.path.read_bytes() == b"kept"


def test_prefetch_brings_the_files_of_a_turn(open_replica: Opener) -> None:
    one, two = open_replica("one"), open_replica("two")
    made = one.write(b"attached", "doc.txt", "ana")
    asyncio.run(two.prefetch([made.id, "not-an-id", 3], "ana"))
    found = two.get(made.id, "ana")
    assert found is not None and found.path.read_bytes() == b"attached"


def test_one_replica_at_a_time_sweeps_the_shared_records_and_bucket(
    shared_replica: Opener, postgres_url: str
) -> None:
    one, two = shared_replica("one"), shared_replica("two")
    made = one.write(b"old", "old.txt", None)
    kept = one.write(b"new", "new.txt", None)
    other = Postgres(postgres_url)  # another replica, sweeping now
    other.open()
    try:
        with other.leading("sweep") as leader:
            assert leader is not None
            assert two.expire(age=-1) == 0  # it leaves the work to the leader
    finally:
        other.close()
    assert two.expire(age=3600) == 0  # nothing is that old
    assert two.expire(age=-1) == 2
    fresh = shared_replica("three")  # a replica that never saw them
    assert fresh.get(made.id, None) is None and fresh.get(kept.id, None) is None
    key = made.path.relative_to(one.data_dir).as_posix()
    assert fresh.bucket is not None and fresh.bucket.local(key) is None  # gone from the bucket
