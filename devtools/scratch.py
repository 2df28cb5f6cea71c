"""A throwaway PostgreSQL schema, for the tests and the benchmarks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2


@contextmanager
def postgres_schema(url: str, prefix: str = "t") -> Iterator[str]:
    """Create a fresh schema in the database at ``url``; yield a URL whose connections use it; drop it after.

    The caller closes its own connections to the schema before the block ends.
    """
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    execute_autocommit(url, f"CREATE SCHEMA {schema}")
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        # a new connection: the server may have restarted meanwhile
        execute_autocommit(url, f"DROP SCHEMA {schema} CASCADE")


def execute_autocommit(url: str, sql: str) -> None:
    """One statement on a connection of its own, outside any transaction (CREATE/DROP SCHEMA or DATABASE)."""
    admin = psycopg2.connect(url)
    try:
        admin.autocommit = True
        admin.cursor().execute(sql)
    finally:
        admin.close()
