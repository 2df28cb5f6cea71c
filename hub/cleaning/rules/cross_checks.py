"""Cross-checks against other departments' lists (DOMAIN.md §6; 002 §二(一)5: monthly data comparison).

The lists are imported each month with `fieldsync-hub import-list` (hub/roster/department_lists.py).  Each rule is one
SQL query over the ``department_list`` / ``department_entry`` tables and the roster or visits, written once for
SQLite and PostgreSQL.  With no list imported, no rule finds anything.

- X1: a person on the death register (a list of any month up to the period) still a living member.
- X2: a household with a member on the 低保/特困 roster (the period's month, or the latest before it) whose annual
  per-capita net income is in the high class (``x2_high_income``).
- X3: a person on the student list (the latest up to the period) with work recorded in the period's visits away
  from the county or for some months — counted as a migrant worker.

Subjects show masked ID numbers only; subject keys are household and ID number (X3: and the period, whose visits
it judges), so a finding keeps its identity from month to month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from hub.cleaning.catalogue import Context, Finding, person_subject, rule, the_period
from hub.cleaning.rules.facts import annual_per_capita, query_rows
from hub.store.models import current_visits_sql
from shared.idnumber import mask
from shared.schemas import WORK_PLACES
from shared.vocabulary import LIVING

SOURCE = "002 §二(一)5"


def _latest_list(kind: str) -> str:
    """SQL for the month of the newest list of ``kind`` up to the period (one parameter: the period)."""
    return f"(SELECT MAX(month) FROM department_list WHERE kind = '{kind}' AND month <= ?)"


@rule("X1", "死亡登记人员仍为正常在册人员", "Person on the death register still a living household member", SOURCE,
      "high")
def dead_still_living(ctx: Context) -> Iterator[Finding]:
    for household_id, id_number, death_date, first_month, same_name in query_rows(
            "SELECT p.household_id, p.id_number, MIN(e.detail), MIN(l.month), "
            "MAX(CASE WHEN e.name = p.name THEN 1 ELSE 0 END) "
            "FROM department_entry e JOIN department_list l ON l.id = e.list_id "
            "JOIN person p ON p.id_number = e.id_number "
            "WHERE l.kind = 'death' AND l.month <= ? AND p.status = ? "
            "GROUP BY p.household_id, p.id_number", (ctx.period, LIVING)):
        yield Finding("X1", person_subject(household_id, id_number), household_id,
                      f"{mask(id_number)} 在死亡登记名单中，仍为在册正常人员",
                      {"death_date": death_date, "register_month": first_month, "name_matches": bool(same_name)})


@rule("X2", "低保/特困户收入属高收入档", "Household on the 低保/特困 roster in the high income class", SOURCE,
      "medium")
def assisted_high_income(ctx: Context) -> Iterator[Finding]:
    members: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for household_id, id_number, assistance in query_rows(
            "SELECT p.household_id, p.id_number, e.detail "
            "FROM department_entry e JOIN department_list l ON l.id = e.list_id "
            "JOIN person p ON p.id_number = e.id_number "
            f"WHERE l.kind = 'assistance' AND l.month = {_latest_list('assistance')} AND p.status = ?",
            (ctx.period, LIVING)):
        members[household_id].append((id_number, assistance))
    if not members:
        return
    line = ctx.params["x2_high_income"]
    incomes = annual_per_capita(ctx)
    for household_id, listed in sorted(members.items()):
        income, months = incomes.get(household_id, (0.0, 0))
        if months and income >= line:
            listed.sort()
            yield Finding("X2", str(household_id), household_id,
                          f"{'、'.join(mask(n) for n, _ in listed)} 享受{'/'.join(sorted({a for _, a in listed}))}，"
                          f"户年人均纯收入属高收入档",
                          {"per_capita": round(income), "line": line, "months_recorded": months,
                           "classes": sorted({a for _, a in listed})})


@rule("X3", "在校生被计为外出务工", "Student on the education list counted as a migrant worker", SOURCE, "medium",
      scopes=the_period)
def student_counted_as_worker(ctx: Context) -> Iterator[Finding]:
    found: dict[tuple[int, str], dict] = {}
    for household_id, id_number, school, place, months in query_rows(
            "SELECT v.household_id, ve.id_number, e.detail, ve.place, ve.months "
            "FROM department_entry e JOIN department_list l ON l.id = e.list_id "
            f"JOIN visit_employment ve ON ve.id_number = e.id_number JOIN {current_visits_sql()} v "
            "ON v.id = ve.visit_id "
            f"WHERE l.kind = 'student' AND l.month = {_latest_list('student')} "
            "AND v.month = ? AND (ve.place <> 'county' OR ve.months > 0)",
            (ctx.period, ctx.period)):
        seen = found.setdefault((household_id, id_number), {"school": school, "places": set(), "months": 0})
        seen["places"].add(WORK_PLACES.get(place, place))
        seen["months"] = max(seen["months"], months)
    for (household_id, id_number), seen in sorted(found.items()):
        yield Finding("X3", person_subject(household_id, id_number, ctx.period), household_id,
                      f"{ctx.period} 在校生 {mask(id_number)} 被记为外出务工",
                      {"school": seen["school"], "places": sorted(seen["places"]), "months": seen["months"]},
                      scope=ctx.period)
