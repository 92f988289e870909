"""The file store across replicas: records in PostgreSQL, files in an S3 bucket (moto), and
each replica's data dir a cache of what it read. The same calls run against one data dir
shared by two processes (the local store) and two data dirs sharing a database and a bucket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import run_async

from chatserve.bot.load import load
from chatserve.store.cleanup import sweep
from chatserve.store.examples import ExampleCache
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
    run_async(lambda: two.prefetch([made.id, "not-an-id", 3], "ana"))
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


ANSWER_PY = """
def answer(message, history):
    return "unused: the test stores answers itself"
"""


@pytest.fixture(params=["local", "postgres+s3"])
def open_examples(
    request: pytest.FixtureRequest, write_config, tmp_path: Path
) -> Callable[[str], ExampleCache]:
    """Opens the example cache of one replica (or process) by name, over `open_replica`'s
    file stores."""
    config = write_config(
        "fn: bot.py:answer\ncache_examples: true\nexamples: [hi]\n", bot_py=ANSWER_PY
    )
    bot = load(config)
    if request.param == "local":
        return lambda name: ExampleCache(bot, FileStore(tmp_path / "data", []))
    replica = request.getfixturevalue("shared_replica")
    database = Postgres(request.getfixturevalue("postgres_url"))
    database.open()
    request.addfinalizer(database.close)
    return lambda name: ExampleCache(bot, replica(name), database)


def test_an_answer_one_replica_stored_is_read_by_another_with_its_files(open_examples) -> None:
    one, two = open_examples("one"), open_examples("two")
    picture = one.files.write(b"\x89PNG a picture", "picture.png", "ana")
    messages = [{"role": "assistant", "content": "hi there"},
                {"role": "assistant", "content": {"file": picture.data()}}]  # fmt: skip
    [example] = one.examples
    one.store(example, "ana", messages, [])
    [theirs] = two.examples
    answer = two.answer(theirs)
    assert answer is not None and answer.messages[0] == messages[0]
    shown = answer.messages[1]["content"]["file"]
    kept = two.files.get(shown["id"], "someone else")  # answers are everyone's
    assert kept is not None and kept.path.read_bytes() == b"\x89PNG a picture"
    three = open_examples("three")
    three.store(three.examples[0], None, [{"role": "assistant", "content": "again"}], [])
    for cache in (three, open_examples("four")):
        again = cache.answer(cache.examples[0])
        assert again is not None and again.messages[0]["content"] == "hi there"  # the first


def test_replicas_take_turns_computing_answers(open_examples) -> None:
    one, two = open_examples("one"), open_examples("two")
    order: list[str] = []

    async def compute(cache: ExampleCache, name: str) -> None:
        async with cache.computing():
            order.append(f"{name} in")
            await asyncio.sleep(0.2)
            order.append(f"{name} out")

    async def both() -> None:
        await asyncio.gather(compute(one, "one"), compute(two, "two"))

    run_async(both)
    assert order in (
        ["one in", "one out", "two in", "two out"],
        ["two in", "two out", "one in", "one out"],
    )
