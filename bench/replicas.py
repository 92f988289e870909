"""Replicas: what sharing state costs per operation, and what a second replica buys.

1. An upload (100 KB), a flag, and a file fetch, timed on chatserve with `server.database`
   (PostgreSQL) and `server.storage` (S3: moto's server) against chatserve on SQLite and its data
   dir, both running side by side and asked in turns. The fetch is timed twice on the shared
   side: from the replica that has the file, and from a second replica that first fetches it
   from the bucket.
2. Paced streams (`bench/paced_bot.py`: 50 tokens, 40 ms apart) through nginx to one, then two
   replicas on PostgreSQL + S3: p50/p99 finish past ideal, CPU per token of the replicas and of
   nginx, failed streams. On a 2-core machine two replicas can use both cores, no more.

    python bench/replicas.py [--quick]

It starts its own PostgreSQL (Debian's), moto and nginx on loopback ports.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
from backing import moto, nginx, postgres
from paced import parsed, run_streams, tokens_and_events
from run import percentile, ratio, report
from servers import HOST, Server, Subject, cpu_seconds, descendants, launch

FILES_BOT = "fn: paced_bot.py:reply\nflagging_mode: manual\nmultimodal: true\n"
PACED_BOT = "fn: paced_bot.py:reply\n"
QUOTAS = "quotas: {uploads_per_minute: 100000, flags_per_minute: 100000}"
"""The benchmark uploads and rates more than a client is allowed by default."""
UPLOAD = b"x" * 100_000
HISTORY = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]


def subject(name: str, config: Path, env: dict[str, str]) -> Subject:
    return Subject(
        name,
        lambda port: [sys.executable, "-m", "chatserve", "serve", str(config), "--host", HOST,
                      "--port", str(port), "--no-reload"],
        env,
    )  # fmt: skip


async def timed(operation: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Median and p95 milliseconds of `rounds` calls of a blocking `operation`."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await asyncio.to_thread(operation)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), percentile(times, 95)


async def operations(local: Server, shared: Server, other: Server, rounds: int) -> list[str]:
    """The table rows of part 1."""
    rows = []
    clients = {name: httpx.Client(base_url=s.url) for name, s in
               (("local", local), ("shared", shared), ("other", other))}  # fmt: skip
    try:
        uploaded: dict[str, list[str]] = {"local": [], "shared": []}

        def upload(name: str) -> Callable[[], object]:
            def call() -> None:
                answer = clients[name].post("/api/upload", files={"files": ("f.bin", UPLOAD)})
                uploaded[name].append(answer.raise_for_status().json()["files"][0]["id"])

            return call

        def flag(name: str) -> Callable[[], object]:
            body = {"history": HISTORY, "index": 1, "option": "Like"}
            return lambda: clients[name].post("/api/flag", json=body).raise_for_status()

        def fetch(name: str, source: str) -> Callable[[], object]:
            ids = iter(uploaded[source])
            return lambda: clients[name].get(f"/api/files/{next(ids)}").raise_for_status()

        cases = [
            ("upload, 100 KB", upload("local"), upload("shared")),
            ("flag", flag("local"), flag("shared")),
            ("file fetch, same replica", fetch("local", "local"), fetch("shared", "shared")),
            ("file fetch, another replica", None, fetch("other", "shared")),
        ]
        for label, on_local, on_shared in cases:
            local_ms = await timed(on_local, rounds) if on_local else None
            rows.append(_row(label, local_ms, await timed(on_shared, rounds)))
    finally:
        for client in clients.values():
            client.close()
    return rows


def _row(label: str, local: tuple[float, float] | None, shared: tuple[float, float]) -> str:
    shown = f"{local[0]:.2f} / {local[1]:.2f}" if local else "n/a"
    return (
        f"| {label}: median / p95 (ms) | {shown} | {shared[0]:.2f} / {shared[1]:.2f} | "
        f"{ratio(local[0], shared[0]) if local else 'n/a'} |"
    )


@contextlib.asynccontextmanager
async def replicas(configs: list[Path], env: dict[str, str]) -> AsyncIterator[list[Server]]:
    """A replica for each config (each names a data dir of its own)."""
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(launch(subject(config.stem, config, env), 50))
            for config in configs
        ]


async def paced(
    servers: list[Server], folder: Path, streams: int, tokens: int, delay: float
) -> tuple[str, ...]:
    """One row of part 2: `streams` paced streams through nginx to `servers`."""
    ports = [int(server.url.rsplit(":", 1)[1]) for server in servers]
    upstream = "".join(f"        server {HOST}:{port};\n" for port in ports)
    block = (
        f"    access_log off;\n    upstream chatserve {{\n        least_conn;\n{upstream}    }}\n"
        "    server {\n        listen 127.0.0.1:{port};\n        location / {\n"
        "            proxy_pass http://chatserve;\n            proxy_http_version 1.1;\n"
        "            proxy_set_header Host $http_host;\n            proxy_buffering off;\n"
        "        }\n    }\n"
    )
    folder.mkdir()
    with nginx(folder, block, "/healthz") as url:
        proxy = int(url.rsplit(":", 1)[1])
        nginx_pids = descendants(int((folder / "nginx.pid").read_text()))
        pids = [server.pid for server in servers]
        before = [cpu_seconds(pid) for pid in pids], [cpu_seconds(pid) for pid in nginx_pids]
        results = await run_streams(proxy, streams, str(tokens), limit=tokens * delay + 60)
        after = [cpu_seconds(pid) for pid in pids], [cpu_seconds(pid) for pid in nginx_pids]
    replies = [parsed(stream) for stream in results]
    good = [r for r in replies if r and r.status == 200 and tokens_and_events(r)[0] == tokens]
    late = [(r.finish - tokens * delay) * 1000 for r in good]
    total = streams * tokens
    chatserve_cpu = (sum(after[0]) - sum(before[0])) / total * 1e6
    nginx_cpu = (sum(after[1]) - sum(before[1])) / total * 1e6
    return (
        f"{percentile(late, 50):,.0f}",
        f"{percentile(late, 99):,.0f}",
        f"{chatserve_cpu:.1f}",
        f"{nginx_cpu:.1f}",
        str(streams - len(good)),
    )


async def measure(rounds: int, streams: int, tokens: int, delay: float) -> str:
    bench = Path(__file__).resolve().parent
    written: list[Path] = []

    def config(text: str) -> Path:
        """A config beside `paced_bot.py`, removed at the end."""
        path = bench / f".replicas-{uuid.uuid4().hex[:8]}.yaml"
        path.write_text(text)
        written.append(path)
        return path

    with tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as cleanup:
        folder = Path(scratch)
        cleanup.callback(lambda: [path.unlink(missing_ok=True) for path in written])
        database_server = cleanup.enter_context(postgres(folder))
        s3 = cleanup.enter_context(moto(folder))
        s3.create_bucket("bench")
        database = database_server.create_database("bench")
        env = {**s3.env, "DELAY": repr(delay)}

        def shared(bot: str, data_dir: str) -> Path:
            server = (
                f"database: {database}, storage: s3://bench/chat, data_dir: {folder / data_dir}"
            )
            return config(f"{bot}server: {{{server}, {QUOTAS}}}\n")

        local = config(FILES_BOT + f"server: {{data_dir: {folder / 'local'}, {QUOTAS}}}\n")
        async with (
            launch(subject("local", local, env), tokens) as on_disk,
            replicas([shared(FILES_BOT, "a"), shared(FILES_BOT, "b")], env) as pair,
        ):
            rows = await operations(on_disk, *pair, rounds)
        lines = [
            "| operation | SQLite + data dir | PostgreSQL + S3 | ratio |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            f"| {streams:,} paced streams through nginx | p50 late (ms) | p99 late (ms) "
            "| replicas' CPU/token (µs) | nginx CPU/token (µs) | failed |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        paced_replicas = [shared(PACED_BOT, "c"), shared(PACED_BOT, "d")]
        for count in (1, 2):
            async with replicas(paced_replicas[:count], env) as servers:
                row = await paced(servers, folder / f"nginx-{count}", streams, tokens, delay)
            lines.append(f"| {count} replica(s) | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--streams", type=int, default=1500, help="paced streams (1500)")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    if args.quick:
        return report(measure(rounds=5, streams=20, tokens=5, delay=0.01), args.out)
    return report(measure(rounds=50, streams=args.streams, tokens=50, delay=0.04), args.out)


if __name__ == "__main__":
    sys.exit(main())
