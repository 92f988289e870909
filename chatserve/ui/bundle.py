"""The bundled web UI: read once, kept in memory (with a gzip copy made on first use), served
with strong caching.

`index.html` is a template with three markers the server fills per bot, so the first paint
already has the title, theme and config without another request.
"""

from __future__ import annotations

import gzip
import html
import json
import mimetypes
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from chatserve.paths import web_dir
from chatserve.store.digests import sha256_hex

HEAD_MARKER = "<!--chatserve:head-->"


@dataclass(frozen=True)
class Asset:
    """A file ready to send: raw and gzip bodies, media type and an ETag."""

    body: bytes
    media_type: str
    etag: str

    @classmethod
    def of(cls, body: bytes, media_type: str) -> Asset:
        return cls(body, media_type, f'"{sha256_hex(body)[:16]}"')

    @cached_property
    def gzipped(self) -> bytes:
        """The body gzipped, the same bytes every time; made when first asked for: compressing
        the whole bundle (mostly the API page's script) would delay every server's start."""
        # mtime=0 keeps the compressed bytes reproducible across processes and restarts.
        return gzip.compress(self.body, compresslevel=9, mtime=0)


class WebUI:
    """The files of `web/dist`: `index.html` as a template, the rest as static assets."""

    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or web_dir()
        index = directory / "index.html"
        if not index.is_file():
            raise RuntimeError(
                f"The web UI is missing ({index} not found); "
                "rebuild it with `npm --prefix web ci && npm --prefix web run build`."
            )
        self.template = index.read_text("utf-8")
        self.assets = {
            path.relative_to(directory).as_posix(): Asset.of(path.read_bytes(), _media_type(path))
            for path in sorted(directory.rglob("*"))
            if path.is_file() and path != index
        }

    def page(self, config: dict[str, Any], head: str) -> Asset:
        """`index.html` for a bot's public config and its own `<head>` additions."""
        text = (
            self.template.replace(
                "__CHATSERVE_TITLE__", html.escape(config["title"] or "chatserve")
            )
            .replace("__CHATSERVE_THEME__", config["theme"])
            .replace("__CHATSERVE_CONFIG__", script_json(config))
            .replace(HEAD_MARKER, head)
        )
        return Asset.of(text.encode("utf-8"), "text/html")


def script_json(value: object) -> str:
    """JSON that is safe inside a `<script type="application/json">` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _media_type(path: Path) -> str:
    # Litestar adds `charset=utf-8` to text types itself.
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"
