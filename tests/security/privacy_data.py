"""A county with two townships' people for the security tests of issue 12: the attacker is a user of township A
(大将镇); township B (板榄镇) holds the people they must not see.  Data of B is planted on every surface: households,
anomalies (the I3 duplicate-person anomaly among them), a spot check, postings with applicants, a recommendation.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from devtools import synthetic
from hub.accounts import users
from hub.cleaning import runner
from hub.jobs import records
from hub.roster import importer as roster
from hub.store.models import Anomaly, Household, Interest, Person
from hub.sync import own_records
from hub.verification import tasks as verification
from shared.idnumber import mask, mask_phone
from shared.postings import new_posting_id

TOWNSHIP_A, TOWNSHIP_B = "大将镇", "板榄镇"
VILLAGE_A, VILLAGE_B = (TOWNSHIP_A, "西岭1村"), (TOWNSHIP_B, "东岭1村")
PERIOD, TODAY = "2026-10", date(2026, 11, 11)
FUTURE = (date.today() + timedelta(days=60)).isoformat()
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")
STRANGER = "覃外来"  # an applicant on B's board matched to no roster person


@dataclass
class County:
    rows: list[dict[str, Any]]
    twins: list[dict[str, Any]]  # the I3 pair planted in B: same village, birth date and name, two ID numbers
    b_person: Person = None  # a working-age labourer of B
    b_household: Household = None
    b_anomaly: Anomaly = None
    i3_anomaly: Anomaly = None
    county_posting: str = ""  # a county-wide posting with an applicant from B
    b_posting: str = ""  # a posting on B's board with an unmatched applicant
    b_interest: Interest = None
    b_job: int = 0  # an uploaded roster whose row report names a person of B
    markers: set[str] = field(default_factory=set)  # strings that show a person of B


def posting_body(**changes: Any) -> dict[str, Any]:
    body = {"posting_id": new_posting_id(), "kind": "enterprise", "employer": "融安县香杉木业有限公司",
            "title": "木工", "place": "长安镇工业园", "pay": 3200, "pay_unit": "month", "headcount": 5,
            "contact_name": "覃经理", "contact_phone": "0772-8123456", "valid_until": FUTURE}
    body.update(changes)
    return body


def roster_rows() -> list[dict[str, Any]]:
    """Five households in each of A and B, and in B a second person registered twice (the I3 pair)."""
    rows = synthetic.generate_roster(11, [VILLAGE_B, VILLAGE_A], 5)
    head = next(r for r in rows if r["village"] == VILLAGE_B[1] and r["relation"] == "户主")
    birth = date.fromisoformat(head["birth_date"])
    twin = {**head, "household_id": head["household_id"][:-4] + "0099", "relation": "户主",
            "id_number": synthetic.make_id_number(random.Random(3), birth, head["gender"] == "男")}
    labourer = next(r for r in rows if r["village"] == VILLAGE_B[1] and r is not head)
    labourer.update(labour_ability="普通劳动力", status="正常", phone=labourer["phone"] or "13977001234",
                    name="韦劳力")
    for row in rows:
        if row["household_id"] == labourer["household_id"]:
            row.update(household_type="脱贫户", monitoring_type="", monitoring_since="")
    return [*rows, twin]


def plant(tmp_path: Path) -> County:
    """Import the roster, run the cleaning, and put B's people into postings, interest and a spot check."""
    rows = roster_rows()
    path = tmp_path / "roster.csv"
    synthetic.write_roster_csv(rows, path)
    report = roster.import_roster(path)
    assert not report.errors, report.errors
    runner.run(PERIOD, TODAY)
    admin = users.Principal("user", "admin", "admin", None)
    verification.draw_spot_check(admin, PERIOD, 3, "issue-12")
    county = County(rows=rows, twins=[r for r in rows if r["name"] == rows[-1]["name"]
                                      and r["village"] == VILLAGE_B[1]])
    b_rows = [r for r in rows if r["township"] == TOWNSHIP_B]
    labourer = next(r for r in b_rows if r["name"] == "韦劳力")
    county.b_person = Person.get(Person.id_number == labourer["id_number"])
    county.b_household = county.b_person.household
    county.b_anomaly = (Anomaly.select().where(Anomaly.household == county.b_household.id).first()
                        or Anomaly.select().join(Household).where(Household.village == county.b_household.village)
                        .first())
    county.i3_anomaly = Anomaly.get_or_none(Anomaly.rule == "I3")
    county.b_job = records.create("roster", "user:clerk", "花名册.csv").id
    records.finish(county.b_job, {"rows": 1, "imported": 0, "summary": "读取 1 行", "warnings": [],
                                  "errors": [[2, f"{county.b_person.name}：身份证号不对"]]})
    county.county_posting = sign_posting(posting_body())
    county.b_posting = sign_posting(posting_body(township=TOWNSHIP_B, kind="gig", title="板榄零工"))
    interest = {"posting_id": county.county_posting, "name": labourer["name"], "phone": labourer["phone"],
                "village": labourer["village"], "id_number": labourer["id_number"], "date": TODAY.isoformat(),
                "channel": "hub"}
    own_records.sign("interest", interest)
    stranger = {key: value for key, value in interest.items() if key != "id_number"}
    own_records.sign("interest", {**stranger, "posting_id": county.b_posting, "name": STRANGER,
                                  "phone": "13900001111"})
    county.b_interest = Interest.get(Interest.posting_id == county.county_posting)
    county.markers = markers(rows)
    return county


def sign_posting(body: dict[str, Any]) -> str:
    own_records.sign("posting", body)
    return body["posting_id"]


def markers(rows: list[dict[str, Any]]) -> set[str]:
    """What shows a person of B on a page: their masked number, masked phone, household number, and their name
    where it is no part of the name of someone outside B."""
    b_rows = [r for r in rows if r["township"] == TOWNSHIP_B]
    others = [r for r in rows if r["township"] != TOWNSHIP_B]
    other_names = {r["name"] for r in others}
    found = {mask(r["id_number"]) for r in b_rows} | {r["household_id"] for r in b_rows}
    found |= {mask_phone(r["phone"]) for r in b_rows if r["phone"]}
    found |= {r["name"] for r in b_rows if not any(r["name"] in name for name in other_names)}
    found |= {STRANGER, mask_phone("13900001111")}
    return found - {mask(r["id_number"]) for r in others} - {mask_phone(r["phone"]) for r in others if r["phone"]}
