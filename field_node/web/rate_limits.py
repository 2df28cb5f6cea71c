"""Rate limits per phone (address) for sign-in and 我想报名, kept in the station process's memory.

The station used Flask-Limiter with its in-memory storage for just these two views; importing it loaded the
``limits`` package with its asyncio storage, ``wrapt`` and ``deprecated`` — 4.6 MB of the station's memory on
a Pi, for two counters.  This keeps the same limit strings (``10/minute;100/hour``, the settings
LOGIN_RATE_LIMIT and INTEREST_RATE_LIMIT) as a moving window per view and address, and answers 429 (the
station's Chinese error page) when one is used up.  One process serves the station, so memory is the store.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, request

SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "month": 30 * 86400, "year": 365 * 86400}
_ONE = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d+)?\s*(second|minute|hour|day|month|year)s?\s*$")
MAX_ADDRESSES = 1000  # then addresses with no recent attempt are forgotten
View = TypeVar("View", bound=Callable[..., Any])


@functools.lru_cache(maxsize=32)
def parse(text: str) -> tuple[tuple[int, float], ...]:
    """``10/minute;100/hour`` (or ``10 per minute``, ``5 per 2 hours``; ``;`` or ``,`` between) as
    (count, seconds) pairs."""
    found = []
    for part in re.split(r"[;,]", text):
        if not part.strip():
            continue
        matched = _ONE.match(part.lower())
        if matched is None:
            raise ValueError(f"not a rate limit: {part!r}")
        count, multiple, unit = matched.groups()
        found.append((int(count), float(int(multiple or 1) * SECONDS[unit])))
    return tuple(found)


class StationLimits:
    """``limit(rate, methods=[...])`` decorates a view as Flask-Limiter's ``Limiter.limit`` did."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def limit(self, rate: Callable[[], str], *, methods: list[str] | None = None) -> Callable[[View], View]:
        def decorate(view: View) -> View:
            scope = f"{view.__module__}.{view.__qualname__}"

            @functools.wraps(view)
            def limited(*args: Any, **kwargs: Any) -> Any:
                if methods is None or request.method in methods:
                    self.hit(scope, request.remote_addr or "", rate())
                return view(*args, **kwargs)

            return limited  # type: ignore[return-value]  # the same view, wrapped

        return decorate

    def hit(self, scope: str, address: str, rate: str) -> None:
        """Count one attempt of ``address`` at ``scope``; 429 when a limit of ``rate`` is used up already."""
        limits = parse(rate)
        if not limits:
            return
        now = self._clock()
        longest = max(seconds for _, seconds in limits)
        with self._lock:
            times = self._hits.setdefault((scope, address), deque())
            while times and times[0] <= now - longest:
                times.popleft()
            if any(sum(1 for moment in times if moment > now - seconds) >= count for count, seconds in limits):
                abort(429)
            times.append(now)
            if len(self._hits) > MAX_ADDRESSES:
                self._forget(now - longest)

    def _forget(self, before: float) -> None:
        for key in [key for key, times in self._hits.items() if not times or times[-1] <= before]:
            del self._hits[key]
