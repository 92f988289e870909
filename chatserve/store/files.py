"""Files by opaque id: uploads, files the bot returns, and the rules for serving them (SPEC §6).

A client never names a path. Uploads land in the data dir under a random folder; a file the
bot returns is served only from the data dir, the system temp dir or `server.allowed_paths`
(checked after resolving symlinks, and again on every use: a link planted later is not
followed). Each record remembers its owner, the client it belongs to; `None` marks files anyone
holding the id may read (examples, cookieless API clients). A file's type is never stored: it
comes from `chatserve.store.mediatypes` by the file's name.

Records are kept in memory and in `<data dir>/registry/<id>.json`, so every worker process of
one server (and the next run of it) knows every id; for replicas, in PostgreSQL
(`chatserve.store.shared.files`), with each file written to the bucket too and fetched from it
into the data dir by a replica that needs it (the data dir is then that replica's cache).
"""

from __future__ import annotations

import asyncio
import errno
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import msgspec
from litestar.datastructures import UploadFile

from chatserve.errors import Error
from chatserve.store.blobs import Blobs
from chatserve.store.mediatypes import INLINE_TYPES, media_type

CHUNK = 1024 * 1024

MAX_NAME_BYTES = 200
"""The longest file name kept, in UTF-8 bytes (file systems allow 255)."""

DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""Why a write fails when the disk, a disk quota or the system's file size limit is reached."""

REPLY_FILE_NOT_KEPT = "The server is low on disk space: a file of this reply was not kept."

SANDBOXED_HTML = "text/html"
"""The type of a bot-made HTML plot, the one page served as a page, in a sandbox."""


Version = tuple[Path, int, int]
"""A file as it is now: its resolved path, modification time (ns) and size."""


class FileRefused(Error):
    """The bot returned a file chatserve may not serve; the message is shown in the chat."""


@dataclass(frozen=True)
class StoredFile:
    id: str
    path: Path
    name: str
    size: int
    owner: str | None
    sandboxed_html: bool = False
    """A bot-made HTML plot: served inline, but in a sandbox with an opaque origin."""

    @property
    def mime_type(self) -> str:
        """From the server's allowlist by the file's name each time, never stored: no type a
        client claimed (nor one an older record kept) is ever served."""
        return SANDBOXED_HTML if self.sandboxed_html else media_type(self.name)

    @property
    def inline(self) -> bool:
        """Whether a browser may show it; every other file is sent as a download."""
        return self.sandboxed_html or self.mime_type in INLINE_TYPES

    def data(self) -> dict[str, Any]:
        """The wire `FileData`."""
        return {
            "id": self.id,
            "url": f"api/files/{self.id}",
            "name": self.name,
            "mime_type": self.mime_type,
            "size": self.size,
        }


class FileRecords(Protocol):
    """Where the records of files are kept."""

    def put(self, stored: StoredFile) -> None: ...

    def read(self, file_id: str) -> StoredFile | None:
        """The record of a well-formed id; None if there is none."""

    def delete(self, file_id: str) -> None: ...

    def expire(self, age: float) -> list[str]:
        """Delete the records made over `age` seconds ago, if the sweeps of the data dir do
        not; the paths of their files."""


