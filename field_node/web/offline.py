"""The offline station app (issue 14): what a grid member's phone keeps to record visits away from the station.

Pages (``bp``): the service worker ``/sw.js`` (a static file; its version line is the hash of the app's files),
the web app manifest, the app shell ``/offline`` (no personal data: it draws from the phone's IndexedDB), and
``/offline/start``, where a signed-in grid member taps 离线使用.  The phone's API (``api``, under ``/api/phone/``,
CSRF-exempt: it is authenticated by the offline session token in a header, never by a cookie): the bundle of the
account's own villages, the upload of visits (each stored once, by the phone's id), and their states.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from field_node.outbox import drafts, phones
from field_node.roster import visits
from field_node.store.models import Coverage, Household, Member, Record, Visit
from field_node.store.state import get_state
from field_node.web import scope, visit_form
from field_node.web.households import this_month
from field_node.web.visit_views import context, corrected_visit
from shared.errors import ErrorCode, FieldsyncError, field_messages
from shared.months import is_month, previous_month
from shared.rows import tuples
from shared.schemas import CHANGE_TYPES
from shared.vocabulary import HEAD, PROVINCES

bp = Blueprint("offline", __name__)
api = Blueprint("phone_api", __name__, url_prefix="/api/phone")
STATIC = Path(__file__).parent / "static"
APP_FILES = ("offline.js", "phone_checks.js", "readings.txt", "offline.css", "app.css", "sw.js", "station.js",
             "manifest.webmanifest")
TOKEN_HEADER = "X-Fieldsync-Phone"
BUNDLE_LENGTH_HEADER = "X-Bundle-Length"  # the bundle's size before gzip: the phone's download percentage
CLIENT_ID = re.compile(r"^[0-9a-f]{32}$")
STATUS_NAMES = {2: visits.VISITED, 1: visits.CONTACTED}
CORRECTED_GONE = "要更正的那次走访已经被更正过，或不是这户的记录：请回户况页，选最新的一次再更正。"
RECENT_VISITS = 3  # the last visits the phone's household page shows


@cache
def _files_hash() -> str:
    digest = hashlib.sha256()
    for name in APP_FILES:
        digest.update((STATIC / name).read_bytes())
    return digest.hexdigest()[:12]


def app_version() -> str:
    """The offline app's version: a new one makes phones fetch the app again (queued visits stay)."""
    build = current_app.config["NODE"].settings["APP_BUILD"]
    return _files_hash() + (f"-{build}" if build else "")


