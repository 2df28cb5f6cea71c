"""A region's big tables, partitioned on PostgreSQL: LIST by county, and the visits RANGE by month beneath.

A region-wide cleaning run reads the cleaning engine's own tables (``household``, ``person``, ``record``,
``visit``, ``visit_employment``) holding every county's rows (docs/scale.md).  ``partition`` turns those five
tables of a freshly migrated, still empty PostgreSQL database into declaratively partitioned tables of the same
name and columns plus ``county_id``, and gives ``township`` a ``county_id`` — so every query of the hub runs
unchanged, and those naming a month (the rules' ``month BETWEEN …``) read only that month's partitions.

PostgreSQL's rules for partitioned tables shape the rest: a unique constraint must hold the partition key, so
each primary key and unique index gets ``county_id`` (and ``month`` for the visits) appended, and no foreign key
can point at a partitioned table by ``id`` alone, so the foreign keys to and from the five tables are dropped —
the region's loader writes them consistent (each county hub's own database keeps them all).  Every county has
a DEFAULT month partition, so no month is refused; a county is added (``add_county``) before its first row — a row
of a county without partitions is refused, not hidden in a partition no month filter could skip.

A county hub never calls this (SQLite or PostgreSQL, it keeps the plain tables of the migrations).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hub.store.db import database
from shared import migrations


@dataclass(frozen=True)
class Layout:
    """One partitioned table: its name and, beneath the county, the column of its RANGE sub-partitions."""
    table: str
    by_month: str | None = None

    @property
    def keys(self) -> list[str]:
        return ["county_id"] + ([self.by_month] if self.by_month else [])


BIG_TABLES = (Layout("household"), Layout("person"), Layout("record"), Layout("visit", by_month="month"),
              Layout("visit_employment"))
NAMES = tuple(layout.table for layout in BIG_TABLES)


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def _rows(sql: str, params: tuple = ()) -> list[tuple]:
    return database.execute_sql(sql, params).fetchall()


def is_partitioned() -> bool:
    return migrations.dialect(database) == "postgresql" and bool(_rows(
        "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relname = 'visit' AND c.relnamespace = to_regnamespace(current_schema())::oid"))


def _foreign_keys() -> list[tuple[str, str]]:
    """(table, constraint) of every foreign key to or from one of the big tables."""
    return _rows(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f' "
        "AND connamespace = to_regnamespace(current_schema())::oid "
        "AND (conrelid::regclass::text = ANY(%s) OR confrelid::regclass::text = ANY(%s))", (list(NAMES), list(NAMES)))


def _index_statements(layout: Layout) -> list[str]:
    """The table's indexes (primary key and unique ones included) as statements for its partitioned self:
    a unique index gets the partition key appended, as PostgreSQL requires."""
    statements = []
    for name, definition, unique, primary, columns in _rows(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid), x.indisunique, x.indisprimary, "
            "ARRAY(SELECT a.attname FROM unnest(x.indkey) k JOIN pg_attribute a "
            "ON a.attrelid = x.indrelid AND a.attnum = k) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = %s AND t.relnamespace = to_regnamespace(current_schema())::oid",
            (layout.table,)):
        keyed = ", ".join(list(columns) + [key for key in layout.keys if key not in columns])
        if primary:
            statements.append(f"ALTER TABLE {layout.table} ADD PRIMARY KEY ({keyed})")
        elif unique:
            statements.append(f"CREATE UNIQUE INDEX {name} ON {layout.table} ({keyed})")
        else:
            statements.append(definition.replace(f" ON {_qualified(layout.table)} ", f" ON {layout.table} "))
    return statements


def _qualified(table: str) -> str:
    schema = _rows("SELECT current_schema()")[0][0]
    return f"{schema}.{table}" if schema != "public" else f"public.{table}"


def _rebuild(layout: Layout) -> list[str]:
    """Replace the empty plain table by a partitioned one of the same columns plus ``county_id``; return its
    index statements, not yet run."""
    table = layout.table
    if _rows(f"SELECT 1 FROM {table} LIMIT 1"):
        raise ValueError(f"{table} holds rows: only an empty, freshly migrated database is partitioned")
    indexes = _index_statements(layout)
    sequence = _rows("SELECT pg_get_serial_sequence(%s, 'id')", (table,))[0][0]
    database.execute_sql(f"CREATE TABLE {table}_partitioned (LIKE {table} INCLUDING DEFAULTS, "
                         f"county_id BIGINT NOT NULL) PARTITION BY LIST (county_id)")
    if sequence:
        database.execute_sql(f"ALTER SEQUENCE {sequence} OWNED BY NONE")  # kept for the new table's ids
    database.execute_sql(f"DROP TABLE {table}")
    database.execute_sql(f"ALTER TABLE {table}_partitioned RENAME TO {table}")
    if sequence:
        database.execute_sql(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id")
    return indexes


def add_county(county_id: int, months: Iterable[str]) -> None:
    """The county's partitions of every big table, and of the visits one per month plus a DEFAULT one."""
    for layout in BIG_TABLES:
        part = f"{layout.table}_c{county_id}"
        sub = f" PARTITION BY RANGE ({layout.by_month})" if layout.by_month else ""
        database.execute_sql(f"CREATE TABLE {part} PARTITION OF {layout.table} FOR VALUES IN ({county_id}){sub}")
        if layout.by_month:
            for month in months:
                database.execute_sql(f"CREATE TABLE {part}_{month.replace('-', '')} PARTITION OF {part} "
                                     f"FOR VALUES FROM ('{month}') TO ('{next_month(month)}')")
            database.execute_sql(f"CREATE TABLE {part}_default PARTITION OF {part} DEFAULT")


def partition(county_ids: Iterable[int], months: Iterable[str], defer_indexes: bool = False) -> list[str]:
    """Partition the empty big tables for these counties and months (PostgreSQL only).  With
    ``defer_indexes`` the index statements are returned instead of run — a bulk load runs them after."""
    if migrations.dialect(database) != "postgresql":
        raise ValueError("partitioning needs PostgreSQL")
    months = list(months)
    with database.atomic():
        database.execute_sql("ALTER TABLE township ADD COLUMN IF NOT EXISTS county_id BIGINT REFERENCES county (id)")
        for table, constraint in _foreign_keys():
            database.execute_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
        indexes = [statement for layout in BIG_TABLES for statement in _rebuild(layout)]
        for county_id in county_ids:
            add_county(county_id, months)
        if not defer_indexes:
            run_all(indexes)
    return indexes if defer_indexes else []


def run_all(statements: Iterable[str]) -> None:
    for statement in statements:
        database.execute_sql(statement)
