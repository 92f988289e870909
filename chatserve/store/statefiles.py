"""Small files in the data dir that hold server state: the signing key, session revocations
and generations, upgraded password hashes. Every worker process shares them and a restart
keeps them; they are readable by their owner only, and a reader never sees half of one."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_file(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step: readers see the old content or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = _draft(path, data)
    try:
        os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)


def create_file(path: Path, data: bytes) -> bytes:
    """The content of `path`, written with `data` first if there is no such file; when
    processes race to create it, every one of them gets the first one's."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = _draft(path, data)
    try:
        os.link(draft, path)  # fails if another process made it first: use theirs
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_bytes()


def _draft(path: Path, data: bytes) -> Path:
    """A new file beside `path`, holding `data`, that no one else may read."""
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    return draft