class Registry:
    """Records as `<data dir>/registry/<id>.json`, which every worker process reads."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "registry"

    def put(self, stored: StoredFile) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{stored.id}.json").write_bytes(msgspec.json.encode(stored, enc_hook=str))

    def read(self, file_id: str) -> StoredFile | None:
        try:
            data = (self.folder / f"{file_id}.json").read_bytes()
        except OSError:
            return None
        return msgspec.json.decode(data, type=StoredFile, dec_hook=_path)

    def delete(self, file_id: str) -> None:
        (self.folder / f"{file_id}.json").unlink(missing_ok=True)

    def expire(self, age: float) -> list[str]:
        return []  # `chatserve.store.cleanup` sweeps records with the files of the data dir


class UploadRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FileStore:
    """The registry of every file this server hands out, by id."""

    def __init__(
        self,
        data_dir: Path,
        allowed_paths: list[Path],
        min_free_disk: int = 0,
        *,
        records: Callable[[Path], FileRecords] = Registry,
        bucket: Blobs | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()  # so a stored path is its file's real path
        self.roots = [self.data_dir, Path(tempfile.gettempdir()), *allowed_paths]
        self.min_free_disk = min_free_disk
        """Below this much free space, files of replies are not kept (the reply says so)."""
        self.records = records(self.data_dir)
        self.bucket = bucket
        """Replicas' shared copies of the files in the data dir, by their path in it."""
        self._files: dict[str, StoredFile] = {}
        self._ids: dict[tuple[Version, str | None], str] = {}
        self._copies: dict[Version, Path] = {}

    def get(self, file_id: str, owner: str | None) -> StoredFile | None:
        """The file with this id if it exists and `owner` may use it; None otherwise (unknown
        ids alike). A file another replica wrote is fetched from the bucket first."""
        found = self._record(file_id)
        if found is not None and not (_in_place(found.path) or self._fetched(found)):
            self._forget(found)  # deleted by `delete_cache` or by hand, or replaced by a link
            return None
        if found is None or (found.owner is not None and found.owner != owner):
            return None
        return found

    async def prefetch(self, file_ids: Iterable[Any], owner: str | None) -> None:
        """Fetch from the bucket, in a worker thread, the files of these ids that this replica
        does not have yet, so that `get` will not wait on the network."""
        if self.bucket is None:
            return
        missing = [i for i in file_ids if isinstance(i, str) and not self._here(i)]
        if missing:
            await asyncio.to_thread(lambda: [self.get(file_id, owner) for file_id in missing])

    def expire(self, age: float) -> int:
        """With replicas: forget the files made over `age` seconds ago, records and bucket
        copies (the data dirs' own copies go with their sweeps); how many."""
        paths = self.records.expire(age)
        for path in paths:
            if self.bucket is not None and not Path(path).is_absolute():
                self.bucket.delete(path)
        return len(paths)

    def _here(self, file_id: str) -> bool:
        known = self._files.get(file_id)
        return known is not None and known.path.is_file()

    def _fetched(self, stored: StoredFile) -> bool:
        """Whether the bucket had the file and it is now in place here."""
        key = self._key(stored.path)
        if self.bucket is None or key is None:
            return False
        return self.bucket.local(key) is not None and _in_place(stored.path)

    def _key(self, path: Path) -> str | None:
        """A file's key in the bucket: its path in the data dir (None: not in it)."""
        return (
            path.relative_to(self.data_dir).as_posix()
            if path.is_relative_to(self.data_dir)
            else None
        )

    async def save_upload(
        self,
        upload: UploadFile,
        owner: str | None,
        max_size: int,
        accept: list[str] | None,
        charge: Callable[[int], None] | None = None,
    ) -> StoredFile:
        """Copy an upload into the data dir under a random folder, enforcing size and type.

        `charge` (a quota) is called with each chunk's size right before the chunk is written;
        what it raises refuses the upload. A refused upload leaves no file and no folder.
        """
        name = safe_name(upload.filename or "upload")
        if accept and not accepts(accept, name, media_type(name)):
            raise UploadRefused(
                415, f"{name!r} is not an accepted file type ({', '.join(accept)})."
            )
        file_id = new_id()
        with _disk_full_refused(), self._new_folder("uploads", file_id) as folder:
            path, size = folder / name, 0
            with path.open("wb") as out:
                while chunk := await upload.read(CHUNK):
                    size += len(chunk)
                    if size > max_size:
                        raise UploadRefused(
                            413, f"{name!r} is larger than the limit of {max_size:,} bytes."
                        )
                    if charge is not None:
                        charge(len(chunk))
                    out.write(chunk)
            stored = StoredFile(file_id, path, name, size, owner)
            # A thread: with replicas, the file is also written to the bucket.
            return await asyncio.to_thread(self._add, stored, _version(path))

    def discard(self, uploads: list[StoredFile]) -> None:
        """Delete uploads again, with their folders and records (a request refused part-way)."""
        for stored in uploads:
            self._forget(stored)
            self.records.delete(stored.id)
            key = self._key(stored.path)
            if self.bucket is not None and key is not None:
                self.bucket.delete(key)
            shutil.rmtree(stored.path.parent, ignore_errors=True)

    def delete(self, file_ids: Iterable[str], owner: str) -> int:
        """Delete these files of `owner`'s that are theirs alone: an upload, or a file made
        for a reply, each in a folder named by its id. A copy of a file the bot returned from
        elsewhere may be shared by several ids, and an example's files are everyone's: those
        stay for the sweeps. How many went."""
        mine = [
            found
            for found in map(self._record, file_ids)
            if found is not None
            and found.owner == owner
            and found.path.parent.name == found.id
            and found.path.parent.parent in (self.data_dir / "uploads", self.data_dir / "files")
        ]
        self.discard(mine)
        return len(mine)

    def folders(self, file_ids: Iterable[str]) -> set[Path]:
        """The entries of the data dir's `uploads/` and `files/` that hold these files (the
        sweeps keep them)."""
        held = set()
        for stored in filter(None, map(self._record, file_ids)):
            path = stored.path
            parts = path.relative_to(self.data_dir).parts if self._key(path) else ()
            if len(parts) > 2 and parts[0] in ("uploads", "files"):
                held.add(self.data_dir / parts[0] / parts[1])
        return held

    def _record(self, file_id: str) -> StoredFile | None:
        """The record of an id, wherever its file is (never fetched)."""
        return self._files.get(file_id) or self._read_record(file_id)

    def register(self, path: str | Path, owner: str | None) -> StoredFile:
        """A file the bot returned, if it lies where files may be served from.

        A file from outside the data dir is copied into it (once per version of the file, the
        copy shared by every client), so what a reply showed stays servable, can be flagged,
        and is cleaned up by `delete_cache`.
        """
        try:
            resolved = Path(path).resolve(strict=True)
        except (OSError, RuntimeError, ValueError):  # ValueError: a NUL in the path
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
        stored = StoredFile(new_id(), kept, resolved.name, source[2], owner)
        return self._add(stored, source)

    def _keep(self, source: Version) -> Path:
        resolved = source[0]
        if resolved.is_relative_to(self.data_dir):
            return resolved
        copy = self._copies.get(source)
        if copy is None or not copy.exists():
            with self._reply_folder(new_id()) as folder:
                copy = folder / resolved.name
                shutil.copyfile(resolved, copy)
            self._copies[source] = copy
        return copy

    def write(
        self, content: bytes, name: str, owner: str | None, *, sandboxed_html: bool = False
    ) -> StoredFile:
        """Save bytes the server made for a reply (a rendered plot) and register them."""
        file_id = new_id()
        with self._reply_folder(file_id) as folder:
            path = folder / name
            path.write_bytes(content)
            stored = StoredFile(file_id, path, name, len(content), owner, sandboxed_html)
            return self._add(stored, _version(path))

    @contextmanager
    def _reply_folder(self, name: str) -> Iterator[Path]:
        """A new folder for a file of a reply; with the disk (nearly) full, the reply gets a
        clear error instead, and the chat goes on."""
        if free_space(self.data_dir) < self.min_free_disk:
            raise FileRefused(REPLY_FILE_NOT_KEPT)
        try:
            with self._new_folder("files", name) as folder:
                yield folder
        except OSError as exc:
            if exc.errno not in DISK_FULL:
                raise
            raise FileRefused(REPLY_FILE_NOT_KEPT) from None

    @contextmanager
    def _new_folder(self, kind: str, name: str) -> Iterator[Path]:
        """`<data dir>/<kind>/<name>`, made now and removed again if filling it fails (a full
        disk, a refused upload), so no failure leaves a folder behind."""
        folder = self.data_dir / kind / name
        folder.mkdir(parents=True)
        try:
            yield folder
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def public(self, path: Path) -> StoredFile:
        """A file anyone may read (an example's attachment), registered once per version."""
        source = _version(path.resolve())
        known = self._known(source, None)
        if known is not None:
            return known
        stored = StoredFile(new_id(), source[0], source[0].name, source[2], None)
        return self._add(stored, source)

    def _add(self, stored: StoredFile, source: Version) -> StoredFile:
        key = self._key(stored.path)
        if self.bucket is not None and key is not None:
            self.bucket.put(key, stored.path)  # before the record: no id without its file
        self.records.put(stored)
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
        stored = self.records.read(file_id)
        if stored is not None:
            self._files[file_id] = stored
        return stored


