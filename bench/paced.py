"""Paced streams: chatserve against the floor when a model sets the pace of the tokens.

    python bench/paced.py [--streams 100,500,1000] [--tokens 50] [--delay 0.04] [--quick]
                          [--out FILE] [--uvloop]

For each level, N clients connect, then send their requests at once; each stream is a reply of
`--tokens` tokens, `--delay` seconds apart, each token its own event. chatserve serves
`bench/paced_bot.yaml` (an async generator that yields the whole reply so far); the floor is
`bench/paced_floor.py`. Two more cases run at the smallest level: chatserve's chat function as
a sync generator (`time.sleep` in a worker thread), and a 2,000-token reply 5 ms apart. Every
case starts fresh servers. The result is a Markdown table with the ratio chatserve / floor.

Linux only: memory and CPU time are read from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import importlib.util
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from run import cpu_model, percentile, ratio, report
from servers import HOST, Subject, cpu_seconds, launch, peak_rss_bytes
from sse import REPLY_EVENTS, contract_problems, parse_events, replay

READ_SIZE = 65_536
STREAM_TIMEOUT = 120.0
"""Seconds a stream may take beyond its ideal length before it counts as failed."""
LONG_TOKENS = 2_000
LONG_DELAY = 0.005


@dataclass(frozen=True)
class Stack:
    """The uvicorn event loop and HTTP implementation both servers are started with."""

    loop: str = "asyncio"
    http: str = "h11"


UVLOOP = Stack("uvloop", "httptools")


@dataclass(frozen=True)
class Case:
    """One measured level: `streams` concurrent replies of `tokens` tokens, `delay` s apart."""

    label: str
    streams: int
    tokens: int
    delay: float
    metrics: tuple[str, ...]
    """The rows of the table this case fills (names of `Level` fields)."""
    config: str = "bench/paced_bot.yaml"
    """The bot chatserve serves; the floor's reply is the same for every case."""

    @property
    def ideal(self) -> float:
        """Seconds a stream takes from a server that costs nothing: the bot's sleeps."""
        return self.tokens * self.delay

    @property
    def reply(self) -> str:
        return " ".join(f"token{i}" for i in range(self.tokens))


LEVEL_METRICS = ("cpu", "finish_p50", "finish_p99", "gap_p99", "peak_rss", "errors")
LONG_METRICS = ("wire", "cpu", "finish_p99", "peak_rss", "errors")
SYNC_CONFIG = "bench/paced_bot_sync.yaml"


def cases(
    levels: list[int], tokens: int, delay: float, long_tokens: int, long_delay: float
) -> list[Case]:
    """A case per level, then the sync generator and the long reply at the smallest level."""
    first, *others = sorted(levels)
    long_label = f"{long_tokens:,} tokens {long_delay * 1000:g} ms apart, {first:,} streams"
    return [
        Case(f"{first:,} streams", first, tokens, delay, ("wire", *LEVEL_METRICS)),
        *(Case(f"{n:,} streams", n, tokens, delay, LEVEL_METRICS) for n in others),
        Case(f"sync generator, {first:,} streams", first, tokens, delay, LEVEL_METRICS,
             SYNC_CONFIG),
        Case(long_label, first, long_tokens, long_delay, LONG_METRICS),
    ]  # fmt: skip


def stream_counts(text: str) -> list[int]:
    """`--streams`: positive counts separated by commas."""
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"expected counts such as 100,500,1000, got {text!r}")
    return counts


def subjects(case: Case, stack: Stack) -> tuple[Subject, Subject]:
    """The floor and chatserve, both on `stack`."""
    env = {"DELAY": repr(case.delay)}
    floor = Subject(
        "floor",
        lambda port: [sys.executable, "-m", "uvicorn", "paced_floor:app", "--app-dir", "bench",
                      "--host", HOST, "--port", str(port), "--loop", stack.loop,
                      "--http", stack.http],
        env,
    )  # fmt: skip
    chatserve = Subject(
        "chatserve",
        lambda port: [sys.executable, "-m", "chatserve", "serve", case.config,
                      "--host", HOST, "--port", str(port), "--no-reload", "--loop", stack.loop,
                      "--http", stack.http],
        env,
    )  # fmt: skip
    return floor, chatserve


# The client ---------------------------------------------------------------------------------


