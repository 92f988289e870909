"""The benchmark cannot rot: `bench/run.py --quick` runs both servers and prints every row."""

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
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--tokens", "50"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| metric | floor | chatserve | ratio |" in result.stdout
    for row in ROWS:
        assert f"| {row}" in result.stdout, row


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
