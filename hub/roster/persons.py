"""Changing one person at the hub (the household page's corrections).

Every change of a person goes through ``change_person``, so the checks an import computes (I1, I9, the pinyin of
I3) are recomputed and stations receive the change at their next pull; ``correct_person`` is the audited
correction a county or township user makes, with its reason.
"""

from __future__ import annotations

from typing import Any

from hub import audit
from hub.roster import sealing_keys
from hub.roster.importer import MOBILE, id_disagreement, parse_roster_date
from hub.store.db import write_transaction
from hub.store.models import Household, Person, RosterClock, next_change_seq
from shared import free_text, idnumber
from shared.errors import ErrorCode, FieldsyncError
from shared.pinyin import syllables
from shared.rows import tuples
from shared.vocabulary import HEAD, PERSON_STATUSES

PERSON_TEXT_FIELDS = ("relation", "labour_ability", "student")


def _field_error(field_name: str, message: str) -> FieldsyncError:
    return FieldsyncError(ErrorCode.INVALID_FIELDS, message, {field_name: [message]})


def _checked_change(field_name: str, value: Any) -> Any:
    """One corrected value, normalised and validated like the same column of an import; raise with a message
    that names the field (never the value: it may be an ID or phone number)."""
    if field_name == "household":
        return int(value)
    text = str(value).strip()
    if field_name == "name":
        if not text or len(text) > 50:
            raise _field_error("name", "姓名不能为空，且不超过50个字。")
        return text
    if field_name == "id_number":
        text = idnumber.normalise(text)
        problem = idnumber.problem(text)
        if problem and problem.code in ("excel_number", "shape"):
            raise _field_error("id_number", problem.message)
        return text
    if field_name == "gender":
        if text not in ("男", "女"):
            raise _field_error("gender", "性别应为 男 或 女。")
        return text
    if field_name == "birth_date":
        try:
            return parse_roster_date(text)
        except ValueError as exc:
            raise _field_error("birth_date", "出生日期看不懂，请写成 1980-03-01 这样的格式。") from exc
    if field_name == "status":
        if text not in PERSON_STATUSES:
            raise _field_error("status", f"人员状态应为 {' / '.join(PERSON_STATUSES)} 之一。")
        return text
    if field_name == "phone":
        return text.replace(" ", "")
    if field_name in PERSON_TEXT_FIELDS:
        if len(text) > 50:
            raise _field_error(field_name, "内容不超过50个字。")
        return text
    raise _field_error(field_name, "这一项不能在这里修改。")


def _derived_checks(values: dict[str, Any]) -> dict[str, Any]:
    """The columns an import computes from a person's values: I1's and I9's problems, the pinyin I3 compares."""
    problem = idnumber.problem(values["id_number"])
    return {"id_problem": id_disagreement(values["id_number"], problem.code if problem else "", values["gender"],
                                          values["birth_date"]),
            "phone_problem": "" if not values["phone"] or MOBILE.match(values["phone"]) else "invalid",
            "name_pinyin": "".join(syllables(values["name"])), "checked": True}


def change_person(person: Person, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply corrections to one person (``household`` is a household id); return the values written.

    Values are checked like an import's; the checks derived from them are recomputed; the person's household
    (and the one they move to) take the next roster clock value, so stations pull the change.  Call inside a
    write transaction; nothing is written when a value is refused."""
    checked = {name: _checked_change(name, value) for name, value in changes.items()}
    target = checked.get("household", person.household_id)
    id_number = checked.get("id_number", person.id_number)
    if ("id_number" in checked or "household" in checked) and Person.select().where(
            Person.household == target, Person.id_number == id_number, Person.id != person.id).exists():
        raise _field_error("id_number", "这户已有证件号码相同的成员，请核对。")
    values = {name: getattr(person, name) for name in ("id_number", "name", "gender", "birth_date", "phone")}
    values.update({name: value for name, value in checked.items() if name in values})
    written = {**checked, **_derived_checks(values)}
    if "id_number" in checked:
        written["person_key"] = sealing_keys.person_key(checked["id_number"])
    Person.update(**written).where(Person.id == person.id).execute()
    clock = next_change_seq(RosterClock)
    Household.update(change_seq=clock).where(Household.id.in_({person.household_id, target})).execute()
    return checked


def correct_person(actor: str, person: Person, changes: dict[str, Any], before: dict[str, Any], subject: str,
                   why: str) -> dict[str, Any]:
    """One audited correction: ``change_person``, with the values ``before`` (as the page showed them), the
    values written and the reason in the audit log, in one transaction."""
    free_text.refuse_numbers("why", why)
    with write_transaction():
        written = change_person(person, changes)
        audit.record(actor, "person.correct", subject, {"person": person.id, **audited(before)},
                     {"person": person.id, **audited(written)}, why[:500])
    return written


def audited(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` as the audit log keeps them: an ID number, phone or birth date by its mask and its person key
    (an HMAC under the hub's secret: the hub can tell which value it was, the log cannot be read for it), so
    no audit entry, page or export of the log holds a full ID number, a phone or a birth date (DOMAIN.md §9)."""
    return {name: _audited_value(name, value) for name, value in values.items()}


def _audited_value(name: str, value: Any) -> Any:
    if not value or name not in PRIVATE_FIELDS:
        return value
    return f"{PRIVATE_FIELDS[name](str(value))} {sealing_keys.person_key(str(value))}"


PRIVATE_FIELDS = {"id_number": idnumber.mask, "phone": idnumber.mask_phone,
                  "birth_date": lambda text: text[:4] + "-**-**"}


def redacted_entry(action: str, before: Any, after: Any, why: str) -> tuple[Any, Any, str]:
    """An audit entry's values as this release keeps them (``audit.redact``'s redactor, `fieldsync-hub audit
    redact`): a ``person.correct`` of an earlier release keeps a corrected ID number, phone or birth date in full,
    now masked as :func:`audited` masks them; an ID or mobile number typed into any free text of any entry (a
    reason, an answer's note) is masked as pages mask it (``shared.free_text``).  An entry already kept so comes
    back unchanged, so a second redaction changes nothing."""
    if action == "person.correct":
        before, after = _unmasked_audited(before), _unmasked_audited(after)
    return _masked_free_text(before), _masked_free_text(after), free_text.masked(why)


def _unmasked_audited(values: Any) -> Any:
    if not isinstance(values, dict):
        return values
    # A value this release wrote is a mask (it holds "*"); a full ID number, phone or birth date never does.
    return {name: value if not isinstance(value, str) or "*" in value else _audited_value(name, value)
            for name, value in values.items()}


def _masked_free_text(value: Any) -> Any:
    if isinstance(value, str):
        return free_text.masked(value)
    if isinstance(value, dict):
        return {name: _masked_free_text(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_masked_free_text(item) for item in value]
    return value


def heads(household_ids: list[int]) -> dict[int, str]:
    """Household id -> the name of its head (户主), for lists that name a household by its head."""
    found: dict[int, str] = {}
    for start in range(0, len(household_ids), 500):
        query = (Person.select(Person.household, Person.name)
                 .where(Person.household.in_(household_ids[start:start + 500]), Person.relation == HEAD))
        found.update(dict(tuples(query)))
    return found
