"""A made-up county for the demo, the benchmarks and the tests: deterministic for a given seed.

Names are invented from common characters, ID numbers are valid (GB 11643: region, birth date, sequence
with the right parity, check character), and every value is shaped as the national monitoring system's
spreadsheet export has it (DOMAIN.md §10).
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from shared.idnumber import check_character
from shared.months import parse_month
from shared.roster import ROSTER_COLUMNS
from shared.vocabulary import FULL_LABOUR, HEAD, LIVING, NO_LABOUR, WEAK_LABOUR

COUNTY = "融安县"
REGION = "450224"
RONGAN_TOWNSHIPS = ["板榄镇", "大将镇", "雅瑶乡", "大坡乡", "浮石镇", "东起乡", "泗顶镇", "沙子乡", "桥板乡", "大良镇",
                    "长安镇", "潭头乡"]
SURNAMES = "韦覃莫蓝黄梁陆潘罗李王张刘陈杨吴周谢"
GIVEN = "丽莉强伟芳娟敏静秀英华明军平刚桂兰红霞玉凤春林海云建国志勇"
VILLAGE_WORDS = "东西南北上下新旧大小龙凤金石江山"
LABOUR = [FULL_LABOUR[0], *FULL_LABOUR, WEAK_LABOUR, *NO_LABOUR]  # ordinary labour drawn twice as often
PROVINCES = ["广东", "浙江", "福建", "江苏"]


def make_id_number(rnd: random.Random, birth: date, male: bool, region: str = REGION) -> str:
    """A valid 18-character ID number: odd sequence digit for a man, even for a woman."""
    sequence = rnd.randint(0, 99) * 10 + rnd.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8])
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def default_villages(n_per_township: int) -> list[tuple[str, str]]:
    """``n_per_township`` made-up villages in each of the twelve townships."""
    villages = []
    for t_index, township in enumerate(RONGAN_TOWNSHIPS):
        for v_index in range(n_per_township):
            word = VILLAGE_WORDS[(t_index + v_index * 5) % len(VILLAGE_WORDS)]
            villages.append((township, f"{word}{'岭坡塘屯寨'[v_index % 5]}{v_index + 1}村"))
    return villages


def _name(rnd: random.Random, surname: str | None = None) -> str:
    return (surname or rnd.choice(SURNAMES)) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice([1, 2])))


def _birth(rnd: random.Random, age_from: int, age_to: int, today: date = date(2026, 10, 1)) -> date:
    return today - timedelta(days=rnd.randint(age_from * 365, age_to * 365))


def _household_members(rnd: random.Random, used: set[str]) -> list[dict[str, Any]]:
    head_male = rnd.random() < 0.8
    surname = rnd.choice(SURNAMES)
    head_birth = _birth(rnd, 30, 75)
    plan = [("户主", head_male, head_birth)]
    size = rnd.choices([1, 2, 3, 4, 5, 6], weights=[8, 15, 25, 27, 17, 8])[0]
    if size >= 2:
        plan.append(("配偶", not head_male, head_birth + timedelta(days=rnd.randint(-1500, 1500))))
    for _ in range(size - len(plan)):
        child_male = rnd.random() < 0.5
        age = max(1, (date(2026, 10, 1) - head_birth).days // 365 - rnd.randint(20, 32))
        plan.append(("之子" if child_male else "之女", child_male, _birth(rnd, max(0, age - 1), age)))
    members = []
    for relation, male, birth in plan:
        id_number = make_id_number(rnd, birth, male)
        while id_number in used:
            id_number = make_id_number(rnd, birth, male)
        used.add(id_number)
        age = (date(2026, 10, 1) - birth).days // 365
        members.append({
            "name": _name(rnd, surname if relation.startswith("之") or relation == HEAD else None),
            "id_number": id_number, "gender": "男" if male else "女", "birth_date": birth.isoformat(),
            "relation": relation,
            "labour_ability": "无劳动力" if age < 16 or age > 70 else rnd.choice(LABOUR),
            "student": rnd.choice(["小学", "初中", "高中"]) if 6 <= age < 18 else "",
            "phone": f"1{rnd.choice('3456789')}{rnd.randint(0, 999999999):09d}" if relation == HEAD else "",
            "disabled": "是" if rnd.random() < 0.04 else "否", "status": LIVING,
        })
    return members


def generate_roster(seed: int, villages: list[tuple[str, str]], households_per_village: int) -> list[dict[str, Any]]:
    """One row per person (DOMAIN.md §10 keys), household columns repeated on each member's row."""
    rnd = random.Random(seed)
    used: set[str] = set()
    rows = []
    for township, village in villages:
        t_index = RONGAN_TOWNSHIPS.index(township) + 1 if township in RONGAN_TOWNSHIPS else 99
        v_index = sum(1 for t, _ in villages[:villages.index((township, village)) + 1] if t == township)
        for h_index in range(1, households_per_village + 1):
            monitored = rnd.random() < 0.15
            household = {
                "household_id": f"{REGION}{t_index:02d}{v_index:03d}{h_index:04d}", "county": COUNTY,
                "township": township, "village": village, "household_type": "监测户" if monitored else "脱贫户",
                "monitoring_type": rnd.choice(["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"]) if monitored else "",
                "monitoring_since": f"202{rnd.randint(2, 5)}-0{rnd.randint(1, 9)}-15" if monitored else "",
                "dibao": "是" if rnd.random() < 0.12 else "否", "tekun": "是" if rnd.random() < 0.02 else "否",
                "relocated": "是" if rnd.random() < 0.1 else "否",
            }
            rows += [{**household, **member} for member in _household_members(rnd, used)]
    return [{key: row.get(key, "") for key in ROSTER_COLUMNS} for row in rows]


