"""Shared-state servers for tests: a real PostgreSQL and an S3 (moto) on loopback ports.

Each server starts once per session, on first use; each test gets a database or bucket of its
own (`postgres_url`, `s3_url`). psycopg is imported only when a test asks for PostgreSQL.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import free_port, wait_until

POSTGRES_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    # Test data is thrown away: never wait for the disk.
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "max_connections": "200",
}


@dataclass(frozen=True)
class PostgresServer:
    """A PostgreSQL server that trusts every connection from loopback."""

    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"


@dataclass(frozen=True)
class S3Server:
    """An S3 API (moto) and the AWS_* variables that point S3 clients at it."""

    endpoint: str
    env: dict[str, str]


def postgres_bin() -> Path:
    """The binaries of the newest PostgreSQL Debian installed (they are not on PATH)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda initdb: int(initdb.parent.parent.name),
    )
    if not found:
        pytest.fail("PostgreSQL is missing: apt-get install -y postgresql (.ci/run does this)")
    return found[-1].parent


def scratch_dir() -> str | None:
    """A RAM disk with room to spare, or None for the system's temp dir: on a RAM disk
    `CREATE DATABASE` takes milliseconds instead of a fifth of a second."""
    shm = Path("/dev/shm")
    if shm.is_dir() and shutil.disk_usage(shm).free > 2**30:
        return str(shm)
    return None


def unprivileged() -> dict[str, Any]:
    """`subprocess` options that drop root to `nobody`: PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


def wait_for_process(
    name: str, process: subprocess.Popen, ready: Callable[[], bool], log: Path
) -> None:
    """Wait until `ready()`; if the process exits or takes too long first, fail with its log."""

    def check() -> bool:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{output}")
        return ready()

    try:
        wait_until(check, timeout=30)
    except AssertionError:
        process.kill()
        output = log.read_text(errors="replace")
        raise RuntimeError(f"{name} did not start within 30 s:\n{output}") from None


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    process.send_signal(sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session, superuser `chatserve`, its data thrown away."""
    import psycopg

    bindir = postgres_bin()
    log = tmp_path_factory.mktemp("postgres") / "postgres.log"
    server = PostgresServer("127.0.0.1", free_port(), "chatserve")
    # The data lives outside pytest's temp dir, which only root may enter, and under a path
    # short enough for the unix socket.
    with tempfile.TemporaryDirectory(prefix="chatserve-postgres-", dir=scratch_dir()) as data:
        as_postgres = unprivileged()
        if as_postgres:
            os.chown(data, as_postgres["user"], as_postgres["group"])
        initdb = [bindir / "initdb", "-D", data, "-U", server.user, "--auth=trust", "--no-sync"]
        initdb += ["-E", "UTF8", "--locale=C"]
        done = subprocess.run(initdb, capture_output=True, text=True, **as_postgres)
        if done.returncode:
            raise RuntimeError(f"initdb exited with {done.returncode}:\n{done.stdout}{done.stderr}")

        command = [bindir / "postgres", "-D", data, "-p", str(server.port), "-k", data]
        command += [f"-c{name}={value}" for name, value in POSTGRES_SETTINGS.items()]
        with log.open("w") as handle:
            process = subprocess.Popen(
                command, stdout=handle, stderr=subprocess.STDOUT, **as_postgres
            )

        def accepts_connections() -> bool:
            try:
                psycopg.connect(server.url("postgres"), connect_timeout=2).close()
            except psycopg.OperationalError:
                return False
            return True

        wait_for_process("postgres", process, accepts_connections, log)
        yield server
        stop(process, signal.SIGINT)  # "fast" shutdown: disconnects the clients left


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty database, dropped after the test."""
    import psycopg
    from psycopg import sql

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = postgres_server.url("postgres")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield postgres_server.url(name)
    with psycopg.connect(admin, autocommit=True) as connection:
        drop = sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
        connection.execute(drop)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """An S3 API for the session: moto's server, accepting any credentials."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("s3") / "moto.log"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with log.open("w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)

    def answers() -> bool:
        try:
            return httpx.get(endpoint, timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_for_process("moto.server", process, answers, log)
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
    }
    yield S3Server(endpoint, env)
    stop(process)


@pytest.fixture
def s3_url(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """`s3://BUCKET/chat`: a prefix in a fresh bucket, with the AWS_* variables set for this
    test and the processes it starts."""
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    httpx.put(f"{s3_server.endpoint}/{bucket}").raise_for_status()  # moto needs no signature
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    return f"s3://{bucket}/chat"
