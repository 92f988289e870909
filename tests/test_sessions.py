"""Sign-in state that every process (and, with `server.database`, every replica) shares: ended
sessions and failed sign-ins, each contract run against files on disk or memory here and
PostgreSQL tables. (Sessions over HTTP are tested in test_auth.py.)"""

from __future__ import annotations

import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chatserve.security.sessions import EndedSessions, SessionStore
from chatserve.security.throttle import Throttle
from chatserve.store.shared.postgres import Postgres
from chatserve.store.shared.security import PostgresSessionStore, PostgresThrottle


@pytest.fixture
def database(postgres_url: str) -> Iterator[Postgres]:
    database = Postgres(postgres_url)
    database.open()
    yield database
    database.close()


@pytest.fixture(params=["files", "postgres"])
def open_sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], EndedSessions]:
    """Opens the store under test, as another process or replica would."""
    if request.param == "files":
        return lambda: SessionStore(tmp_path / "sessions")
    database = request.getfixturevalue("database")
    return lambda: PostgresSessionStore(database)


def test_revocations_are_shared_kept_and_swept_once_expired(open_sessions) -> None:
    now = int(time.time())
    one, other = open_sessions(), open_sessions()  # two processes, say
    one.revoke("a" * 22, now - 1)  # expired already (kept until the next sweep)
    other.revoke("b" * 22, now + 3600)
    assert other.is_revoked("b" * 22, now + 3600)
    assert not other.is_revoked("b" * 22, now + 3601)  # the expiry is part of the key
    assert not other.is_revoked("c" * 22, now + 3600)
    assert open_sessions().is_revoked("b" * 22, now + 3600)  # after a restart
    assert not one.is_revoked("a" * 22, now - 1)  # swept by the later revocation


def test_a_new_generation_is_seen_by_every_process(open_sessions) -> None:
    one, other = open_sessions(), open_sessions()
    assert one.generation("alice") == other.generation("alice") == ""
    other.new_generation("alice")
    first = one.generation("alice")
    assert first and one.generation("bob") == ""
    one.new_generation("alice")
    assert other.generation("alice") not in ("", first)


def test_session_files_are_private_and_whole(tmp_path: Path) -> None:
    folder = tmp_path / "sessions"
    store = SessionStore(folder)
    store.new_generation("alice")
    store.revoke("b" * 22, int(time.time()) + 60)
    [kept] = (folder / "generations").iterdir()  # no drafts left behind
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    [revoked] = (folder / "revoked").iterdir()
    assert stat.S_IMODE(revoked.stat().st_mode) == 0o600


LIMITS = {"user": 3, "address": 5}


@pytest.fixture(params=["memory", "postgres"])
def open_throttle(request: pytest.FixtureRequest) -> Callable[[], Throttle | PostgresThrottle]:
    """Opens a throttle: in memory one object is every caller; in PostgreSQL each opened one
    is a replica of its own."""
    if request.param == "memory":
        shared = Throttle(LIMITS)
        return lambda: shared
    database = request.getfixturevalue("database")
    return lambda: PostgresThrottle(database, LIMITS)


def test_attempts_past_the_limit_wait_for_the_oldest_to_age(open_throttle) -> None:
    one, other = open_throttle(), open_throttle()
    assert one.take(user="ana", address="10.0.0.1") == 0
    assert other.take(user="ana", address="10.0.0.1") == 0
    assert one.take(user="ana", address="10.0.0.1") == 0
    wait = other.take(user="ana", address="10.0.0.1")  # the fourth, on any replica
    assert 55 < wait <= 60
    assert one.take(user="bob", address="10.0.0.1") == 0  # another user from there may try
    other.give_back(user="ana")  # that attempt was not a guess
    assert one.take(user="ana", address="10.0.0.1") == 0
    one.forget(user="ana", address="10.0.0.1")  # signed in: its guesses are forgotten
    assert other.take(user="ana", address="10.0.0.1") == 0


def test_replicas_attempting_at_once_are_counted_before_any_passes(database) -> None:
    """(In one process every attempt is counted on the event loop's one thread.)"""
    throttles = [PostgresThrottle(database, LIMITS) for _ in range(4)]
    results: list[float] = []
    barrier = threading.Barrier(12)

    def attempt(index: int) -> None:
        barrier.wait()
        results.append(throttles[index % 4].take(user="ana", address=f"10.0.0.{index}"))

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for wait in results if wait == 0) == LIMITS["user"]
