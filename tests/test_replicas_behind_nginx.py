"""Three replicas of one bot behind a real nginx that balances without stickiness (the proxy
settings of `deploy/nginx-replicas.conf`), sharing a real PostgreSQL and an S3 bucket (moto):
a user's whole visit works whichever replica serves each request, and killing a replica fails
only the streams it was serving."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from helpers import parse_sse, wait_until
from proxying import Nginx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
REPLICAS = ("one", "two", "three")

BOT_PY = """
import pathlib
import time


def reply(message, history):
    text, files = message["text"], message["files"]
    if files:
        yield f"read {pathlib.Path(files[0]).read_text()!r}"
    elif text == "hello":
        yield "hello there"
    elif text == "slow":
        for tick in range(1, 31):
            time.sleep(0.1)
            yield "tick " * tick
    else:
        for word in range(1, 4):
            time.sleep(0.05)
            yield f"{text} " * word
"""

CONFIG = """
fn: bot.py:reply
multimodal: true
cache_examples: true
examples: [hello]
flagging_mode: manual
server:
  data_dir: {name}
  database: {database}
  storage: {storage}
  forwarded_allow_ips: [127.0.0.1]
  auth:
    users: [{{username: ana, password: "{password}"}}]
    secret: a-session-key-replicas-share-0123456789
"""

LOG_FORMAT = "log_format replicas '$request_method $uri $status $upstream_addr';"


def proxy_block(ports: list[int], log: Path) -> str:
    """`deploy/nginx-replicas.conf`'s upstream and server, pointed at replicas on loopback."""
    example = (ROOT / "deploy" / "nginx-replicas.conf").read_text()
    location = re.search(r"\n    location / \{.*?\n    \}", example, flags=re.S)
    assert location and "proxy_buffering off" in location.group()
    servers = "".join(f"        server 127.0.0.1:{port};\n" for port in ports)
    upstream = f"    upstream chatserve {{\n        least_conn;\n{servers}    }}\n"
    server = f"    server {{\n        listen 127.0.0.1:{{port}};{location.group()}\n    }}\n"
    return f"    {LOG_FORMAT}\n    access_log {log} replicas;\n{upstream}{server}"


class Visit:
    """Who served each request through the proxy, read off its access log."""

    def __init__(self, log: Path, replicas: dict[int, str]) -> None:
        self.log = log
        self.replicas = replicas

    def served(self) -> list[tuple[str, str, str]]:
        """(method and path, status, replica) of every request so far."""
        rows = []
        for line in self.log.read_text().splitlines():
            method, path, status, upstream = line.split(" ", 3)
            port = int(upstream.rsplit(":", 1)[1]) if ":" in upstream else 0
            rows.append((f"{method} {path}", status, self.replicas.get(port, upstream)))
        return rows


@pytest.fixture
def cluster(
    write_config, live_server, nginx_with: Nginx, postgres_url: str, s3_url: str, tmp_path: Path
):
    configs = [
        write_config(
            CONFIG.format(name=name, database=postgres_url, storage=s3_url, password=PASSWORD),
            f"{name}.yaml",
            BOT_PY,
        )
        for name in REPLICAS
    ]
    with ThreadPoolExecutor(len(configs)) as pool:
        servers = list(pool.map(live_server, configs))
    ports = [int(server.url.rsplit(":", 1)[1]) for server in servers]
    log = tmp_path / "proxy.log"
    url = nginx_with(proxy_block(ports, log), "/healthz")
    return url, servers, Visit(log, dict(zip(ports, REPLICAS, strict=True)))


