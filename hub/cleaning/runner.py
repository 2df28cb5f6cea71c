"""A cleaning run: every rule of the catalogue, findings turned into anomalies that keep their identity.

The same problem found again is the same anomaly (its key is rule + subject), still open or still answered;
one that no longer holds is closed by the run — but only when the run re-examined what it rests on: its rule's
scope for the run (catalogue.py) holds the anomaly's month, year or current state.  An anomaly of another
month stays as it is, so a township's list never loses an unresolved problem because the calendar moved on.
One answered "correct as it is" stays answered until the data it was raised on change (its digest).
The run is recorded with its settings and counts per rule and township.
"""

from __future__ import annotations

import fcntl
import json
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from peewee import SqliteDatabase

from hub.cleaning import above, anomalies
from hub.cleaning.anomalies import Examined
from hub.cleaning.catalogue import RULES_VERSION, Context, Finding
from hub.cleaning.rules import CATALOGUE, facts
from hub.county.parameters import parameters
from hub.store.db import database, write_transaction
from hub.store.models import CleaningRun, Household, Person, Village
from shared import idnumber, migrations
from shared.errors import ErrorCode, FieldsyncError
from shared.months import month_of, previous_month
from shared.rows import tuples

Progress = Callable[[str], None]
LOCK_KEY = 0x0F1E1D5C  # the PostgreSQL advisory lock of cleaning runs (any constant the hub uses for nothing else)
# The lock is taken per schema (two-key form, the schema's hash the second key): hubs, or test runs, that share one
# PostgreSQL server in different schemas never wait for each other.
SCHEMA_LOCK_SQL = "SELECT {function}(%s, hashtext(current_schema()))"


_in_this_process = threading.Lock()  # a PostgreSQL session may take its own advisory lock twice


@contextmanager
def exclusive() -> Iterator[None]:
    """Hold the one cleaning lock, or refuse with CLEANING_BUSY: one run at a time, whoever starts it (the
    command line, a queue worker, the schedule).  SQLite: an exclusive lock on a file beside the database (one
    machine); PostgreSQL: a session advisory lock held by this connection (every hub machine)."""
    if not _in_this_process.acquire(blocking=False):
        raise FieldsyncError(ErrorCode.CLEANING_BUSY)
    try:
        with _machine_lock():
            yield
    finally:
        _in_this_process.release()


@contextmanager
def _machine_lock() -> Iterator[None]:
    if migrations.dialect(database) == "sqlite":
        assert isinstance(database.obj, SqliteDatabase)
        with Path(f"{database.obj.database}.cleaning-lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise FieldsyncError(ErrorCode.CLEANING_BUSY) from None
            yield
        return
    if not database.execute_sql(SCHEMA_LOCK_SQL.format(function="pg_try_advisory_lock"), (LOCK_KEY,)).fetchone()[0]:
        raise FieldsyncError(ErrorCode.CLEANING_BUSY)
    try:
        yield
    finally:
        database.execute_sql(SCHEMA_LOCK_SQL.format(function="pg_advisory_unlock"), (LOCK_KEY,))


def backfill_person_checks() -> int:
    """Rows that arrived before the checks existed get them once (I1, I9); later imports compute them."""
    from hub.roster.importer import MOBILE, id_disagreement

    pending = list(tuples(Person.select(Person.id, Person.id_number, Person.gender, Person.birth_date, Person.phone)
                          .where(Person.checked == False)))  # noqa: E712
    with write_transaction():
        for person_id, id_number, gender, birth, phone in pending:
            problem = idnumber.problem(id_number)
            Person.update(id_problem=id_disagreement(id_number, problem.code if problem else "", gender, birth),
                          phone_problem="" if not phone or MOBILE.match(phone) else "invalid",
                          checked=True).where(Person.id == person_id).execute()
    return len(pending)


def _places() -> dict[int | None, tuple[int, int]]:
    """Household id -> (village id, township id)."""
    query = Household.select(Household.id, Household.village, Village.township).join(Village)
    return {household_id: (village_id, township_id) for household_id, village_id, township_id in tuples(query)}




def find_all(ctx: Context, progress: Progress, skipped: Collection[str] = ()
             ) -> tuple[list[Finding], Counter, Examined]:
    """Every rule's findings, but those ``skipped`` (above the county: what the city lacks), which examine
    nothing and so close nothing."""
    facts.build_household_months(ctx)
    findings: list[Finding] = []
    counts: Counter = Counter()
    examined: Examined = {}
    for rule in CATALOGUE.values():
        if rule.id in skipped:
            progress(rule.id)
            continue
        found = list(rule.find(ctx))
        examined[rule.id] = set(rule.scopes(ctx)) | {finding.scope for finding in found}
        counts[rule.id] = len(found)
        findings += found
        progress(rule.id)
    return findings, counts, examined


def run(period: str | None = None, today: date | None = None, progress: Progress = lambda _: None,
        level: str = "county") -> CleaningRun:
    """Run the whole catalogue for ``period`` (default: last month) and reconcile the anomalies; refused with
    CLEANING_BUSY while another run holds the lock.  At a city or region (``level``) only the rules the
    forwarded visits allow run (hub/cleaning/above.py); the others are recorded as skipped, with why."""
    with exclusive():
        return _run(period, today or date.today(), progress, level)


def _run(period: str | None, today: date, progress: Progress, level: str = "county") -> CleaningRun:
    ctx = Context(period or previous_month(month_of(today)), today, parameters())
    backfill_person_checks()
    started = datetime.utcnow()
    with write_transaction():
        anomalies.rekey_person_subjects()
        skipped = above.SKIPPED_ABOVE if above.is_above(level) else {}
        findings, counts, examined = find_all(ctx, progress, skipped)
        record = CleaningRun.create(started_at=started, period=ctx.period, rules_version=RULES_VERSION,
                                    settings=json.dumps(ctx.params))
        places = _places()
        opened, closed = anomalies.reconcile(findings, record, places, examined)
        per_township = Counter(str(places[f.household_id][1]) for f in findings if f.household_id in places)
        summary: dict[str, Any] = {"rules": counts, "townships": per_township}
        if above.is_above(level):  # each county's counts, for its reported figures (above.under_reported)
            summary.update(skipped=skipped, counties=above.county_counts(findings, places))
        record.counts = json.dumps(summary, ensure_ascii=False)
        record.opened, record.closed, record.finished_at = opened, closed, datetime.utcnow()
        record.save()
    return record

