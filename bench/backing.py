"""Real backing services on loopback ports, for the benchmarks and the tests: a PostgreSQL
from Debian's binaries and an S3 API (moto's server), each thrown away when its block ends."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from servers import free_port

POSTGRES_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    # Thrown-away data: never wait for the disk.
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "max_connections": "200",
}
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class PostgresServer:
    """A PostgreSQL server that trusts every connection from loopback."""

    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database; its URL."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)


@dataclass(frozen=True)
class S3Server:
    """An S3 API (moto) and the AWS_* variables that point S3 clients at it."""

    endpoint: str
    env: dict[str, str]

    def create_bucket(self, name: str) -> None:
        httpx.put(f"{self.endpoint}/{name}").raise_for_status()  # moto needs no signature


def postgres_bin() -> Path:
    """The binaries of the newest PostgreSQL Debian installed (they are not on PATH)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda initdb: int(initdb.parent.parent.name),
    )
    if not found:
        raise RuntimeError("PostgreSQL is missing: apt-get install -y postgresql")
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
    name: str, process: subprocess.Popen[bytes], ready: Callable[[], bool], log: Path
) -> None:
    """Wait until `ready()`; if the process exits or takes too long first, raise with its log."""
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{output}")
        if time.monotonic() > deadline:
            process.kill()
            output = log.read_text(errors="replace")
            raise RuntimeError(f"{name} did not start within {START_TIMEOUT:g} s:\n{output}")
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    process.send_signal(sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def postgres(logs: Path) -> Iterator[PostgresServer]:
    """A PostgreSQL server for the block, superuser `chatserve`, its log in `logs`."""
    import psycopg

    bindir = postgres_bin()
    log = logs / "postgres.log"
    server = PostgresServer("127.0.0.1", free_port(), "chatserve")
    # The data lives outside the caller's temp dirs, which only root may enter (pytest's), and
    # under a path short enough for the unix socket.
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

        try:
            wait_for_process("postgres", process, accepts_connections, log)
            yield server
        finally:
            stop(process, signal.SIGINT)  # "fast" shutdown: disconnects the clients left


@contextmanager
def moto(logs: Path) -> Iterator[S3Server]:
    """An S3 API for the block: moto's server, accepting any credentials."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = logs / "moto.log"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with log.open("w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)

    def answers() -> bool:
        try:
            return httpx.get(endpoint, timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
    }
    try:
        wait_for_process("moto.server", process, answers, log)
        yield S3Server(endpoint, env)
    finally:
        stop(process)


NGINX = Path("/usr/sbin/nginx")


@contextmanager
def nginx(prefix: Path, http_block: str, probe: str) -> Iterator[str]:
    """nginx for the block, with the contents of an `http` block (`{port}` in them is its own
    port), its files in `prefix`; its URL, once `probe` answers through it."""
    if not NGINX.exists():
        raise RuntimeError(f"{NGINX} is missing: apt-get install -y nginx")
    port = free_port()
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = prefix / "nginx.conf"
    config.write_text(
        # As root, workers would switch to `nobody`, who may not enter the caller's temp dirs.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} info;\n"
        "events { worker_connections 4096; }\n"
        f"http {{\n{temp}\n{http_block.replace('{port}', str(port))}\n}}\n"
    )
    log = prefix / "output.log"
    command = [str(NGINX), "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(config)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "-g", "daemon off;"], stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            httpx.get(url + probe, timeout=1)
        except httpx.TransportError:
            return False
        return True

    try:
        wait_for_process("nginx", process, answers, log)
        yield url
    finally:
        stop(process)
