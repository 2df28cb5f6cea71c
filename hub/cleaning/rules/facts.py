"""What several rules read: the run's ``household_month`` table, living members, annual per-capita income."""

from __future__ import annotations

from peewee import fn

from hub.cleaning.catalogue import Context
from hub.store.db import database
from hub.store.models import Person, current_visits_sql
from shared.rows import tuples
from shared.vocabulary import LIVING


def build_household_months(ctx: Context) -> None:
    """One row per household and month over the two years the rules look at: the latest current visit's figures."""
    database.execute_sql("DROP TABLE IF EXISTS household_month")
    param = database.param
    database.execute_sql(
        f"CREATE TEMPORARY TABLE household_month AS "
        f"SELECT v.household_id, v.month, v.wage, v.business, v.property, v.transfer, v.expenses, "
        f"v.wage + v.business + v.property + v.transfer - v.expenses AS net, v.ack_status, v.unchanged "
        f"FROM visit v JOIN (SELECT MAX(c.id) AS id FROM {current_visits_sql()} c "
        f"WHERE c.month BETWEEN {param} AND {param} "
        f"GROUP BY c.household_id, c.month) latest ON latest.id = v.id",
        (ctx.month(23), ctx.period))
    database.execute_sql("CREATE INDEX household_month_key ON household_month (household_id, month)")


def query_rows(sql: str, params: tuple = ()) -> list[tuple]:
    return database.execute_sql(sql.replace("?", database.param), params).fetchall()


def living_members() -> dict[int, int]:
    query = (Person.select(Person.household, fn.COUNT(Person.id)).where(Person.status == LIVING)
             .group_by(Person.household))
    return dict(tuples(query))


def annual_per_capita(ctx: Context) -> dict[int, tuple[float, int]]:
    """Household -> (annualised per-capita net income over the 12 months to the period, months recorded)."""
    members = living_members()
    found = {}
    for household_id, total, months in query_rows(
            "SELECT household_id, SUM(net), COUNT(*) FROM household_month WHERE month BETWEEN ? AND ? "
            "GROUP BY household_id", (ctx.month(11), ctx.period)):
        if members.get(household_id):
            found[household_id] = (float(total) * 12 / months / members[household_id], months)
    return found
