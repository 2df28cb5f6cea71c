"""The county's job posting pages (Chinese): postings by kind, township and status; held postings to decide; a
posting with its sources and interests; a new posting (form or XLSX list); labourers short of recommendations."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from peewee import fn

from hub.postings import importer, store
from hub.roster import support_ledger
from hub.store.models import Household, Interest, Node, Person, Posting, Township, Village
from hub.sync import own_records
from hub.web import auth, board, scope
from shared.errors import ErrorCode, FieldsyncError, field_messages
from shared.idnumber import mask, mask_phone
from shared.postings import PAY_UNITS, POSTING_KINDS, POSTING_STATUSES, STATUS_LABELS, display_status, posting_form_body
from shared.rows import tuples
from shared.table_files import SUFFIXES
from shared.vocabulary import ABLE_TO_WORK, LIVING

bp = Blueprint("postings", __name__, url_prefix="/postings")
PAGE_SIZE = 100
FORM_FIELDS = ("kind", "employer", "title", "township", "village", "place", "pay", "pay_unit", "headcount",
               "period_start", "period_end", "requirements", "contact_name", "contact_phone", "valid_until")
STATUS_FILTERS = {**STATUS_LABELS, "held": "待审核（低于最低工资）"}


def _status_of(posting: Posting, today: str) -> str:
    if posting.held and posting.decision is None:
        return "held"
    if posting.held and posting.decision == store.REFUSED:
        return "withdrawn"
    return display_status(store.public_document(posting), date.fromisoformat(today))


@bp.route("/")
def listing() -> str:
    today = board.HubBoard().today().isoformat()
    chosen = {key: request.args.get(key, "") for key in ("kind", "township", "status")}
    query = Posting.select(Posting, Node.name).join(Node).where(Posting.superseded_by.is_null())
    if chosen["kind"] in POSTING_KINDS:
        query = query.where(Posting.kind == chosen["kind"])
    if chosen["township"]:
        query = query.where(Posting.township == chosen["township"])
    rows = [(posting, _status_of(posting, today)) for posting in query.order_by(Posting.id.desc())]
    counts: dict[str, int] = {}
    for _, status in rows:
        counts[status] = counts.get(status, 0) + 1
    if chosen["status"] in STATUS_FILTERS:
        rows = [row for row in rows if row[1] == chosen["status"]]
    interests = dict(tuples(store.Interest.select(store.Interest.posting_id, fn.COUNT(store.Interest.id))
                            .group_by(store.Interest.posting_id)))
    page = max(request.args.get("page", 1, type=int), 1)
    return render_template("postings/list.html", rows=rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE],
                           total=len(rows), page=page, page_size=PAGE_SIZE, chosen=chosen, counts=counts,
                           kinds=POSTING_KINDS, statuses=STATUS_FILTERS, units=PAY_UNITS, interests=interests,
                           townships=[t.name for t in Township.select().order_by(Township.position)])


@bp.route("/<posting_id>")
def detail(posting_id: str) -> str:
    posting = store.find_current(posting_id)
    if posting is None:
        abort(404)
    today = board.HubBoard().today().isoformat()
    interests = _visible_interests(posting)
    return render_template("postings/detail.html", posting=posting, status=_status_of(posting, today),
                           statuses=STATUS_FILTERS, kinds=POSTING_KINDS, units=PAY_UNITS,
                           sources=store.sources(posting) or [Node.get_by_id(posting.node_id).name],
                           signer=Node.get_by_id(posting.node_id).name, hub_name=own_records.HUB_NODE_NAME,
                           interests=interests, record_statuses=POSTING_STATUSES)


def _visible_interests(posting: Posting) -> list[dict[str, Any]]:
    """The applicants the caller may see: a township user sees those matched to a person of its township, and
    unmatched ones only on its own township's postings (a county posting's applicants come from everywhere)."""
    found = store.interests_of(posting.posting_id)
    people: dict[int | None, Person]  # looked up by an interest's person, which may be None
    people = {p.id: p for p in Person.select(Person, Household, Village).join(Household).join(Village)
              .where(Person.id.in_([i.person_id for i in found if i.person_id]))}
    own = scope.visible_township_id()
    own_name = Township.get_by_id(own).name if own is not None else None

    def visible(interest: Interest) -> bool:
        if own is None:
            return True
        if interest.person_id in people:
            return people[interest.person_id].household.village.township_id == own
        return posting.township is not None and posting.township == own_name

    return [{"interest": i, "phone": mask_phone(i.phone), "person": people.get(i.person_id),
             "id_masked": mask(people[i.person_id].id_number) if i.person_id in people else ""}
            for i in found if visible(i)]


@bp.route("/<posting_id>/interests/<int:interest_id>/confirm", methods=["POST"])
def confirm_interest(posting_id: str, interest_id: int) -> Any:
    """Confirm a lead from the public page as a roster person: its suggested match, or the member of the household
    typed in the form with the applicant's name.  Only then does it count toward their three a quarter."""
    interest = Interest.get_or_none(Interest.id == interest_id, Interest.posting_id == posting_id)
    if interest is None:
        abort(404)
    person = _lead_person(interest, request.form.get("household", "").strip())
    township_id = person.household.village.township_id
    scope.require_township(township_id, "确认其他乡镇人员的报名", f"posting:{posting_id}")
    auth.require(auth.principal().can_answer(township_id), "确认报名线索", f"posting:{posting_id}")
    store.confirm_interest(auth.principal().actor, interest, person)
    return redirect(url_for("postings.detail", posting_id=posting_id))


