"""A number typed into a note or a reason on the hub (shared/free_text.py): an answer's note, a reopen reason, a
correction's reason are refused in Chinese with nothing stored; notes kept before the check show masked on the
anomaly page and the household page."""

from __future__ import annotations

from hub import audit
from hub.store.models import Anomaly, Person
from shared.idnumber import check_character
from tests.hub.verification.test_tasks import HOME, anomaly_in, county, household_in, township_user  # noqa: F401

ID_NUMBER = "45022619800301123" + check_character("45022619800301123")


def test_an_answer_with_a_phone_in_its_note_is_refused_and_nothing_is_answered(township_user, county):  # noqa: F811
    mine = anomaly_in(HOME)
    entries = audit.count()
    reply = township_user.post(f"/cleaning/anomalies/{mine.id}/answer",
                               data={"answer": "correct", "note": "打了户主电话13812345678，核实无误"})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400 and "不能写手机号码" in page and "13812345678" not in page
    assert Anomaly.get_by_id(mine.id).status == "open" and audit.count() == entries


def test_a_reopen_reason_or_a_correction_reason_with_an_id_number_is_refused(client, county):  # noqa: F811
    mine = anomaly_in(HOME)
    assert client.post(f"/cleaning/anomalies/{mine.id}/answer",
                       data={"answer": "correct", "note": "已核实"}).status_code == 302
    reply = client.post(f"/cleaning/anomalies/{mine.id}/reopen", data={"why": f"此人身份证应为{ID_NUMBER}"})
    assert reply.status_code == 400 and "不能写身份证号码" in reply.get_data(as_text=True)
    assert Anomaly.get_by_id(mine.id).status == "answered"
    household = household_in(HOME)
    person = Person.select().where(Person.household == household).first()
    reply = client.post(f"/households/{household.number}/people/{person.id}",
                        data={"name": "韦正确", "why": f"户主电话13812345678告知，身份证{ID_NUMBER}"})
    assert reply.status_code == 400 and "不能写身份证号码" in reply.get_data(as_text=True)
    assert Person.get_by_id(person.id).name == person.name


def test_notes_kept_before_the_check_show_masked(client, county):  # noqa: F811
    mine = anomaly_in(HOME)
    Anomaly.update(status="answered", answer="correct", answer_note="户主电话13812345678，已核实",
                   answered_by="user:tang").where(Anomaly.id == mine.id).execute()
    audit.record("user:tang", "anomaly.answer", f"anomaly:{mine.id}", {"status": "open"}, {"status": "answered"},
                 f"身份证{ID_NUMBER}核对无误")
    page = client.get(f"/cleaning/anomalies/{mine.id}").get_data(as_text=True)
    assert "13812345678" not in page and "户主电话138****5678，已核实" in page
    assert ID_NUMBER not in page and f"身份证{ID_NUMBER[:6]}********{ID_NUMBER[-4:]}核对无误" in page
    page = client.get(f"/households/{mine.household.number}").get_data(as_text=True)
    assert "13812345678" not in page and "户主电话138****5678，已核实" in page
