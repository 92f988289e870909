"""The benchmarks cannot rot: `bench/run.py --quick` and `bench/paced.py --quick` run both
servers and print every row."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

ROWS = (
    "cold start",
    "idle RSS",
    "page weight, raw",
    "page weight, gzip",
    "time to first reply event",
    "bytes on the wire",
    "calls/s at 1 concurrent",
    "calls/s at 64 concurrent",
    "p99 latency at 64 concurrent",
    "server CPU per token",
    "RSS after load",
)


@pytest.mark.server
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the benchmark reads /proc")
def test_quick_run_prints_the_table() -> None:
    table = quick_run("bench/run.py", "--tokens", "50")
    for row in ROWS:
        assert f"| {row}" in table, row


PACED_METRICS = (
    "server CPU per token (µs)",
    "p50 finish past ideal (ms)",
    "p99 finish past ideal (ms)",
    "p99 of largest gap between chunks (ms)",
    "peak RSS (MiB)",
    "errors (streams)",
)
PACED_ROWS = (
    "bytes on the wire per 10-token stream, 5 streams",
    *(
        f"{metric}, {case}"
        for case in ("5 streams", "20 streams", "sync generator, 5 streams")
        for metric in PACED_METRICS
    ),
    *(
        f"{metric}, 100 tokens 2 ms apart, 5 streams"
        for metric in (
            "bytes on the wire per 100-token stream",
            "server CPU per token (µs)",
            "p99 finish past ideal (ms)",
            "peak RSS (MiB)",
            "errors (streams)",
        )
    ),
)


@pytest.mark.server
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the benchmark reads /proc")
def test_paced_quick_run_prints_the_table() -> None:
    table = quick_run("bench/paced.py")
    for row in PACED_ROWS:
        assert f"| {row}" in table, row
    assert "- Tokens that chatserve merged into another token's event: " in table


@pytest.mark.server
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the benchmark reads /proc")
def test_replicas_quick_run_prints_both_tables() -> None:
    table = quick_run("bench/replicas.py", header="| operation | SQLite + data dir |")
    for row in ("upload, 100 KB", "flag", "file fetch, same replica", "file fetch, another"):
        assert f"| {row}" in table, row
    rows = [line for line in table.splitlines() if line.startswith("| 1 replica(s) |")]
    assert len(rows) == 1 and rows[0].endswith("| 0 |")  # no stream failed
    assert "| 2 replica(s) |" in table


def quick_run(script: str, *args: str, header: str = "| metric | floor | chatserve |") -> str:
    """The report of a benchmark's `--quick` run, which must succeed and be a ratio table."""
    result = subprocess.run(
        [sys.executable, script, "--quick", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert header in result.stdout
    return result.stdout


@pytest.mark.server
@pytest.mark.browser
def test_reload_latency_measures_real_edits() -> None:
    result = subprocess.run(
        [sys.executable, "bench/reload_latency.py", "--edits", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("3 edits: median ")
