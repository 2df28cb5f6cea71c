"""A cleaning run: every rule of the catalogue, findings turned into anomalies that keep their identity.

The same problem found again is the same anomaly (its key is rule + subject), still open or still answered;
one that no longer holds is closed by the run — but only when the run re-examined what it rests on: its rule's
scope for the run (catalogue.py) holds the anomaly's month, year or current state.  An anomaly of another
month stays as it is, so a township's list never loses an unresolved problem because the calendar moved on.
One answered "correct as it is" stays answered until the data it was raised on change (its digest).
The run is recorded with its settings and counts per rule and township.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime

from hub.cleaning import anomalies
from hub.cleaning.anomalies import Examined
from hub.cleaning.catalogue import RULES_VERSION, Context, Finding
from hub.cleaning.rules import CATALOGUE, facts
from hub.county.parameters import parameters
from hub.store.db import write_transaction
from hub.store.models import CleaningRun, Household, Person, Village
from shared import idnumber
from shared.months import month_of, previous_month
from shared.rows import tuples

Progress = Callable[[str], None]


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




def find_all(ctx: Context, progress: Progress) -> tuple[list[Finding], Counter, Examined]:
    facts.build_household_months(ctx)
    findings: list[Finding] = []
    counts: Counter = Counter()
    examined: Examined = {}
    for rule in CATALOGUE.values():
        found = list(rule.find(ctx))
        examined[rule.id] = set(rule.scopes(ctx)) | {finding.scope for finding in found}
        counts[rule.id] = len(found)
        findings += found
        progress(rule.id)
    return findings, counts, examined


def run(period: str | None = None, today: date | None = None, progress: Progress = lambda _: None) -> CleaningRun:
    """Run the whole catalogue for ``period`` (default: last month) and reconcile the anomalies."""
    today = today or date.today()
    ctx = Context(period or previous_month(month_of(today)), today, parameters())
    backfill_person_checks()
    started = datetime.utcnow()
    with write_transaction():
        findings, counts, examined = find_all(ctx, progress)
        record = CleaningRun.create(started_at=started, period=ctx.period, rules_version=RULES_VERSION,
                                    settings=json.dumps(ctx.params))
        places = _places()
        opened, closed = anomalies.reconcile(findings, record, places, examined)
        per_township = Counter(str(places[f.household_id][1]) for f in findings if f.household_id in places)
        record.counts = json.dumps({"rules": counts, "townships": per_township}, ensure_ascii=False)
        record.opened, record.closed, record.finished_at = opened, closed, datetime.utcnow()
        record.save()
    return record

