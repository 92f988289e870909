"""`POST /api/upload` and `GET /api/files/{id}`: files in and out, by opaque id only."""

from __future__ import annotations

import os
from functools import partial
from typing import Any

import anyio.to_thread
from anyio import AsyncFile
from litestar import Request, get, post
from litestar.datastructures import State, UploadFile
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.file_system import BaseLocalFileSystem
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath
from litestar.response import File

from chatserve.clients import owner_of
from chatserve.files import FileStore, UploadRefused
from chatserve.quotas import Quotas
from chatserve.wire import ErrorResponse, UploadedFile, UploadResponse

MULTIPART_OVERHEAD = 64 * 1024

USER_CONTENT_CSP = (
    "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"
)
"""Served files run nothing and reach nothing, even when opened directly."""

SANDBOXED_HTML_CSP = (
    "sandbox allow-scripts; default-src * data: blob: 'unsafe-inline' 'unsafe-eval'"
)
"""HTML plots may run their scripts, but in an opaque origin: no cookies, no storage, no page."""


class _NoFollowFileSystem(BaseLocalFileSystem):
    """Opens files without following a symlink in their last part (`O_NOFOLLOW`): a link
    swapped in after `FileStore.get` checked the path fails the response, never serves its
    target."""

    async def open(self, file: Any, mode: str, buffering: int = -1) -> AsyncFile[Any]:
        fd = await anyio.to_thread.run_sync(os.open, file, os.O_RDONLY | os.O_NOFOLLOW)
        return AsyncFile(os.fdopen(fd, mode, buffering))


NO_FOLLOW = _NoFollowFileSystem()


def upload_route(max_file_size: int) -> HTTPRouteHandler:
    """The upload handler, its body limit sized to one file of the configured maximum."""
    return post(
        "/api/upload",
        summary="Upload files",
        description=(
            "Multipart form with the field `files` (repeatable). Answers an opaque id per "
            f"file; name them in a chat request. Files over {max_file_size:,} bytes are refused."
        ),
        status_code=200,
        request_max_body_size=max_file_size + MULTIPART_OVERHEAD,
        opt={"body": "multipart/form-data"},
        responses={
            200: ResponseSpec(UploadResponse, description="The stored files"),
            403: ResponseSpec(ErrorResponse, description="This bot does not take files"),
            413: ResponseSpec(ErrorResponse, description="A file is too large, or too many"),
            415: ResponseSpec(ErrorResponse, description="A file type is not accepted"),
            429: ResponseSpec(ErrorResponse, description="This client's upload quota is used up"),
            507: ResponseSpec(ErrorResponse, description="All clients' quota, or disk, is full"),
        },
    )(_upload)


async def _upload(request: Request[Any, Any, State]) -> UploadResponse:
    state = request.app.state
    bot = state.holder.current.bot
    if not bot.config.multimodal:
        raise PermissionDeniedException("This bot does not take files (multimodal is off).")
    files: FileStore = state.holder.files
    quotas: Quotas = state.quotas
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
                    bot.max_file_size(),
                    bot.config.textbox.file_types,
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
    description="An upload or a file the bot returned, by id.",
)
async def serve_file(request: Request[Any, Any, State], file_id: FromPath[str]) -> File:
    found = request.app.state.holder.files.get(file_id, owner_of(request))
    if found is None:
        raise NotFoundException("No such file.")
    return File(
        found.path,
        filename=found.name,
        media_type=found.mime_type,
        content_disposition_type="inline" if found.inline else "attachment",
        file_system=NO_FOLLOW,
        headers={
            "Content-Security-Policy": SANDBOXED_HTML_CSP
            if found.sandboxed_html
            else USER_CONTENT_CSP,
            "Cache-Control": "private, max-age=3600",
        },
    )
