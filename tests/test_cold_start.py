"""A server's start does only what its bot needs: what other bots or other commands use is
imported, read or computed when first used (issue 14: cold start)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from chatserve.ui.bundle import Asset

pytestmark = pytest.mark.server  # each probe is a fresh interpreter: sys.modules starts empty

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "configs" / "bench.yaml"

NEVER_AT_START = (
    "chatserve.cli.export",
    "chatserve.config.schema",
    "hypothesis",
    "jsonschema",
    "markdown_it",
    "opentelemetry",
    "prometheus_client",
    "rich",
    "schemathesis",
    "sqlite3",
)
"""Modules no start-up needs: other commands' (flags export, schema), tests', the example
cache's progress bar, metrics' and traces' (off unless asked for), the flag store's database
(opened on the first rating)."""

PROBE = """
import json, sys
from chatserve.server import create_app, load  # what `chatserve serve` imports

app = create_app(load(sys.argv[1]), reload=False)
webui = app.state.services.holder.webui
print(json.dumps({
    "modules": sorted(sys.modules),
    "gzipped": [name for name, asset in webui.assets.items() if "gzipped" in vars(asset)],
}))
"""


def start(config: Path) -> dict[str, list[str]]:
    """The modules loaded and the assets compressed once the app for `config` is built."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_plain_bot_starts_without_what_it_does_not_use() -> None:
    started = start(BENCH)
    assert not set(NEVER_AT_START) & set(started["modules"])
    assert "chatserve.routes.openai" in started["modules"]  # mounted: api_name is not false
    assert started["gzipped"] == []  # the web UI is compressed asset by asset, when asked


def test_the_openai_routes_are_imported_only_when_mounted(tmp_path: Path) -> None:
    (tmp_path / "bot.py").write_text("def reply(message, history):\n    return message\n")
    config = tmp_path / "bot.yaml"
    config.write_text("fn: bot.py:reply\napi_name: false\n")
    assert "chatserve.routes.openai" not in start(config)["modules"]


def test_an_asset_is_gzipped_once_when_first_asked_for() -> None:
    asset = Asset.of(b"chatserve " * 100, "text/plain")
    assert "gzipped" not in vars(asset)
    assert gzip.decompress(asset.gzipped) == asset.body
    assert asset.gzipped is asset.gzipped
    assert asset.gzipped == Asset.of(asset.body, "text/plain").gzipped  # reproducible bytes
