"""The types files are served with: the server's allowlist, by extension (SPEC §6).

A type a client claims is never used, nor stored. An extension not listed here, scripts
(`.js`, `.mjs`) and pages (`.html`, `.svg` opened on its own) among them, is served as
`application/octet-stream`: a browser neither runs it as a script nor renders it as a page.
"""

from __future__ import annotations

from pathlib import PurePath

OCTET_STREAM = "application/octet-stream"

SHOWN = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".mp3": "audio/mpeg",
    ".wav": "audio/x-wav",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".weba": "audio/webm",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".txt": "text/plain",
    ".json": "application/json",
}
"""Files a browser shows without running anything: served inline."""

DOWNLOADED = {
    ".svg": "image/svg+xml",
    ".bmp": "image/bmp",
    ".mov": "video/quicktime",
    ".pdf": "application/pdf",
    ".csv": "text/csv",
}
"""Files served as downloads under their real type, which the page needs to show them (an SVG
plot in an `<img>`, a video in a `<video>`)."""

INLINE_TYPES = frozenset(SHOWN.values())


def media_type(name: str) -> str:
    """The type a file of this name is served with."""
    suffix = PurePath(name).suffix.lower()
    return SHOWN.get(suffix) or DOWNLOADED.get(suffix) or OCTET_STREAM
