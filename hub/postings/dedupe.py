"""Recognising the same job posted twice: by two stations, or by a station and the county (issue 5).

Two postings are the same job when three things agree — the employer, the job title and the place — and nothing
about the pay or the kind of post speaks against it.  Each is scored from 0 to 1 after normalising the text
(full-width to half-width, no spaces or punctuation, common shortenings written out: 汽配 → 汽车配件, 电商 → 电子商务):

- **employer**: the name without the home region (广西 / 柳州市 / 融安县 …, anywhere in it), bracketed notes
  (（融安）) and legal and trade endings (有限公司, 专业合作社, 帮扶车间, 集团, 厂, 种植, 科技 …).  A leading township
  (长安镇人民政府) is set aside: two different ones mean two employers (0), otherwise it is ignored.  What is left is
  the trade name — "金桔" of 融安县金桔种植专业合作社 — which scores 1 when equal, 0.95 when it sounds the same (a
  pinyin typing slip: 金桔 / 金橘), 0.9 when the shorter is an abbreviation of the longer (its characters or
  syllables in order, the first one the same: 交通局 / 交通运输局), else the text similarity below.
- **title**: without filler (急招, 诚聘, 若干名, 3人, 长期 …) and with a few synonyms made one (驾驶员 → 司机), the
  text similarity below, also counting the same characters in another order (clerks shuffle a title's words) less
  0.1; an abbreviation of three or more characters keeping the first and last (仓管员 / 仓库管理员) scores 0.75.
- **place**: read as region, township (…镇 / …乡), village (…村) and the rest, township and village filled from the
  posting's own fields when the text lacks them.  Different townships, or the same township name in another region
  (东莞市长安镇), score 0; the same village 1, different villages 0.2; otherwise the text after the township is
  compared (大巷村果园 / 大巷), and the same township with nothing more said on one side scores 0.8.

Text similarity is the best of: the Dice coefficient of character bigrams, the same on pinyin syllables (homophone
typing slips cost nothing), and 0.85 when the shorter text (two or more characters or syllables) is inside the longer.

The decision: the kind of post must be the same (a public-welfare post and an enterprise job are never one posting:
they are funded and filled differently); each of the three scores must reach its gate (``EMPLOYER_MIN``,
``TITLE_MIN``, ``PLACE_MIN``); and their mean, less ``PAY_PENALTY`` for a different pay unit and again for pay in
the same unit differing by more than ``PAY_RATIO``, must reach ``SAME_MIN``.  So a different pay unit or a very
different pay alone does not part two postings that otherwise agree closely, but it does part a weaker match.

``group_postings`` compares only postings whose trade names share their first or last two syllables (blocking), and
remembers the text comparisons it has made, so 5,000 postings take about a second.  The labelled pairs in
``devtools/posting_pairs.py`` measure the rules (``make bench``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any

from shared.pinyin import syllables

EMPLOYER_MIN = 0.8
TITLE_MIN = 0.7
PLACE_MIN = 0.5
SAME_MIN = 0.8
PAY_RATIO = 1.5
PAY_PENALTY = 0.15

CONTAINED = 0.85
REORDER_DISCOUNT = 0.1
SOUNDS_SAME = 0.95
EMPLOYER_ABBREVIATION = 0.9
TITLE_ABBREVIATION = 0.75
OTHER_VILLAGE = 0.2
VILLAGE_UNKNOWN = 0.8

HOME_REGION = ("广西壮族自治区", "广西省", "广西", "柳州市", "柳州", "融安县", "融安")
EMPLOYER_ENDINGS = ("股份有限公司", "有限责任公司", "有限公司", "分公司", "公司", "集团", "股份",
                    "专业合作社", "合作社", "经营部", "门市部", "就业帮扶车间", "帮扶车间", "车间", "基地", "工厂",
                    "厂", "店", "种植", "养殖", "农业", "科技", "实业", "发展", "贸易", "商贸", "制造", "加工",
                    "开发", "电子商务", "服务")
# Common shortenings, written out before comparing (汽配 is 汽车配件 whether an employer or a title says it).
SHORTENINGS = {"汽配": "汽车配件", "零部件": "配件", "电商": "电子商务", "仓管": "仓库管理"}
# Titles that name one job in other words, written as one of them.
TITLE_SYNONYMS = {"驾驶员": "司机", "清洁工": "保洁员", "品检员": "质检员", "检验员": "质检员", "组装工": "装配工"}
TITLE_FILLER = re.compile(r"急招|急聘|诚聘|招聘|高薪|长期|若干名?|数名|多名|包吃住|\d+\s*[名人个]")
BRACKETED = re.compile(r"[(\[【][^)\]】]*[)\]】]")
NOT_WORD = re.compile(r"[\W_]+")
CJK = "\u4e00-\u9fff"
LEADING_TOWNSHIP = re.compile(rf"^[{CJK}]{{2}}[镇乡](?=[{CJK}A-Za-z0-9]{{2}})")
TOWNSHIP = re.compile(rf"[{CJK}]{{2}}[镇乡]")
VILLAGE = re.compile(rf"[{CJK}]{{1,3}}?村")


def _clean(text: str | None) -> str:
    """Full-width to half-width, lower case, no spaces or punctuation, shortenings written out."""
    text = NOT_WORD.sub("", unicodedata.normalize("NFKC", text or "").lower())
    for short, full in SHORTENINGS.items():
        text = text.replace(short, full)
    return text


def _without_home_region(text: str) -> str:
    for word in HOME_REGION:
        text = text.replace(word, "")
    return text


def employer_core(name: str | None) -> tuple[str, str]:
    """The township the name starts with, if any, and the trade name.

    广西融安香杉木业有限公司 → ("", "香杉木业"); 融安县长安镇人民政府 → ("长安镇", "人民政府").
    """
    text = _without_home_region(_clean(BRACKETED.sub("", unicodedata.normalize("NFKC", name or ""))))
    if text.startswith("县") and len(text) > 3:  # 县交通运输局: this county's
        text = text[1:]
    full = text
    township = LEADING_TOWNSHIP.match(text)
    if township:
        text = text[township.end():]
    stripped = True
    while stripped:
        stripped = False
        for ending in EMPLOYER_ENDINGS:
            if text.endswith(ending) and len(text) - len(ending) >= 2:
                text, stripped = text[: -len(ending)], True
                break
    return (township.group() if township else ""), text or full


def title_core(title: str | None) -> str:
    text = _clean(TITLE_FILLER.sub("", unicodedata.normalize("NFKC", title or "")))
    for word, canonical in TITLE_SYNONYMS.items():
        text = text.replace(word, canonical)
    return text


@dataclass(frozen=True)
class _Place:
    region: str | None  # what comes before the township (another city, 东莞市), None when no township is named
    township: str
    village: str
    rest: str  # after the township: the village and any landmark, or the whole place when no township is named
    rest_pinyin: tuple[str, ...]


def _place(posting: Mapping[str, Any]) -> _Place:
    text = _without_home_region(_clean(posting.get("place")))
    found = TOWNSHIP.search(text)
    region, rest = (text[: found.start()], text[found.end():]) if found else (None, text)
    township = found.group() if found else _without_home_region(_clean(posting.get("township")))
    village = VILLAGE.search(rest)
    return _Place(region, township, village.group() if village else _clean(posting.get("village")), rest,
                  tuple(syllables(rest)))


@dataclass(frozen=True)
class PostingFeatures:
    """What the comparison needs from a posting, computed once per posting."""

    kind: str
    employer_township: str
    employer: str
    employer_pinyin: tuple[str, ...]
    title: str
    title_pinyin: tuple[str, ...]
    place: _Place
    pay: int
    pay_unit: str

    @property
    def blocks(self) -> set[str]:
        """Keys of the blocks this posting is compared within: the trade name's first and last two syllables."""
        return {" ".join(self.employer_pinyin[:2]), " ".join(self.employer_pinyin[-2:])}