def write_roster_csv(rows: list[dict[str, Any]], path: Path, chinese_headers: bool = True, bom: bool = True) -> None:
    keys = list(ROSTER_COLUMNS)
    with Path(path).open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([ROSTER_COLUMNS[k] for k in keys] if chinese_headers else keys)
        writer.writerows([[row.get(k, "") for k in keys] for row in rows])


def write_roster_xlsx(rows: list[dict[str, Any]], path: Path, chinese_headers: bool = True) -> None:
    from openpyxl import Workbook

    keys = list(ROSTER_COLUMNS)
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.append([ROSTER_COLUMNS[k] for k in keys] if chinese_headers else keys)
    for row in rows:
        sheet.append([str(row.get(k, "")) for k in keys])  # text cells: an ID number must keep all 18 characters
    for cell in sheet["I"][1:]:
        cell.number_format = "@"
    workbook.save(path)


def visit_body(rnd: random.Random, household_rows: list[dict[str, Any]], month: str, visitor: str) -> dict[str, Any]:
    """A plausible, valid visit body (shared/schemas.py VisitSchema) for one household and month."""
    year, mon = parse_month(month)
    labourers = [row for row in household_rows if row["labour_ability"] in FULL_LABOUR
                 and row["status"] == LIVING]
    employment = []
    for row in labourers:
        if rnd.random() < 0.6:
            place = rnd.choice(["county", "province", "outside", "outside"])
            job = {"person": row["id_number"], "place": place, "months": rnd.randint(1, mon),
                   "wage": rnd.randrange(2200, 5200, 100)}
            if place == "outside":
                job["province"] = rnd.choice(PROVINCES)
            employment.append(job)
    return {
        "household": household_rows[0]["household_id"], "month": month,
        "date": f"{year:04d}-{mon:02d}-{rnd.randint(1, 28):02d}", "visitor": visitor,
        "method": rnd.choice(["in_person", "in_person", "in_person", "phone", "wechat"]),
        "income": {"wage": sum(job["wage"] for job in employment), "business": rnd.choice([0, 0, 300, 800, 1500]),
                   "property": rnd.choice([0, 0, 0, 50, 120]), "transfer": rnd.choice([0, 150, 300, 420, 680]),
                   "expenses": rnd.choice([0, 0, 100, 300])},
        "employment": employment, "changes": [], "risks": ["illness"] if rnd.random() < 0.08 else [],
        "ack": {"status": "confirmed", "by": "户主"},
    }
