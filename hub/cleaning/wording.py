"""An anomaly's detail in Chinese words with units, for the lists a township reads (issue 16): "本年务工月数 0 个月，
要求务工月数 6 个月", never ``months_worked=0，required=6``.  The labels and units are the one table the pages use
(``hub.roster.disclosure.DETAIL_LABELS``).  A birth date is never written (only an age: DOMAIN.md §9); the persons of
a duplicate (I3) are each named with their masked number and household number."""

from __future__ import annotations

import json
from datetime import date

from hub.roster.disclosure import anomaly_detail_text


def detail_words(detail_json: str, on: date, household_numbers: dict[int, str], rule: str = "") -> str:
    """The detail of one anomaly of ``rule`` on one line of Chinese words; ``household_numbers`` names the
    households of an I3 pair."""
    return anomaly_detail_text(detail_json, on, rule, household_numbers)


def persons_households(details: list[str]) -> set[int]:
    """The household ids the I3 persons of these details belong to."""
    found: set[int] = set()
    for detail_json in details:
        for item in json.loads(detail_json).get("persons") or []:
            if isinstance(item, dict) and isinstance(item.get("household"), int):
                found.add(item["household"])
    return found
