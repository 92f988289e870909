"""Flagging: the route, the SQLite store, the export, and the store under concurrency and kills."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from helpers import error_of, wait_until

from chatserve.store.flags import FlagStore

HISTORY = [
    {"role": "user", "content": "hi"},
    {"role": "assistant", "content": "hello"},
    {"role": "assistant", "content": "anything else?"},
    {"role": "user", "content": "no"},
    {"role": "assistant", "content": "bye"},
]

FLAGGING = "fn: bot.py:echo\nflagging_mode: manual\nflagging_options: [Like, Dislike, Wrong]\n"
FLOODS = "server: {quotas: {flags_per_minute: 100000}}\n"
"""For tests that send hundreds of flags from one address (tests/test_quotas.py covers the
limit)."""


def stored(folder: Path) -> list[dict]:
    store = FlagStore(folder / ".chatserve" / "flagged")
    try:
        return [flag.record() for flag in store.flags()]
    finally:
        store.close()


def test_each_rating_is_a_record_with_its_context(client, tmp_path: Path) -> None:
    http = client(
        FLAGGING.replace("echo", "heated") + "additional_inputs: [{type: slider, value: 3}]\n",
        bot_py="def heated(message, history, heat):\n    return message * heat\n",
    )
    http.get("/")  # the page hands out the client cookie
    for option in ("Like", None, "Wrong"):
        body = {"history": HISTORY, "index": 1, "option": option, "inputs": [7]}
        response = http.post("/api/flag", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["stored"] is True
    records = stored(tmp_path)
    assert [(r["option"], r["action"]) for r in records] == [
        ("Like", "flag"),
        (None, "undo"),  # taking a rating back is kept, not erased
        ("Wrong", "flag"),
    ]
    first = records[0]
    assert first["message_index"] == 1
    assert first["message"] == HISTORY[1:3]  # the whole reply: both of its messages
    assert first["conversation"] == HISTORY[:3]  # up to the reply, not what came later
    assert first["inputs"] == [7]
    text = (tmp_path / "bot.yaml").read_bytes()
    assert first["config_hash"] == hashlib.sha256(text).hexdigest()[:16]
    cookie = http.cookies["chatserve_client"]
    assert first["client"] == hashlib.sha256(cookie.encode()).hexdigest()[:16]
    assert cookie not in json.dumps(records)  # the cookie is a key to the client's files
    assert first["time"].endswith("+00:00")
    assert first["time"] < records[1]["time"] < records[2]["time"]


def test_a_flag_sent_twice_is_stored_once(client, tmp_path: Path) -> None:
    http = client(FLAGGING)
    body = {"history": HISTORY, "index": 4, "option": "Like", "id": "click-0001"}
    answers = [http.post("/api/flag", json=body).json() for _ in range(3)]
    assert answers == [{"id": "click-0001", "stored": s} for s in (True, False, False)]
    assert len(stored(tmp_path)) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"index": 1, "option": "Love"}, "Unknown option 'Love'"),
        ({"index": 0, "option": "Like"}, "history[0] is not a reply"),
        ({"index": 7, "option": "Like"}, "history[7] is not a reply"),
        ({"index": 1, "option": "Like", "extra": 1}, "extra"),
        ({"index": 1, "option": "Like", "inputs": [1]}, "takes 0 additional input(s)"),
        ({"index": 1, "option": "Like", "id": "../../x"}, "id"),
    ],
)
def test_bad_flags_are_refused(client, tmp_path: Path, body: dict, message: str) -> None:
    response = client(FLAGGING).post("/api/flag", json={"history": HISTORY, **body})
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]
    assert stored(tmp_path) == []


def test_flagging_off_is_403(client) -> None:
    response = client("fn: bot.py:echo\n").post(
        "/api/flag", json={"history": HISTORY, "index": 1, "option": "Like"}
    )
    assert response.status_code == 403


def test_flag_needs_json_from_this_site(client) -> None:
    http = client(FLAGGING)
    body = json.dumps({"history": HISTORY, "index": 1, "option": "Like"})
    form = http.post("/api/flag", content=body, headers={"Content-Type": "text/plain"})
    assert form.status_code == 415
    cross = http.post(
        "/api/flag",
        content=body,
        headers={"Content-Type": "application/json", "Origin": "https://evil.example"},
    )
    assert cross.status_code == 403


def test_a_flag_stores_the_reply_once(client, tmp_path: Path) -> None:
    http = client(FLAGGING)
    reply = "a reply worth rating " * 500
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": reply}]
    response = http.post("/api/flag", json={"history": history, "index": 1, "option": "Like"})
    assert response.status_code == 200, response.text
    with sqlite3.connect(tmp_path / ".chatserve" / "flagged" / "flags.sqlite3") as connection:
        row = connection.execute("SELECT * FROM flags").fetchone()
    assert sum(str(value).count(reply) for value in row) == 1
    [record] = stored(tmp_path)
    assert (record["message"], record["conversation"]) == (history[1:], history)


OLD_STORE = """
CREATE TABLE flags (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, time TEXT NOT NULL, option TEXT,
    message_index INTEGER NOT NULL, message TEXT NOT NULL, conversation TEXT NOT NULL,
    inputs TEXT NOT NULL, config_hash TEXT NOT NULL, client TEXT, files TEXT NOT NULL);
