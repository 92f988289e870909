"""Start a server as a subprocess on a loopback port, find the process that serves, read /proc.

Linux only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
"""Debian's Chromium, headless and quiet, for the benchmarks that drive a page."""
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Subject:
    """A server to measure: its name and the command that serves it on a port."""

    name: str
    command: Callable[[int], list[str]]
    env: Mapping[str, str] = field(default_factory=dict)
    """Environment variables the server gets besides `TOKENS` (which `launch` sets)."""


@dataclass
class Server:
    """A running subject: its base URL, its process, and how long it took to answer."""

    url: str
    process: subprocess.Popen[bytes]
    startup: float
    pid: int
    """The process that serves, which is a child when the command is a wrapper (a reloader)."""


def free_port() -> int:
    """A port on HOST that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def spawn(subject: Subject, port: int, tokens: int, log: BinaryIO) -> subprocess.Popen[bytes]:
    """Start a subject in its own process group, so that stopping it stops its children too."""
    env = {**os.environ, "TOKENS": str(tokens), **subject.env}
    return subprocess.Popen(
        subject.command(port), cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a subject's process group, then kill whatever is left of it."""
    try:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def proc_stat(pid: int) -> list[str]:
    """Fields 3 onwards of /proc/<pid>/stat (after the parenthesised command name)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process (all its threads) has used so far.

    Read from the process's CPU-time clock, to the nanosecond: /proc/<pid>/stat counts in
    ticks of 10 ms, which is several percent of a short case's CPU time. /proc is the fallback.
    """
    try:
        return time.clock_gettime(_process_clock(pid))
    except OSError:
        fields = proc_stat(pid)
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_clock(pid: int) -> int:
    """Linux's id of the clock that `clock_getcpuclockid(pid)` would return in C: the CPU time
    of the whole process (CPUCLOCK_SCHED, process-wide), as `CLOCK_PROCESS_CPUTIME_ID` is for
    the calling one."""
    return (~pid << 3) | 2


def rss_bytes(pid: int) -> int:
    """Resident memory of the process (VmRSS)."""
    return status_bytes(pid, "VmRSS")


def peak_rss_bytes(pid: int) -> int:
    """The most resident memory the process has had since it started (VmHWM)."""
    return status_bytes(pid, "VmHWM")


def status_bytes(pid: int, key: str) -> int:
    """A size in /proc/<pid>/status, such as VmRSS, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/{pid}/status")


def descendants(pid: int) -> list[int]:
    """`pid` and its descendants, parents before children."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                children.setdefault(int(proc_stat(int(entry.name))[1]), []).append(int(entry.name))
    tree = [pid]
    for parent in tree:
        tree.extend(children.get(parent, []))
    return tree


def listening_inode(port: int) -> str | None:
    """The inode of the socket listening on HOST:port, from /proc/net/tcp."""
    # The kernel prints the address as a native-endian integer of its network-order bytes.
    local = f"{int.from_bytes(socket.inet_aton(HOST), sys.byteorder):08X}:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[3] == "0A":
            return fields[9]
    return None


def serving_pid(root: int, port: int) -> int:
    """The deepest process under `root` that holds the listening socket (`root` if none does).

    A wrapper such as a reloader passes its socket to the child that serves; both hold it.
    """
    socket_link = f"socket:[{listening_inode(port)}]"
    holders = [pid for pid in descendants(root) if socket_link in open_files(pid)]
    return holders[-1] if holders else root


def open_files(pid: int) -> set[str]:
    """What the process's file descriptors point to (empty if it is gone or not ours)."""
    links = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                links.add(os.readlink(fd))
    return links


@contextlib.asynccontextmanager
async def launch(subject: Subject, tokens: int) -> AsyncIterator[Server]:
    """Run a subject until the block exits; the process is stopped even on Ctrl-C."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = spawn(subject, port, tokens, log)
        try:
            url = f"http://{HOST}:{port}"
            await wait_healthy(url, process, log)
            startup = time.perf_counter() - started
            yield Server(url, process, startup, serving_pid(process.pid, port))
        finally:
            stop(process)


async def wait_healthy(url: str, process: subprocess.Popen[bytes], log: BinaryIO) -> None:
    """Poll /healthz until it answers 200; fail with the server's output if it dies or hangs."""
    deadline = time.perf_counter() + STARTUP_TIMEOUT
    async with httpx.AsyncClient(timeout=1.0) as client:
        while time.perf_counter() < deadline and process.poll() is None:
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.005)
    log.seek(0)
    output = log.read().decode(errors="replace")[-4000:]
    raise RuntimeError(f"{url}/healthz did not answer 200 (exit code {process.poll()}):\n{output}")
