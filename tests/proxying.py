"""A real nginx for tests (`bench/backing.py`), started from the `http` block a test gives it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from backing import NGINX, nginx

Nginx = Callable[[str, str], str]
"""Starts nginx with an `http` block's contents (`{port}` in them is nginx's own port) and a
path that answers once it runs; returns its URL."""


@pytest.fixture
def nginx_with(tmp_path: Path) -> Iterator[Nginx]:
    """Start nginx processes; all are stopped after the test."""
    if not NGINX.exists():
        pytest.fail(f"{NGINX} is missing: apt-get install -y nginx (.ci/run does this)")
    with ExitStack() as running:

        def start(http_block: str, probe: str) -> str:
            prefix = tmp_path / f"nginx-{len(list(tmp_path.glob('nginx-*')))}"
            prefix.mkdir()
            return running.enter_context(nginx(prefix, http_block, probe))

        yield start
