"""`concurrency_limit`: a line in front of N slots, positions streamed, 503 when it is full."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from helpers import SlotHolder, run_async

from chatserve.bot import queue
from chatserve.bot.queue import Line, QueueFull


def test_no_limit_means_no_line() -> None:
    line = Line(None)
    tickets = [line.join() for _ in range(100)]
    assert all(t.granted.is_set() for t in tickets)


def test_line_grants_in_order_and_reports_positions() -> None:
    async def scenario() -> list[object]:
        line = Line(1)
        first, second, third = line.join(), line.join(), line.join()
        seen: list[object] = []

        async def watch(ticket, name):
            async for position in ticket.positions():
                seen.append((name, position))
            seen.append((name, "runs"))

        watchers = [asyncio.create_task(watch(t, n)) for t, n in ((second, "B"), (third, "C"))]
        await asyncio.sleep(0.01)
        first.release()
        await asyncio.sleep(0.01)
        second.release()
        await asyncio.gather(*watchers)
        third.release()
        assert (line.running, len(line.waiting)) == (0, 0)
        return seen

    seen = run_async(scenario)
    assert seen == [("B", 1), ("C", 2), ("B", "runs"), ("C", 1), ("C", "runs")]


def test_leaving_the_line_moves_the_others_up() -> None:
    line = Line(1)
    line.join()
    waiting, behind = line.join(), line.join()
    waiting.release()
    assert line.position(behind) == 1
    waiting.release()  # twice is harmless
    assert line.position(behind) == 1


def test_full_line_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(queue, "MAX_WAITING_PER_SLOT", 2)
    line = Line(1)
    for _ in range(3):
        line.join()
    with pytest.raises(QueueFull, match="2 chats are already waiting"):
        line.join()


@pytest.mark.parametrize(
    ("config", "slots"),
    [
        ("fn: bot.py:slow\nserver: {worker_threads: 3}", 3),
        ("fn: bot.py:slow\nconcurrency_limit: 2\nserver: {worker_threads: 3}", 2),
        ("fn: bot.py:echo\nconcurrency_limit: 5\nserver: {worker_threads: 3}", 3),
        ("fn: bot.py:async_slow\nserver: {worker_threads: 3}", None),
        ("fn: bot.py:async_slow\nconcurrency_limit: 5\nserver: {worker_threads: 3}", 5),
    ],
)
def test_chats_that_hold_a_thread_run_at_most_one_per_worker_thread(client, config, slots):
    http = client(config + "\n")
    assert http.app.state.services.holder.line.limit == slots


def test_full_line_answers_503(client, monkeypatch) -> None:
    monkeypatch.setattr(queue, "MAX_WAITING_PER_SLOT", 0)
    http = client("fn: bot.py:echo\nconcurrency_limit: 1\n")
    http.app.state.services.holder.line.join()  # someone else holds the only slot
    response = http.post("/api/chat", json={"message": "x"})
    assert response.status_code == 503
    assert response.json()["error"]["message"].startswith("The server is busy")
    assert response.headers["retry-after"] == "1"  # a balancer may try another replica
    completion = {"model": "bot", "messages": [{"role": "user", "content": "x"}]}
    openai = http.post("/v1/chat/completions", json=completion)
    assert (openai.status_code, openai.headers["retry-after"]) == (503, "1")


@pytest.mark.parametrize(
    "limit",
    ["concurrency_limit: 1", "server: {worker_threads: 1}"],
    ids=["concurrency_limit", "worker_threads"],
)
def test_second_chat_waits_sees_its_place_and_runs_when_the_first_stops(
    write_config, live_server, limit: str
) -> None:
    """A sync generator holds a worker thread for its whole run: with one thread, the second
    chat waits in line as with `concurrency_limit: 1`, rather than hanging unseen."""
    server = live_server(write_config(f"fn: bot.py:slow\n{limit}\n"))
    events = []
    with (
        SlotHolder(server.url) as first,
        httpx.stream(
            "POST", server.url + "/api/chat", json={"message": "b", "stream": True}, timeout=10
        ) as response,
    ):
        for line in response.iter_lines():
            if line.startswith("data: ") and events[-1] == "queue":
                assert line == 'data: {"position":1}'
                first.release()  # the first chat disconnects; its slot goes to us
            if line.startswith("event: "):
                events.append(line[7:])
                if line == "event: message":
                    break
    assert events == ["queue", "message"]
