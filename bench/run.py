"""Benchmark chatserve against the floor, a bare Litestar streaming endpoint, in one run.

    python bench/run.py [--tokens 200] [--quick] [--out FILE]

Each subject is started as a subprocess on a free loopback port and measured by the same
functions: cold start, idle memory, page weight, one stream's timing, calls/s and p99 latency
at 1, 16 and 64 concurrent streams, server CPU per token and memory after load. The result is a
Markdown table with the ratio chatserve / floor.

Linux only: memory and CPU time are read from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import gzip
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
from servers import HOST, Server, Subject, cpu_seconds, launch, rss_bytes
from sse import contract_problems, parse_events, reply_started

LEVELS = (1, 16, 64)
CALL_TIMEOUT = 30.0


@dataclass(frozen=True)
class Plan:
    """How much to measure; `--quick` shrinks every count and duration."""

    tokens: int = 200
    starts: int = 3
    streams: int = 20
    seconds: float = 3.0
    max_calls: int = 20_000

    @classmethod
    def quick(cls, tokens: int) -> Plan:
        return cls(tokens=tokens, starts=1, streams=3, seconds=0.5, max_calls=2_000)


SUBJECTS = (
    Subject(
        "floor",
        lambda port: [sys.executable, "-m", "uvicorn", "floor:app", "--app-dir", "bench",
                      "--host", HOST, "--port", str(port)],
    ),
    Subject(
        "chatserve",
        lambda port: [sys.executable, "-m", "chatserve", "serve", "configs/bench.yaml",
                      "--host", HOST, "--port", str(port)],
    ),
)  # fmt: skip


@dataclass
class Stream:
    """One streamed reply as the client saw it."""

    status: int
    content_type: str
    first: float
    total: float
    wire: int
    events: list[tuple[str, str]]


@dataclass
class Load:
    """Many replies at a fixed concurrency."""

    seconds: float = 0.0
    client_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: int = 0

    @property
    def calls(self) -> int:
        return len(self.latencies) + self.failures


# Page weight ------------------------------------------------------------------------------


class AssetParser(HTMLParser):
    """Collects the src of <script> and the href of <link> tags."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        self.urls.extend(value for name, value in attrs if name == wanted and value)


def asset_urls(html: str, page: str) -> list[str]:
    """Absolute URLs of the page's scripts and links that the server itself serves."""
    parser = AssetParser()
    parser.feed(html)
    urls = (urljoin(page, url) for url in parser.urls)
    return list(dict.fromkeys(url for url in urls if url.startswith(page)))


async def fetch(client: httpx.AsyncClient, url: str, encoding: str) -> tuple[bytes, int, bool]:
    """The body, the bytes on the wire, and whether the server gzipped it."""
    async with client.stream("GET", url, headers={"Accept-Encoding": encoding}) as response:
        response.raise_for_status()
        body = await response.aread()
        gzipped = response.headers.get("content-encoding") == "gzip"
        return body, response.num_bytes_downloaded, gzipped


async def page_weight(client: httpx.AsyncClient, url: str) -> dict[str, float]:
    """GET / and every asset it references: files, raw bytes, gzip bytes (served or computed)."""
    html, _, _ = await fetch(client, f"{url}/", "identity")
    files = [f"{url}/", *asset_urls(html.decode(), f"{url}/")]
    raw = gzipped = served = 0
    for file in files:
        body, _, _ = await fetch(client, file, "identity")
        _, wire, compressed = await fetch(client, file, "gzip")
        raw += len(body)
        gzipped += wire if compressed else len(gzip.compress(body))
        served += compressed
    return {"page_files": len(files), "page_raw": raw, "page_gzip": gzipped,
            "page_gzip_served": served}  # fmt: skip


# Streams ----------------------------------------------------------------------------------


def chat_request(url: str) -> dict[str, object]:
    body = {"message": "benchmark", "history": [], "stream": True}
    return {"method": "POST", "url": f"{url}/api/chat", "json": body}


async def stream_once(client: httpx.AsyncClient, url: str) -> Stream:
    """One streamed reply: time to its first reply event, total time, body bytes, events."""
    started = time.perf_counter()
    first = 0.0
    body = b""
    async with client.stream(**chat_request(url)) as response:
        async for chunk in response.aiter_bytes():
            body += chunk
            if not first and reply_started(body):
                first = time.perf_counter() - started
        total = time.perf_counter() - started
        content_type = response.headers.get("content-type", "")
        return Stream(response.status_code, content_type, first, total,
                      response.num_bytes_downloaded, parse_events(body.decode()))  # fmt: skip


