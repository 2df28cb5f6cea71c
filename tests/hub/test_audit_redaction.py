"""Redacting old audit entries (hub/audit.py ``redact``, `fieldsync-hub audit redact`): the values an earlier
release kept in full are masked as new entries mask them, the chain verifies after, the redaction is on the
trail, and a trail that was tampered with before is refused, unchanged."""

from __future__ import annotations

import pytest

from hub import audit
from hub.cli import main
from hub.roster import sealing_keys
from hub.roster.persons import redacted_entry
from hub.store import db
from hub.store.models import AuditHead, AuditLog
from shared.errors import ErrorCode, FieldsyncError
from shared.idnumber import check_character, mask

OLD_ID = "45022619800301123" + check_character("45022619800301123")
NEW_ID = "45022619800301124" + check_character("45022619800301124")
PHONE = "13812345678"


def old_style_log() -> None:
    """Entries as the release before the privacy release wrote them: a correction with the full values."""
    audit.record("user:zhang", "anomaly.answer", "anomaly:7", {"status": "open"}, {"status": "answered"}, "入户核实")
    audit.record("user:zhang", "person.correct", "household:H0001",
                 {"person": 3, "id_number": OLD_ID, "phone": PHONE, "birth_date": "1980-03-01", "name": "韦小红"},
                 {"person": 3, "id_number": NEW_ID, "phone": "", "birth_date": "1980-03-02"}, "户口簿核对")
    audit.record("user:li", "anomaly.answer", "anomaly:8", {"status": "open"},
                 {"status": "answered", "note": f"已电话联系 {PHONE}"}, "电话核实")
    audit.record("cli", "node.enrol", "node:东岭站", after={"villages": ["东岭村"]})


def stored_text() -> str:
    rows = AuditLog.select(AuditLog.before_json, AuditLog.after_json, AuditLog.why).tuples()
    return " ".join(str(value) for row in rows for value in row)


def test_an_old_correction_is_masked_the_chain_verifies_and_the_redaction_is_on_the_trail(hub_db):
    old_style_log()
    first = AuditLog.get(AuditLog.seq == 1)
    head_before = AuditHead.get_by_id(audit.HEAD_ID).hash
    assert OLD_ID in stored_text() and audit.verify() == []

    done = audit.redact("cli", redacted_entry, "遮盖旧记录")

    assert audit.verify() == []
    text = stored_text()
    assert [value for value in (OLD_ID, NEW_ID, PHONE, "1980-03-01", "1980-03-02") if value in text] == []
    corrected = AuditLog.get(AuditLog.seq == 2)
    assert corrected.before["id_number"] == f"{mask(OLD_ID)} {sealing_keys.person_key(OLD_ID)}"
    assert corrected.after["id_number"] == f"{mask(NEW_ID)} {sealing_keys.person_key(NEW_ID)}"
    assert corrected.before["birth_date"].startswith("1980-**-**") and corrected.before["name"] == "韦小红"
    assert corrected.after["phone"] == "" and corrected.why == "户口簿核对"
    assert AuditLog.get(AuditLog.seq == 3).after["note"] == "已电话联系 138****5678"
    # The entry before the first change keeps its hash; the redaction is the last entry and says what it did.
    assert AuditLog.get(AuditLog.seq == 1).hash == first.hash
    assert (done.changed, done.first_seq, done.last_seq, done.head_before) == (2, 2, 3, head_before)
    entry = AuditLog.get(AuditLog.seq == 5)
    assert entry.action == audit.REDACT_ACTION and entry.actor == "cli" and entry.why == "遮盖旧记录"
    assert entry.before == {"head_seq": 4, "head_hash": head_before}
    assert entry.after == {"entries": 2, "first_seq": 2, "last_seq": 3, "rehashed_from": 2, "rehashed_to": 4}
    assert AuditHead.get_by_id(audit.HEAD_ID).hash == entry.hash


def test_a_second_redaction_changes_nothing(hub_db):
    old_style_log()
    audit.redact("cli", redacted_entry, "遮盖旧记录")
    head = AuditHead.get_by_id(audit.HEAD_ID)
    again = audit.redact("cli", redacted_entry, "再来一次")
    assert again.changed == 0 and again.entry is None
    assert (AuditHead.get_by_id(audit.HEAD_ID).seq, AuditHead.get_by_id(audit.HEAD_ID).hash) == (head.seq, head.hash)


def test_a_log_tampered_with_before_is_refused_and_left_as_it_was(hub_db):
    old_style_log()
    db.database.execute_sql(f"UPDATE audit_log SET why = {db.database.param} WHERE seq = 1", ("随便改改",))
    before = list(AuditLog.select().order_by(AuditLog.seq).tuples())
    with pytest.raises(FieldsyncError) as refused:
        audit.redact("cli", redacted_entry, "遮盖旧记录")
    assert refused.value.code is ErrorCode.AUDIT_CHAIN_BROKEN
    assert list(AuditLog.select().order_by(AuditLog.seq).tuples()) == before
    assert [(p.seq, p.problem) for p in audit.verify()] == [(1, audit.ALTERED)]


def test_the_command_redacts_and_refuses_a_broken_trail(app, runner):
    args = ["--data-dir", app.config["DATA_DIR"], "--database-url", app.config["DATABASE_URL"]]
    with app.app_context(), db.database.connection_context():
        old_style_log()
    done = runner.invoke(main, [*args, "audit", "redact"])
    assert done.exit_code == 0, done.output
    assert "已遮盖 2 条审计记录" in done.output and OLD_ID not in done.output
    assert runner.invoke(main, [*args, "audit", "verify"]).exit_code == 0
    with app.app_context(), db.database.connection_context():
        assert OLD_ID not in stored_text()
        db.database.execute_sql("UPDATE audit_log SET why = 'x' WHERE seq = 2")
    refused = runner.invoke(main, [*args, "audit", "redact"])
    assert refused.exit_code == 1 and "哈希链校验不通过" in refused.output
    helped = runner.invoke(main, [*args, "audit", "redact", "--help"])
    assert helped.exit_code == 0 and "--why" in helped.output
