"""A small county with known injected errors of each rule's kind, and clean look-alikes that must pass.

Two villages of ten three-person households (two working adults, one child).  Every household has a visit
for every month from 2025-01 to 2026-10 with acknowledged, slightly varying figures and 25 % growth, so the
baseline trips no rule.  ``inject`` then plants one case per rule in named households.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from devtools import synthetic
from hub.roster.importer import import_roster
from hub.store.db import insert_rows
from hub.store.models import Household, Node, Record, Visit, VisitEmployment

PERIOD = "2026-10"
TODAY = date(2026, 11, 11)
VILLAGES = [("板榄镇", "东岭1村"), ("板榄镇", "下坡2村")]
MONTHS = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13) if f"{year}-{month:02d}" <= PERIOD]
GIVEN = "安宝彬昌春丹德东方飞刚光广国海浩红华辉佳建健杰金晶俊凯兰磊丽莉林玲龙梅明敏宁鹏平"


def household_number(village: int, index: int) -> str:
    return f"45022401{village + 1:03d}{index:04d}"


def roster_rows() -> list[dict[str, Any]]:
    import random

    rnd = random.Random(42)
    rows = []
    for v_index, (township, village) in enumerate(VILLAGES):
        for h in range(10):
            number = household_number(v_index, h)
            base = {"household_id": number, "county": synthetic.COUNTY, "township": township, "village": village,
                    "household_type": "脱贫户", "monitoring_type": "", "monitoring_since": "", "dibao": "否",
                    "tekun": "否", "relocated": "否", "disabled": "否", "status": "正常", "student": ""}
            people = [("户主", True, date(1980 + h, 1 + v_index, 3), "普通劳动力", f"1380000{v_index}{h:03d}"),
                      ("配偶", False, date(1982 + h, 5 + v_index, 9), "普通劳动力", ""),
                      ("之子", True, date(2014 + h % 3, 2 + h, 20 + v_index), "无劳动力", "")]
            surname = "韦覃"[v_index]
            for p_index, (relation, male, birth, labour, phone) in enumerate(people):
                rows.append({**base, "name": surname + GIVEN[h * 3 + p_index], "relation": relation,
                             "id_number": synthetic.make_id_number(rnd, birth, male), "gender": "男" if male else "女",
                             "birth_date": birth.isoformat(), "labour_ability": labour, "phone": phone,
                             "student": "小学" if relation == "之子" else ""})
    return rows


@dataclass
class County:
    rows: list[dict[str, Any]]
    node: Node
    ids: dict[str, int] = field(default_factory=dict)  # household number -> id
    seq: int = 0

    def adults(self, number: str) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["household_id"] == number and r["labour_ability"] == "普通劳动力"]

    def visit(self, number: str, month: str, wage: int, business: int, transfer: int = 200, expenses: int = 100,
              jobs: list[tuple[str, int, int]] | None = None, ack: str = "confirmed", visit_date: str | None = None,
              corrects: str | None = None, unchanged: str = "", risks: str = "") -> int:
        """Insert one accepted visit (with a placeholder signed-record row) straight into the hub's tables;
        return its id.  A record's hash is its seq, 32 bytes big-endian (see ``correct``)."""
        self.seq += 1
        now = datetime(2026, 11, 1)
        record_id = insert_rows(Record, [{
            "node": self.node.id, "seq": self.seq, "kind": "visit", "status": "accepted", "reason": None,
            "hash": self.seq.to_bytes(32, "big"), "prev": bytes(32), "content": b"{}", "signature": bytes(64),
            "household": self.ids[number], "received_at": now}], returning=("id",))[0][0]
        visit_id = insert_rows(Visit, [{
            "record": record_id, "household": self.ids[number], "month": month,
            "visit_date": visit_date or f"{month}-10", "visitor": "网格员", "method": "in_person", "wage": wage,
            "business": business, "property": 0, "transfer": transfer, "expenses": expenses, "ack_status": ack,
            "risks": risks, "corrects": corrects, "received_at": now, "unchanged": unchanged}],
            returning=("id",))[0][0]
        insert_rows(VisitEmployment, [{"visit": visit_id, "id_number": id_number, "place": "county",
                                       "province": "", "months": months, "wage": pay}
                                      for id_number, months, pay in (jobs or [])])
        return visit_id

    def correct(self, visit_id: int, **values: Any) -> int:
        """A correction of visit ``visit_id`` (same household and month, new ``values``), superseding it the way
        the hub's projection does (hub/sync/projections.py ``supersede_corrected``); return the new visit's id."""
        from hub.cleaning.loading import Stored, supersede_corrected

        old = Visit.get_by_id(visit_id)
        number = Household.get_by_id(old.household_id).number
        corrects = bytes(old.record.hash).hex()
        new_id = self.visit(number, old.month, **{"wage": old.wage, "business": old.business, "transfer": old.transfer,
                                                  "expenses": old.expenses, **values, "corrects": corrects})
        new = Visit.get_by_id(new_id)
        supersede_corrected([(new_id, Stored(new.record_id, self.node.id, old.household_id, {"corrects": corrects}))])
        return new_id

    def normal_month(self, number: str, month: str, index: int, **overrides: Any) -> int:
        growth = 1.25 if month.startswith("2026") else 1.0  # 25 % a year: above the P3 target
        pay = round(2400 * growth)
        jobs = [(adult["id_number"], int(month[5:]), pay) for adult in self.adults(number)]
        values = {"wage": pay * len(jobs), "business": round((300 * index + int(month[5:]) * 7) * growth), "jobs": jobs}
        values.update(overrides)
        return self.visit(number, month, **values)


def build(tmp_path: Path, rows: list[dict[str, Any]] | None = None) -> County:
    rows = rows or roster_rows()
    synthetic.write_roster_csv(rows, tmp_path / "county.csv")
    report = import_roster(tmp_path / "county.csv")
    assert not report.errors, report.errors
    node = Node.create(name="清洗测试站", created_at=datetime(2026, 1, 1))
    county = County(rows, node, dict(Household.select(Household.number, Household.id).tuples()))
    return county


def baseline(county: County, skip: set[str] = frozenset()) -> None:
    """Every household, every month, clean — except the households in ``skip`` (their months are planted)."""
    for v_index in range(len(VILLAGES)):
        for h in range(10):
            number = household_number(v_index, h)
            if number in skip:
                continue
            for month in MONTHS:
                county.normal_month(number, month, h)
