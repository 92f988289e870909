"""`data:` URLs: files sent inline in a JSON request (the file inputs of the OpenAI-compatible
route), decoded under a size cap before they are stored as uploads."""

from __future__ import annotations

import base64
import binascii
import mimetypes


class BadDataURL(ValueError):
    """Not a base64 `data:` URL (400), or its file is over the limit (413)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def is_data_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith("data:")


def decode(url: str, max_size: int) -> tuple[str, bytes]:
    """A file's name (`input.<ext>`, by the URL's type: the store then types the file by that
    name, never by the claim) and its bytes. The size is checked before decoding too: a huge
    URL is never decoded."""
    head, comma, body = url.partition(",")
    if not comma or not head.endswith(";base64"):
        raise BadDataURL("A file must be {'id': ...} or a base64 URL: data:<type>;base64,...")
    if len(body) > (max_size + 2) // 3 * 4:
        raise BadDataURL(f"A data: URL's file is larger than the limit of {max_size:,} bytes.", 413)
    try:
        content = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise BadDataURL("A data: URL's base64 is malformed.") from None
    if len(content) > max_size:
        raise BadDataURL(f"A data: URL's file is larger than the limit of {max_size:,} bytes.", 413)
    kind = head.removeprefix("data:").split(";")[0].strip().lower()
    return f"input{mimetypes.guess_extension(kind) or ''}", content