@bp.route("/sw.js")
def service_worker() -> Response:
    text = (STATIC / "sw.js").read_text(encoding="utf-8").replace("__VERSION__", app_version())
    response = Response(text, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/manifest.webmanifest")
def manifest() -> Response:
    return Response((STATIC / "manifest.webmanifest").read_bytes(), mimetype="application/manifest+json")


@bp.route("/offline")
def shell() -> Any:
    """The app shell the service worker keeps: it holds no personal data and needs no sign-in to open."""
    return render_template("offline.html", version=app_version())


@bp.route("/offline/start", methods=["POST"])
def start() -> Any:
    """离线使用: a new offline session for the signed-in account, and its bundle (the phone stores both)."""
    if not current_user.is_authenticated:
        raise FieldsyncError(ErrorCode.OFFLINE_SESSION_INVALID)
    days = current_app.config["NODE"].settings["OFFLINE_DAYS"]
    token, expires = phones.start(current_user.username, days)
    return jsonify(token=token, expires=expires, days=days, user=current_user.username,
                   name=current_user.display_name, version=app_version())


def _phone_account() -> Any:
    account = phones.account_of(request.headers.get(TOKEN_HEADER, ""))
    g.scope_villages = scope.villages_of(account.username)  # the account's villages, as every view checks
    return account


@api.route("/bundle")
def bundle() -> Any:
    """The account's own villages, as a visit needs them: households, members (no ID number: the station holds
    none), this month's status and the last visit's figures."""
    account = _phone_account()
    month = this_month()
    households = list(Household.select().where(scope.condition()).order_by(Household.number))
    numbers = [h.number for h in households]
    members: dict[str, list[Member]] = {}
    for member in Member.select().where(Member.household.in_(numbers)).order_by(Member.id):
        members.setdefault(member.household_id, []).append(member)
    status: dict[str, int] = dict(tuples(Coverage.select(Coverage.household, Coverage.status)
                                         .where(Coverage.month == month, Coverage.household.in_(numbers))))
    recent = _recent_visits(numbers)
    rows = [_household(h, members.get(h.number, []), month, status.get(h.number, 0), recent.get(h.number, []))
            for h in households]
    reply = jsonify(month=month, user=account.username, name=account.display_name, households=rows,
                    provinces=PROVINCES, change_types=list(CHANGE_TYPES.items()), seal_key=get_state("hub_seal_key"),
                    places=list(visit_form.place_labels(current_app.config["NODE"].settings["REGION_WORD"]).items()),
                    version=app_version())
    # The size before gzip (compression.py): what the phone's download counts its percentage against.
    reply.headers[BUNDLE_LENGTH_HEADER] = str(len(reply.get_data()))
    return reply


def _recent_visits(numbers: list[str]) -> dict[str, list[Visit]]:
    """Each household's last visits at this station, newest first (corrected and refused ones included)."""
    found: dict[str, list[Visit]] = {}
    query = (Visit.select(Visit, Record.status).join(Record, on=(Record.seq == Visit.seq))
             .where(Visit.household.in_(numbers)).order_by(Visit.month.desc(), Visit.seq.desc()).objects())
    for visit in query:
        kept = found.setdefault(visit.household, [])
        if len(kept) < RECENT_VISITS:
            kept.append(visit)
    return found


def _visit_state(visit: Visit) -> str:
    if visit.superseded_by is not None:
        return "corrected"
    return phones.state_of(getattr(visit, "status", ""))  # the record's status, joined in by _recent_visits


def _visit_summary(visit: Visit, ctx: visit_form.Context, correctable: tuple[str, ...]) -> dict[str, Any]:
    """A visit as the phone's household page lists it; one it may correct carries the form's values (any ID
    number in them sealed, as the station holds it)."""
    summary: dict[str, Any] = {"seq": visit.seq, "month": visit.month, "date": visit.visit_date,
                               "method": visit.method, "net": visit.net(), "state": _visit_state(visit)}
    if visit.superseded_by is None and visit.month in correctable:
        values = visit_form.values_of(visits.body_of(visit.seq), ctx)
        summary["values"] = {key: values.getlist(key) for key in values}
    return summary


def _household(household: Household, members: list[Member], month: str, status: int,
               recent: list[Visit]) -> dict[str, Any]:
    head = next((m.name for m in members if m.relation == HEAD), "")
    last = visits.latest(household.number, before=month)
    ctx = visit_form.Context(household, members, month, date.today(), last,
                             visits.body_of(last.seq) if last else None)
    return {
        "number": household.number, "village": f"{household.township}{household.village}", "head": head,
        "status": STATUS_NAMES.get(status, visits.NOT_YET), "keys": " ".join(m.search for m in members),
        "members": [{"id": m.id, "name": m.name, "relation": m.relation, "status": m.status, "gender": m.gender,
                     "age": visit_form.age_in(m.birth_month, month), "labour": m.labour_ability,
                     "labourer": visit_form.is_labourer(m, month)} for m in members],
        "visits": [_visit_summary(v, ctx, (month, previous_month(month))) for v in recent],
        "last": None if last is None else {
            "month": last.month, "date": last.visit_date, "method": last.method,
            "income": {source: getattr(last, source) for source in visit_form.SOURCES},
            "jobs": {str(m.id): ctx.last_job(m) for m in ctx.labourers if ctx.last_job(m)}},
    }


@api.route("/visits", methods=["POST"])
def upload() -> Any:
    """One visit from the phone: checked as at the station, signed, stored once by the phone's id."""
    account = _phone_account()
    sent = request.get_json(silent=True) or {}
    client_id, number = str(sent.get("id", "")), str(sent.get("household", ""))
    if not CLIENT_ID.match(client_id):
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, details={"id": ["手机上的记录编号不对。"]})
    if phones.stored(client_id) is not None:
        return _stored_already(client_id)
    scope.household_or_404(number)
    corrected = corrected_visit(number, sent["correct"]) if sent.get("correct") else None
    if sent.get("correct") and corrected is None:
        return _refused(client_id, {"correct": CORRECTED_GONE}, {})
    ctx = context(number, corrected.month if corrected else _month(sent.get("month")),
                  correcting=corrected is not None)
    outcome = visit_form.parse(_form_of(sent), ctx, account.username, account.display_name)
    if outcome.body is None:  # the same visit may have been stored by a copy sent meanwhile ("a second visit")
        return _stored_already(client_id) if phones.stored(client_id) is not None else \
            _refused(client_id, outcome.errors, outcome.warnings)
    body = outcome.body
    if corrected:
        body["corrects"] = visits.record_hash(corrected.seq)
    body["captured"] = {"on": "phone", "id": client_id, "phone_time": str(sent.get("phone_time", ""))[:40]}
    opened = current_app.config["NODE"]
    seq, problems = phones.store_once(client_id, account.username, lambda: drafts.save_visit(
        opened.key(), opened.node_id, number, account.username, body, outcome.signature_png))
    if problems:
        return _refused(client_id, field_messages(problems[0].details), {})
    return jsonify(id=client_id, seq=seq, state=phones.AT_STATION, again=False)


def _form_of(sent: dict[str, Any]) -> MultiDict:
    """The phone's fields as the station form's: each name with its list of values."""
    fields: dict[str, Any] = sent["fields"] if isinstance(sent.get("fields"), dict) else {}
    return MultiDict([(str(k), str(v)) for k, values in fields.items()
                      for v in (values if isinstance(values, list) else [values])])


def _stored_already(client_id: str) -> Any:
    return jsonify(id=client_id, seq=phones.stored(client_id), state=phones.AT_STATION, again=True)


def _refused(client_id: str, errors: dict[str, str], warnings: dict[str, str]) -> Any:
    """A visit the station's checks refuse, with their Chinese words for the phone to show beside the fields."""
    return jsonify(id=client_id, state="refused", errors=errors, warnings=warnings), 422


def _month(sent: Any) -> str:
    """The month the phone recorded the visit for: this month or the last (a morning's visits brought back
    after the month changed), else this month."""
    month = this_month()
    return str(sent) if is_month(str(sent)) and str(sent) in (month, previous_month(month)) else month


@api.route("/states", methods=["POST"])
def states() -> Any:
    _phone_account()
    ids = [str(i) for i in (request.get_json(silent=True) or {}).get("ids", []) if CLIENT_ID.match(str(i))]
    return jsonify(states=phones.states(ids))


@api.route("/end", methods=["POST"])
def end() -> Any:
    """Sign-out in the offline app: the account's offline sessions end (the phone clears its own data)."""
    account = _phone_account()
    phones.end_all(account.username)
    return jsonify(ended=True)


def init_app(app: Any, csrf: Any) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(api)
    csrf.exempt(api)
