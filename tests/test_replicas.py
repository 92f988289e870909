"""Replicas of one bot on a real PostgreSQL and S3 (moto), sharing no disk: what one replica
writes or ends, every other one sees. And `chatserve serve` refusing, at the config's key, a
database it cannot use."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from helpers import free_port

PASSWORD = "correct horse battery staple"
SECRET = "a-session-key-replicas-share-0123456789"

CONFIG = """
fn: bot.py:echo
flagging_mode: manual
server:
  data_dir: {data_dir}
  database: {database}
  storage: {storage}
  auth:
    users: [{{username: ana, password: "{password}"}}]
    secret: {secret}
"""

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HISTORY = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hi"}]


def replica_config(write_config, name: str, database: str, storage: str, **changes: str) -> Path:
    values = {"data_dir": name, "database": database, "storage": storage}
    values |= {"password": PASSWORD, "secret": SECRET} | changes
    return write_config(CONFIG.format(**values), name=f"{name}.yaml")


def test_replicas_share_sessions_sign_outs_and_flags(
    write_config, live_server, run_chatserve, postgres_url: str, s3_url: str
) -> None:
    one = live_server(replica_config(write_config, "one", postgres_url, s3_url))
    two = live_server(replica_config(write_config, "two", postgres_url, s3_url))
    with httpx.Client(base_url=one.url) as first, httpx.Client(base_url=two.url) as second:
        signed_in = first.post("/login", data={"username": "ana", "password": PASSWORD})
        assert signed_in.status_code == 303, signed_in.text
        second.cookies.update(first.cookies)  # the next request lands on the other replica
        assert second.post("/api/chat", json={"message": "via two"}).status_code == 200
        for http, option in ((first, "Like"), (second, "Dislike")):
            body = {"history": HISTORY, "index": 1, "option": option}
            assert http.post("/api/flag", json=body).json()["stored"] is True
        ended = first.post("/logout", headers=FORM, follow_redirects=False)
        assert ended.status_code == 303
        refused = second.post("/api/chat", json={"message": "after sign-out"})
        assert refused.status_code == 401  # signed out on one: out on all
    exported = run_chatserve("flags", "two.yaml", "--format", "jsonl")
    assert exported.returncode == 0, exported.stderr
    records = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [(r["option"], r["user"]) for r in records] == [("Like", "ana"), ("Dislike", "ana")]
    assert "PostgreSQL database" in exported.stderr


FILES_PY = """
import pathlib
import tempfile


def read(message, history):
    text = pathlib.Path(message["files"][0]).read_text() if message["files"] else ""
    made = pathlib.Path(tempfile.mkdtemp()) / "shout.txt"
    made.write_text(text.upper())
    return [f"read {text!r}", {"path": str(made)}]