CREATE INDEX flags_time ON flags (time);
INSERT INTO flags VALUES (1, 'old-flag-0001', '2026-11-21T20:45:07.917901+00:00', 'Like', 1,
    '[{"role":"assistant","content":"hello"},{"role":"assistant","content":"anything else?"}]',
    '[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},'
    || '{"role":"assistant","content":"anything else?"}]',
    '[]', '17fe09b4e1875826', '34f6bfb7281a86dd', '[]');
"""
"""A store as the first version with SQLite wrote it: the reply also in its own column, no
`user` column yet."""


def test_a_store_made_before_still_exports_and_takes_flags(
    client, run_chatserve, tmp_path: Path
) -> None:
    database = tmp_path / ".chatserve" / "flagged" / "flags.sqlite3"
    database.parent.mkdir(parents=True)
    with sqlite3.connect(database) as connection:
        connection.executescript(OLD_STORE)
    http = client(FLAGGING)
    body = {"history": HISTORY, "index": 4, "option": "Dislike", "id": "new-flag-0001"}
    assert http.post("/api/flag", json=body).status_code == 200
    result = run_chatserve("flags", "bot.yaml")
    assert result.returncode == 0, result.stderr
    old, new = csv.DictReader(io.StringIO(result.stdout))
    assert (old["id"], old["user"]) == ("old-flag-0001", "")
    assert old["message"] == "hello\nanything else?"
    assert json.loads(old["conversation"]) == HISTORY[:3]
    assert (new["id"], new["message"], new["option"]) == ("new-flag-0001", "bye", "Dislike")
    lines = run_chatserve("flags", "bot.yaml", "--format", "jsonl").stdout
    records = [json.loads(line) for line in lines.splitlines()]
    assert [r["message"] for r in records] == [HISTORY[1:3], HISTORY[4:]]
    assert list(records[0]) == list(records[1])  # the same fields, in the same order


def nested(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("history", "status", "message"),
    [
        ([HISTORY[0]] * 1000 + HISTORY[1:2], 422, "1,001 messages"),
        ([HISTORY[0], {"role": "assistant", "content": "x" * 1024**2}], 413, "1,048,576 bytes"),
        ([HISTORY[0], {**HISTORY[1], "metadata": {"x": nested(40)}}], 422, "deeper than 32"),
    ],
    ids=["long", "huge", "deep"],
)
def test_flags_have_the_limits_of_chats(client, history: list, status: int, message: str) -> None:
    http = client(FLAGGING)
    chat = http.post("/api/chat", json={"message": "hi", "history": history})
    body = {"history": history, "index": len(history) - 1, "option": "Like"}
    flag = http.post("/api/flag", json=body)
    assert (flag.status_code, error_of(flag)) == (chat.status_code, error_of(chat))
    assert status == flag.status_code and message in flag.json()["error"]["message"]


def picture_turn(http: httpx.Client | object, name: str) -> list[dict]:
    """Upload a file, send it, and return the conversation: the user's turn and the reply."""
    upload = http.post(
        "/api/upload", files=[("files", (f"{name}.txt", name.encode(), "text/plain"))]
    )
    file = upload.json()["files"][0]
    answer = http.post("/api/chat", json={"message": {"text": name, "files": [file["id"]]}})
    assert answer.status_code == 200, answer.text
    user = [{"role": "user", "content": {"file": {"id": file["id"]}}}]
    return [*user, {"role": "user", "content": name}, *answer.json()["messages"]]