def _lead_person(interest: Interest, household: str) -> Person:
    query = Person.select(Person, Household, Village).join(Household).join(Village)
    if household:
        found = query.where(Household.number == household, Person.name == interest.name).first()
        if found is None:
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"户“{household}”里没有名叫报名人的成员，请核对户编号。",
                                 {"fields": {"household": ["该户没有这个人。"]}})
        return found
    found = query.where(Person.id == interest.person_id).first() if interest.person_id else None
    if found is None:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "这条报名没有匹配到花名册人员：请填写报名人的户编号后再确认。",
                             {"fields": {"household": ["必填。"]}})
    return found


@bp.route("/<posting_id>/decision", methods=["POST"])
def decision(posting_id: str) -> Any:
    auth.require(auth.principal().can_write_county, "审核岗位", f"posting:{posting_id}")
    store.decide(posting_id, request.form.get("decision", ""))
    return redirect(url_for("postings.detail", posting_id=posting_id))


@bp.route("/<posting_id>/status", methods=["POST"])
def change_status(posting_id: str) -> Any:
    """A new version of a posting the county made: filled or withdrawn (a station changes its own)."""
    auth.require(auth.principal().can_write_county, "修改岗位", f"posting:{posting_id}")
    posting = store.find_current(posting_id)
    if posting is None or Node.get_by_id(posting.node_id).name != own_records.HUB_NODE_NAME:
        abort(404)
    status = request.form.get("status", "")
    body = {key: value for key, value in store.public_document(posting).items() if value is not None}
    body.update(status=status, replaces=bytes(posting.record.hash).hex())
    own_records.sign("posting", body)
    return redirect(url_for("postings.detail", posting_id=posting_id))


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    auth.require(auth.principal().can_write_county, "发布岗位")
    if request.method == "GET":
        return _form({}, {})
    values, body, errors = posting_form_body(request.form, FORM_FIELDS)
    if not errors:
        try:
            own_records.sign("posting", body)
        except FieldsyncError as error:
            errors = field_messages(error.details.get("fields", {}))
    if errors:
        return _form(values, errors, 422)
    return redirect(url_for("postings.detail", posting_id=body["posting_id"]))


def _form(values: dict[str, str], errors: dict[str, str], status: int = 200, report: Any = None) -> Any:
    return render_template("postings/new.html", values=values, errors=errors, kinds=POSTING_KINDS,
                           units=PAY_UNITS, report=report, columns=importer.POSTING_COLUMNS,
                           townships=[t.name for t in Township.select().order_by(Township.position)]), status


