"""Blobs in an S3 bucket (`server.storage: s3://bucket/prefix`), shared by replicas.

Credentials, region and endpoint come from the standard AWS variables (`AWS_ENDPOINT_URL`
included, so MinIO, R2 and Ceph work). Writes are create-only (`If-None-Match: *`), so two
replicas writing one key keep the first. What a replica reads is kept in its cache folder:
chat functions get local paths, and a blob never changes once written.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from chatserve.store.shared.extras import client

TIMEOUT = "30s"


class Bucket:
    """The blobs under `url`; `cache` is this replica's folder of the ones it read."""

    def __init__(self, url: str, cache: Path) -> None:
        self.obstore = client("obstore")
        from obstore.store import S3Store

        parts = urlsplit(url)
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        plain_http = bool(endpoint and endpoint.startswith("http:"))  # a MinIO on the LAN
        self.store = S3Store(
            parts.netloc,
            prefix=parts.path.strip("/") or None,
            client_options={"timeout": TIMEOUT, "allow_http": plain_http},
        )
        self.url = url
        self.cache = cache
        self.where = f"the bucket {url}"

    def under(self, folder: str) -> Bucket:
        """The blobs under `folder` of this bucket's prefix."""
        return Bucket(f"{self.url}/{folder}", self.cache / folder)

    def check(self) -> None:
        """Raise unless the bucket answers (a list of at most one key)."""
        next(iter(self.obstore.list(self.store, chunk_size=1)), None)

    def put(self, key: str, source: Path) -> bool:
        from obstore.exceptions import AlreadyExistsError

        try:
            self.obstore.put(self.store, key, source, mode="create")
        except AlreadyExistsError:
            return False
        return True

    def local(self, key: str) -> Path | None:
        cached = self.cache / key
        if cached.is_file():
            return cached
        try:
            result = self.obstore.get(self.store, key)
        except FileNotFoundError:
            return None
        cached.parent.mkdir(parents=True, exist_ok=True)
        draft = cached.with_name(f".{cached.name}.{secrets.token_hex(8)}.part")
        try:
            with draft.open("wb") as out:
                for chunk in result:
                    out.write(chunk)
            os.replace(draft, cached)  # readers of the cache never see half a blob
        finally:
            draft.unlink(missing_ok=True)
        return cached

    def delete(self, key: str) -> None:
        self.obstore.delete(self.store, key)
