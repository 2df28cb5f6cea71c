"""A labelled set of posting pairs — the same job or not — and the precision and recall of ``same_job`` on it.

The pairs are generated, deterministically for a seed, from made-up Rong'an county employers, their jobs and
places.  A pair of the *same* job is one job written down twice, each copy changed independently the way a
station clerk or the county writes it: name with or without 融安县 / 有限公司, an abbreviation, a homophone typing
slip, filler in the title (急招, 若干名), the title's words reordered, the place with or without the township or a
landmark, pay rounded differently.  A pair of *different* jobs is, at random: another job at the same employer, the
same title at another employer, the same job at another village or township, or an internship beside an
enterprise post — each side changed in the same ways.  Which changes apply is drawn at random, so the set is not a
list of cases the rules were tuned on; ``precision_recall(seed)`` measures any other seed as a held-out set.

Run ``python -m devtools.posting_pairs`` (part of ``make bench``) to print the figures.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hub.postings.dedupe import same_job

DEFAULT_SEED = 20261001
DEFAULT_PAIRS = 300
TARGET = 0.95


@dataclass(frozen=True)
class Job:
    words: tuple[str, ...]  # the title's words, which clerks may reorder
    unit: str
    pay: tuple[int, int]  # a range of yuan per unit
    kind: str = ""  # when not the employer's


@dataclass(frozen=True)
class Employer:
    name: str
    abbreviations: tuple[str, ...]
    kind: str
    jobs: tuple[Job, ...]
    places: tuple[str, ...]


def _month(*words: str, low: int, high: int, kind: str = "") -> Job:
    return Job(words, "month", (low, high), kind)


def _day(*words: str, low: int, high: int) -> Job:
    return Job(words, "day", (low, high))


EMPLOYERS = (
    Employer("融安县金桔种植专业合作社", ("金桔合作社", "金桔种植合作社", "融安金桔合作社"), "gig",
             (_day("金桔", "采摘工", low=120, high=180), _day("金桔", "分拣工", low=100, high=150),
              _month("果园", "管护工", low=2200, high=2800), Job(("金桔", "装箱工"), "piece", (1, 3))),
             ("长安镇大巷村", "长安镇安宁村", "大将镇富乐村")),
    Employer("融安县红心柚种植专业合作社", ("红心柚合作社", "融安红心柚合作社"), "gig",
             (_day("红心柚", "采摘工", low=120, high=170), _day("果园", "除草工", low=100, high=130),
              _day("柚子", "分拣工", low=100, high=140)),
             ("沙子乡古益村", "沙子乡沙子村")),
    Employer("融安县桔香果业有限公司", ("桔香果业", "融安桔香果业公司"), "enterprise",
             (_day("金桔", "采摘工", low=130, high=170), _month("电商", "打包员", low=2500, high=3200),
              _month("果品", "质检员", low=2800, high=3500)),
             ("长安镇大巷村", "大将镇富乐村")),
    Employer("广西融安香杉木业有限公司", ("香杉木业", "融安香杉木业", "香杉公司"), "enterprise",
             (_month("木材加工", "普工", low=3200, high=4000), _month("旋切机", "操作工", low=3500, high=4500),
              _month("叉车", "司机", low=3800, high=4800), _month("质检员", low=3000, high=3800)),
             ("长安镇城南工业园", "浮石镇浮石村")),
    Employer("柳州鑫达汽车配件有限公司", ("鑫达汽配", "柳州鑫达汽配", "鑫达汽车配件厂"), "enterprise",
             (_month("汽车配件", "装配工", low=3800, high=5000), _month("电焊工", low=4500, high=6000),
              _month("仓库", "管理员", low=3500, high=4200), _month("货车", "司机", low=5000, high=6500),
              _month("叉车", "司机", low=4200, high=5200)),
             ("柳州市柳南区河西工业园", "柳州市阳和工业新区")),
    Employer("柳州宏远汽车零部件有限公司", ("宏远汽车零部件", "宏远零部件公司", "宏远汽配"), "enterprise",
             (_month("汽车配件", "装配工", low=3900, high=5200), _month("注塑", "操作工", low=4000, high=5000),
              _month("质检员", low=3800, high=4600)),
             ("柳州市柳江区新兴工业园",)),
    Employer("东莞市立信电子有限公司", ("立信电子", "东莞立信电子厂"), "enterprise",
             (_month("电子厂", "普工", low=4500, high=6000), _month("SMT", "操作员", low=5000, high=6500),
              _month("品检员", low=4600, high=5600)),
             ("广东省东莞市长安镇",)),
    Employer("融安县泗顶镇竹编就业帮扶车间", ("竹编帮扶车间", "泗顶镇竹编车间", "泗顶竹编车间"), "workshop",
             (Job(("竹编", "手工艺工"), "piece", (2, 8)), _month("竹制品", "包装工", low=1900, high=2400)),
             ("泗顶镇泗顶村", "泗顶镇三坡村")),
    Employer("融安县长安镇人民政府", ("长安镇政府", "长安镇人民政府"), "public_welfare",
             (_month("乡村", "保洁员", low=1810, high=2000), _month("护林员", low=1810, high=2100),
              _month("村道", "养护员", low=1810, high=2000), _month("防返贫", "信息员", low=1900, high=2200)),
             ("长安镇大巷村", "长安镇安宁村")),
    Employer("融安县沙子乡人民政府", ("沙子乡政府", "沙子乡人民政府"), "public_welfare",
             (_month("乡村", "保洁员", low=1810, high=2000), _month("护林员", low=1810, high=2100),
              _month("村道", "养护员", low=1810, high=2000)),
             ("沙子乡古益村", "沙子乡沙子村")),
    Employer("融安县交通运输局", ("县交通运输局", "融安交通局"), "work_relief",
             (_day("以工代赈", "村道硬化", "普工", low=130, high=160), _day("砌石工", low=160, high=200),
              _day("钢筋工", low=170, high=220)),
             ("大坡乡大坡村", "雅瑶乡雅瑶村")),
    Employer("融安县融兴电子商务有限公司", ("融兴电商", "融兴电子商务公司"), "enterprise",
             (_month("电商", "客服", low=2600, high=3200), _month("直播", "带货主播", low=3000, high=5000),
              _month("电商运营", "见习生", low=1900, high=2200, kind="internship")),
             ("长安镇融兴电商产业园", "大良镇大良村")),
    Employer("融安县大良镇铁皮石斛种植基地", ("石斛基地", "铁皮石斛基地", "大良镇石斛基地"), "gig",
             (_day("石斛", "采收工", low=110, high=150), _day("大棚", "管护工", low=100, high=130)),
             ("大良镇大良村", "大良镇和南村")),
    Employer("柳州市好运来家政服务有限公司", ("好运来家政", "好运来家政公司"), "enterprise",
             (Job(("家政", "保洁员"), "hour", (25, 35)), _month("育婴员", low=4000, high=5500),
              _month("养老", "护理员", low=3200, high=4200)),
             ("融安县城", "长安镇长安村")),
    Employer("融安县浮石镇稻田养鱼专业合作社", ("稻田养鱼合作社", "浮石镇稻田养鱼合作社"), "gig",
             (_day("稻田", "收割工", low=130, high=160), _day("鱼苗", "投放工", low=110, high=140)),
             ("浮石镇浮石村", "浮石镇泉头村")),
)

# Input-method slips: a character typed as another with the same pinyin.
HOMOPHONES = {"桔": "橘", "拣": "检", "检": "捡", "洁": "结", "护": "户", "叉": "插", "焊": "汉", "鑫": "新",
              "宏": "洪", "兴": "星", "摘": "宅", "斛": "胡", "柚": "由", "编": "边", "配": "佩", "仓": "苍",
              "装": "妆", "砌": "气"}
# Another wording of the same job that a clerk may write instead (not known to the rules).
SYNONYMS = {"保洁员": "清洁工", "护林员": "生态护林员", "质检员": "品检员", "装配工": "组装工", "司机": "驾驶员",
            "采摘工": "摘果工", "管理员": "管理"}
TITLE_PREFIXES = ("急招", "招聘", "诚聘", "")
TITLE_SUFFIXES = ("若干名", "（长期）", "2名", "5人", "数名")
LANDMARKS = ("果园", "基地", "村委旁", "附近", "一带")
TOWNSHIP_AT_START = re.compile(r"^[\u4e00-\u9fff]{2}[镇乡]")


@dataclass(frozen=True)
class PostingPair:
    a: dict[str, Any]
    b: dict[str, Any]
    same: bool
    how: str  # which kind of pair, for reading failures


def _typo(rnd: random.Random, text: str) -> str:
    spots = [i for i, char in enumerate(text) if char in HOMOPHONES]
    if not spots:
        return text
    i = rnd.choice(spots)
    return text[:i] + HOMOPHONES[text[i]] + text[i + 1:]


def _legal_form(name: str) -> str:
    if "有限公司" in name:
        return name.replace("有限公司", "有限责任公司")
    return name if "公司" in name else name + "有限公司"


def _employer_variant(rnd: random.Random, employer: Employer) -> str:
    name = rnd.choice((employer.name, employer.name, *employer.abbreviations))
    changes: list[Callable[[str], str]] = [
        lambda s: s.replace("融安县", "", 1),
        _legal_form,
        lambda s: "广西" + s if not s.startswith(("柳州", "东莞", "广西")) else s,
        lambda s: s + "（融安）" if "融安" not in s else s,
        lambda s: _typo(rnd, s),
    ]
    for change in rnd.sample(changes, rnd.choice((0, 0, 1, 1, 2))):
        name = change(name)
    return name


def _title_variant(rnd: random.Random, job: Job) -> str:
    words = list(job.words)
    if len(words) > 1 and rnd.random() < 0.25:
        words.reverse()
    if rnd.random() < 0.1:
        words = [SYNONYMS.get(word, word) for word in words]
    title = "".join(words)
    if rnd.random() < 0.35:
        title = rnd.choice(TITLE_PREFIXES) + title
    if rnd.random() < 0.35:
        title += rnd.choice(TITLE_SUFFIXES)
    if rnd.random() < 0.2:
        title = _typo(rnd, title)
    return title


def _place_variant(rnd: random.Random, place: str) -> str:
    township = TOWNSHIP_AT_START.match(place)
    roll = rnd.random()
    if township and "村" in place and roll < 0.25:
        place = place[township.end():]
    elif township and roll < 0.5:
        place = "融安县" + place
    elif place.startswith("柳州市") and roll < 0.5:
        place = rnd.choice(("广西", "")) + place.replace("柳州市", rnd.choice(("柳州", "柳州市", "")), 1)
    if "村" in place and rnd.random() < 0.3:
        place += rnd.choice(LANDMARKS)
    elif place.endswith("村") and rnd.random() < 0.15:
        place = place[:-1]
    return place


def _phone(rnd: random.Random) -> str:
    if rnd.random() < 0.3:
        return f"0772-{rnd.randint(5_000_000, 8_999_999)}"
    return f"1{rnd.choice('3578')}{rnd.randint(0, 999_999_999):09d}"


def _pay(rnd: random.Random, job: Job, base: int | None) -> int:
    if base is None:
        return rnd.randint(*job.pay)
    if job.unit in ("month", "day"):
        return max(1, round(base * rnd.uniform(0.92, 1.08) / 10) * 10)
    return base


def generated_postings(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` postings of the labelled employers' jobs, most of them repeats: work for ``group_postings``."""
    rnd = random.Random(seed)
    postings = []
    for _ in range(count):
        employer = rnd.choice(EMPLOYERS)
        postings.append(posting(rnd, employer, rnd.choice(employer.jobs), rnd.choice(employer.places)))
    return postings


