"""What each record kind means at the hub: which household it must name, and the rows it projects to.

The hub stores every record as it arrived (``record``) and, for accepted records, projects the body into
tables that queries and cleaning rules can use.  A new kind registers its handling here; ingest stays the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.cleaning.loading import Stored, project_visits
from hub.postings import store as postings
from hub.roster import sealing_keys
from hub.store.db import write_transaction
from hub.store.models import (
    Alarm,
    Household,
    Node,
    Person,
    Township,
    Village,
    village_ids,
)
from hub.sync import nodes
from hub.upward import city, region
from hub.verification.tasks import project_verifications
from shared import sealing
from shared.errors import ErrorCode
from shared.rows import tuples
from shared.upward import COUNTY_KEYS, COUNTY_RECORD, STATION_KEPT, STATION_RECORD

ScopeProblem = tuple[ErrorCode, dict[str, Any]]


class SignerScope:
    """Where a signer's records may act (issue 12): a station only within its own villages and townships; the
    hub's own signer (county postings and corrections, checked by role before signing) anywhere.  What each
    check needs is read once per push, on first use."""

    def __init__(self, node: Node):
        self.node = node
        self.anywhere = node.name == nodes.HUB_NODE_NAME
        self._places: set[tuple[str, str]] | None = None
        self._members: set[tuple[str, int]] | None = None
        self._stations: dict[int, city.StationKey] | None = None
        self._relay: region.RelayView | None = None

    @property
    def stations(self) -> dict[int, city.StationKey]:
        """A county hub's stations' keys, as its latest statement gives them (at a city hub)."""
        if self._stations is None:
            self._stations = city.station_keys(self.node)
        return self._stations

    @property
    def relay(self) -> region.RelayView:
        """A city hub's counties and their stations' keys, as the newest statements give them (at a region hub)."""
        if self._relay is None:
            self._relay = region.RelayView(self.node.id)
        return self._relay

    @property
    def places(self) -> set[tuple[str, str]]:
        """(township, village) names of the node's villages."""
        if self._places is None:
            self._places = set(tuples(Village.select(Township.name, Village.name).join(Township)
                                      .where(Village.id.in_(village_ids(self.node)))))
        return self._places

    @property
    def townships(self) -> set[str]:
        return {township for township, _ in self.places}

    def is_member(self, id_number: str, household_id: int) -> bool:
        """Whether the person with ``id_number`` belongs to ``household_id`` (a household of the node's)."""
        if self._members is None:
            self._members = set(tuples(Person.select(Person.id_number, Person.household).join(Household)
                                       .where(Household.village.in_(village_ids(self.node)))))
        return (id_number, household_id) in self._members


@dataclass(frozen=True)
class KindHandling:
    household_field: str | None  # body field naming a household of the node's villages; None: no household
    project: Callable[[list[Stored], str], None]
    # Refuses a valid record that acts outside its signer's villages and townships; None: no such check.
    scope_problem: Callable[[SignerScope, dict[str, Any], int | None], ScopeProblem | None] | None = None


def posting_outside_scope(scope: SignerScope, body: dict[str, Any], _: int | None) -> ScopeProblem | None:
    """A station publishes to its own townships' boards only (a county-wide posting is the county's)."""
    if scope.anywhere:
        return None
    township, village = body.get("township"), body.get("village")
    if township not in scope.townships or (village and (township, village) not in scope.places):
        return ErrorCode.POSTING_OUTSIDE_SCOPE, {"township": township or "", "village": village or ""}
    return None


def recommendation_outside_scope(scope: SignerScope, body: dict[str, Any], household_id: int | None
                                 ) -> ScopeProblem | None:
    """A recommendation names a person of the household it names (a household of the station's villages)."""
    if scope.anywhere or household_id is None:
        return None
    person = body["person"]
    if sealing.is_person_key(person):  # record format 2: persons by the hub's key
        if person in sealing_keys.id_numbers_by_key(household_id):
            return None
    elif scope.is_member(person, household_id):
        return None
    return ErrorCode.PERSON_NOT_ASSIGNED, {"household": body["household"]}


def forwarded_outside_scope(scope: SignerScope, body: dict[str, Any], _: int | None) -> ScopeProblem | None:
    """A record a county forwards must be exactly what one of its stations signed (docs/upward.md)."""
    return city.forwarded_problem(scope.stations, body)


def kept_outside_scope(scope: SignerScope, body: dict[str, Any], _: int | None) -> ScopeProblem | None:
    """A record a county says it keeps must be one of its stations' (docs/upward.md)."""
    return city.kept_problem(scope.stations, body)


def relayed_outside_scope(scope: SignerScope, body: dict[str, Any], _: int | None) -> ScopeProblem | None:
    """A record a city forwards must be exactly what one of its counties signed, down to the station."""
    return region.relayed_problem(scope.relay, body)


def _county_keys(items: list[city.Projected], now: str) -> None:
    region.project_county_keys(items, now, lambda name: nodes.relayed_county(name, actor="region"))


def _upward(project: city.Projection) -> Callable[[list[Stored], str], None]:
    """An upward kind's projection; the alarms it finds (figures that disagree with the records) are raised on
    the county's row."""
    def run(stored: list[Stored], now: str) -> None:
        for alarm in project(city.projected([(s.record_id, s.node_id, s.body) for s in stored]), now) or []:
            nodes.raise_alarm(Node.get_by_id(alarm.county_id), alarm.code, alarm.detail, alarm.seq)
    return run


def recheck_counties(month: str) -> int:
    """After a cleaning run at a city or region: each county's figures of ``month`` against this hub's own run
    (hub/cleaning/above.py); a disagreement not already raised and open is an alarm on the county's row.
    Returns the alarms raised."""
    raised = 0
    with write_transaction():
        for alarm in city.recheck_month(month):
            county = Node.get_by_id(alarm.county_id)
            if not Alarm.select().where(Alarm.node == county, Alarm.code == alarm.code.name,
                                        Alarm.detail == alarm.detail, Alarm.resolved_at.is_null()).exists():
                nodes.raise_alarm(county, alarm.code, alarm.detail, alarm.seq)
                raised += 1
    return raised


UPWARD_SCOPES = {STATION_RECORD: forwarded_outside_scope, STATION_KEPT: kept_outside_scope}


KINDS: dict[str, KindHandling] = {
    "visit": KindHandling("household", project_visits),
    "posting": KindHandling(None, postings.project_postings, posting_outside_scope),
    "interest": KindHandling(None, postings.project_interests),
    "recommendation": KindHandling("household", postings.project_recommendations, recommendation_outside_scope),
    "verification": KindHandling("household", project_verifications),
    **{kind: KindHandling(None, _upward(project), UPWARD_SCOPES.get(kind))
       for kind, project in city.PROJECTIONS.items()},  # what county hubs send up (at a city hub)
    COUNTY_KEYS: KindHandling(None, _upward(_county_keys)),  # what city hubs send up (at a region hub)
    COUNTY_RECORD: KindHandling(None, _upward(region.project_relayed), relayed_outside_scope),
}
