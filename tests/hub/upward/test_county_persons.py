"""What a county stages for the city about persons and kept records (docs/upward.md), on both databases: the
roster and the month's transferred labourers by keyed hash only, sent as changes; a person gone from the roster
withdrawn; the station records that stay at the county sent by hash, so the station's chain stays whole."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devtools import synthetic
from hub.roster import sealing_keys
from hub.store.models import Person, Record, UpwardLink, UpwardPersonSent, UpwardRecord, VisitEmployment
from hub.upward import client
from hub.upward import county as upward
from shared.records import GENESIS_PREV, seal
from shared.upward import person_hash
from shared.vocabulary import MOVED_OUT
from tests.hub.upward.test_staging import _abort_inserts_at, _let_inserts_through
from tests.support import MONTH, VILLAGES, SimNode, households_of

REGION = bytes(range(1, 33))


def _seal(node: SimNode, body: dict[str, Any], version: int = 3) -> None:
    """Append a visit to the station's chain: format 3 names labourers by the county's person key, format 1 by
    ID number (an old station: the record stays at the county)."""
    if version == 3:
        body = {**body, "employment": [{**job, "person": sealing_keys.person_key(job["person"])}
                                       for job in body["employment"]]}
    prev = node.records[-1].hash if node.records else GENESIS_PREV
    node.records.append(seal(node.key, node.node_id, len(node.records) + 1, prev, "visit", body,
                             "2026-10-15T08:00:00Z", version))


@pytest.fixture
def station(app, client, county):
    """A station that pushed its village's visits — one signed in format 1, one the county refused — to a county
    enrolled at a city."""
    node = SimNode(app, client, "站点甲", VILLAGES[:1])
    bodies = [synthetic.visit_body(node.rnd, members, MONTH, "网格员")
              for members in households_of(county, VILLAGES[0]).values()]
    for number, body in enumerate(bodies, start=1):
        _seal(node, body, 1 if number == 2 else 3)
    _seal(node, {**bodies[0], "method": "carrier pigeon"})  # refused at the county
    assert node.push(node.records).status_code == 200
    UpwardLink.create(city_url="http://127.0.0.1:9", signer_id=4, public_key=b"k" * 32,
                      enrolled_at="2026-11-01 00:00:00")
    return node


def staged(kind: str, after: int = 0) -> list[dict[str, Any]]:
    query = UpwardRecord.select().where(UpwardRecord.kind == kind, UpwardRecord.seq > after).order_by(UpwardRecord.seq)
    return [json.loads(bytes(row.content))["body"] for row in query]


def last_seq() -> int:
    return UpwardRecord.select().count()


def test_records_kept_at_the_county_go_up_by_hash_and_the_chain_is_whole(station, tmp_path):
    upward.stage(tmp_path, REGION, [MONTH])
    held = {seq: (status, bytes(h)) for seq, status, h in
            Record.select(Record.seq, Record.status, Record.hash).where(Record.node == station.node_id).tuples()}
    forwarded = {body["seq"] for body in staged("station_record")}
    kept = {body["seq"]: body for body in staged("station_kept")}
    assert forwarded | set(kept) == set(held) and not forwarded & set(kept)
    last = max(held)
    assert set(kept) == {2, last} and held[last][0] == "rejected"
    assert kept[2]["reason"] == "plain" and kept[2]["hash"] == held[2][1].hex() and kept[2]["month"] == MONTH
    assert kept[2]["household"] and kept[last]["reason"] == "rejected" and "month" not in kept[last]
    upward.stage(tmp_path, REGION, [MONTH])
    assert len(staged("station_kept")) == 2  # staged once


def test_persons_and_transferred_labourers_go_up_by_keyed_hash_only_and_as_changes(station, county, tmp_path):
    upward.stage(tmp_path, REGION, [MONTH])
    roster = {person_hash(REGION, row["id_number"]): row["household_id"] for row in county if row["id_number"]}
    sent = {p["person"]: p["household"] for body in staged("county_persons") for p in body["persons"]}
    assert sent == roster
    working = {person_hash(REGION, n): place for n, place in
               VisitEmployment.select(VisitEmployment.id_number, VisitEmployment.place).tuples()}
    transferred = [body for body in staged("county_transferred")]
    assert working and [body["month"] for body in transferred] == [MONTH]
    assert {p["person"]: p["place"] for p in transferred[0]["persons"]} == working
    assert all(set(p) == {"person", "place"} for p in transferred[0]["persons"])  # no wage, no months worked
    readable = [row["id_number"] for row in county if row["id_number"]]
    for kind in ("county_persons", "county_transferred"):
        text = json.dumps(staged(kind))
        assert not any(number in text or number[:14] in text for number in readable)
    before = last_seq()
    upward.stage(tmp_path, REGION, [MONTH])
    assert staged("county_persons", before) == [] and staged("county_transferred", before) == []


def test_a_person_who_leaves_the_roster_is_withdrawn_and_one_who_returns_sent_again(station, county, tmp_path):
    upward.stage(tmp_path, REGION, [MONTH])
    leaver = next(row for row in county if row["id_number"])
    Person.update(status=MOVED_OUT).where(Person.id_number == leaver["id_number"]).execute()
    before = last_seq()
    upward.stage(tmp_path, REGION, [MONTH])
    assert staged("county_withdrawn", before) == [{"of": "roster", "persons": [person_hash(REGION,
                                                                                          leaver["id_number"])]}]
    assert staged("county_persons", before) == []
    Person.update(status="正常").where(Person.id_number == leaver["id_number"]).execute()
    back = last_seq()
    upward.stage(tmp_path, REGION, [MONTH])
    assert staged("county_persons", back) == [{"persons": [{"person": person_hash(REGION, leaver["id_number"]),
                                                            "household": leaver["household_id"]}]}]
    assert staged("county_withdrawn", back) == []


def test_a_labourer_no_longer_working_that_month_is_withdrawn_from_the_months_transferred(station, tmp_path):
    upward.stage(tmp_path, REGION, [MONTH])
    number = VisitEmployment.select(VisitEmployment.id_number).first().id_number
    VisitEmployment.delete().where(VisitEmployment.id_number == number).execute()  # a correction, in effect
    before = last_seq()
    upward.stage(tmp_path, REGION, [MONTH])
    assert staged("county_withdrawn", before) == [{"of": "transferred", "month": MONTH,
                                                   "persons": [person_hash(REGION, number)]}]


def _told() -> dict[str, dict[str, str]]:
    """What ``upward_person_sent`` says the city was told, by topic."""
    told: dict[str, dict[str, str]] = {}
    for row in UpwardPersonSent.select():
        told.setdefault(row.topic, {})[row.person] = row.value
    return told


def test_a_county_resumed_after_a_restore_resets_what_it_told_and_sends_its_whole_current_set(station, county,
                                                                                                tmp_path):
    """Restored from a backup older than what the city holds, the county has forgotten what it sent after the
    backup (``upward_person_sent`` came back with the database): once it resumes after the city's records it
    withdraws everything it said (a reset of the roster, and of every month's transferred labourers) and sends
    its whole current set after it, in one transaction with the rebuilt ``upward_person_sent`` — a staging killed
    in the middle loses and duplicates nothing — and only once."""
    upward.stage(tmp_path, REGION, [MONTH])
    current = _told()
    UpwardPersonSent.create(topic="transferred:2026-07", person="cd" * 32, value="county")  # an older month told
    UpwardPersonSent.create(topic="roster", person="ef" * 32, value="H0")  # gone since, never withdrawn
    marker = last_seq() + 5  # the city holds 5 more records of the county's than it does
    assert client.resume_after({"hwm": marker, "hwm_hash": "ab" * 32})
    held = last_seq()
    _abort_inserts_at(marker + 3)  # inside the persons' transaction: its reset of the transferred labourers
    with pytest.raises(Exception, match="killed"):
        upward.stage(tmp_path, REGION, [MONTH])
    _let_inserts_through()
    assert last_seq() == held and _told()["transferred:2026-07"] == {"cd" * 32: "county"}  # nothing committed
    upward.stage(tmp_path, REGION, [MONTH])
    kinds = [row.kind for row in UpwardRecord.select().where(UpwardRecord.seq > marker).order_by(UpwardRecord.seq)]
    assert kinds == ["county_withdrawn", "county_persons", "county_withdrawn", "county_transferred"]
    assert staged("county_withdrawn", marker) == [{"of": "roster", "all": True, "persons": []},
                                                  {"of": "transferred", "all": True, "persons": []}]
    assert {p["person"]: p["household"] for body in staged("county_persons", marker)
            for p in body["persons"]} == current["roster"]  # the whole roster, not only what changed
    assert {p["person"]: p["place"] for body in staged("county_transferred", marker)
            for p in body["persons"]} == current[f"transferred:{MONTH}"]
    assert _told() == current  # rebuilt: the older month (no one counted in it now) and the gone person forgotten
    done = last_seq()
    upward.stage(tmp_path, REGION, [MONTH])
    assert last_seq() == done  # the reset is made once per restore


def test_persons_are_compared_by_pages_with_what_was_told(station, county, tmp_path, monkeypatch):
    """Staged by pages of three (a million-member roster is compared page by page, memory bounded by a page):
    each record holds at most a page, the whole roster goes up once, a person gone is withdrawn, one changed is
    sent again, and nothing else."""
    monkeypatch.setattr(upward, "PERSONS_PAGE", 3)
    upward.stage(tmp_path, REGION, [MONTH])
    roster = {person_hash(REGION, row["id_number"]): row["household_id"] for row in county if row["id_number"]}
    bodies = staged("county_persons")
    assert len(roster) > 3 and all(len(body["persons"]) <= 3 for body in bodies)
    assert sorted(p["person"] for body in bodies for p in body["persons"]) == sorted(roster)
    numbered = [row for row in county if row["id_number"]]
    leaver = numbered[0]
    mover = next(row for row in numbered if row["household_id"] != leaver["household_id"])  # into leaver's household
    Person.update(status=MOVED_OUT).where(Person.id_number == leaver["id_number"]).execute()
    Person.update(household=Person.select(Person.household).where(Person.id_number == leaver["id_number"])) \
        .where(Person.id_number == mover["id_number"]).execute()
    before = last_seq()
    upward.stage(tmp_path, REGION, [MONTH])
    assert staged("county_withdrawn", before) == [{"of": "roster", "persons": [person_hash(REGION,
                                                                                          leaver["id_number"])]}]
    changed = [p for body in staged("county_persons", before) for p in body["persons"]]
    assert changed == [{"person": person_hash(REGION, mover["id_number"]), "household": leaver["household_id"]}]
    assert _told()["roster"] == upward.roster_hashes(REGION)
