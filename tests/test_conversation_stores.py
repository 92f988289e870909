"""The conversation stores' contract, run against both: SQLite in the data dir and PostgreSQL
(what replicas share). Owners, search, pages, titles, ratings and the files conversations
show behave the same in both."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chatserve.store.conversations import (
    Conversations,
    ConversationStore,
    Turn,
    first_title,
    owner_key,
)
from chatserve.store.shared.backends import Backends
from chatserve.store.shared.postgres import Postgres

Opener = Callable[[], Conversations]
"""Opens the store under test again, as another process or replica would."""

ANA, BEN = owner_key("user:ana"), owner_key("user:ben")
ID1, ID2, ID3 = "a" * 22, "b" * 22, "c" * 22


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def bot(text: str) -> dict:
    return {"role": "assistant", "content": text}


def picture(file_id: str, name: str = "cat.png") -> dict:
    data = {"id": file_id, "url": f"api/files/{file_id}", "name": name, "mime_type": "image/png"}
    return {"role": "user", "content": {"file": data}}


def turn(id: str, owner: str, *messages: dict, kept: int = 0, **fields) -> Turn:
    return Turn(id, owner, list(messages), [1, "x"], kept, first_title(list(messages)), **fields)


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    opened: list[Conversations] = []
    backends: list[Backends] = []

    def open_one() -> Conversations:
        if request.param == "sqlite":
            store: Conversations = ConversationStore(tmp_path)
        else:
            shared = Backends(Postgres(request.getfixturevalue("postgres_url")))
            shared.open()
            backends.append(shared)
            store = shared.conversations(tmp_path)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()
    for shared in backends:
        shared.close()


def test_a_conversation_is_its_owners_alone(open_store: Opener) -> None:
    store = open_store()
    assert store.save(turn(ID1, ANA, user("hi"), bot("yo"))) is not None
    again = open_store()  # another process, or replica
    saved = again.get(ANA, ID1)
    assert saved is not None
    assert (saved.title, saved.messages, saved.inputs) == ("hi", [user("hi"), bot("yo")], [1, "x"])
    assert saved.created == saved.updated
    assert again.exists(ANA, ID1) and again.count(ANA) == 1
    # Ben knows the id; it opens nothing, and his save under it changes nothing.
    assert again.get(BEN, ID1) is None and not again.exists(BEN, ID1)
    assert again.save(turn(ID1, BEN, user("mine now"))) is None
    assert again.rename(BEN, ID1, "x") is None and again.rate(BEN, ID1, 1, "Like") is False
    assert again.delete(BEN, ID1) is None and again.delete_all(BEN) == (0, [])
    assert again.page(BEN, "", None, 10) == [] and again.count(BEN) == 0
    assert again.get(ANA, ID1).messages == [user("hi"), bot("yo")]  # type: ignore[union-attr]


def test_a_shorter_history_cuts_the_conversation_and_its_ratings(open_store: Opener) -> None:
    store = open_store()
    store.save(turn(ID1, ANA, user("one"), bot("1"), user("two"), bot("2")))
    assert store.rate(ANA, ID1, 1, "Like") and store.rate(ANA, ID1, 3, "Dislike")
    assert store.get(ANA, ID1).feedback == {1: "Like", 3: "Dislike"}  # type: ignore[union-attr]
    # Retry of the second turn: the client sent the first two messages, the reply is new.
    store.save(turn(ID1, ANA, user("one"), bot("1"), user("two"), bot("2 again"), kept=2))
    saved = store.get(ANA, ID1)
    assert saved is not None and saved.messages[-1] == bot("2 again")
    assert saved.feedback == {1: "Like"}
    assert store.rate(ANA, ID1, 1, None) and store.get(ANA, ID1).feedback == {}  # type: ignore[union-attr]
    assert store.rate(ANA, ID2, 1, "Like") is False  # no such conversation


def test_titles_the_first_message_the_bot_and_the_user(open_store: Opener) -> None:
    store = open_store()
    store.save(turn(ID1, ANA, picture("f" * 22, "plan.pdf"), user("  Plan   my\ntrip "), bot("ok")))
    assert store.page(ANA, "", None, 10)[0].title == "Plan my trip"
    store.save(turn(ID1, ANA, user("Plan my trip"), bot("ok"), user("more"), bot("ok"), kept=2))
    assert store.get(ANA, ID1).title == "Plan my trip"  # type: ignore[union-attr]
    named = Turn(ID1, ANA, [user("x")], [], 0, "Trip to Rome", titled=True)
    store.save(named)
    assert store.get(ANA, ID1).title == "Trip to Rome"  # type: ignore[union-attr]
    renamed = store.rename(ANA, ID1, "Rome, with kids")
    assert renamed is not None and renamed.title == "Rome, with kids"
    store.save(Turn(ID1, ANA, [user("x")], [], 0, "Trip to Paris", titled=True))
    assert store.get(ANA, ID1).title == "Rome, with kids"  # the user's name stays
    assert first_title([user("x" * 100)]) == "x" * 79 + "…"
    assert first_title([picture("f" * 22, "a.png"), picture("g" * 22, "b.png")]) == "a.png b.png"


def test_pages_newest_first(open_store: Opener) -> None:
    store = open_store()
    ids = [f"{n:02d}" * 11 for n in range(7)]
    for n, id in enumerate(ids):
        store.save(turn(id, ANA, user(f"question {n}"), time=f"2026-12-01T10:00:0{n}.000000Z"))
    store.save(turn(ID1, BEN, user("question of ben")))
    first = store.page(ANA, "", None, 3)
    assert [s.id for s in first] == ids[::-1][:3]
    cursor = (first[-1].updated, first[-1].id)
    assert [s.id for s in store.page(ANA, "", cursor, 3)] == ids[::-1][3:6]
    # A conversation that goes on comes first again.
    store.save(turn(ids[0], ANA, user("question 0"), bot("a"), time="2026-12-01T11:00:00.000000Z"))
    assert store.page(ANA, "", None, 1)[0].id == ids[0]


def test_search_folds_case_and_takes_wildcards_literally(open_store: Opener) -> None:
    store = open_store()
    store.save(turn(ID1, ANA, user("Growth was 100% in 2025"), bot("Über STRAẞE")))
    store.save(turn(ID2, ANA, user("growth was 100 percent"), bot("snake_case names")))
    store.save(turn(ID3, ANA, user("a picture"), picture("f" * 22, "Holiday.PNG")))
    store.save(turn("d" * 22, BEN, user("Growth 100% of Ben")))
    store.rename(ANA, ID3, "Cats Ça va")

    def found(query: str) -> set[str]:
        return {s.id for s in store.page(ANA, query, None, 10)}

    assert found("GROWTH") == {ID1, ID2}  # Ben's never
    assert found("100%") == {ID1} and found("%") == {ID1}
    assert found("_") == {ID2} and found("e_c") == {ID2}
    assert found("über straße") == {ID1}  # Unicode case, ẞ and ß alike
    assert found("holiday.png") == {ID3}  # file names
    assert found("ça VA") == {ID3}  # the title the user gave
    assert found("nothing like this") == set()
    assert found("") == {ID1, ID2, ID3}


def test_deleting_names_the_files_no_conversation_shows_any_more(open_store: Opener) -> None:
    store = open_store()
    shared, own, bens = "s" * 22, "o" * 22, "z" * 22
    store.save(turn(ID1, ANA, picture(shared), picture(own), user("two files")))
    store.save(turn(ID2, ANA, picture(shared), user("again")))
    store.save(turn(ID3, BEN, picture(bens), user("ben's")))
    assert store.file_ids() == {shared, own, bens}
    assert store.delete(ANA, ID1) == [own]  # the shared one is still shown by ID2
    assert store.get(ANA, ID1) is None and store.delete(ANA, ID1) is None
    assert store.file_ids() == {shared, bens}
    store.save(turn("e" * 22, ANA, user("no files")))
    assert store.delete_all(ANA) == (2, [shared])
    assert store.count(ANA) == 0 and store.file_ids() == {bens}


def test_a_save_says_how_much_the_conversation_grew(open_store: Opener) -> None:
    store = open_store()
    first = turn(ID1, ANA, user("hi"))
    assert store.save(first) == first.size() > 0
    longer = turn(ID1, ANA, user("hi"), bot("a long answer " * 10), kept=1)
    assert store.save(longer) == longer.size() - first.size()
    assert store.save(turn(ID1, ANA, user("hi"), kept=1)) == first.size() - longer.size()


def test_concurrent_turns_of_one_conversation_leave_one_whole(open_store: Opener) -> None:
    stores = [open_store() for _ in range(4)]
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def save(n: int) -> None:
        barrier.wait()
        try:
            stores[n % 4].save(turn(ID1, ANA, user("q"), bot(f"answer {n}"), kept=1))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    saved = stores[0].get(ANA, ID1)
    assert saved is not None and saved.messages[-1]["content"].startswith("answer ")
    assert stores[0].count(ANA) == 1


def test_a_sweep_makes_no_sqlite_database(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    assert store.file_ids() == set()
    assert not (tmp_path / "conversations.sqlite3").exists()
    store.save(turn(ID1, ANA, user("hi")))
    store.close()
    with sqlite3.connect(tmp_path / "conversations.sqlite3") as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (1,)


def test_owners_are_stored_as_digests(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    cookie = "k" * 22
    store.save(turn(ID1, owner_key(cookie), user("hi")))
    store.close()
    data = (tmp_path / "conversations.sqlite3").read_bytes()
    assert cookie.encode() not in data and owner_key(cookie).encode() in data
