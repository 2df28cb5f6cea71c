"""What is shown beside a masked ID number, and the audited reveal of a full one (issue 12, item 1; DOMAIN.md §9).

The 8 characters a mask hides are the birth date, so no page, export or reply shows a birth date beside a masked
number: it shows the age.  A person is always named beside their masked number (two members of one household can
share the masked form).  The full number and birth date are shown to county roles (admin, staff) only, signed in
as a user (never to a token), one person at a time, on an explicit request with a reason, and each reveal is written
to the audit log (without the number).
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from hub.accounts.users import COUNTY_ROLES, Principal
from hub.store.models import Person
from shared.idnumber import age, mask
from shared.rows import tuples

DETAIL_LABELS = {"birth_date": "年龄"}
MASKED = re.compile(r"(?<![0-9A-Za-z*])\d{6}\*{8}[\dX]{4}(?![0-9A-Za-z*])")


def may_reveal(who: Principal) -> bool:
    """Whether ``who`` may see full ID numbers and birth dates: signed-in county staff and administrators."""
    return who.kind == "user" and who.role in COUNTY_ROLES


def age_text(birth: Any, on: date) -> str:
    found = age(birth, on)
    return "" if found is None else f"{found} 岁"


def named_subjects(anomalies: list[Any]) -> dict[int, str]:
    """Anomaly id -> its subject with every masked number it carries named ("证件号码 韦某（4502…1234）有误"): the
    rules write the masked number alone, and two members of one household can share it (then both are named)."""
    households = {a.household_id for a in anomalies if a.household_id and MASKED.search(a.subject or "")}
    names: dict[tuple[int, str], list[str]] = {}
    if households:
        for household_id, name, id_number in (tuples(Person.select(Person.household, Person.name, Person.id_number)
                                                     .where(Person.household.in_(households)))):
            names.setdefault((household_id, mask(id_number)), []).append(name)

    def named(anomaly: Any) -> str:
        def one(match: re.Match[str]) -> str:
            who = names.get((anomaly.household_id, match[0]))
            return f"{'或'.join(who)}（{match[0]}）" if who else match[0]
        return MASKED.sub(one, anomaly.subject or "")

    return {a.id: named(a) for a in anomalies}


def anomaly_detail(detail: dict[str, Any], on: date) -> dict[str, str]:
    """An anomaly's detail as shown on pages and in exports: a birth date becomes an age, a list of persons their
    names with masked numbers (I3 stores both beside each other)."""
    shown: dict[str, str] = {}
    for key, value in detail.items():
        if key == "birth_date":
            shown[DETAIL_LABELS[key]] = age_text(value, on)
        elif key == "persons" and isinstance(value, list):
            shown["人员"] = "、".join(f"{item.get('name', '')}（{item.get('id', '')}）" for item in value
                                    if isinstance(item, dict))
        elif isinstance(value, list | dict):
            shown[key] = json.dumps(value, ensure_ascii=False)
        else:
            shown[key] = str(value)
    return shown


def anomaly_detail_text(detail_json: str, on: date) -> str:
    """The detail of an anomaly on one line, for an export cell."""
    return "，".join(f"{key}={value}" for key, value in anomaly_detail(json.loads(detail_json), on).items())