@contextmanager
def _disk_full_refused() -> Iterator[None]:
    """A full disk (or a quota or file size limit of the system) refuses the upload with 507,
    as the quotas' disk floor does."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            raise
        raise UploadRefused(507, "The server's disk is full; try again later.") from None


def free_space(folder: Path) -> int:
    """Bytes free on the disk `folder` is (or will be) on."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free


def _in_place(path: Path) -> bool:
    """Whether `path` is still a regular file and still its own real path: a symlink planted
    anywhere along it (in the data dir, say) is never followed."""
    try:
        return path.is_file() and path.resolve(strict=True) == path
    except (OSError, RuntimeError):
        return False


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
    """A client's file name reduced to something harmless on disk and in headers, and cut to
    `MAX_NAME_BYTES` (a short extension kept)."""
    name = Path(name.replace("\\", "/")).name
    name = re.sub(r"[^\w.\- ]", "_", name).strip(" .")
    stem, suffix = _split(name)
    room = MAX_NAME_BYTES - len(suffix.encode())
    # Cutting the bytes may split a character; its remains are dropped, leaving valid UTF-8.
    stem = stem.encode()[:room].decode(errors="ignore").strip(" .")
    return stem + suffix if stem else "upload" + suffix


def _split(name: str) -> tuple[str, str]:
    """`(stem, extension)`; an extension over 16 bytes counts as part of the stem."""
    suffix = Path(name).suffix
    return (name[: -len(suffix)], suffix) if 0 < len(suffix.encode()) <= 16 else (name, "")


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