def stream_problems(stream: Stream, expected: str) -> list[str]:
    """Where a stream departs from the wire contract or from the expected reply."""
    if stream.status != 200 or not stream.content_type.startswith("text/event-stream"):
        return [f"answered {stream.status} {stream.content_type!r}"]
    return contract_problems(stream.events, expected)


async def call(client: httpx.AsyncClient, url: str) -> bool:
    """One streamed reply read to the end; True if it answered 200 and ended with `done`."""
    body = b""
    with contextlib.suppress(httpx.HTTPError):
        async with client.stream(**chat_request(url)) as response:
            async for chunk in response.aiter_bytes():
                body += chunk
            return response.status_code == 200 and b"event: done" in body
    return False


async def load(url: str, concurrency: int, plan: Plan) -> Load:
    """`concurrency` clients calling back to back for `plan.seconds` (or `plan.max_calls`).

    Each client has its own connection, like a browser; sharing one httpx pool among many
    streams makes the pool, not the server, the bottleneck. Clients are made before the clock
    starts (each builds an SSL context, which takes milliseconds).
    """
    result = Load()
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(timeout=CALL_TIMEOUT))
            for _ in range(concurrency)
        ]
        started, cpu = time.perf_counter(), time.process_time()
        deadline = started + plan.seconds

        async def client_loop(client: httpx.AsyncClient) -> None:
            while time.perf_counter() < deadline and result.calls < plan.max_calls:
                begun = time.perf_counter()
                if await call(client, url):
                    result.latencies.append(time.perf_counter() - begun)
                else:
                    result.failures += 1

        async with asyncio.timeout(plan.seconds + CALL_TIMEOUT), asyncio.TaskGroup() as group:
            for client in clients:
                group.create_task(client_loop(client))
        result.seconds = time.perf_counter() - started
        result.client_cpu = time.process_time() - cpu
    return result


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# Measuring a subject ----------------------------------------------------------------------


@dataclass
class Result:
    """A subject's metrics, and what the table cannot show."""

    metrics: dict[str, float]
    problems: list[str] = field(default_factory=list)
    wrapped: bool = False


async def measure(subject: Subject, plan: Plan) -> Result:
    """Every metric of one subject; the last of its cold starts stays up for the rest."""
    startups = []
    for _ in range(plan.starts - 1):
        async with launch(subject, plan.tokens) as server:
            startups.append(server.startup)
    async with launch(subject, plan.tokens) as server:
        startups.append(server.startup)
        await asyncio.sleep(0.5)  # let start-up work that follows /healthz settle
        result = Result({"startup": statistics.median(startups), "rss_idle": rss_bytes(server.pid)})
        async with httpx.AsyncClient(timeout=CALL_TIMEOUT) as client:
            result.metrics["first_call"] = (await stream_once(client, server.url)).total
            result.metrics |= await page_weight(client, server.url)
            streams = await single_streams(client, server.url, plan)
        result.metrics |= await loads(server, plan)
        result.metrics |= stream_metrics(streams)
        result.metrics["rss_loaded"] = rss_bytes(server.pid)
        expected = " ".join(f"token{i}" for i in range(plan.tokens))
        result.problems = sorted({p for s in streams for p in stream_problems(s, expected)})
        result.wrapped = server.pid != server.process.pid
        return result


async def single_streams(client: httpx.AsyncClient, url: str, plan: Plan) -> list[Stream]:
    """`plan.streams` replies one at a time, after two warm-up calls."""
    for _ in range(2):
        await call(client, url)
    return [await stream_once(client, url) for _ in range(plan.streams)]


def stream_metrics(streams: list[Stream]) -> dict[str, float]:
    return {
        "first": statistics.median(s.first for s in streams),
        "total": statistics.median(s.total for s in streams),
        "wire": statistics.median(s.wire for s in streams),
        "events": statistics.median(len(s.events) for s in streams),
    }


async def loads(server: Server, plan: Plan) -> dict[str, float]:
    """Calls/s and p99 latency at each concurrency level, and server CPU per token."""
    metrics: dict[str, float] = {"failures": 0}
    streamed = client_cpu = seconds = 0.0
    cpu = cpu_seconds(server.pid)
    for level in LEVELS:
        result = await load(server.url, level, plan)
        metrics[f"rate_{level}"] = len(result.latencies) / result.seconds
        metrics[f"p99_{level}"] = percentile(result.latencies, 99)
        metrics["failures"] += result.failures
        streamed += len(result.latencies) * plan.tokens
        client_cpu += result.client_cpu
        seconds += result.seconds
    metrics["cpu_token"] = (cpu_seconds(server.pid) - cpu) / max(1, streamed)
    metrics["client_busy"] = client_cpu / seconds
    return metrics