"""


def test_a_file_uploaded_to_one_replica_is_read_and_served_by_another(
    write_config, live_server, postgres_url: str, s3_url: str
) -> None:
    config = (
        "fn: bot.py:read\nmultimodal: true\nserver: {{data_dir: {}, database: {}, storage: {}}}\n"
    )
    one = live_server(
        write_config(config.format("one", postgres_url, s3_url), "one.yaml", FILES_PY)
    )
    two = live_server(
        write_config(config.format("two", postgres_url, s3_url), "two.yaml", FILES_PY)
    )
    cookie = {"chatserve_client": "c" * 22}
    with httpx.Client(cookies=cookie) as http:
        upload = http.post(f"{one.url}/api/upload", files={"files": ("note.txt", b"psst")})
        file_id = upload.json()["files"][0]["id"]
        message = {"text": "", "files": [file_id]}
        answer = http.post(f"{two.url}/api/chat", json={"message": message}).json()
        assert answer["messages"][0]["content"] == "read 'psst'"
        assert http.get(f"{two.url}/api/files/{file_id}").content == b"psst"
        made = answer["messages"][1]["content"]["file"]["id"]  # made on two
        assert http.get(f"{one.url}/api/files/{made}").content == b"PSST"
        other = httpx.get(f"{one.url}/api/files/{made}", cookies={"chatserve_client": "d" * 22})
        assert other.status_code == 404  # another client's, on every replica


def test_serve_refuses_a_database_it_cannot_reach(write_config, run_chatserve, s3_url) -> None:
    unreachable = f"postgresql://chat:hunter2-secret@127.0.0.1:{free_port()}/chat"
    config = replica_config(write_config, "one", unreachable, s3_url)
    result = run_chatserve("serve", str(config), "--no-reload")
    assert result.returncode == 1
    assert result.stderr.startswith(f"{config}:5:3: server.database: cannot reach PostgreSQL ")
    assert "database 'chat' on 127.0.0.1" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_serve_refuses_a_shared_database_without_a_shared_session_key(
    write_config, run_chatserve, postgres_url: str, s3_url: str
) -> None:
    config = write_config(
        CONFIG.format(
            data_dir="one", database=postgres_url, storage=s3_url, password=PASSWORD, secret="null"
        )
    )
    result = run_chatserve("serve", str(config), "--no-reload")
    assert result.returncode == 1
    assert "server.database: replicas sharing a database must sign sessions with one key" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("key", "module", "extra"),
    [("database", "psycopg_pool", "postgres"), ("storage", "obstore", "s3")],
)
def test_a_missing_client_names_the_extra_that_installs_it(
    write_config, tmp_path: Path, key: str, module: str, extra: str
) -> None:
    config = replica_config(write_config, "one", "postgresql://chat@db/chat", "s3://bots/chat")
    not_installed = (
        f"import sys; sys.modules[{module!r}] = None\n"  # as if the package were missing
        "from chatserve.cli import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", not_installed, "serve", str(config)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"server.{key}: needs the {module} package, which is not installed: " in result.stderr
    assert f"pip install 'chatserve[{extra}]'" in result.stderr


def test_ready_while_the_database_and_bucket_answer(
    write_config, live_server, postgres_server, postgres_url: str, s3_server, s3_url: str
) -> None:
    import psycopg

    server = live_server(replica_config(write_config, "one", postgres_url, s3_url))
    readiness = lambda: httpx.get(server.url + "/readyz", timeout=10)  # noqa: E731
    assert readiness().json() == {"status": "ready", "reasons": []}
    bucket = s3_url.removeprefix("s3://").split("/")[0]
    assert httpx.delete(f"{s3_server.endpoint}/{bucket}").status_code == 204  # empty: it goes
    assert readiness().json() == {
        "status": "not ready",
        "reasons": ["The bucket does not answer."],
    }
    name = postgres_url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_server.url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        reply = readiness()
        admin.execute(f'CREATE DATABASE "{name}"')  # for the fixture to drop
    assert reply.status_code == 503
    assert reply.json()["reasons"] == [
        "The database does not answer.",
        "The bucket does not answer.",
    ]
    assert "does not answer" in server.output()  # the why is in the log


COUNTING_PY = """
import pathlib
import time

CALLS = pathlib.Path(__file__).with_name("calls.txt")


def answer(message, history):
    with CALLS.open("a") as calls:
        calls.write(f"{message}\\n")
    time.sleep(0.2)  # long enough for replicas starting together to overlap
    return {"text": f"answer to {message}", "files": [str(CALLS.with_name("chart.txt"))]}
"""


def test_replicas_starting_together_compute_each_example_answer_once(
    write_config, live_server, postgres_url: str, s3_url: str, tmp_path: Path
) -> None:
    (tmp_path / "chart.txt").write_text("a chart")
    config = (
        "fn: bot.py:answer\ncache_examples: true\nexamples: [hello, bye]\n"
        "server: {{data_dir: {}, database: {}, storage: {}, allowed_paths: [.]}}\n"
    )
    configs = [
        write_config(config.format(name, postgres_url, s3_url), f"{name}.yaml", COUNTING_PY)
        for name in ("one", "two", "three")
    ]
    with ThreadPoolExecutor(3) as pool:
        replicas = list(pool.map(live_server, configs))
    assert sorted((tmp_path / "calls.txt").read_text().split()) == ["bye", "hello"]
    for replica in replicas:
        answer = httpx.post(f"{replica.url}/api/chat", json={"message": "bye"}, timeout=10)
        assert answer.headers["chatserve-cache"] == "hit"
        text, chart = answer.json()["messages"][1]["content"], answer.json()["messages"][0]
        assert text == "answer to bye"
        file_url = f"{replica.url}/{chart['content']['file']['url']}"
        assert httpx.get(file_url).content == b"a chart"
