"""Migration 0013 gives the anomalies of earlier runs the scope their keys imply, so the first run after the
upgrade closes nothing it did not re-examine (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from hub.cleaning.anomalies import OPEN
from hub.store import db
from hub.store.models import Anomaly, CleaningRun
from shared import migrations


def backfill_statements() -> list[str]:
    [migration] = [m for m in migrations.available(db.MIGRATIONS_PACKAGE) if m.version == 13]
    return [s for s in migrations.statements(migration.sql, db.database) if s.startswith("UPDATE")]


def test_legacy_anomalies_get_the_scope_of_their_keys(hub_db):
    now = datetime(2026, 11, 11)
    run = CleaningRun.create(started_at=now, period="2026-10", rules_version="2026.1", settings="{}")
    legacy = {"P5": "P5:7:2026-09", "I6": "I6:7:450224198001010011:2026-10", "P4": "P4:7:450224198001010011",
              "X3": "X3:7:450224201001010011", "P1": "P1:7"}
    for rule_id, key in legacy.items():
        Anomaly.create(key=key, rule=rule_id, subject="s", detail="{}", digest="d", status=OPEN, first_run=run.id,
                       last_run=run.id, opened_at=now)
    for statement in backfill_statements():
        db.database.execute_sql(statement)
    after = {a.rule: (a.key, a.scope) for a in Anomaly.select()}
    assert after == {"P5": ("P5:7:2026-09", "2026-09"), "I6": ("I6:7:450224198001010011:2026-10", "2026-10"),
                     "P4": ("P4:7:450224198001010011:2026", "2026"), "X3": ("X3:7:450224201001010011:2026-10",
                                                                           "2026-10"), "P1": ("P1:7", "")}
