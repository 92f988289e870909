"""SHA-256 as hex: what chatserve names things by (cache keys, copied files, state files) and
how it tells versions apart (a config's text, a chat function's module, an asset)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_hex(data: str | bytes) -> str:
    """The digest of `data`; text as UTF-8, lone surrogates included (`${VAR}` values and file
    names may hold them)."""
    if isinstance(data, str):
        data = data.encode(errors="surrogatepass")
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """The digest of a file's content, read in chunks."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()