# Report -----------------------------------------------------------------------------------


def rows(tokens: int) -> list[tuple[str, str, Callable[[float], str]]]:
    """(metric key, label, formatter) for each line of the table."""
    ms = lambda v: f"{v * 1000:,.1f}"  # noqa: E731
    mib = lambda v: f"{v / 2**20:,.1f}"  # noqa: E731
    count = lambda v: f"{v:,.0f}"  # noqa: E731
    return [
        ("startup", "cold start to /healthz 200 (ms)", ms),
        ("rss_idle", "idle RSS (MiB)", mib),
        ("page_files", "page files (/ + assets)", count),
        ("page_raw", "page weight, raw (bytes)", count),
        ("page_gzip", "page weight, gzip (bytes)", count),
        ("first_call", "first chat call after start, total time (ms)", ms),
        ("first", f"time to first reply event, {tokens}-token stream (ms)", ms),
        ("total", f"total time, {tokens}-token stream (ms)", ms),
        ("wire", f"bytes on the wire per {tokens}-token stream", count),
        ("events", f"SSE events per {tokens}-token stream", count),
        *((f"rate_{n}", f"calls/s at {n} concurrent", lambda v: f"{v:,.1f}") for n in LEVELS),
        *((f"p99_{n}", f"p99 latency at {n} concurrent (ms)", ms) for n in LEVELS),
        ("cpu_token", "server CPU per token (µs)", lambda v: f"{v * 1e6:,.2f}"),
        ("rss_loaded", "RSS after load (MiB)", mib),
        ("failures", "failed calls under load", count),
    ]


def ratio(floor: float, chatserve: float) -> str:
    if not floor or math.isnan(floor) or math.isnan(chatserve):
        return "n/a"
    return f"{chatserve / floor:,.2f}"


def table(results: dict[str, Result], plan: Plan) -> str:
    floor, chatserve = results["floor"].metrics, results["chatserve"].metrics
    lines = ["| metric | floor | chatserve | ratio |", "|---|---:|---:|---:|"]
    for key, label, show in rows(plan.tokens):
        a, b = floor[key], chatserve[key]
        lines.append(f"| {label} | {show(a)} | {show(b)} | {ratio(a, b)} |")
    return "\n".join(lines)


def notes(results: dict[str, Result], plan: Plan, busy_before: float) -> str:
    """Machine, date, settings, and anything about a subject that changes how to read it."""
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cpus = len(os.sched_getaffinity(0))
    lines = [
        f"Machine: {cpus} CPUs ({cpu_model()}), Linux {platform.release()}, "
        f"Python {platform.python_version()}; {today}; "
        f"load average {busy_before:.2f} before the run (other work on the machine skews ratios).",
        f"Settings: {plan.tokens} tokens per reply; cold starts: {plan.starts}; single streams: "
        f"{plan.streams}; seconds per concurrency level: {plan.seconds:g}. "
        "The load client shares the machine with the server.",
    ]
    for name, result in results.items():
        lines.append(f"{name}: page gzip bytes {gzip_source(result.metrics)}.")
        busy = result.metrics["client_busy"]
        lines.append(f"{name}: the load client kept {busy:.0%} of a CPU busy during the load.")
        if result.wrapped:
            lines.append(f"{name}: memory and CPU are those of the serving child process.")
        problems = "; ".join(result.problems) or "none"
        lines.append(f"{name}: departures from the stream contract: {problems}.")
    return "\n".join(f"- {line}" for line in lines)


def gzip_source(metrics: dict[str, float]) -> str:
    served, files = metrics["page_gzip_served"], metrics["page_files"]
    if served == files:
        return "as served (the server compresses)"
    if not served:
        return "computed (the server does not compress)"
    return f"as served for {served:.0f} of {files:.0f} files, computed for the rest"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


async def run(plan: Plan) -> str:
    busy_before = os.getloadavg()[0]
    results = {subject.name: await measure(subject, plan) for subject in SUBJECTS}
    return f"{table(results, plan)}\n\n{notes(results, plan, busy_before)}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200, help="tokens per reply (200)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    plan = Plan.quick(args.tokens) if args.quick else Plan(tokens=args.tokens)
    return report(run(plan), args.out)


def report(measure: Coroutine[Any, Any, str], out: Path | None) -> int:
    """Run a benchmark and print its report (also to `out`); the command's exit status."""
    try:
        text = asyncio.run(measure)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(text, end="")
    if out:
        out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