def posting_features(posting: Mapping[str, Any]) -> PostingFeatures:
    (township, employer), title = employer_core(posting.get("employer")), title_core(posting.get("title"))
    place = _place(posting)
    return PostingFeatures(str(posting.get("kind", "")), township, employer, tuple(syllables(employer)), title,
                     tuple(syllables(title)), place, int(posting.get("pay") or 0),
                     str(posting.get("pay_unit", "")))


def _grams(sequence: Sequence[str]) -> set[tuple[str, ...]]:
    if len(sequence) < 2:
        return {tuple(sequence)} if sequence else set()
    return {tuple(sequence[i: i + 2]) for i in range(len(sequence) - 1)}


def _dice(a: Sequence[str], b: Sequence[str]) -> float:
    grams_a, grams_b = _grams(a), _grams(b)
    if not grams_a or not grams_b:
        return 0.0
    return 2 * len(grams_a & grams_b) / (len(grams_a) + len(grams_b))


def _is_subsequence(short: Sequence[str], long: Sequence[str]) -> bool:
    items = iter(long)
    return all(item in items for item in short)


def _contains(short: Sequence[str], long: Sequence[str]) -> bool:
    size = len(short)
    return any(list(long[i: i + size]) == list(short) for i in range(len(long) - size + 1))


def _reordered(a: Sequence[str], b: Sequence[str]) -> float:
    """Dice on the multisets of characters (or syllables), less ``REORDER_DISCOUNT``: word order ignored."""
    common = sum((Counter(a) & Counter(b)).values())
    return max(0.0, 2 * common / (len(a) + len(b)) - REORDER_DISCOUNT)


def _abbreviates(a: Sequence[str], b: Sequence[str], min_length: int, same_last: bool) -> bool:
    """The shorter is the longer with characters left out, keeping its first (and last) character."""
    short, long = sorted((a, b), key=len)
    if len(short) < min_length or short[0] != long[0] or (same_last and short[-1] != long[-1]):
        return False
    return _is_subsequence(short, long)


