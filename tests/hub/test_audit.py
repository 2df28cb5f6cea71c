"""The audit trail (hub/audit.py): a gapless hash chain whose changed, deleted or re-chained entries verify() names."""

from __future__ import annotations

import threading

import pytest

from hub import audit
from hub.audit import ALTERED, CHAIN_BROKEN, HEAD_MISMATCH, MISSING
from hub.store import db
from hub.store.models import AuditHead, AuditLog


def sql(statement: str, *params) -> None:
    db.database.execute_sql(statement.replace("?", db.database.param), params)


def append(count: int, subject: str = "anomaly:7") -> list[AuditLog]:
    return [audit.record("user:zhang", "anomaly.answer", subject, before={"status": "open"},
                         after={"status": "answered", "answer": f"核实无误 {n}"}, why="入户核实")
            for n in range(count)]


def test_the_migrated_log_starts_at_its_genesis_head(hub_db):
    head = AuditHead.get_by_id(audit.HEAD_ID)
    assert (head.seq, head.hash) == (0, audit.GENESIS_HASH) and AuditHead.select().count() == 1


def test_an_empty_log_and_a_few_entries_verify(hub_db):
    assert audit.verify() == []
    first = audit.record("cli", "node.enrol", "node:东岭站", after={"villages": ["东岭村"]})
    append(2)
    audit.record("token:education", "access.denied", "household:H0001", why="越权访问")
    assert audit.verify() == []
    assert first.seq == 1 and first.prev_hash == audit.GENESIS_HASH and first.before is None
    stored = AuditLog.get(AuditLog.seq == 1)
    assert (stored.actor, stored.subject, stored.after, stored.before_json) == ("cli", "node:东岭站",
                                                                               {"villages": ["东岭村"]}, None)
    assert [e.seq for e in audit.entries()] == [4, 3, 2, 1]
    assert [e.seq for e in audit.entries("anomaly:", limit=1, offset=1)] == [2]
    assert audit.count("anomaly:") == 2 and audit.count() == 4 and audit.count("Anomaly:") == 0
    assert AuditHead.get_by_id(audit.HEAD_ID).seq == 4


def test_an_altered_row_is_named(hub_db):
    append(4)
    sql("UPDATE audit_log SET after_json = ? WHERE seq = ?", '{"answer":"已更正","status":"answered"}', 2)
    problems = audit.verify()
    assert [(p.seq, p.problem) for p in problems] == [(2, ALTERED)]
    assert problems[0].id == AuditLog.get(AuditLog.seq == 2).id and "第 2 条审计记录" in problems[0].message


def test_an_altered_time_or_why_is_named(hub_db):
    append(3)
    sql("UPDATE audit_log SET why = ? WHERE seq = ?", "随便改改", 1)
    sql("UPDATE audit_log SET at = ? WHERE seq = ?", "2020-01-01 00:00:00", 3)
    assert [(p.seq, p.problem) for p in audit.verify()] == [(1, ALTERED), (3, ALTERED)]


def test_a_deleted_middle_row_is_named_missing(hub_db):
    append(5)
    sql("DELETE FROM audit_log WHERE seq = ?", 3)
    problems = audit.verify()
    assert [(p.seq, p.id, p.problem) for p in problems] == [(3, None, MISSING)]
    assert "第 3 条审计记录缺失" in problems[0].message


def test_deleted_last_rows_are_named_missing(hub_db):
    append(5)
    sql("DELETE FROM audit_log WHERE seq >= ?", 4)
    problems = audit.verify()
    assert [(p.seq, p.problem) for p in problems] == [(4, MISSING)] and "第 4 至 5 条" in problems[0].message


def test_an_altered_hash_of_the_last_row_is_detected(hub_db):
    append(3)
    sql("UPDATE audit_log SET hash = ? WHERE seq = ?", "f" * 64, 3)
    assert [(p.seq, p.problem) for p in audit.verify()] == [(3, ALTERED), (3, HEAD_MISMATCH)]


def test_a_rehashed_row_breaks_the_chain_at_the_next(hub_db):
    """Whoever rewrites an entry and its hash still leaves the next entry pointing at the old hash."""
    append(3)
    row = AuditLog.get(AuditLog.seq == 2)
    forged = audit.entry_hash(2, audit._at_text(row.at), row.actor, row.action, row.subject, row.before_json,
                              '{"status":"closed"}', row.why, row.prev_hash)
    sql("UPDATE audit_log SET after_json = ?, hash = ? WHERE seq = ?", '{"status":"closed"}', forged, 2)
    assert [(p.seq, p.problem) for p in audit.verify()] == [(3, CHAIN_BROKEN)]


def test_rows_written_around_the_head_are_named(hub_db):
    append(2)
    sql("UPDATE audit_head SET seq = ? WHERE id = ?", 1, audit.HEAD_ID)
    assert [(p.seq, p.problem) for p in audit.verify()] == [(2, HEAD_MISMATCH)]
    sql("DELETE FROM audit_head")
    assert [p.problem for p in audit.verify()] == [HEAD_MISMATCH]
    with pytest.raises(Exception, match="audit_head"):
        append(1)


def test_verify_reads_in_chunks(hub_db, monkeypatch):
    monkeypatch.setattr(audit, "VERIFY_CHUNK", 2)
    append(7)
    assert audit.verify() == []
    sql("DELETE FROM audit_log WHERE seq IN (?, ?)", 2, 5)
    sql("UPDATE audit_log SET actor = ? WHERE seq = ?", "user:li", 6)
    assert [(p.seq, p.problem) for p in audit.verify()] == [(2, MISSING), (5, MISSING), (6, ALTERED)]


def test_appends_in_one_transaction_chain_and_roll_back_together(hub_db):
    with db.write_transaction():
        first = audit.record("user:zhang", "role.change", "user:li", before={"role": "viewer"},
                             after={"role": "township_staff"})
        second = audit.record("user:zhang", "setting.change", "setting:sample_size", before=20, after=30)
    assert (first.seq, second.seq, second.prev_hash) == (1, 2, first.hash)
    with pytest.raises(RuntimeError), db.write_transaction():
        audit.record("user:zhang", "node.revoke", "node:东岭站")
        raise RuntimeError("the change failed")
    third = audit.record("user:zhang", "node.revoke", "node:东岭站", why="设备丢失")
    assert third.seq == 3 and third.prev_hash == second.hash
    assert audit.verify() == [] and AuditLog.select().count() == 3


def test_concurrent_appends_from_two_connections_stay_gapless(hub_db):
    per_thread, start, failures = 40, threading.Barrier(2), []

    def work(actor: str) -> None:
        try:
            with db.database.connection_context():
                start.wait(timeout=10)
                for n in range(per_thread):
                    if n % 2:
                        audit.record(actor, "record.correct", f"household:H{n:04d}", after={"n": n})
                    else:
                        with db.write_transaction():
                            audit.record(actor, "record.correct", f"household:H{n:04d}", after={"n": n})
        except Exception as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(f"user:{name}",)) for name in ("zhang", "li")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == [] and not any(thread.is_alive() for thread in threads)
    seqs = [seq for (seq,) in AuditLog.select(AuditLog.seq).order_by(AuditLog.seq).tuples()]
    assert seqs == list(range(1, 2 * per_thread + 1))
    assert audit.verify() == []