def test_files_the_reply_shows_are_copied_into_the_store(client, tmp_path: Path) -> None:
    http = client(FLAGGING.replace("echo", "picture") + "multimodal: true\n")
    http.get("/")
    conversation = picture_turn(http, "cat")
    response = http.post("/api/flag", json={"history": conversation, "index": 3, "option": "Like"})
    assert response.status_code == 200, response.text
    [record] = stored(tmp_path)
    flagged = tmp_path / ".chatserve" / "flagged"
    assert sorted(f["name"] for f in record["files"]) == ["cat.png", "cat.txt"]
    for file in record["files"]:
        copy = flagged / file["path"]
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == file["sha256"]
        assert copy.stat().st_size == file["size"]
    # the copies outlive the originals (delete_cache, a cleaned temp dir)
    for folder in ("uploads", "files"):
        for path in (tmp_path / ".chatserve" / folder).rglob("*"):
            if path.is_file():
                path.unlink()
    assert all((flagged / f["path"]).is_file() for f in record["files"])


def test_a_flag_never_copies_a_file_the_client_names(client, tmp_path: Path) -> None:
    http = client(FLAGGING.replace("echo", "picture") + "multimodal: true\n")
    http.get("/")
    conversation = picture_turn(http, "dog")
    http.cookies.set("chatserve_client", "B" * 22)  # someone else
    theirs = http.post("/api/flag", json={"history": conversation, "index": 3, "option": "Like"})
    assert theirs.status_code == 422 and "Unknown file id" in theirs.json()["error"]["message"]
    for smuggled in (
        {"path": "/etc/passwd"},
        {"file": {"path": "/etc/passwd"}},
        {"file": {"id": "/etc/passwd"}},
    ):
        history = [{"role": "user", "content": smuggled}, {"role": "assistant", "content": "ok"}]
        response = http.post("/api/flag", json={"history": history, "index": 1, "option": "Like"})
        assert response.status_code == 422, smuggled
    assert stored(tmp_path) == []
    assert not (tmp_path / ".chatserve" / "flagged" / "files").exists()


