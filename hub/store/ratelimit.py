"""Rate-limit counters in the hub's own database, shared by every gunicorn worker (issue 12).

Flask-Limiter keeps its counters in a ``limits`` storage; ``memory://`` would count per worker process, so
with four workers every limit would be four times as loose (and reset at each restart).  ``database://`` (the
default of FIELDSYNC_RATELIMIT_STORAGE_URI) keeps fixed-window counters in ``rate_limit_counter``, on SQLite or
PostgreSQL, whichever the hub uses; ``redis://host:port`` uses Redis where one is deployed (needs the ``redis``
package).  Each increment is one upsert, so concurrent workers never lose a hit.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from limits.storage import Storage
from peewee import Case, PeeweeException

from hub.store.db import database, write_transaction
from hub.store.models import RateLimitCounter

SCHEME = "database"
DEFAULT_URI = f"{SCHEME}://"


@contextmanager
def _connected() -> Iterator[None]:
    """Use the request's connection; open (and close) one only outside a request."""
    opened = database.connect(reuse_if_open=True)
    try:
        yield
    finally:
        if opened and not database.is_closed():
            database.close()


class DatabaseStorage(Storage):
    """A ``limits`` storage (fixed window) in the hub's database."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return PeeweeException

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        expired = RateLimitCounter.expires_at <= now
        with _connected(), write_transaction():
            (RateLimitCounter.insert(bucket=key, hits=amount, expires_at=now + expiry)
             .on_conflict(conflict_target=[RateLimitCounter.bucket], update={
                 RateLimitCounter.hits: Case(None, [(expired, amount)], RateLimitCounter.hits + amount),
                 RateLimitCounter.expires_at: Case(None, [(expired, now + expiry)], RateLimitCounter.expires_at)})
             .execute())
            RateLimitCounter.delete().where(RateLimitCounter.expires_at < now - 60).execute()
            return RateLimitCounter.get_by_id(key).hits

    def _live(self, key: str) -> RateLimitCounter | None:
        with _connected():
            row = RateLimitCounter.get_or_none(RateLimitCounter.bucket == key)
        return row if row is not None and row.expires_at > time.time() else None

    def get(self, key: str) -> int:
        row = self._live(key)
        return row.hits if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._live(key)
        return row.expires_at if row else time.time()

    def check(self) -> bool:
        try:
            with _connected():
                RateLimitCounter.select().limit(1).count()
            return True
        except PeeweeException:
            return False

    def reset(self) -> int | None:
        with _connected(), write_transaction():
            return RateLimitCounter.delete().execute()

    def clear(self, key: str) -> None:
        with _connected(), write_transaction():
            RateLimitCounter.delete().where(RateLimitCounter.bucket == key).execute()