@dataclass
class Stream:
    """One stream as the client saw it: when its request went out, what each read brought."""

    sent: float = math.nan
    arrivals: list[float] = field(default_factory=list)
    data: list[bytes] = field(default_factory=list)
    error: str | None = None


def chat_request(port: int, message: str) -> bytes:
    """A hand-written streaming `POST /api/chat`; no Origin header, as a non-browser client."""
    body = json.dumps({"message": message, "stream": True}).encode()
    head = (
        f"POST /api/chat HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Accept: text/event-stream\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def connect(port: int, stream: Stream) -> Connection | None:
    """A connection to the server, or None (and the stream's error) if it cannot be made."""
    try:
        return await asyncio.open_connection(HOST, port)
    except OSError as exc:
        stream.error = f"connect: {exc!r}"
        return None


async def receive(connection: Connection, request: bytes, stream: Stream, limit: float) -> None:
    """Send `request`, then timestamp every read until the server closes the connection."""
    reader, writer = connection
    try:
        async with asyncio.timeout(limit):
            stream.sent = time.perf_counter()
            writer.write(request)
            while data := await reader.read(READ_SIZE):
                stream.arrivals.append(time.perf_counter())
                stream.data.append(data)
    except (OSError, TimeoutError) as exc:
        stream.error = f"read: {exc!r}"
    finally:
        writer.close()


async def run_streams(port: int, count: int, message: str, limit: float) -> list[Stream]:
    """`count` streams: every connection is opened first, then all requests go out together."""
    streams = [Stream() for _ in range(count)]
    connections = await asyncio.gather(*(connect(port, stream) for stream in streams))
    request = chat_request(port, message)
    await asyncio.gather(
        *(
            receive(connection, request, stream, limit)
            for connection, stream in zip(connections, streams, strict=True)
            if connection is not None
        )
    )
    return streams


# Reading the streams after the run ---------------------------------------------------------


@dataclass
class Reply:
    """A stream's response, parsed: status, events, and its timing against the ideal."""

    status: int
    events: list[tuple[str, str]]
    wire: int
    finish: float
    """Seconds from the request to the last byte."""
    largest_gap: float
    """The longest silence between two reads."""


def parse(stream: Stream) -> Reply:
    """The response of a stream that ended (raises ValueError for a malformed one)."""
    raw = b"".join(stream.data)
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        body = dechunk(body)
    gaps = [b - a for a, b in zip(stream.arrivals, stream.arrivals[1:], strict=False)]
    return Reply(status, parse_events(body.decode()), len(raw),
                 stream.arrivals[-1] - stream.sent, max(gaps, default=0.0))  # fmt: skip


def dechunk(body: bytes) -> bytes:
    """The payload of a chunked transfer coding (trailers ignored)."""
    parts, at = [], 0
    while True:
        end = body.index(b"\r\n", at)
        size = int(body[at:end].split(b";")[0], 16)
        if not size:
            return b"".join(parts)
        parts.append(body[end + 2 : end + 2 + size])
        at = end + 2 + size + 2


def tokens_and_events(reply: Reply) -> tuple[int, int]:
    """Tokens the reply's events add up to, and how many events carried text; (0, 0) when the
    events do not have the documented shape."""
    try:
        text = replay(reply.events)[0]
        carried = [
            json.loads(data)["text"] if name == "delta" else json.loads(data)["message"]["content"]
            for name, data in reply.events
            if name in REPLY_EVENTS
        ]
    except (ValueError, LookupError, TypeError):
        return 0, 0
    return len(text.split()), sum(map(bool, carried))


def parsed(stream: Stream) -> Reply | None:
    """The stream's response; None if it failed to arrive or is malformed."""
    if stream.error is not None or not stream.data:
        return None
    try:
        return parse(stream)
    except (ValueError, IndexError):
        return None


def problems(stream: Stream, reply: Reply | None, expected: str) -> list[str]:
    """Why a stream failed: no answer, not 200, or events that do not add up to `expected`."""
    if reply is None:
        return [stream.error or "no response, or a malformed one"]
    if reply.status != 200:
        return [f"answered {reply.status}"]
    return contract_problems(reply.events, expected)


# Measuring ---------------------------------------------------------------------------------


@dataclass
class Level:
    """What one server did for one case."""

    cpu: float
    """Server CPU seconds (user + system) per token delivered."""
    finish_p50: float
    finish_p99: float
    """Seconds past the ideal (tokens x delay) at which the stream ended."""
    gap_p99: float
    peak_rss: int
    wire: float
    """Median bytes a stream received: headers, chunk sizes and events."""
    errors: int
    merged: int
    """Tokens that did not arrive as an event of their own."""
    client_busy: float
    """CPU the client used, as a share of one CPU, during the streams."""
    problems: list[str]


async def measure(subjects: tuple[Subject, ...], case: Case, rounds: int) -> dict[str, Level]:
    """Start the subjects fresh side by side, warm each up with a one-token stream, then run
    the case's streams `rounds` times against each in turn, so that both see the same moments
    of a shared machine; each subject's metrics cover all its rounds."""
    async with contextlib.AsyncExitStack() as stack:
        servers = [await stack.enter_async_context(launch(s, case.tokens)) for s in subjects]
        ports = [urlsplit(server.url).port or 0 for server in servers]
        for subject, port in zip(subjects, ports, strict=True):
            await warm_up(subject, port)
        streams: list[list[Stream]] = [[] for _ in subjects]
        cpu, busy = [0.0] * len(subjects), [0.0] * len(subjects)
        for _ in range(rounds):
            for index, (server, port) in enumerate(zip(servers, ports, strict=True)):
                before, client = cpu_seconds(server.pid), time.process_time()
                started = time.perf_counter()
                streams[index] += await run_streams(
                    port, case.streams, "hi", case.ideal + STREAM_TIMEOUT
                )
                cpu[index] += cpu_seconds(server.pid) - before
                took = time.perf_counter() - started
                busy[index] = max(busy[index], (time.process_time() - client) / took)
        return {
            subject.name: summary(streams[i], case, cpu[i], busy[i], peak_rss_bytes(server.pid))
            for i, (subject, server) in enumerate(zip(subjects, servers, strict=True))
        }


async def warm_up(subject: Subject, port: int) -> None:
    """One stream of one token, so that the measured streams find the server warm."""
    (stream,) = await run_streams(port, 1, "1", STREAM_TIMEOUT)
    found = problems(stream, parsed(stream), "token0")
    if found:
        raise RuntimeError(f"{subject.name}: the warm-up stream failed: {'; '.join(found)}")


def summary(streams: list[Stream], case: Case, cpu: float, busy: float, peak: int) -> Level:
    """A case's metrics from its streams, the server's CPU seconds and its peak memory."""
    replies = [parsed(stream) for stream in streams]
    failed = [
        found
        for s, r in zip(streams, replies, strict=True)
        if (found := problems(s, r, case.reply))
    ]
    answered = [reply for reply in replies if reply is not None and reply.status == 200]
    finish = [reply.finish - case.ideal for reply in answered]
    counts = [tokens_and_events(reply) for reply in answered]
    delivered = sum(tokens for tokens, _ in counts)
    return Level(
        cpu=cpu / max(1, delivered),
        finish_p50=percentile(finish, 50),
        finish_p99=percentile(finish, 99),
        gap_p99=percentile([reply.largest_gap for reply in answered], 99),
        peak_rss=peak,
        wire=statistics.median(reply.wire for reply in answered) if answered else math.nan,
        errors=len(failed),
        merged=sum(tokens - events for tokens, events in counts),
        client_busy=busy,
        problems=sorted({p for found in failed for p in found}),
    )


# Report ------------------------------------------------------------------------------------

Results = list[tuple[Case, dict[str, Level]]]
"""Each case with the floor's and chatserve's `Level`."""
Show = Callable[[float], str]
ROWS: dict[str, tuple[str, Show]] = {
    "wire": ("bytes on the wire per {tokens}-token stream", lambda v: f"{v:,.0f}"),
    "cpu": ("server CPU per token (µs)", lambda v: f"{v * 1e6:,.1f}"),
    "finish_p50": ("p50 finish past ideal (ms)", lambda v: f"{v * 1000:,.1f}"),
    "finish_p99": ("p99 finish past ideal (ms)", lambda v: f"{v * 1000:,.1f}"),
    "gap_p99": ("p99 of largest gap between chunks (ms)", lambda v: f"{v * 1000:,.1f}"),
    "peak_rss": ("peak RSS (MiB)", lambda v: f"{v / 2**20:,.1f}"),
    "errors": ("errors (streams)", lambda v: f"{v:,.0f}"),
}


def table(results: Results) -> str:
    first = results[0][0]
    lines = [
        f"Replies of {first.tokens} tokens, {first.delay * 1000:g} ms apart, unless a row says "
        "otherwise; ratio = chatserve / floor.",
        "",
        "| metric | floor | chatserve | ratio |",
        "|---|---:|---:|---:|",
    ]
    for case, levels in results:
        for metric in case.metrics:
            label, show = ROWS[metric]
            label = label.format(tokens=f"{case.tokens:,}")
            a, b = getattr(levels["floor"], metric), getattr(levels["chatserve"], metric)
            lines.append(f"| {label}, {case.label} | {show(a)} | {show(b)} | {ratio(a, b)} |")
    return "\n".join(lines)


def notes(results: Results, stack: Stack, busy_before: float, rounds: int) -> str:
    """Machine, settings, and what the table cannot show."""
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cpus = len(os.sched_getaffinity(0))
    busiest = max(level.client_busy for _, levels in results for level in levels.values())
    lines = [
        f"Machine: {cpus} CPUs ({cpu_model()}), Linux {platform.release()}, "
        f"Python {platform.python_version()}; {today}; "
        f"load average {busy_before:.2f} before the run (other work on the machine skews ratios).",
        f"Servers: both run uvicorn with `--loop {stack.loop} --http {stack.http}` (chatserve "
        "with its request-head deadline on that parser). Each case starts both servers afresh, "
        "side by side, warms each up with one 1-token stream, then runs its streams "
        f"{rounds} time(s) against each in turn; each row covers all of a server's rounds. CPU "
        "and peak RSS (VmHWM) are the serving process's.",
        "Client: raw asyncio sockets on the same machine, one connection per stream, all "
        "opened before the requests go out together; finish is timed from a stream's request "
        "to its last byte, ideal = tokens x delay, gaps are between consecutive socket reads. "
        f"The client kept at most {busiest:.0%} of a CPU busy.",
        "Tokens that chatserve merged into another token's event: "
        + "; ".join(f"{case.label}: {levels['chatserve'].merged:,}" for case, levels in results)
        + " (the floor sends every token on its own by construction).",
        growth(results[0], results[-1]),
    ]
    for case, levels in results:
        for name, level in levels.items():
            if level.problems:
                lines.append(f"{name}, {case.label}: {'; '.join(level.problems)}.")
    return "\n".join(f"- {line}" for line in lines)


def growth(short: tuple[Case, dict[str, Level]], long: tuple[Case, dict[str, Level]]) -> str:
    """How bytes per stream and CPU per token grow from the short reply to the long one."""
    times = long[0].tokens / short[0].tokens
    parts = [
        f"{name}: bytes per stream x{ratio(short[1][name].wire, long[1][name].wire)}, "
        f"CPU per token x{ratio(short[1][name].cpu, long[1][name].cpu)}"
        for name in ("floor", "chatserve")
    ]
    return (
        f"From {short[0].tokens:,} to {long[0].tokens:,} tokens ({times:g}x): {'; '.join(parts)} "
        f"(linear: bytes x~{times:g}, CPU per token flat or falling as the per-stream cost "
        "spreads; O(n^2) work would make CPU per token grow with the length)."
    )


def importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


async def run(plan: list[Case], stack: Stack, rounds: int) -> str:
    busy_before = os.getloadavg()[0]
    results = [(case, await measure(subjects(case, stack), case, rounds)) for case in plan]
    return f"{table(results)}\n\n{notes(results, stack, busy_before, rounds)}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--streams", type=stream_counts, default=[100, 500, 1000], help="levels (100,500,1000)"
    )
    parser.add_argument("--tokens", type=int, default=50, help="tokens per reply (50)")
    parser.add_argument("--delay", type=float, default=0.04, help="seconds per token (0.04)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    parser.add_argument("--uvloop", action="store_true", help="both on uvloop + httptools")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of each case per server, taken in turns (3)"
    )
    args = parser.parse_args(argv)
    if args.uvloop and not (importable("uvloop") and importable("httptools")):
        parser.error("--uvloop needs uvloop and httptools: pip install uvloop httptools")
    if args.quick:
        plan, rounds = cases([5, 20], 10, 0.01, 100, 0.002), 1
    else:
        plan = cases(args.streams, args.tokens, args.delay, LONG_TOKENS, LONG_DELAY)
        rounds = args.rounds
    return report(run(plan, UVLOOP if args.uvloop else Stack(), rounds), args.out)


if __name__ == "__main__":
    sys.exit(main())