def posting(rnd: random.Random, employer: Employer, job: Job, place: str, pay: int | None = None) -> dict[str, Any]:
    """One body of a posting record (valid under ``PostingSchema``), written as a clerk might."""
    township = TOWNSHIP_AT_START.match(place)
    start = date(2026, rnd.randint(1, 10), rnd.randint(1, 28))
    body: dict[str, Any] = {
        "kind": job.kind or employer.kind, "posting_id": f"{rnd.getrandbits(128):032x}",
        "employer": _employer_variant(rnd, employer), "title": _title_variant(rnd, job),
        "place": _place_variant(rnd, place), "pay": _pay(rnd, job, pay), "pay_unit": job.unit,
        "headcount": rnd.randint(1, 30),
        "contact_name": rnd.choice("韦覃莫蓝黄梁") + rnd.choice(("先生", "女士", "经理")),
        "contact_phone": _phone(rnd), "valid_until": (start + timedelta(days=rnd.randint(10, 90))).isoformat(),
    }
    if township and rnd.random() < 0.5:
        body["township"] = township.group()
    if job.unit == "day":
        body["period_start"], body["period_end"] = start.isoformat(), (start + timedelta(days=30)).isoformat()
    return body


def _same(rnd: random.Random, employer: Employer) -> PostingPair:
    job, place = rnd.choice(employer.jobs), rnd.choice(employer.places)
    pay = rnd.randint(*job.pay)
    return PostingPair(posting(rnd, employer, job, place, pay), posting(rnd, employer, job, place, pay), True, "same")


