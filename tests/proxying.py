"""A real nginx for tests, started from the `http` block's servers a test gives it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from helpers import free_port, wait_until

NGINX = Path("/usr/sbin/nginx")

Nginx = Callable[[str, str], str]
"""Starts nginx with an `http` block's contents (`{port}` in them is nginx's own port) and a
path that answers once it runs; returns its URL."""


@pytest.fixture
def nginx_with(tmp_path: Path) -> Iterator[Nginx]:
    """Start nginx processes; all are stopped after the test. Each keeps its access log in
    `<its folder>/access.log`."""
    if not NGINX.exists():
        pytest.fail(f"{NGINX} is missing: apt-get install -y nginx (.ci/run does this)")
    processes: list[subprocess.Popen[bytes]] = []

    def start(http_block: str, probe: str) -> str:
        prefix = tmp_path / f"nginx-{len(processes)}"
        prefix.mkdir()
        port = free_port()
        temp = "\n".join(
            f"    {kind}_temp_path {prefix / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        config = prefix / "nginx.conf"
        config.write_text(
            # As root, workers would switch to `nobody`, who cannot enter pytest's tmp dirs.
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
            f"error_log {prefix / 'error.log'} info;\n"
            "events { worker_connections 1024; }\n"
            f"http {{\n{temp}\n{http_block.replace('{port}', str(port))}\n}}\n"
        )
        error_log = prefix / "error.log"
        command = [str(NGINX), "-p", str(prefix), "-e", str(error_log), "-c", str(config)]
        with (prefix / "output.log").open("wb") as output:
            process = subprocess.Popen(
                [*command, "-g", "daemon off;"], stdout=output, stderr=subprocess.STDOUT
            )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"

        def answering() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"nginx exited with {process.returncode}")
            try:
                httpx.get(url + probe, timeout=1)
            except httpx.TransportError:
                return False
            return True

        try:
            wait_until(answering, timeout=10)
        except AssertionError as failure:
            logs = (prefix / "output.log", error_log)
            details = "".join(p.read_text() for p in logs if p.exists())
            raise RuntimeError(f"{failure}:\n{details}\n{config.read_text()}") from None
        return url

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
