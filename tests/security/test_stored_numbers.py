"""What the hub keeps where a log, an audit page, the audit trail's export or a support dump can reach it (issue 12):
anomaly keys name a person by the person key, never by the ID number (older keys are rewritten by the next run and
keep their answers), and the audit trail of a correction holds masks and person keys, never the full ID number,
phone or birth date that was corrected."""

from __future__ import annotations

import pytest

from hub.audit import entries_about
from hub.cleaning import runner
from hub.roster import sealing_keys
from hub.store.models import Anomaly, AuditLog, Person
from shared.idnumber import check_character, mask
from tests.conftest import make_user, signed_in
from tests.security.privacy_data import FULL_ID, PERIOD, TODAY, County, plant

PERSON_RULES = ("I1", "I2", "I4", "I6", "I9", "P4", "P9", "P10", "X1", "X3")  # findings about one person


@pytest.fixture
def county(app, hub_db, tmp_path) -> County:
    return plant(tmp_path)


def _stored_text(anomaly: Anomaly) -> str:
    return f"{anomaly.key} {anomaly.subject} {anomaly.detail}"


def test_no_anomaly_holds_a_full_id_number_in_its_key_subject_or_detail(county):
    found = list(Anomaly.select())
    assert {a.rule for a in found} & set(PERSON_RULES), "the planted county raises anomalies about persons"
    assert [a.key for a in found if FULL_ID.search(_stored_text(a))] == []
    numbers = {p.id_number for p in Person.select()}
    assert not [a.key for a in found for number in numbers if number in _stored_text(a)]


def test_an_anomaly_keyed_by_id_number_before_the_upgrade_keeps_its_identity_and_answer(app, county):
    """A key of the last release (``P4:12:<ID number>:2026``) is rewritten by the next run; the anomaly keeps its
    id and its answer instead of being closed and raised again as new."""
    person_anomaly = Anomaly.select().where(Anomaly.rule.in_(PERSON_RULES)).order_by(Anomaly.id).first()
    rule_id, household, key, *scope = person_anomaly.key.split(":")
    number = next(p.id_number for p in Person.select().where(Person.household == int(household))
                  if sealing_keys.person_key(p.id_number) == key)
    legacy = ":".join([rule_id, household, number, *scope])
    Anomaly.update(key=legacy, answer="correct", status="answered").where(Anomaly.id == person_anomaly.id).execute()
    runner.run(PERIOD, TODAY)
    again = Anomaly.get_by_id(person_anomaly.id)
    assert again.key == person_anomaly.key and number not in again.key
    assert (again.status, again.answer) == ("answered", "correct")
    assert Anomaly.select().where(Anomaly.key.startswith(f"{rule_id}:{household}:")).count() == \
        Anomaly.select().where(Anomaly.key.startswith(f"{rule_id}:{household}:"), Anomaly.id <= again.id).count()


def test_a_corrected_id_number_phone_and_birth_date_stay_out_of_the_audit_trail(app, county):
    """County staff correct a person's identity on the household page: the trail says what changed, by mask and
    person key, and holds neither the old nor the new number, phone or birth date."""
    person, number = county.b_person, county.b_household.number
    new_id = person.id_number[:6] + "19900101" + "123"
    new_id += check_character(new_id)
    new_phone, new_birth = "13912340000", "1990-01-01"
    old = (person.id_number, person.phone, person.birth_date)
    staff = signed_in(app, make_user(app, "staff-corrector", "staff"))
    reply = staff.post(f"/households/{number}/people/{person.id}", data={
        "id_number": new_id, "phone": new_phone, "birth_date": new_birth, "why": "户口簿核对"})
    assert reply.status_code == 302
    assert Person.get_by_id(person.id).id_number == new_id
    entry = next(e for e in entries_about(f"household:{number}") if e.action == "person.correct")
    row = AuditLog.select(AuditLog.before_json, AuditLog.after_json, AuditLog.why).where(AuditLog.seq == entry.seq)
    stored = " ".join(str(value) for value in row.tuples().get())
    assert [value for value in (*old, new_id, new_phone, new_birth) if value and value in stored] == []
    assert mask(new_id) in entry.after["id_number"] and sealing_keys.person_key(new_id) in entry.after["id_number"]
    page = staff.get(f"/households/{number}").get_data(as_text=True)
    assert "更正了人员信息" in page and new_phone not in page