def test_a_visit_works_whichever_replica_serves_each_step(cluster, run_chatserve) -> None:
    url, _, visit = cluster
    with httpx.Client(base_url=url, timeout=30) as http:
        form = {"username": "ana", "password": PASSWORD}
        assert http.post("/login", data=form).status_code == 303
        upload = http.post("/api/upload", files={"files": ("note.txt", b"psst")})
        file_id = upload.json()["files"][0]["id"]
        message = {"text": "", "files": [file_id]}
        chat = http.post("/api/chat", json={"message": message, "stream": True})
        history = parse_sse(chat.text)[-1][1]["messages"]
        assert history == [{"role": "assistant", "content": "read 'psst'"}]
        assert http.get(f"/api/files/{file_id}").content == b"psst"
        rated = [{"role": "user", "content": {"file": {"id": file_id}}}, *history]
        flag = http.post("/api/flag", json={"history": rated, "index": 1, "option": "Like"})
        assert flag.json()["stored"] is True
        example = http.post("/api/chat", json={"message": {"text": "hello"}})
        assert example.headers["chatserve-cache"] == "hit"
        assert example.json()["messages"][0]["content"] == "hello there"
    steps = [row for row in visit.served() if row[0] != "GET /healthz"]
    print("\n".join(f"{step:<28} {status} {replica}" for step, status, replica in steps))
    replicas = [replica for _, _, replica in steps]
    assert len(steps) == 6 and set(replicas) == set(REPLICAS), steps
    assert all(a != b for a, b in itertools.pairwise(replicas)), steps  # never twice in a row
    exported = run_chatserve("flags", "three.yaml", "--format", "jsonl")
    [record] = [json.loads(line) for line in exported.stdout.splitlines()]
    assert (record["option"], record["user"]) == ("Like", "ana")
    assert record["files"][0]["name"] == "note.txt"


def test_fifty_conversations_at_once_spread_over_the_replicas(cluster) -> None:
    url, _, visit = cluster
    cookies = _signed_in(url)

    def converse(number: int) -> str:
        body = {"message": {"text": f"n{number}"}, "stream": True}
        with httpx.Client(base_url=url, cookies=cookies, timeout=30) as http:
            events = parse_sse(http.post("/api/chat", json=body).text)
        return events[-1][1]["messages"][0]["content"]

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(converse, range(50)))
    assert answers == [f"n{number} " * 3 for number in range(50)]
    chats = [replica for step, _, replica in visit.served() if step == "POST /api/chat"]
    counts = {replica: chats.count(replica) for replica in REPLICAS}
    print(counts)
    assert all(count >= 5 for count in counts.values()), counts


def test_killing_a_replica_fails_only_its_own_streams(cluster) -> None:
    url, servers, visit = cluster
    cookies = _signed_in(url)
    began = threading.Barrier(31)

    def slow(_: int) -> bool:
        """Whether a 3 s stream ended with `done`."""
        body = {"message": {"text": "slow"}, "stream": True}
        text = ""
        try:
            with httpx.stream(
                "POST", f"{url}/api/chat", json=body, cookies=cookies, timeout=30
            ) as response:
                chunks = response.iter_text()
                text = next(chunks)
                began.wait(timeout=30)
                for chunk in chunks:
                    text += chunk
        except httpx.HTTPError:
            pass  # the replica went away mid-stream
        return bool(text) and parse_sse(text)[-1][0] == "done"

    with ThreadPoolExecutor(30) as pool:
        finished = pool.map(slow, range(30))
        began.wait(timeout=30)  # every stream is under way
        os.kill(servers[1].process.pid, signal.SIGKILL)  # replica "two"
        finished = list(finished)
    wait_until(lambda: len(_slow_rows(visit)) == 30)  # nginx logs a request once it ends
    served_by_two = sum(1 for _, _, replica in _slow_rows(visit) if replica == "two")
    print(f"{finished.count(True)} finished, {finished.count(False)} failed")
    assert 0 < served_by_two < 30
    assert finished.count(False) == served_by_two  # exactly the killed replica's streams
    with httpx.Client(base_url=url, cookies=cookies, timeout=30) as http:
        for number in range(6):  # new requests go to the replicas left
            answer = http.post("/api/chat", json={"message": {"text": f"after{number}"}})
            assert answer.status_code == 200, answer.text


def _signed_in(url: str) -> httpx.Cookies:
    with httpx.Client(base_url=url) as http:
        assert (
            http.post("/login", data={"username": "ana", "password": PASSWORD}).status_code == 303
        )
        return http.cookies


def _slow_rows(visit: Visit) -> list[tuple[str, str, str]]:
    return [row for row in visit.served() if row[0] == "POST /api/chat"]