@bp.route("/import", methods=["POST"])
def import_list() -> Any:
    auth.require(auth.principal().can_write_county, "导入岗位表")
    upload = request.files.get("file")
    suffix = Path(upload.filename or "").suffix.lower() if upload else ""
    if upload is None or suffix not in SUFFIXES:
        return _form({}, {"file": "请选择 .xlsx、.xls、.ods 或 .csv 文件。"}, 422)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"list{suffix}"
        upload.save(path)
        try:
            report = importer.import_postings(path, own_records.sign)
        except FieldsyncError as error:
            return _form({}, {"file": error.message}, 422)
    return _form({}, {}, report=report)


@bp.route("/labourers")
def labourers() -> str:
    """Working-age labourers of poverty-alleviated and monitored households with fewer than three
    recommendations (postings they registered interest in) this quarter (001 §8)."""
    today = board.HubBoard().today()
    since = store.quarter_began(today)
    counts = store.recommendations_per_person(since)
    township = scope.township_choice(request.args.get("township", ""), "postings:labourers")
    query = (Person.select(Person, Household, Village, Township).join(Household).join(Village).join(Township)
             .where(Person.status == LIVING, Person.labour_ability.in_(ABLE_TO_WORK),
                    Household.household_type.in_(("脱贫户", "监测户")))
             .order_by(Township.position, Village.name, Household.number))
    if township:
        query = query.where(Township.name == township)
    short = [(person, counts.get(person.id, 0)) for person in query if counts.get(person.id, 0) < 3]
    page = max(request.args.get("page", 1, type=int), 1)
    return render_template("postings/labourers.html", rows=short[(page - 1) * PAGE_SIZE:page * PAGE_SIZE],
                           total=len(short), page=page, page_size=PAGE_SIZE, since=since, mask=mask,
                           township=township, townships=scope.visible_townships())


@bp.route("/labourers/<int:person_id>")
def labourer(person_id: int) -> str:
    """A labourer's employment-support ledger from postings: recommendations and interest, with dates."""
    person = Person.get_or_none(Person.id == person_id)
    if person is None:
        abort(404)
    scope.require_person(person, f"labourer:{person_id}")
    today = board.HubBoard().today()
    since, ledger = store.quarter_began(today), support_ledger.Ledger.of_year(today.isoformat()[:7])
    who = auth.principal()
    return render_template("postings/labourer.html", person=person, masked=mask(person.id_number),
                           entries=store.ledger(person_id), since=since,
                           this_quarter=store.recommendations_per_person(since).get(person_id, 0),
                           year=today.year, counts=ledger.of(person.id_number), settings=ledger.settings,
                           complete=ledger.complete(person.id_number), actions=support_ledger.ACTIONS,
                           units=support_ledger.UNITS, recorded=support_ledger.entries(person.id_number),
                           today=today.isoformat(),
                           may_record=who.kind == "user" and who.can_answer(person.household.village.township_id))


@bp.route("/labourers/<int:person_id>/support", methods=["POST"])
def record_support(person_id: int) -> Any:
    """Record one "251" support action for a labourer (职业指导, 技能培训, or a post recommended outside
    fieldsync): a township user for its own township, county staff for any; audited on the household."""
    person = Person.get_or_none(Person.id == person_id)
    if person is None:
        abort(404)
    scope.require_person(person, f"labourer:{person_id}")
    who = auth.principal()
    auth.require(who.kind == "user" and who.can_answer(person.household.village.township_id),
                 "记录“251”就业帮扶台账", f"labourer:{person_id}")
    support_ledger.record_action(who.actor, person, request.form.get("action", ""),
                                 request.form.get("action_date", ""), request.form.get("note", ""),
                                 board.HubBoard().today())
    return redirect(url_for("postings.labourer", person_id=person_id))
