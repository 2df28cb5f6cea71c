"""Rows of a peewee query as tuples, typed as such.

peewee's stubs type ``query.tuples()`` as the query itself, whose rows are model instances; at run time its rows
are tuples. Code that unpacks rows reads them through :func:`tuples`, so the type checker sees what runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from peewee import BaseQuery


def tuples(query: BaseQuery) -> Iterator[tuple[Any, ...]]:
    """The rows of ``query`` as tuples, in the query's order (runs the query)."""
    return iter(query.tuples())
