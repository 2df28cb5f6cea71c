"""Job postings at the hub: projecting posting and interest records, the current version of each posting, the
county's decision on postings held for low pay, and what each station receives.

A posting's versions share its ``posting_id`` and its signer: a new version from the same signer supersedes the
current one; an id already used by another signer is never published.  Pay below the county's minimum wage
(DOMAIN.md §5, county parameters) holds a posting until the county approves or refuses it.  The same job posted
twice is put in one group (``hub/postings/dedupe.py``) and shown once, with its sources.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hub import audit
from hub.county.clock import utcnow
from hub.county.parameters import parameters
from hub.postings.dedupe import SAME_MIN, PostingFeatures, posting_features, similarity
from hub.store.db import insert_rows, write_transaction
from hub.store.models import Interest, Node, Person, Posting, PostingClock, Recommendation, next_change_seq
from shared.errors import ErrorCode, FieldsyncError
from shared.months import month_of, quarter_start
from shared.postings import below_minimum_wage
from shared.rows import tuples

APPROVED, REFUSED = "approved", "refused"
PUBLIC_FIELDS = ("posting_id", "kind", "employer", "title", "township", "village", "place", "pay", "pay_unit",
                 "headcount", "period_start", "period_end", "requirements", "contact_name", "contact_phone",
                 "valid_until", "status")


def minimum_wages() -> dict[str, int]:
    """The county's minimum pay per unit, from its parameters (`fieldsync-hub rule-setting`)."""
    values = parameters()
    return {"month": values["i6_min_wage"], "day": values["posting_min_wage_day"],
            "hour": values["posting_min_wage_hour"]}


def project_postings(stored: list, now: str) -> None:  # list[projections.Stored]
    minimums = minimum_wages()
    for item in stored:
        body = item.body
        features = posting_features(body)
        blocks = sorted(features.blocks) * 2
        current = find_current(body["posting_id"])
        foreign = current is not None and current.node_id != item.node_id
        row = {field: body.get(field) for field in PUBLIC_FIELDS}
        row["status"] = body.get("status", "open")
        row.update(record=item.record_id, node=item.node_id, block_a=blocks[0], block_b=blocks[1],
                   held=foreign or below_minimum_wage(body["pay"], body["pay_unit"], minimums),
                   decision=REFUSED if foreign else (current.decision if current and _same_pay(current, body)
                                                     else None),
                   change_seq=next_change_seq(PostingClock), received_at=now)
        new_id = insert_rows(Posting, [row], returning=("id",))[0][0]
        if current is not None and not foreign:
            Posting.update(superseded_by=new_id).where(Posting.id == current.id).execute()
        Posting.update(group_id=_group_of(new_id, body, features, blocks)).where(Posting.id == new_id).execute()


def _same_pay(current: Posting, body: dict[str, Any]) -> bool:
    return current.pay == body["pay"] and current.pay_unit == body["pay_unit"]


def find_current(posting_id: str) -> Posting | None:
    """The current version of a posting, published or not."""
    return (Posting.select().where(Posting.posting_id == posting_id, Posting.superseded_by.is_null())
            .order_by(Posting.id).first())


def _group_of(posting_row: int, body: dict[str, Any], features: PostingFeatures, blocks: list[str]) -> int:
    """The group of the first current posting (of another posting id) that is the same job, else its own.
    The new posting's features (its pinyin) are worked out once, not once per candidate."""
    candidates = (Posting.select().where(Posting.superseded_by.is_null(), Posting.id != posting_row,
                                         Posting.posting_id != body["posting_id"], Posting.kind == body["kind"],
                                         Posting.block_a.in_(blocks) | Posting.block_b.in_(blocks))
                  .order_by(Posting.id))
    for candidate in candidates:
        if similarity(features, posting_features(public_document(candidate))) >= SAME_MIN:
            return candidate.group_id or candidate.id
    return posting_row


def project_interests(stored: list, now: str) -> None:  # list[projections.Stored]
    rows = []
    for item in stored:
        body = item.body
        rows.append({"record": item.record_id, "node": item.node_id, "posting_id": body["posting_id"],
                     "name": body["name"], "phone": body["phone"], "village": body["village"],
                     "id_number": body.get("id_number"), "interest_date": body["date"], "channel": body["channel"],
                     "person": match_person(body), "received_at": now})
    insert_rows(Interest, rows)


def project_recommendations(stored: list, now: str) -> None:  # list[projections.Stored]
    people = dict(tuples(Person.select(Person.id_number, Person.id).where(
        Person.id_number.in_([item.body["person"] for item in stored]))))
    insert_rows(Recommendation, [
        {"record": item.record_id, "node": item.node_id, "posting_id": item.body["posting_id"],
         "person": people.get(item.body["person"]), "id_number": item.body["person"],
         "recommended_on": item.body["date"], "note": item.body.get("note"), "received_at": now}
        for item in stored])


def match_person(body: dict[str, Any]) -> int | None:
    """The roster person: by ID number when given, else by name and phone, else by name alone if unique."""
    if body.get("id_number"):
        found = Person.select(Person.id).where(Person.id_number == body["id_number"]).first()
        if found:
            return found.id
    by_phone = Person.select(Person.id).where(Person.name == body["name"], Person.phone == body["phone"]).first()
    if by_phone:
        return by_phone.id
    named = list(Person.select(Person.id).where(Person.name == body["name"]).limit(2))
    return named[0].id if len(named) == 1 else None


