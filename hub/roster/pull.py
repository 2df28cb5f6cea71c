"""What a station pulls of the roster: the households of its villages changed after its cursor.

The cursor is the roster clock (a counter every changed household takes the next value of, never a wall-clock
time) and the household id; a page in format 2 (stations from 0.3) names persons by person key and leaves out what
a station must not hold (ID number, phone, full birth date).
"""

from __future__ import annotations

from typing import Any

from hub.roster import sealing_keys
from hub.store.models import Household, Person, Township, Village
from shared.errors import ErrorCode, FieldsyncError


def _cursor(text: str | None) -> tuple[int, int]:
    if not text:
        return (0, 0)
    try:
        clock, household_id = (int(part) for part in text.split(":"))
    except ValueError as exc:
        raise FieldsyncError(ErrorCode.BAD_REQUEST, "cursor 格式不对，请清空后重新同步花名册。") from exc
    return clock, household_id


def changes_for(village_ids: list[int], cursor: str | None, limit: int, page_format: int = 1) -> dict[str, Any]:
    """Households of ``village_ids`` (or that just left them) changed after ``cursor``, oldest first.

    ``page_format`` 2 (stations from 0.3) names persons by person key and leaves out what a station must not
    hold (ID number, phone, full birth date), and carries the key stations seal typed numbers to."""
    clock, last_id = _cursor(cursor)
    after = (Household.change_seq > clock) | ((Household.change_seq == clock) & (Household.id > last_id))
    query = (Household.select(Household, Village, Township).join(Village, on=Household.village)
             .join(Township)
             .where(after & (Household.village.in_(village_ids) | Household.previous_village.in_(village_ids)))
             .order_by(Household.change_seq, Household.id).limit(limit + 1))
    households = list(query)
    more = len(households) > limit
    households = households[:limit]
    members: dict[int, list[dict[str, Any]]] = {}
    if households:
        for person in Person.select().where(Person.household.in_([h.id for h in households])).order_by(Person.id):
            members.setdefault(person.household_id, []).append(
                _station_person_document(person) if page_format == 2 else _person_document(person))
    next_cursor = f"{households[-1].change_seq}:{households[-1].id}" if households else f"{clock}:{last_id}"
    page = {"households": [_household_document(h, members.get(h.id, []), village_ids) for h in households],
            "cursor": next_cursor, "more": more}
    if page_format == 2:
        page["seal_key"] = sealing_keys.public_text()
    return page


def _household_document(household: Household, members: list[dict[str, Any]],
                        village_ids: list[int]) -> dict[str, Any]:
    return {"number": household.number, "township": household.village.township.name,
            "village": household.village.name, "assigned": household.village_id in village_ids,
            "household_type": household.household_type, "monitoring_type": household.monitoring_type,
            "monitoring_since": household.monitoring_since, "members": members}


def _station_person_document(person: Person) -> dict[str, Any]:
    """What a station needs of a person for the visit, and nothing from which the ID number can be read: the
    person key instead of the number, the birth month instead of the date (age is all the station shows)."""
    return {"key": sealing_keys.person_key(person.id_number), "name": person.name, "gender": person.gender,
            "birth_month": person.birth_date[:7] if person.birth_date else None, "relation": person.relation,
            "labour_ability": person.labour_ability, "student": person.student, "status": person.status,
            "dibao": bool(person.dibao), "tekun": bool(person.tekun), "relocated": bool(person.relocated),
            "disabled": bool(person.disabled)}


def _person_document(person: Person) -> dict[str, Any]:
    return {"id_number": person.id_number, "name": person.name, "gender": person.gender,
            "birth_date": person.birth_date, "relation": person.relation,
            "labour_ability": person.labour_ability, "student": person.student, "phone": person.phone,
            "status": person.status, "dibao": bool(person.dibao), "tekun": bool(person.tekun),
            "relocated": bool(person.relocated), "disabled": bool(person.disabled)}
