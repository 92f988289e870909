"""Shared-state servers for tests: a real PostgreSQL and an S3 (moto) on loopback ports
(`bench/backing.py`, which the benchmarks use too).

Each server starts once per session, on first use; each test gets a database or bucket of its
own (`postgres_url`, `s3_url`). psycopg is imported only when a test asks for PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from backing import PostgresServer, S3Server, moto, postgres


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session, superuser `chatserve`, its data thrown away."""
    with postgres(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty database, dropped after the test."""
    import psycopg
    from psycopg import sql

    name = f"test_{uuid.uuid4().hex[:12]}"
    yield postgres_server.create_database(name)
    with psycopg.connect(postgres_server.url("postgres"), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """An S3 API for the session: moto's server, accepting any credentials."""
    with moto(tmp_path_factory.mktemp("s3")) as server:
        yield server


@pytest.fixture
def s3_url(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """`s3://BUCKET/chat`: a prefix in a fresh bucket, with the AWS_* variables set for this
    test and the processes it starts."""
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    s3_server.create_bucket(bucket)
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    return f"s3://{bucket}/chat"
