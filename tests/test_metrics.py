"""`server.metrics`: `/metrics` scraped with Prometheus's own parser after real chats, who may
read it, and nothing of it when it is off."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

BOT = """
import asyncio

import chatserve


async def reply(message, history):
    if message == "refuse":
        raise chatserve.Error("I can't answer that.")
    if message == "crash":
        raise RuntimeError("secret internal detail")
    if message == "hold":
        yield "holding"
        await asyncio.sleep(30)  # until its client leaves
    for i in range(1, 6):
        yield "word " * i
"""

TOKEN = "metrics-token-0123456789"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(text: str) -> Samples:
    """Every sample of a scrape, by name and labels, as Prometheus reads the text."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def chats(samples: Samples) -> dict[tuple[str, str], float]:
    """`chatserve_chats_total` by (stream, outcome)."""
    return {
        (dict(labels)["stream"], dict(labels)["outcome"]): value
        for (name, labels), value in samples.items()
        if name == "chatserve_chats_total"
    }


def requests(samples: Samples, path: str) -> dict[str, float]:
    """`chatserve_requests_total` of a route, by status."""
    return {
        dict(labels)["status_code"]: value
        for (name, labels), value in samples.items()
        if name == "chatserve_requests_total" and dict(labels)["path"] == path
    }


def per_worker(shared: Path) -> list[float]:
    """The JSON chats each worker process counted, from its own file in the shared dir."""
    counts = []
    for counters in shared.glob("counter_*.db"):
        alone = shared.parent / counters.stem
        alone.mkdir()
        shutil.copy(counters, alone)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        labels = {"stream": "false", "outcome": "done"}
        counts.append(registry.get_sample_value("chatserve_chats_total", labels) or 0)
    return counts


def test_a_scrape_counts_the_chats_tokens_waits_and_failures(write_config, live_server) -> None:
    config = "fn: bot.py:reply\nconcurrency_limit: 1\nserver: {metrics: true}\n"
    server = live_server(write_config(config, bot_py=BOT))
    with httpx.Client(base_url=server.url, timeout=10) as http:

        def chat(message: str, stream: bool) -> httpx.Response:
            return http.post("/api/chat", json={"message": message, "stream": stream})

        assert chat("hi", stream=True).status_code == 200
        assert chat("hi", stream=False).status_code == 200
        assert chat("refuse", stream=False).status_code == 422
        assert "event: error" in chat("crash", stream=True).text
        # One chat holds the only slot; the next waits in line until it leaves.
        with http.stream("POST", "/api/chat", json={"message": "hold", "stream": True}) as held:
            held_lines = held.iter_lines()  # kept: dropping it would close the connection
            assert "event: message" in held_lines
            body = {"message": "hi", "stream": True}
            with http.stream("POST", "/api/chat", json=body) as waiting:
                lines = waiting.iter_lines()
                assert next(lines) == "event: queue"
                time.sleep(0.3)
                held.close()
                assert "event: done" in list(lines)
        assert http.get("/api/files/no-such-file").status_code == 404
        scraped = http.get("/metrics")

    assert scraped.headers["content-type"].startswith("text/plain; version=")
    samples = scrape(scraped.text)
    assert chats(samples) == {
        ("true", "done"): 2,
        ("false", "done"): 1,
        ("false", "failed"): 1,
        ("true", "failed"): 1,
        ("true", "stopped"): 1,
    }
    assert samples["chatserve_tokens_total", ()] == 5 + 5 + 1 + 5  # hi, hi, hold, hi
    assert samples["chatserve_fn_errors_total", (("kind", "error"),)] == 1
    assert samples["chatserve_fn_errors_total", (("kind", "exception"),)] == 1
    assert samples["chatserve_chats_in_progress", ()] == 0
    assert samples["chatserve_queue_wait_seconds_count", ()] == 6  # every chat got its slot
    assert samples["chatserve_queue_wait_seconds_sum", ()] >= 0.3  # the one that waited
    assert samples["chatserve_queue_wait_seconds_bucket", (("le", "0.25"),)] == 5
    assert samples["chatserve_chat_duration_seconds_count", ()] == 6
    assert samples["chatserve_chat_duration_seconds_sum", ()] >= 0.3  # the one held
    # Litestar's middleware, by route: a file's id never becomes a label.
    assert requests(samples, "/api/chat") == {"200": 5, "422": 1}
    assert requests(samples, "/api/files/{file_id}") == {"404": 1}
    assert "no-such-file" not in scraped.text


def test_under_auth_metrics_need_a_token(client) -> None:
    http = client(
        f"""
        fn: bot.py:echo
        server:
          metrics: true
          auth:
            tokens: [{{name: prometheus, token: {TOKEN}}}]
        """
    )
    assert http.get("/metrics").status_code == 401
    scraped = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200
    assert ("chatserve_chats_in_progress", ()) in scrape(scraped.text)
    schema = http.get("/schema/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"})
    assert "/metrics" not in schema.json()["paths"]  # for operators, not an API of the bot


def test_off_there_is_no_route_no_middleware_and_no_watch(client) -> None:
    http = client("fn: bot.py:echo\n")
    assert http.get("/metrics").status_code == 404
    assert http.app.middleware == []
    assert http.app.state.services.watch is None
    assert http.post("/api/chat", json={"message": "hi"}).status_code == 200


@pytest.mark.server  # a child process, where the extra's package can be missing
@pytest.mark.parametrize(
    ("key", "value", "module", "extra"),
    [
        ("metrics", "true", "prometheus_client", "metrics"),
        (
            "tracing",
            "{endpoint: 'http://127.0.0.1:4318/v1/traces'}",
            "opentelemetry.sdk.trace",
            "tracing",
        ),
    ],
)
def test_a_missing_extra_is_named_at_its_key(
    write_config, tmp_path: Path, key: str, value: str, module: str, extra: str
) -> None:
    config = write_config(f"fn: bot.py:echo\nserver:\n  {key}: {value}\n")
    not_installed = (
        f"import sys; sys.modules[{module!r}] = None\n"  # as if the package were missing
        "from chatserve.cli import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", not_installed, "serve", str(config), "--workers", "2"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"bot.yaml:3:3: server.{key}: needs the {module} package, which is not installed: " in (
        result.stderr
    )
    assert f"pip install 'chatserve[{extra}]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_workers_share_one_scrape_through_the_multiprocess_dir(
    write_config, live_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `--workers`, each chat is counted in its process's files; any worker's scrape sums
    them all."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))
    config = write_config("fn: bot.py:reply\nserver: {metrics: true}\n", bot_py=BOT)
    server = live_server(config, "--workers", "2")
    for _ in range(20):  # a connection each: the workers take turns accepting them
        response = httpx.post(server.url + "/api/chat", json={"message": "hi"}, timeout=10)
        assert response.status_code == 200
    assert sorted(min(count, 1) for count in per_worker(shared)) == [1, 1]  # both counted
    for _ in range(3):  # whichever worker answers
        samples = scrape(httpx.get(server.url + "/metrics", timeout=10).text)
        assert chats(samples) == {("false", "done"): 20}
        assert samples["chatserve_tokens_total", ()] == 20 * 5