def _different(rnd: random.Random, employer: Employer) -> PostingPair:
    job, place = rnd.choice(employer.jobs), rnd.choice(employer.places)
    first = posting(rnd, employer, job, place)
    how = rnd.choice(("other job", "other employer", "other place", "internship"))
    if how == "other job" and len(employer.jobs) > 1:
        other = rnd.choice([j for j in employer.jobs if j != job])
        return PostingPair(first, posting(rnd, employer, other, place), False, how)
    if how == "other place":
        others = [p for p in employer.places if p != place] or [p for e in EMPLOYERS for p in e.places if p != place]
        return PostingPair(first, posting(rnd, employer, job, rnd.choice(others)), False, how)
    if how == "internship" and employer.kind == "enterprise" and not job.kind:
        trainee = Job((*job.words, "见习"), "month", (1900, 2300), "internship")
        return PostingPair(first, posting(rnd, employer, trainee, place), False, how)
    other_employer = rnd.choice([e for e in EMPLOYERS if e is not employer])
    other_place = place if rnd.random() < 0.5 else rnd.choice(other_employer.places)
    other_job = Job(job.words, job.unit, job.pay, other_employer.kind)
    return PostingPair(first, posting(rnd, other_employer, other_job, other_place), False, "other employer")


def labelled_pairs(seed: int = DEFAULT_SEED, count: int = DEFAULT_PAIRS) -> list[PostingPair]:
    """``count`` pairs, half of them the same job, deterministic for ``seed``."""
    rnd = random.Random(seed)
    return [(_same if i % 2 == 0 else _different)(rnd, rnd.choice(EMPLOYERS)) for i in range(count)]


def precision_recall(seed: int = DEFAULT_SEED, count: int = DEFAULT_PAIRS) -> tuple[float, float]:
    """Precision and recall of ``same_job`` on the labelled pairs (1.0 when there is nothing to count)."""
    found = right = actual = 0
    for pair in labelled_pairs(seed, count):
        says_same = same_job(pair.a, pair.b)
        found += says_same
        actual += pair.same
        right += says_same and pair.same
    return (right / found if found else 1.0), (right / actual if actual else 1.0)


def main() -> int:
    precision, recall = precision_recall()
    ok = precision >= TARGET and recall >= TARGET
    print(f"duplicate postings: {DEFAULT_PAIRS} labelled pairs, precision {precision:.3f}, recall {recall:.3f} "
          f"(target ≥ {TARGET:.2f} each) {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