@lru_cache(maxsize=1 << 16)
def _text_similarity(a: str, b: str, a_pinyin: Sequence[str] = (), b_pinyin: Sequence[str] = (),
                    reorder: bool = False) -> float:
    """The best of bigram Dice, ``CONTAINED`` and (with ``reorder``, for titles, whose words clerks shuffle) the
    characters in any order — on characters and on pinyin syllables."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    best = 0.0
    for x, y in ((a, b), (a_pinyin, b_pinyin)):
        if x and y:
            short, long = sorted((x, y), key=len)
            contained = CONTAINED if len(short) >= 2 and _contains(short, long) else 0.0
            best = max(best, _dice(x, y), _reordered(x, y) if reorder else 0.0, contained)
    return best


def _employer_similarity(a: PostingFeatures, b: PostingFeatures) -> float:
    if a.employer_township and b.employer_township and a.employer_township != b.employer_township:
        return 0.0
    return _employer_score(a.employer, a.employer_pinyin, b.employer, b.employer_pinyin)


@lru_cache(maxsize=1 << 16)  # postings of one employer repeat the same names and titles: compare each pair once
def _employer_score(a: str, a_pinyin: tuple[str, ...], b: str, b_pinyin: tuple[str, ...]) -> float:
    if a == b:
        return 1.0
    if a_pinyin == b_pinyin:
        return SOUNDS_SAME
    if _abbreviates(a, b, 2, False) or _abbreviates(a_pinyin, b_pinyin, 2, False):
        return EMPLOYER_ABBREVIATION
    return _text_similarity(a, b, a_pinyin, b_pinyin)


def _title_similarity(a: PostingFeatures, b: PostingFeatures) -> float:
    return _title_score(a.title, a.title_pinyin, b.title, b.title_pinyin)


@lru_cache(maxsize=1 << 16)
def _title_score(a: str, a_pinyin: tuple[str, ...], b: str, b_pinyin: tuple[str, ...]) -> float:
    similarity = _text_similarity(a, b, a_pinyin, b_pinyin, reorder=True)
    if _abbreviates(a, b, 3, True) or _abbreviates(a_pinyin, b_pinyin, 3, True):
        similarity = max(similarity, TITLE_ABBREVIATION)
    return similarity


def _place_similarity(a: PostingFeatures, b: PostingFeatures) -> float:
    pa, pb = a.place, b.place
    if pa.region is not None and pb.region is not None and pa.region != pb.region:
        return 0.0
    if pa.township and pb.township and pa.township != pb.township:
        return 0.0
    if pa.village and pb.village:
        return 1.0 if pa.village == pb.village else OTHER_VILLAGE
    if pa.rest and pb.rest:
        return _text_similarity(pa.rest, pb.rest, pa.rest_pinyin, pb.rest_pinyin)
    if pa.township and pa.township == pb.township:
        return 1.0 if pa.rest == pb.rest else VILLAGE_UNKNOWN
    return 0.0


def _pay_penalty(a: PostingFeatures, b: PostingFeatures) -> float:
    if a.pay_unit != b.pay_unit:
        return PAY_PENALTY
    low, high = sorted((a.pay, b.pay))
    return PAY_PENALTY if low > 0 and high > PAY_RATIO * low else 0.0


def similarity(a: PostingFeatures, b: PostingFeatures) -> float:
    """The score ``same_job`` compares with ``SAME_MIN``; 0 when a gate is missed or the kinds differ."""
    if a.kind != b.kind:
        return 0.0
    place = _place_similarity(a, b)
    if place < PLACE_MIN:
        return 0.0
    employer = _employer_similarity(a, b)
    if employer < EMPLOYER_MIN:
        return 0.0
    title = _title_similarity(a, b)
    if title < TITLE_MIN:
        return 0.0
    return (employer + title + place) / 3 - _pay_penalty(a, b)


def same_job(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether postings ``a`` and ``b`` (record bodies, or anything with their fields) are the same job."""
    return similarity(posting_features(a), posting_features(b)) >= SAME_MIN


def group_postings(postings: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    """Every posting's index in exactly one group, a group being the postings of one job (most are alone).

    Groups are the connected components of ``same_job`` among postings whose trade names share their first or
    last two syllables; each group is sorted and the groups are in order of their first index.
    """
    prepared = [posting_features(posting) for posting in postings]
    blocks: dict[str, list[int]] = {}
    for index, feature in enumerate(prepared):
        for key in feature.blocks:
            blocks.setdefault(key, []).append(index)
    parent = list(range(len(postings)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for members in blocks.values():
        for i, j in combinations(members, 2):
            if root(i) != root(j) and similarity(prepared[i], prepared[j]) >= SAME_MIN:
                parent[max(root(i), root(j))] = min(root(i), root(j))
    groups: dict[int, list[int]] = {}
    for index in range(len(postings)):
        groups.setdefault(root(index), []).append(index)
    return sorted(groups.values(), key=lambda group: group[0])
