"""`POST /api/upload` and `GET /api/files/{id}`: files in and out, by opaque id only."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import anyio.to_thread
from anyio import AsyncFile
from litestar import Request, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.file_system import BaseLocalFileSystem
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, Parameter
from litestar.response import File
from litestar.response.file import create_etag_for_file

from chatserve.http.byteranges import Unsatisfiable, byte_range
from chatserve.http.dataurls import BadDataURL, decode, is_data_url
from chatserve.http.openapi import errors
from chatserve.http.wire import UploadedFile, UploadResponse
from chatserve.security.clients import owner_of
from chatserve.services import Services
from chatserve.store.files import StoredFile, UploadRefused

MULTIPART_OVERHEAD = 64 * 1024

USER_CONTENT_CSP = (
    "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"
)
"""Served files run nothing and reach nothing, even when opened directly."""

SANDBOXED_HTML_CSP = (
    "sandbox allow-scripts; default-src * data: blob: 'unsafe-inline' 'unsafe-eval'"
)
"""HTML plots may run their scripts, but in an opaque origin: no cookies, no storage, no page."""


def open_no_follow(path: Path) -> BinaryIO:
    """Open a file without following a symlink in its last part (`O_NOFOLLOW`): a link
    swapped in after `FileStore.get` checked the path is never served."""
    return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")


class _OpenedFile(BaseLocalFileSystem):
    """The response's view of a file the handler already opened: it reads that file whole
    even if the path is deleted meanwhile (a sweep, a cleared cache). With `part` (first and
    last byte), the file is that part of itself."""

    def __init__(self, file: BinaryIO, part: tuple[int, int] | None) -> None:
        self.file = file
        self.part = part

    async def info(self, path: Any, **kwargs: Any) -> Any:
        stat = os.fstat(self.file.fileno())
        first, last = self.part or (0, stat.st_size - 1)
        return {"type": "file", "name": str(path), "mtime": stat.st_mtime, "size": last - first + 1}

    async def open(self, file: Any, mode: str, buffering: int = -1) -> AsyncFile[Any]:
        if self.part is None:
            return AsyncFile(self.file)
        first, last = self.part
        self.file.seek(first)
        return AsyncFile(_Part(self.file, last - first + 1))


class _Part:
    """At most `length` bytes of a file, from where it stands."""

    def __init__(self, file: BinaryIO, length: int) -> None:
        self.file = file
        self.left = length

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.file.close()


def upload_route(max_file_size: int) -> HTTPRouteHandler:
    """The upload handler, its body limit sized to one file of the configured maximum."""
    return post(
        "/api/upload",
        summary="Upload files",
        description=(
            "Multipart form with the field `files` (repeatable). Answers an opaque id per "
            "file; name them in a chat request. With `?input=N`, the files are for the "
            "additional input at index N (a file or image input: its types and size limit); "
            f"without, for the message. Files over {max_file_size:,} bytes are refused."
        ),
        status_code=200,
        request_max_body_size=max_file_size + MULTIPART_OVERHEAD,
        opt={"body": "multipart/form-data"},
        responses={
            200: ResponseSpec(UploadResponse, description="The stored files"),
            **errors(
                {
                    403: "This bot (or this input) does not take files",
                    413: "A file is too large, or too many",
                    415: "A file type is not accepted",
                    429: "This client's upload quota is used up",
                    507: "All clients' quota, or disk, is full",
                }
            ),
        },
    )(_upload)


async def _upload(
    request: Request[Any, Any, State],
    services: NamedDependency[Services],
    input: Annotated[int | None, Parameter(ge=0)] = None,
) -> UploadResponse:
    bot = services.served.bot
    if input is None:
        if not bot.config.multimodal:
            raise PermissionDeniedException("This bot does not take files (multimodal is off).")
        max_size, accept = bot.max_file_size(), bot.config.textbox.file_types
    else:
        spec = dict(bot.file_inputs()).get(input)
        if spec is None:
            raise PermissionDeniedException(f"Additional input {input} does not take files.")
        max_size, accept = bot.input_file_size(input), spec.accepted()
    files, quotas = services.files, services.quotas
    quotas.before_upload(request, files.data_dir)
    form = await request.form()
    uploads = [item for item in form.getall("files", []) if isinstance(item, UploadFile)]
    if not uploads:
        raise HTTPException(status_code=422, detail="Send files in the multipart field 'files'.")
    quotas.take_uploads(request, len(uploads))
    charge = partial(quotas.charge, request, files.data_dir)
    stored = []
    try:
        for upload in uploads:
            stored.append(
                await files.save_upload(
                    upload,
                    owner_of(request),
                    max_size,
                    accept,
                    charge,
                )
            )
    except UploadRefused as exc:
        files.discard(stored)  # all of a request's files are stored, or none
        raise HTTPException(status_code=exc.status, detail=exc.message) from None
    return UploadResponse(files=[UploadedFile(**f.data()) for f in stored])


@get(
    "/api/files/{file_id:str}",
    summary="A file",
    description=(
        "An upload or a file the bot returned, by id. One `Range: bytes=...` is answered with "
        "206 and that part (416 when it starts past the end; `If-Range` with the file's ETag); "
        "other ranges get the whole file."
    ),
)
async def serve_file(
    request: Request[Any, Any, State], file_id: FromPath[str], services: NamedDependency[Services]
) -> File:
    owner = owner_of(request)
    await services.files.prefetch([file_id], owner)
    found = services.files.get(file_id, owner)
    if found is None:
        raise NotFoundException("No such file.")
    headers = {
        "content-security-policy": SANDBOXED_HTML_CSP if found.sandboxed_html else USER_CONTENT_CSP,
        "cache-control": "private, max-age=3600",
        "accept-ranges": "bytes",
    }
    try:
        opened = await anyio.to_thread.run_sync(open_no_follow, found.path)
    except OSError:  # deleted since, or a link planted at its path
        raise NotFoundException("No such file.") from None
    stat = os.fstat(opened.fileno())
    etag = create_etag_for_file(found.path, stat.st_mtime, stat.st_size)
    try:
        part = _requested_part(request, stat.st_size, etag)
    except HTTPException:
        opened.close()
        raise
    if part is not None:
        first, last = part
        headers |= {"content-range": f"bytes {first}-{last}/{stat.st_size}", "etag": etag}
    return File(
        found.path,
        filename=found.name,
        media_type=found.mime_type,
        content_disposition_type="inline" if found.inline else "attachment",
        file_system=_OpenedFile(opened, part),
        status_code=200 if part is None else 206,
        headers=headers,
    )


def _requested_part(
    request: Request[Any, Any, Any], size: int, etag: str
) -> tuple[int, int] | None:
    """The part of the file a `Range` header asks for; None for all of it (no range, or an
    `If-Range` for another version of the file)."""
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range != etag:
        return None
    try:
        return byte_range(request.headers.get("range"), size)
    except Unsatisfiable:
        raise HTTPException(
            status_code=416,
            detail=f"The requested range is outside the file ({size:,} bytes).",
            headers={"Content-Range": f"bytes */{size}"},
        ) from None


async def inline_files(
    request: Request[Any, Any, State], services: Services, values: list[Any]
) -> tuple[list[Any], list[StoredFile]]:
    """Additional inputs' values with each `data:` URL a file input holds stored as this
    client's upload (type, size and quotas checked as for `POST /api/upload`) and named by its
    id; and those uploads. Raises UploadRefused (a quota's HTTPException as it is), keeping
    none of them."""
    bot, files, quotas = services.served.bot, services.files, services.quotas
    inputs, stored = list(values), []
    try:
        for index, spec in bot.file_inputs():
            value = inputs[index] if index < len(inputs) else None
            items = value if isinstance(value, list) else [value]
            count = sum(map(is_data_url, items))
            if not count:
                continue
            quotas.before_upload(request, files.data_dir)
            quotas.take_uploads(request, count)
            limit, refs = bot.input_file_size(index), []
            for item in items:
                if is_data_url(item):
                    try:
                        name, content = decode(item, limit)
                    except BadDataURL as exc:
                        raise UploadRefused(exc.status, str(exc)) from None
                    saved = await files.save_upload(
                        UploadFile("application/octet-stream", name, content),
                        owner_of(request),
                        limit,
                        spec.accepted(),
                        partial(quotas.charge, request, files.data_dir),
                    )
                    stored.append(saved)
                    item = {"id": saved.id}
                refs.append(item)
            inputs[index] = refs if isinstance(value, list) else refs[0]
    except (UploadRefused, HTTPException):
        files.discard(stored)  # a later file was refused: all of them go, or none
        raise
    return inputs, stored
