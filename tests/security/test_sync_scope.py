"""A station's signed records act only within its own villages and townships (issue 12): a 大将镇 station that
signs postings for 板榄镇's board, or recommendations for a 板榄镇 person, has them refused at ingest with a stable
code, and nothing of them reaches the boards or the county's ledger.  Each case is a signed push over HTTP."""

from __future__ import annotations

from datetime import date

import pytest

from hub.store.models import Posting, Recommendation
from shared.postings import new_posting_id
from tests.security.privacy_data import FULL_ID, posting_body
from tests.support import VILLAGES, SimNode, households_of

HOME = VILLAGES[1]  # 大将镇/西岭1村
OTHER = VILLAGES[0]  # 板榄镇/东岭1村


@pytest.fixture
def station(app, client, county) -> SimNode:
    return SimNode(app, client, "西岭站", [HOME])


def rejections(reply) -> dict[int, dict]:
    assert reply.status_code == 200, reply.json
    return {item["seq"]: item for item in reply.json["rejected"]}


def test_a_station_publishes_to_its_own_townships_board_only(station):
    bodies = [posting_body(township=OTHER[0], kind="gig", title="冒名板榄零工"),
              posting_body(township=HOME[0], village=OTHER[1], kind="gig", title="错村零工"),
              posting_body(kind="gig", title="全县零工"),  # county-wide: the county's to publish
              posting_body(township=HOME[0], village=HOME[1], kind="gig", title="西岭零工")]
    reply = station.push([station.seal(body, kind="posting") for body in bodies])
    refused = rejections(reply)
    assert sorted(refused) == [1, 2, 3]
    assert {item["code"] for item in refused.values()} == {"POSTING_OUTSIDE_SCOPE"}
    assert all(item["final"] and "本站点" in item["message"] for item in refused.values())
    assert reply.json["accepted"] == [[4, 4]]
    assert [p.title for p in Posting.select()] == ["西岭零工"]


def test_a_station_recommends_postings_to_people_of_its_own_households_only(station, county):
    own_household, own_members = next(iter(households_of(county, HOME).items()))
    other_household, other_members = next(iter(households_of(county, OTHER).items()))
    posting_id = new_posting_id()
    today = date.today().isoformat()

    def recommendation(person: str, household: str) -> dict:
        return {"posting_id": posting_id, "person": person, "household": household, "date": today}

    records = [station.seal(recommendation(other_members[0]["id_number"], own_household), "recommendation"),
               station.seal(recommendation(other_members[0]["id_number"], other_household), "recommendation"),
               station.seal(recommendation(own_members[0]["id_number"], own_household), "recommendation")]
    reply = station.push(records)
    refused = rejections(reply)
    assert refused[1]["code"] == "PERSON_NOT_ASSIGNED" and refused[2]["code"] == "HOUSEHOLD_NOT_ASSIGNED"
    assert not FULL_ID.search(reply.get_data(as_text=True))  # the reply names the household, never the person
    assert reply.json["accepted"] == [[3, 3]]
    assert [r.id_number for r in Recommendation.select()] == [own_members[0]["id_number"]]
