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

import re
from collections.abc import Iterable
from dataclasses import dataclass

import peewee

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
    _swap(table, "INCLUDING DEFAULTS, county_id BIGINT NOT NULL", "county_id")
    return indexes


def _swap(table: str, like: str, key: str) -> None:
    """Put a table partitioned LIST by ``key`` — ``LIKE table`` with ``like`` — in the place of the plain one,
    its id sequence kept."""
    sequence = _rows("SELECT pg_get_serial_sequence(%s, 'id')", (table,))[0][0]
    database.execute_sql(f"CREATE TABLE {table}_partitioned (LIKE {table} {like}) PARTITION BY LIST ({key})")
    if sequence:
        database.execute_sql(f"ALTER SEQUENCE {sequence} OWNED BY NONE")  # kept for the new table's ids
    database.execute_sql(f"DROP TABLE {table}")
    database.execute_sql(f"ALTER TABLE {table}_partitioned RENAME TO {table}")
    if sequence:
        database.execute_sql(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id")


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
    if received_partitioned():  # ``record`` is the signer's there, by node_id (docs/scale.md)
        raise ValueError("the received tables are partitioned: record cannot be partitioned by county too")
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


# --- The tables a region (or a city) receives from the levels below (docs/scale.md) ------------------------------
#
# At a region hub the big tables are those the cities' pushes fill: ``record`` (the cities' signed wrappers, one
# partition per signer), and the upward tables named by the county (``upward_forwarded`` with a partition per
# month beneath each county, ``upward_person``, ``upward_kept``, ``upward_transferred``).  A city hub receives the
# same tables from its counties, so it is partitioned the same way.  ``partition_received`` turns them, still
# empty, into partitioned tables at ``fieldsync-hub migrate`` (and ``init``); a signer's partitions are made when
# its node is (``add_node``), a county's month partitions when its first record of that month arrives
# (``add_months``) — inside the transaction that writes the rows.  Unlike the cleaning tables above, no column is
# added: the partition keys are the tables' own ``node_id`` and ``county_id``.

RECEIVED_LEVELS = ("city", "region")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Received:
    """A received table: its LIST key (the signer's node, or the county's) and, beneath it, its month column."""
    table: str
    key: str
    by_month: str | None = None
    prefix: str = "c"

    @property
    def keys(self) -> list[str]:
        return [self.key] + ([self.by_month] if self.by_month else [])


RECORD = Received("record", "node_id", prefix="n")
FORWARDED = Received("upward_forwarded", "county_id", by_month="month")
RECEIVED_TABLES = (RECORD, FORWARDED, Received("upward_person", "county_id"), Received("upward_kept", "county_id"),
                   Received("upward_transferred", "county_id"))
RECEIVED_NAMES = tuple(layout.table for layout in RECEIVED_TABLES)
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('fieldsync.partitions'))"  # one maker of partitions at a time


