"""Files by opaque id: uploads, files the bot returns, and the rules for serving them (SPEC §6).

A client never names a path. Uploads land in the data dir under a random folder; a file the
bot returns is served only from the data dir, the system temp dir or `server.allowed_paths`
(checked after resolving symlinks). Each record remembers its owner, the client it belongs to;
`None` marks files anyone holding the id may read (examples, cookieless API clients).

Records are kept in memory and in `<data dir>/registry/<id>.json`, so every worker process of
one server (and the next run of it) knows every id.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from litestar.datastructures import UploadFile

from chatserve.errors import Error

CHUNK = 1024 * 1024

INLINE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "audio/mpeg",
        "audio/wav",
        "audio/x-wav",
        "audio/ogg",
        "audio/webm",
        "audio/flac",
        "audio/mp4",
        "audio/aac",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "text/plain",
        "application/json",
    }
)
"""Types a browser shows without running anything; every other file is sent as a download."""


Version = tuple[Path, int, int]
"""A file as it is now: its resolved path, modification time (ns) and size."""


class FileRefused(Error):
    """The bot returned a file chatserve may not serve; the message is shown in the chat."""


@dataclass(frozen=True)
class StoredFile:
    id: str
    path: Path
    name: str
    mime_type: str
    size: int
    owner: str | None
    sandboxed_html: bool = False
    """A bot-made HTML plot: served inline, but in a sandbox with an opaque origin."""

    def data(self) -> dict[str, Any]:
        """The wire `FileData`."""
        return {
            "id": self.id,
            "url": f"api/files/{self.id}",
            "name": self.name,
            "mime_type": self.mime_type,
            "size": self.size,
        }


class UploadRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FileStore:
    """The registry of every file this server hands out, by id."""

    def __init__(self, data_dir: Path, allowed_paths: list[Path]) -> None:
        self.data_dir = data_dir
        self.roots = [data_dir, Path(tempfile.gettempdir()), *allowed_paths]
        self._files: dict[str, StoredFile] = {}
        self._ids: dict[tuple[Version, str | None], str] = {}
        self._copies: dict[Version, Path] = {}

    def get(self, file_id: str, owner: str | None) -> StoredFile | None:
        """The file with this id if it exists and `owner` may use it; None otherwise (unknown
        ids alike)."""
        found = self._files.get(file_id) or self._read_record(file_id)
        if found is not None and not found.path.is_file():
            self._forget(found)  # deleted by `delete_cache`, or by hand
            return None
        if found is None or (found.owner is not None and found.owner != owner):
            return None
        return found

    async def save_upload(
        self, upload: UploadFile, owner: str | None, max_size: int, accept: list[str] | None
    ) -> StoredFile:
        """Copy an upload into the data dir under a random folder, enforcing size and type."""
        name = safe_name(upload.filename or "upload")
        mime_type = guess_type(name, upload.content_type)
        if accept and not accepts(accept, name, mime_type):
            raise UploadRefused(
                415, f"{name!r} is not an accepted file type ({', '.join(accept)})."
            )
        file_id = new_id()
        folder = self.data_dir / "uploads" / file_id
        folder.mkdir(parents=True)
        path, size = folder / name, 0
        with path.open("wb") as out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > max_size:
                    out.close()
                    path.unlink()
                    folder.rmdir()
                    raise UploadRefused(
                        413, f"{name!r} is larger than the limit of {max_size:,} bytes."
                    )
                out.write(chunk)
        return self._add(StoredFile(file_id, path, name, mime_type, size, owner), _version(path))

    def register(self, path: str | Path, owner: str | None) -> StoredFile:
        """A file the bot returned, if it lies where files may be served from.

        A file from outside the data dir is copied into it (once per version of the file, the
        copy shared by every client), so what a reply showed stays servable, can be flagged,
        and is cleaned up by `delete_cache`.
        """
        try:
            resolved = Path(path).resolve(strict=True)
        except (OSError, RuntimeError):
            raise FileRefused(
                f"The reply names a file that does not exist: {Path(path).name!r}."
            ) from None
        if not resolved.is_file():
            raise FileRefused(f"The reply names something that is not a file: {resolved.name!r}.")
        if not any(resolved.is_relative_to(root.resolve()) for root in self.roots):
            raise FileRefused(
                f"The reply names a file chatserve may not serve ({resolved.name!r}): files must "
                "be in the data dir, the temp dir or server.allowed_paths."
            )
        source = _version(resolved)
        known = self._known(source, owner)
        if known is not None:
            return known
        kept = self._keep(source)
        name = resolved.name
        stored = StoredFile(new_id(), kept, name, guess_type(name), source[2], owner)
        return self._add(stored, source)

    def _keep(self, source: Version) -> Path:
        resolved = source[0]
        if resolved.is_relative_to(self.data_dir.resolve()):
            return resolved
        copy = self._copies.get(source)
        if copy is None or not copy.exists():
            folder = self.data_dir / "files" / new_id()
            folder.mkdir(parents=True)
            copy = folder / resolved.name
            shutil.copyfile(resolved, copy)
            self._copies[source] = copy
        return copy

    def write(
        self, content: bytes, name: str, owner: str | None, *, sandboxed_html: bool = False
    ) -> StoredFile:
        """Save bytes the server made for a reply (a rendered plot) and register them."""
        file_id = new_id()
        folder = self.data_dir / "files" / file_id
        folder.mkdir(parents=True)
        path = folder / name
        path.write_bytes(content)
        stored = StoredFile(
            file_id, path, name, guess_type(name), len(content), owner, sandboxed_html
        )
        return self._add(stored, _version(path))

    def public(self, path: Path) -> StoredFile:
        """A file anyone may read (an example's attachment), registered once per version."""
        source = _version(path.resolve())
        known = self._known(source, None)
        if known is not None:
            return known
        name = source[0].name
        stored = StoredFile(new_id(), source[0], name, guess_type(name), source[2], None)
        return self._add(stored, source)

    def _add(self, stored: StoredFile, source: Version) -> StoredFile:
        record = self.data_dir / "registry" / f"{stored.id}.json"
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_bytes(msgspec.json.encode(stored, enc_hook=str))
        self._files[stored.id] = stored
        self._ids[(source, stored.owner)] = stored.id
        return stored

    def _known(self, source: Version, owner: str | None) -> StoredFile | None:
        """The file registered before for this version of a file, if it still exists."""
        known = self._ids.get((source, owner))
        return None if known is None else self.get(known, owner)

    def _forget(self, stored: StoredFile) -> None:
        self._files.pop(stored.id, None)
        for key in [key for key, known in self._ids.items() if known == stored.id]:
            del self._ids[key]

    def _read_record(self, file_id: str) -> StoredFile | None:
        if not _ID.match(file_id):
            return None  # never let an id become a path
        try:
            data = (self.data_dir / "registry" / f"{file_id}.json").read_bytes()
        except OSError:
            return None
        stored = msgspec.json.decode(data, type=StoredFile, dec_hook=_path)
        self._files[file_id] = stored
        return stored


def _version(path: Path) -> Version:
    stat = path.stat()
    return (path, stat.st_mtime_ns, stat.st_size)


def _path(kind: type, value: Any) -> Any:
    if kind is Path:
        return Path(value)
    raise NotImplementedError(kind)


_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")


def new_id() -> str:
    """128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def safe_name(name: str) -> str:
    """A client's file name reduced to something harmless on disk and in headers."""
    name = Path(name.replace("\\", "/")).name
    name = re.sub(r"[^\w.\- ]", "_", name).strip(" .")[:120]
    return name or "upload"


def guess_type(name: str, claimed: str | None = None) -> str:
    """The type from the file name; what a client claims counts only when the name says nothing."""
    return mimetypes.guess_type(name)[0] or claimed or "application/octet-stream"


def accepts(accept: list[str], name: str, mime_type: str) -> bool:
    """Gradio-style `file_types`: kinds (`image`, ...) or extensions (`.pdf`)."""
    suffix = Path(name).suffix.lower()
    for item in accept:
        if item.startswith("."):
            if suffix == item.lower():
                return True
        elif mime_type.startswith(f"{item}/"):
            return True
    return False
