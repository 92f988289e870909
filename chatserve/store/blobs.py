"""Blobs: files kept by key, written once and never changed. The data dir keeps them on one
machine (`Folder`); `chatserve.store.shared.s3` keeps them in a bucket for replicas."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Protocol


class Blobs(Protocol):
    def put(self, key: str, source: Path) -> bool:
        """Keep a copy of the file `source` as `key`, unless `key` exists: whether it did.
        Readers never see half a blob."""

    def local(self, key: str) -> Path | None:
        """A path on this machine holding the blob `key`; None when there is no such blob."""

    def delete(self, key: str) -> None:
        """Remove the blob `key`, if there is one."""


class Folder:
    """Blobs as files under `root`: the key is the path below it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, key: str, source: Path) -> bool:
        target = self.root / key
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        draft = target.with_name(f".{target.name}.{secrets.token_hex(8)}.part")
        try:
            shutil.copyfile(source, draft)
            os.link(draft, target)  # fails if another writer was first: theirs stays
        except FileExistsError:
            return False
        finally:
            draft.unlink(missing_ok=True)
        return True

    def local(self, key: str) -> Path | None:
        path = self.root / key
        return path if path.is_file() else None

    def delete(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)