def _partitioned(table: str) -> bool:
    return bool(_rows("SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                      "WHERE c.relname = %s AND c.relnamespace = to_regnamespace(current_schema())::oid", (table,)))


def received_partitioned() -> bool:
    """Whether this database's received tables are partitioned (never on SQLite, never at a county hub)."""
    return migrations.dialect(database) == "postgresql" and _partitioned(FORWARDED.table)


def _nullable(table: str) -> set[str]:
    return {name for (name,) in _rows(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s AND is_nullable = 'YES'", (table,))}


def _received_indexes(layout: Received) -> list[str]:
    """The table's indexes for its partitioned self: each unique one (the primary key too) gets the partition
    keys appended; one with a nullable key (a record's month) treats NULLs as equal (NULLS NOT DISTINCT) and, as a
    primary key cannot hold a nullable column, the primary key becomes such a unique index."""
    statements, nullable = [], _nullable(layout.table)
    for name, definition, unique, primary, columns in _rows(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid), x.indisunique, x.indisprimary, "
            "ARRAY(SELECT a.attname FROM unnest(x.indkey) k JOIN pg_attribute a "
            "ON a.attrelid = x.indrelid AND a.attnum = k) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = %s AND t.relnamespace = to_regnamespace(current_schema())::oid ORDER BY i.relname",
            (layout.table,)):
        if not unique:
            statements.append(definition.replace(f" ON {_qualified(layout.table)} ", f" ON {layout.table} "))
            continue
        keyed = list(columns) + [key for key in layout.keys if key not in columns]
        if primary and not nullable & set(keyed):
            statements.append(f"ALTER TABLE {layout.table} ADD PRIMARY KEY ({', '.join(keyed)})")
        else:
            nulls = " NULLS NOT DISTINCT" if nullable & set(keyed) else ""
            statements.append(f"CREATE UNIQUE INDEX {name} ON {layout.table} ({', '.join(keyed)}){nulls}")
    return statements


def _kept_foreign_keys(table: str) -> list[str]:
    """The table's foreign keys to tables that stay plain (``node``, ``household``), to add back after."""
    return [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in _rows(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
        "AND conrelid = to_regclass(%s) AND NOT confrelid::regclass::text = ANY(%s) ORDER BY conname",
        (table, list(RECEIVED_NAMES)))]


def _rebuild_received(layout: Received) -> list[str]:
    """Replace the empty plain table by one partitioned LIST by its key, of the same columns, defaults and
    checks; return its index and foreign key statements.  Only ``record`` has a DEFAULT partition (a signer
    without its own): an upward table's rows always name a county whose partitions were made with its node, and
    a DEFAULT partition there would be read by every query that names a month but not a county."""
    table = layout.table
    after = _received_indexes(layout) + _kept_foreign_keys(table)
    _swap(table, "INCLUDING DEFAULTS INCLUDING CONSTRAINTS", layout.key)
    if layout is RECORD:  # a signer made before its partition could be: read by no query naming a signer
        database.execute_sql(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
    return after


def _foreign_keys_to_record() -> list[tuple[str, str]]:
    """(table, constraint) of every foreign key naming ``record (id)``: impossible once ``record``'s unique keys
    hold ``node_id`` (visit, posting, interest, recommendation, verification_task, the upward tables)."""
    return _rows("SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f' "
                 "AND confrelid = to_regclass('record') ORDER BY 1, 2")


def partition_received(level: str) -> str:
    """At a city or region hub on PostgreSQL, partition the received tables while they are empty.  Returns what
    was done: "partitioned", "already" (partitioned before), "held" (they hold rows: kept plain, see
    docs/scale.md), or "" (a county hub, or SQLite: nothing to do)."""
    if level not in RECEIVED_LEVELS or migrations.dialect(database) != "postgresql":
        return ""
    with database.atomic():
        database.execute_sql(_LOCK)
        if received_partitioned():
            return "already"
        if any(_rows(f"SELECT 1 FROM {layout.table} LIMIT 1") for layout in RECEIVED_TABLES):
            return "held"
        for table, constraint in _foreign_keys_to_record():
            database.execute_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
        statements = [statement for layout in RECEIVED_TABLES for statement in _rebuild_received(layout)]
        run_all(statements)
        for node_id, node_level, signs in _rows("SELECT id, level, public_key IS NOT NULL OR enrolment_code_hash "
                                                "IS NOT NULL FROM node ORDER BY id"):
            _add_node(int(node_id), node_level, bool(signs))
    return "partitioned"


def _create_partition(name: str, parent: str, bounds: str, sub: str = "") -> None:
    """One partition, unless it exists.  Where the parent's DEFAULT partition already holds rows it would take
    (none should: a node's partitions are made with the node), PostgreSQL refuses it: those rows stay in the
    DEFAULT partition — still read by every query, only not pruned."""
    if _rows("SELECT to_regclass(%s)", (name,))[0][0] is not None:
        return
    try:
        with database.atomic():
            database.execute_sql(f"CREATE TABLE {name} PARTITION OF {parent} {bounds}{sub}")
    except peewee.DatabaseError as error:
        if "default partition" not in str(error).lower():
            raise


def _add_node(node_id: int, level: str, signs: bool) -> None:
    if signs:
        _create_partition(f"{RECORD.table}_{RECORD.prefix}{node_id}", RECORD.table, f"FOR VALUES IN ({node_id})")
    if level != "county":
        return
    for layout in RECEIVED_TABLES[1:]:
        part = f"{layout.table}_{layout.prefix}{node_id}"
        sub = f" PARTITION BY RANGE ({layout.by_month})" if layout.by_month else ""
        _create_partition(part, layout.table, f"FOR VALUES IN ({node_id})", sub)
        if layout.by_month:
            _create_partition(f"{part}_default", part, "DEFAULT")


def add_node(node_id: int, level: str, signs: bool = True) -> None:
    """A new node's partitions, where the received tables are partitioned: its records' (a node that signs; a
    county a region knows only through its city never does), and a county's of each upward table (with a DEFAULT
    month partition beneath ``upward_forwarded``).  Called in the transaction that makes the node; nothing on
    SQLite or at a county hub."""
    if not received_partitioned():
        return
    database.execute_sql(_LOCK)
    _add_node(node_id, level, signs)


def add_months(county_months: Iterable[tuple[int, str | None]]) -> None:
    """The month partitions of ``upward_forwarded`` the rows about to be written need (county, 'YYYY-MM'); a
    record with no month, or none of that form, goes to the county's DEFAULT partition.  One catalog query when
    all exist; nothing on SQLite or at a county hub."""
    if migrations.dialect(database) != "postgresql":
        return
    wanted = {(county, month) for county, month in county_months if month is not None and MONTH.fullmatch(month)}
    if not wanted:
        return
    names = {f"{FORWARDED.table}_{FORWARDED.prefix}{county}_{month.replace('-', '')}": (county, month)
             for county, month in wanted}
    missing = [name for (name,) in _rows("SELECT name FROM unnest(%s::text[]) name WHERE to_regclass(name) IS NULL",
                                         (sorted(names),))]
    if not missing or not received_partitioned():
        return
    database.execute_sql(_LOCK)
    for name in missing:
        county, month = names[name]
        parent = f"{FORWARDED.table}_{FORWARDED.prefix}{county}"
        if _rows("SELECT to_regclass(%s)", (parent,))[0][0] is not None:  # else the county's rows go to DEFAULT
            _create_partition(name, parent, f"FOR VALUES FROM ('{month}') TO ('{next_month(month)}')")
