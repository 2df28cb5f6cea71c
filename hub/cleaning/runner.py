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
from typing import Any

from hub import audit
from hub.cleaning import rules  # noqa: F401  (registers the rules)
from hub.cleaning.catalogue import CATALOGUE, PARAMETERS, RULES_VERSION, Context, Finding
from hub.cleaning.models import ANSWER_CORRECT, ANSWERED, CLOSED, OPEN, Anomaly, CleaningRun, CleaningSetting
from hub.db import insert_rows, write_transaction
from hub.models import Household, Person, Village
from shared import idnumber
from shared.months import month_of, previous_month

Progress = Callable[[str], None]


def parameters() -> dict[str, Any]:
    """The county's parameter values: the defaults, overridden by the ``cleaning_setting`` table."""
    values = {name: default for name, (default, _) in PARAMETERS.items()}
    for setting in CleaningSetting.select():
        if setting.key in values:
            values[setting.key] = type(values[setting.key])(json.loads(setting.value))
    return values


def set_parameter(name: str, value: str, actor: str = "cli") -> Any:
    if name not in PARAMETERS:
        raise KeyError(name)
    typed = type(PARAMETERS[name][0])(float(value) if isinstance(PARAMETERS[name][0], float) else int(value))
    with write_transaction():
        audit.record(actor, "setting.change", f"setting:{name}", parameters()[name], typed, "县级参数调整")
        (CleaningSetting.insert(key=name, value=json.dumps(typed))
         .on_conflict(conflict_target=[CleaningSetting.key], preserve=[CleaningSetting.value]).execute())
    return typed


def backfill_person_checks() -> int:
    """Rows that arrived before the checks existed get them once (I1, I9); later imports compute them."""
    from hub.roster import MOBILE, id_disagreement

    pending = list(Person.select(Person.id, Person.id_number, Person.gender, Person.birth_date, Person.phone)
                   .where(Person.checked == False).tuples())  # noqa: E712
    with write_transaction():
        for person_id, id_number, gender, birth, phone in pending:
            problem = idnumber.problem(id_number)
            Person.update(id_problem=id_disagreement(id_number, problem.code if problem else "", gender, birth),
                          phone_problem="" if not phone or MOBILE.match(phone) else "invalid",
                          checked=True).where(Person.id == person_id).execute()
    return len(pending)


def _places() -> dict[int, tuple[int, int]]:
    """Household id -> (village id, township id)."""
    query = Household.select(Household.id, Household.village, Village.township).join(Village)
    return {household_id: (village_id, township_id) for household_id, village_id, township_id in query.tuples()}


Examined = dict[str, set[str]]  # rule id -> the scopes a run re-examined


def find_all(ctx: Context, progress: Progress) -> tuple[list[Finding], Counter, Examined]:
    rules.build_household_months(ctx)
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
        opened, closed = reconcile(findings, record, places, examined)
        per_township = Counter(str(places[f.household_id][1]) for f in findings if f.household_id in places)
        record.counts = json.dumps({"rules": counts, "townships": per_township}, ensure_ascii=False)
        record.opened, record.closed, record.finished_at = opened, closed, datetime.utcnow()
        record.save()
    return record


def reconcile(findings: list[Finding], run_record: CleaningRun, places: dict[int, tuple[int, int]],
              examined: Examined) -> tuple[int, int]:
    """Insert new anomalies, refresh found ones, close what no longer holds among what the run re-examined
    (``examined``); return (opened, closed)."""
    now = datetime.utcnow()
    known = {a.key: a for a in Anomaly.select(Anomaly.id, Anomaly.key, Anomaly.rule, Anomaly.scope, Anomaly.status,
                                              Anomaly.answer, Anomaly.digest)}
    fresh, seen = {}, set()
    unchanged: list[int] = []
    opened = 0
    for finding in findings:
        if finding.key in seen:
            continue
        seen.add(finding.key)
        existing = known.get(finding.key)
        if existing is None:
            village, township = places.get(finding.household_id, (None, None))
            fresh[finding.key] = {
                "key": finding.key, "rule": finding.rule, "township": township, "village": village,
                "household": finding.household_id, "subject": finding.subject,
                "detail": json.dumps(finding.detail, ensure_ascii=False), "digest": finding.digest, "status": OPEN,
                "answer": None, "answered_at": None, "first_run": run_record.id, "last_run": run_record.id,
                "opened_at": now, "closed_at": None, "scope": finding.scope}
            continue
        status = existing.status
        changed = existing.digest != finding.digest
        if status == CLOSED or (status == ANSWERED and (existing.answer != ANSWER_CORRECT or changed)):
            status, opened = OPEN, opened + 1
        if status == existing.status and not changed and existing.scope == finding.scope:
            unchanged.append(existing.id)
            continue
        (Anomaly.update(status=status, subject=finding.subject, digest=finding.digest, last_run=run_record.id,
                        detail=json.dumps(finding.detail, ensure_ascii=False), closed_at=None, scope=finding.scope)
         .where(Anomaly.id == existing.id).execute())
    insert_rows(Anomaly, list(fresh.values()))
    for start in range(0, len(unchanged), 500):
        Anomaly.update(last_run=run_record.id).where(Anomaly.id.in_(unchanged[start:start + 500])).execute()
    gone = [a.id for key, a in known.items()
            if key not in seen and a.status != CLOSED and a.scope in examined.get(a.rule, ())]
    for start in range(0, len(gone), 500):
        (Anomaly.update(status=CLOSED, closed_at=now, last_run=run_record.id)
         .where(Anomaly.id.in_(gone[start:start + 500])).execute())
    return opened + len(fresh), len(gone)
