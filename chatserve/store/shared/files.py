"""The records of files in PostgreSQL, for replicas: any replica finds a file any other one
wrote. A file in the data dir is recorded by its path in it (each replica's data dir may be
elsewhere); one outside it (an example's attachment) by its absolute path."""

from __future__ import annotations

import time
from pathlib import Path

from chatserve.store.files import StoredFile
from chatserve.store.shared.postgres import Postgres

_COLUMNS = "id, path, name, size, owner, sandboxed_html"


class PostgresRecords:
    def __init__(self, database: Postgres, data_dir: Path) -> None:
        self.database = database
        self.data_dir = data_dir

    def put(self, stored: StoredFile) -> None:
        path = stored.path
        where = path.relative_to(self.data_dir) if path.is_relative_to(self.data_dir) else path
        values = (stored.id, where.as_posix(), stored.name, stored.size, stored.owner)
        with self.database.connection() as connection:
            connection.execute(
                f"INSERT INTO files ({_COLUMNS}, created) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (*values, stored.sandboxed_html, time.time()),
            )

    def read(self, file_id: str) -> StoredFile | None:
        with self.database.connection() as connection:
            row = connection.execute(
                f"SELECT {_COLUMNS} FROM files WHERE id = %s", (file_id,)
            ).fetchone()
        if row is None:
            return None
        file_id, path, name, size, owner, sandboxed_html = row
        return StoredFile(file_id, self.data_dir / path, name, size, owner, sandboxed_html)

    def delete(self, file_id: str) -> None:
        with self.database.connection() as connection:
            connection.execute("DELETE FROM files WHERE id = %s", (file_id,))

    def expire(self, age: float) -> list[str]:
        """Delete the records made over `age` seconds ago but of files a saved conversation
        shows; the paths of their files. One replica at a time sweeps: the others find nothing
        to do."""
        with self.database.leading("sweep") as connection:
            if connection is None:
                return []
            rows = connection.execute(
                "DELETE FROM files WHERE created < %s AND NOT EXISTS "
                "(SELECT 1 FROM conversation_files WHERE file = files.id) RETURNING path",
                (time.time() - age,),
            ).fetchall()
        return [row[0] for row in rows]