def test_export_as_csv_and_jsonl(client, run_chatserve) -> None:
    http = client(FLAGGING)
    history = [
        {"role": "user", "content": "sum it"},
        {"role": "assistant", "content": '=HYPERLINK("https://evil.example","click")'},
    ]
    for option in ("Wrong", None):
        http.post("/api/flag", json={"history": history, "index": 1, "option": option})
    result = run_chatserve("flags", "bot.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("2 flag(s) from ")
    wrong, undo = csv.DictReader(io.StringIO(result.stdout))
    assert result.stdout.splitlines()[0] == (
        "time,action,option,message_index,message,conversation,inputs,files,config_hash,client,"
        "user,id"
    )
    assert (wrong["action"], wrong["option"], undo["action"], undo["option"]) == (
        "flag",
        "Wrong",
        "undo",
        "",
    )
    assert wrong["message"] == '\'=HYPERLINK("https://evil.example","click")'  # not a formula
    assert json.loads(wrong["conversation"]) == history

    lines = run_chatserve("flags", "bot.yaml", "--format", "jsonl").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert records[0]["message"] == history[1:]  # JSON keeps the exact text
    assert [r["option"] for r in records] == ["Wrong", None]

    later = run_chatserve("flags", "bot.yaml", "--since", "2999-01-01")
    assert later.stdout.count("\n") == 1 and later.stderr.startswith("0 flag(s)")
    recent = run_chatserve("flags", "bot.yaml", "--since", "1h", "--format", "jsonl")
    assert recent.stdout.count("\n") == 2
    bad = run_chatserve("flags", "bot.yaml", "--since", "last tuesday")
    assert bad.returncode == 2 and "'last tuesday' is not a time" in bad.stderr


def test_export_before_any_flag_and_of_a_broken_config(run_chatserve, tmp_path: Path) -> None:
    (tmp_path / "bot.yaml").write_text("fn: bot.py:echo\nflagging_mode: manual\n")
    empty = run_chatserve("flags", "bot.yaml")
    assert (empty.returncode, empty.stdout.count("\n")) == (0, 1)
    assert not (tmp_path / ".chatserve").exists()  # exporting creates nothing
    (tmp_path / "bot.yaml").write_text("fn: bot.py:echo\nflagging_mode: often\n")
    broken = run_chatserve("flags", "bot.yaml")
    assert broken.returncode == 1 and "bot.yaml:2:" in broken.stderr


FLAG_BURST = """
import asyncio, json, sys
import httpx

url, prefix, count, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
history = json.loads(sys.stdin.read())

async def main():
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:
        async def one(n):
            body = {"history": history, "index": 1, "option": "Like", "id": f"{prefix}-{n:04d}"}
            async with gate:
                return (await http.post("/api/flag", json=body)).status_code
        ids = list(range(count)) + list(range(0, count, 5))  # some sent twice, as after a timeout
        print(json.dumps(await asyncio.gather(*(one(n) for n in ids))))

asyncio.run(main())
"""


def test_concurrent_flags_from_several_processes_are_each_stored_once(
    write_config, live_server, tmp_path: Path
) -> None:
    server = live_server(write_config(FLAGGING + FLOODS), "--workers", "3")
    clients, per_client = 4, 150
    bursts = [
        subprocess.Popen(
            [sys.executable, "-c", FLAG_BURST, server.url, f"burst{n}", str(per_client), "25"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(clients)
    ]
    statuses = [
        json.loads(burst.communicate(json.dumps(HISTORY), timeout=120)[0]) for burst in bursts
    ]
    assert {status for each in statuses for status in each} == {200}
    assert sum(map(len, statuses)) == clients * per_client * 6 // 5  # 720 requests
    database = tmp_path / ".chatserve" / "flagged" / "flags.sqlite3"
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT id, COUNT(*) FROM flags GROUP BY id").fetchall()
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    expected = [(f"burst{c}-{n:04d}", 1) for c in range(clients) for n in range(per_client)]
    assert sorted(rows) == expected  # 600 distinct flags, each exactly once


def test_a_killed_server_leaves_a_consistent_store(
    write_config, live_server, tmp_path: Path
) -> None:
    config = write_config(FLAGGING.replace("echo", "picture") + "multimodal: true\n" + FLOODS)
    server = live_server(config)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        http.get("/")
        conversation = picture_turn(http, "kill")
        cookies = dict(http.cookies)
    acknowledged: list[str] = []
    stop = threading.Event()

    def flood() -> None:
        with httpx.Client(base_url=server.url, cookies=cookies, timeout=30) as own:
            n = 0
            while not stop.is_set():
                flag_id = f"kill-{threading.get_ident()}-{n}"
                n += 1
                body = {"history": conversation, "index": 3, "option": "Like", "id": flag_id}
                try:
                    if own.post("/api/flag", json=body).status_code == 200:
                        acknowledged.append(flag_id)
                except httpx.TransportError:
                    return

    threads = [threading.Thread(target=flood) for _ in range(8)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(acknowledged) >= 150, timeout=60)
    os.kill(server.process.pid, signal.SIGKILL)  # in the middle of writes
    server.process.wait()
    stop.set()
    for thread in threads:
        thread.join()

    database = tmp_path / ".chatserve" / "flagged" / "flags.sqlite3"
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        found = {row[0] for row in connection.execute("SELECT id FROM flags")}
    assert set(acknowledged) <= found  # nothing acknowledged is lost
    flagged = database.parent
    for record in stored(tmp_path):
        for file in record["files"]:
            data = (flagged / file["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == file["sha256"]

    again = live_server(config)  # the store opens and takes new flags after the crash
    body = {"history": HISTORY, "index": 1, "option": "Dislike", "id": "after-the-crash"}
    assert httpx.post(again.url + "/api/flag", json=body).status_code == 200
    assert stored(tmp_path)[-1]["id"] == "after-the-crash"
