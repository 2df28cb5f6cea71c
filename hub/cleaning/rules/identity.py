"""Identity rules: invalid ID numbers (I1), one person in two households (I2), probable duplicates (I3), the
deceased still counted (I4), malformed mobile numbers (I9)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from peewee import fn

from hub.cleaning.catalogue import Context, Finding, person_subject, rule, the_period
from hub.store.models import Household, Person, Visit, VisitEmployment
from shared.idnumber import mask
from shared.rows import tuples
from shared.vocabulary import DECEASED


@rule("I1", "身份证号码无效或不一致", "ID number invalid, or disagreeing with birth date / gender", "GB 11643-1999",
      "high")
def invalid_id(ctx: Context) -> Iterator[Finding]:
    for household_id, id_number, problem in (tuples(Person.select(Person.household, Person.id_number, Person.id_problem)
                                                    .where(Person.id_problem != ""))):
        yield Finding("I1", person_subject(household_id, id_number), household_id, f"证件号码 {mask(id_number)} 有误",
                      {"problem": problem})


@rule("I2", "同一人在两户", "The same person (ID number) in two households", "DOMAIN.md §6", "high")
def same_person_twice(ctx: Context) -> Iterator[Finding]:
    shared = (Person.select(Person.id_number).group_by(Person.id_number)
              .having(fn.COUNT(Person.household.distinct()) > 1))
    for household_id, id_number in (tuples(Person.select(Person.household, Person.id_number)
                                           .where(Person.id_number.in_(shared)))):
        yield Finding("I2", person_subject(household_id, id_number), household_id, f"{mask(id_number)} 同时在多户", {})


@rule("I3", "疑似重复人员", "Probable duplicate persons: same birth date and same name or pinyin in one village",
      "DOMAIN.md §6", "medium")
def probable_duplicates(ctx: Context) -> Iterator[Finding]:
    groups = (Person.select(Household.village, Person.birth_date, Person.name_pinyin).join(Household)
              .where(Person.birth_date.is_null(False), Person.name_pinyin != "")
              .group_by(Household.village, Person.birth_date, Person.name_pinyin)
              .having(fn.COUNT(Person.id_number.distinct()) > 1))
    keys = {(village, birth, pinyin) for village, birth, pinyin in tuples(groups)}
    if not keys:
        return
    members: dict[tuple, list[tuple[int, str, str]]] = defaultdict(list)
    query = (Person.select(Household.village, Person.birth_date, Person.name_pinyin, Person.household, Person.name,
                           Person.id_number).join(Household)
             .where(Person.birth_date.in_({birth for _, birth, _ in keys})))
    for village, birth, pinyin, household_id, name, id_number in tuples(query):
        if (village, birth, pinyin) in keys:
            members[(village, birth, pinyin)].append((household_id, name, id_number))
    for (village, birth, pinyin), people in members.items():
        people.sort()
        yield Finding("I3", f"{village}:{birth}:{pinyin}", people[0][0], "疑似同一人重复登记（同村同生日，同名或同音）",
                      {"persons": [{"name": name, "id": mask(id_number), "household": household_id}
                                   for household_id, name, id_number in people], "birth_date": birth})


@rule("I4", "已故人员仍有务工或走访记录", "Deceased member still counted or paid", "DOMAIN.md §6", "high",
      scopes=the_period)
def deceased_still_counted(ctx: Context) -> Iterator[Finding]:
    query = (VisitEmployment.select(Visit.household, VisitEmployment.id_number).join(Visit)
             .join(Person, on=((Person.id_number == VisitEmployment.id_number) & (Person.household == Visit.household)))
             .where(Visit.is_current(), Visit.month == ctx.period, Person.status == DECEASED).distinct())
    for household_id, id_number in tuples(query):
        yield Finding("I4", person_subject(household_id, id_number, ctx.period), household_id,
                      f"{ctx.period} 已故人员 {mask(id_number)} 仍有务工记录", {"month": ctx.period}, scope=ctx.period)


@rule("I9", "手机号码格式不对", "Mobile number not 11 digits starting 1[3-9]", "DOMAIN.md §6", "low")
def invalid_phone(ctx: Context) -> Iterator[Finding]:
    for household_id, id_number in (tuples(Person.select(Person.household, Person.id_number)
                                           .where(Person.phone_problem != ""))):
        yield Finding("I9", person_subject(household_id, id_number), household_id,
                      f"{mask(id_number)} 的手机号码格式不对", {})