def public_document(posting: Posting) -> dict[str, Any]:
    return {field: getattr(posting, field) for field in PUBLIC_FIELDS}


def published() -> Any:
    """Current postings the public may see: not held, or approved by the county."""
    return Posting.select().where(Posting.superseded_by.is_null(),
                                  (Posting.held == False) | (Posting.decision == APPROVED))  # noqa: E712


def find_public(posting_id: str) -> Posting | None:
    return published().where(Posting.posting_id == posting_id).first()


def sources(posting: Posting) -> list[str]:
    """Who posted this job: the signer of each current posting in its group."""
    group = posting.group_id or posting.id
    query = (published().select(Node.name).join(Node, on=(Node.id == Posting.node))
             .where((Posting.group_id == group) | (Posting.id == group)).distinct())
    return sorted(name for (name,) in tuples(query))


def decide(posting_id: str, decision: str) -> Posting:
    """The county's decision on a held posting: approved (published) or refused (never shown)."""
    if decision not in (APPROVED, REFUSED):
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "决定只能是“同意发布”或“不予发布”。")
    posting = find_current(posting_id)
    if posting is None or not posting.held:
        raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, "没有这条待审核的岗位。")
    with write_transaction():
        (Posting.update(decision=decision, change_seq=next_change_seq(PostingClock))
         .where(Posting.id == posting.id).execute())
    return Posting.get_by_id(posting.id)


def changes_for_node(node: Node, township_names: list[str], cursor: int, limit: int) -> dict[str, Any]:
    """Postings a station should hold, changed after ``cursor``: county-wide ones and its townships' ones.
    Each comes with ``published``: false means the station drops it (superseded by a refusal, say)."""
    query = (Posting.select().where(Posting.change_seq > cursor, Posting.superseded_by.is_null(),
                                    Posting.township.is_null() | Posting.township.in_(township_names))
             .order_by(Posting.change_seq).limit(limit + 1))
    rows = list(query)
    more = len(rows) > limit
    rows = rows[:limit]
    names = dict(tuples(Node.select(Node.id, Node.name)))
    return {"postings": [{**public_document(row), "published": not row.held or row.decision == APPROVED,
                          "source": names.get(row.node_id, ""), "group": _group_posting_id(row)} for row in rows],
            "cursor": rows[-1].change_seq if rows else cursor, "more": more, "minimum_wages": minimum_wages()}


def _group_posting_id(row: Posting) -> str:
    if not row.group_id or row.group_id == row.id:
        return row.posting_id
    return Posting.get_by_id(row.group_id).posting_id


def interests_of(posting_id: str) -> list[Interest]:
    return list(Interest.select().where(Interest.posting_id == posting_id).order_by(Interest.id))


def quarter_began(today: date) -> str:
    """The first day of ``today``'s quarter, YYYY-MM-DD: recommendations count per quarter (001 §8)."""
    return f"{quarter_start(month_of(today))}-01"


def recommendations_per_person(since: str) -> dict[int, int]:
    """Roster person -> distinct postings recommended to them or that they registered interest in, since
    ``since``: each counts once toward the three-per-labourer aim (001 §8).  Interest from the public page counts
    only once confirmed: anyone can type a labourer's name into it (issue 12)."""
    pairs = set(tuples(Interest.select(Interest.person, Interest.posting_id)
                       .where(Interest.person.is_null(False), Interest.confirmed_at.is_null(False),
                       Interest.interest_date >= since)))
    pairs |= set(tuples(Recommendation.select(Recommendation.person, Recommendation.posting_id)
                        .where(Recommendation.person.is_null(False), Recommendation.recommended_on >= since)))
    counts: dict[int, int] = {}
    for person, _ in pairs:
        counts[person] = counts.get(person, 0) + 1
    return counts


def ledger(person_id: int) -> list[dict[str, Any]]:
    """A labourer's employment-support ledger from postings: each recommendation and interest, newest first."""
    titles = dict(tuples(Posting.select(Posting.posting_id, Posting.title).where(Posting.superseded_by.is_null())))
    names = dict(tuples(Node.select(Node.id, Node.name)))
    entries = [{"date": r.recommended_on, "what": "推荐岗位", "posting_id": r.posting_id,
                "title": titles.get(r.posting_id, ""), "by": names.get(r.node_id, ""), "note": r.note or ""}
               for r in Recommendation.select().where(Recommendation.person == person_id)]
    entries += [{"date": i.interest_date, "what": "报名" if i.confirmed_at else "报名线索（待确认，不计入）",
                 "posting_id": i.posting_id, "title": titles.get(i.posting_id, ""), "by": names.get(i.node_id, ""),
                 "note": f"{i.confirmed_by} 确认" if i.confirmed_at else ""}
                for i in Interest.select().where(Interest.person == person_id)]
    return sorted(entries, key=lambda entry: entry["date"], reverse=True)


def confirm_interest(actor: str, interest: Interest, person: Person) -> None:
    """A county or township user confirms that a lead from the public page is ``person`` (they called them back,
    say): from now on it counts for them.  Audited; the caller has checked the person is in its scope."""
    with write_transaction():
        Interest.update(person=person.id, confirmed_by=actor[:80], confirmed_at=utcnow()).where(
            Interest.id == interest.id).execute()
        audit.record(actor, "interest.confirm", f"posting:{interest.posting_id}",
                     {"interest": interest.id, "person": interest.person_id},
                     {"interest": interest.id, "person": person.id}, "报名线索确认为花名册人员")
