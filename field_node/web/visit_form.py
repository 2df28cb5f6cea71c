"""The visit form: turning what a grid member entered into a visit body, with the checks made at entry.

Errors (DOMAIN.md I1 ID numbers, I6 impossible values, future dates) stop the save with a message next to
the field.  Warnings that may be true (income down sharply, months worked beyond the months elapsed) stop it
once: the grid member confirms each with a short reason, which goes into the record.  Last month's figures
are shown beside each field but never copied silently: a source is either entered or explicitly confirmed as
unchanged (``unchanged`` in the record), which is exactly the line DOMAIN.md P11 draws.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from field_node.store.models import Household, Member, Visit
from shared import free_text, idnumber, schemas
from shared.months import parse_month
from shared.schemas import ACK_STATUSES, CHANGE_TYPES, MAX_MONTHLY_YUAN, RISKS, VISIT_METHODS, WORK_PLACES
from shared.sealing import SEALED_SHAPE
from shared.vocabulary import ABLE_TO_WORK, LIVING, PROVINCES

SOURCES = ("wage", "business", "property", "transfer", "expenses")
CHANGE_ROWS = 3
NEEDS_NAME = ("birth", "new_member", "moved_in", "death", "moved_out")
NOT_WORKING = "none"  # the form's explicit choice for a labourer who does not work
MAX_SIGNATURE_BYTES = 300_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SEALED = re.compile(SEALED_SHAPE)


@dataclass
class Context:
    """What the form is about: the household, its members, last month's visit, the station's today."""

    household: Household
    members: list[Member]
    month: str
    today: date
    last: Visit | None = None
    last_body: dict[str, Any] | None = None
    drop_share: float = 0.3
    earlier: Visit | None = None  # this month's visit already recorded (DOMAIN.md I5), unless correcting it
    correcting: bool = False

    @property
    def labourers(self) -> list[Member]:
        return [m for m in self.members if is_labourer(m, self.month)]

    def last_job(self, member: Member) -> dict[str, Any] | None:
        for job in (self.last_body or {}).get("employment", []):
            if job["person"] == member.person_key:
                return job
        return None


def place_labels(region_word: str) -> dict[str, str]:
    """The work places as the county says them (shared.schemas.place_labels)."""
    return schemas.place_labels(region_word)


def age_in(birth_month: str | None, month: str) -> int | None:
    """Age in whole years in ``month`` (counted from the birth month: the station holds no birth day, DOMAIN.md
    §9); None when the roster has no birth date."""
    if not birth_month:
        return None
    (year, born), (now_year, now) = parse_month(birth_month[:7]), parse_month(month)
    return now_year - year - (now < born)


def is_labourer(member: Member, month: str) -> bool:
    """A living member of working age (16 and over, or of unknown age) with some labour ability."""
    age = age_in(member.birth_month, month)
    return member.status == LIVING and member.labour_ability in ABLE_TO_WORK and (age is None or age >= 16)


@dataclass
class Outcome:
    body: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)  # code -> message, still to confirm
    signature_png: bytes | None = None


def _whole_yuan(raw: str, name: str, errors: dict[str, str], high: int = MAX_MONTHLY_YUAN) -> int | None:
    text = raw.strip().replace(",", "").replace("，", "")
    if text.startswith("-") and text[1:].isdigit():
        errors[name] = _("Cannot be negative.")
        return None
    if not text.isdigit():
        errors[name] = _("Enter a whole number of yuan (0 if none).")
        return None
    value = int(text)
    if value > high:
        errors[name] = _("Too large: at most %(high)d. Check the figure.", high=high)
        return None
    return value


def parse(form: MultiDict, ctx: Context, author: str, visitor: str) -> Outcome:
    """Check the form and build the body; the caller saves it only when there are no errors or warnings."""
    out = Outcome()
    errors = out.errors
    body: dict[str, Any] = {"household": ctx.household.number, "month": ctx.month, "visitor": visitor,
                            "author": author}
    method = form.get("method", "")
    if method not in VISIT_METHODS:
        errors["method"] = _("Choose how the household was reached.")
    body["method"] = method
    body["date"] = _visit_date(form.get("date", ""), ctx, errors)
    everything_same = bool(form.get("all_unchanged"))
    unchanged: list[str] = []
    body["income"] = _income(form, ctx, everything_same, unchanged, errors)
    body["employment"] = _employment(form, ctx, everything_same, unchanged, errors)
    body["changes"] = _changes(form, ctx, errors)
    body["risks"] = [risk for risk in form.getlist("risks") if risk in RISKS]
    body["ack"], out.signature_png = _acknowledgement(form, method, errors)
    note = form.get("note", "").strip()
    if len(note) > 500:
        errors["note"] = _("At most 500 characters.")
    elif free_text.problem(note):  # a number in a note escapes every mask (shared/free_text.py)
        errors["note"] = free_text.problem(note) or ""
    if note:
        body["note"] = note
    if unchanged:
        body["unchanged"] = unchanged
    why = form.get("correction_reason", "").strip()[:200]
    if ctx.correcting and not why:
        errors["correction_reason"] = _("Say why this visit is corrected.")
    elif free_text.problem(why):
        errors["correction_reason"] = free_text.problem(why) or ""
    if errors:
        return out
    confirmed = _warnings(form, ctx, body, out)
    if ctx.correcting:  # the reason travels with the confirmed warnings (code "correction")
        confirmed.append({"code": "correction", "reason": why})
    if confirmed:
        body["warnings"] = confirmed
    if not out.warnings:
        out.body = body
    return out


def _visit_date(raw: str, ctx: Context, errors: dict[str, str]) -> str:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors["date"] = _("Enter the date of the visit (year-month-day).")
        return raw
    if day > ctx.today:
        errors["date"] = _("The date is in the future. Check the date (and the station's clock).")
    elif raw[:7] < ctx.month:
        errors["date"] = _("The visit cannot be before the month it reports.")
    return raw


def _income(form: MultiDict, ctx: Context, everything_same: bool, unchanged: list[str],
            errors: dict[str, str]) -> dict[str, int]:
    income = {}
    for source in SOURCES:
        name = f"income_{source}"
        raw = form.get(name, "").strip()
        same = everything_same or bool(form.get(f"unchanged_{source}"))
        if same:
            if ctx.last is None:
                errors[name] = _("There is no earlier visit to compare with: enter this month's amount.")
                continue
            previous = getattr(ctx.last, source)
            if raw and raw.replace(",", "") != str(previous):
                errors[name] = _("You marked it unchanged but entered a different amount: keep one of the two.")
                continue
            income[source] = previous
            unchanged.append(source)
        elif not raw:
            errors[name] = _("Enter this month's amount (0 if none), or confirm it is unchanged.")
        else:
            value = _whole_yuan(raw, name, errors)
            if value is not None:
                income[source] = value
    return income


def _employment(form: MultiDict, ctx: Context, everything_same: bool, unchanged: list[str],
                errors: dict[str, str]) -> list[dict[str, Any]]:
    same = everything_same or bool(form.get("unchanged_employment"))
    if same and ctx.last is None:
        errors["unchanged_employment"] = _("There is no earlier visit to compare with: enter each labourer's work.")
        return []
    jobs = []
    for member in ctx.labourers:
        job = _carried_job(ctx, member) if same else _entered_job(form, ctx, member, errors)
        if job:
            jobs.append(job)
    if same:
        unchanged.append("employment")
    return jobs


def _carried_job(ctx: Context, member: Member) -> dict[str, Any] | None:
    """Last month's work confirmed unchanged: same place and wage, one more month worked within the year."""
    job = ctx.last_job(member)
    if job is None:
        return None
    last = ctx.last
    year, number = parse_month(ctx.month)
    if last is None or parse_month(last.month)[0] != year:  # a new year starts the count again
        return {**job, "months": 1}
    return {**job, "months": min(job["months"] + (last.month < ctx.month), number)}


def _entered_job(form: MultiDict, ctx: Context, member: Member, errors: dict[str, str]) -> dict[str, Any] | None:
    prefix = f"emp_{member.id}_"
    place = form.get(prefix + "place")
    if place is None or place == NOT_WORKING:  # absent: a body posted by a script, which names jobs only
        return None
    if not place:  # the form's first choice: nobody said whether this labourer works
        errors[prefix + "place"] = _("Choose where they work, or \"not working\" if they do not work.")
        return None
    if place not in WORK_PLACES:
        errors[prefix + "place"] = _("Choose where they work.")
        return None
    job: dict[str, Any] = {"person": member.person_key, "place": place}
    province = form.get(prefix + "province", "").strip()
    if place == "outside" and not province:
        errors[prefix + "province"] = _("Enter the province worked in.")
    if province and province not in PROVINCES:
        errors[prefix + "province"] = _("Choose the province from the list.")
    elif province:
        job["province"] = province
    months = _whole_yuan(form.get(prefix + "months", ""), prefix + "months", errors, high=12)
    wage = _whole_yuan(form.get(prefix + "wage", ""), prefix + "wage", errors)
    if months is None or wage is None:
        return None
    if wage > 0 and months == 0:
        errors[prefix + "months"] = _("A wage was entered but no months worked: check both.")
    job.update(months=months, wage=wage)
    return job


def _changes(form: MultiDict, ctx: Context, errors: dict[str, str]) -> list[dict[str, Any]]:
    changes = []
    for index in range(CHANGE_ROWS):
        prefix = f"change_{index}_"
        kind = form.get(prefix + "type", "")
        if not kind:
            continue
        if kind not in CHANGE_TYPES:
            errors[prefix + "type"] = _("Choose the kind of change.")
            continue
        change: dict[str, Any] = {"type": kind}
        name = form.get(prefix + "name", "").strip()
        if kind in NEEDS_NAME and not name:
            errors[prefix + "name"] = _("Enter the person's name.")
        if name:
            change["name"] = name[:50]
        id_number = idnumber.normalise(form.get(prefix + "id_number", ""))
        if id_number:
            found = idnumber.problem(id_number)
            if found:
                errors[prefix + "id_number"] = _("This ID number is not valid: %(reason)s Check it against the "
                                                 "ID card or household register.", reason=found.message)
            change["id_number"] = id_number  # sealed to the hub's key when the record is saved (outbox/records.py)
        elif SEALED.match(form.get(prefix + "id_sealed", "")):
            change["id_sealed"] = form[prefix + "id_sealed"]  # a correction keeps the number sealed before
        when = form.get(prefix + "date", "")
        if when:
            try:
                if date.fromisoformat(when) > ctx.today:
                    errors[prefix + "date"] = _("The date is in the future.")
            except ValueError:
                errors[prefix + "date"] = _("Enter a date (year-month-day).")
            change["date"] = when
        changes.append(change)
    return changes


def _acknowledgement(form: MultiDict, method: str, errors: dict[str, str]) -> tuple[dict[str, Any], bytes | None]:
    status = form.get("ack_status", "")
    ack: dict[str, Any] = {"status": status}
    if status not in ACK_STATUSES:
        errors["ack_status"] = _("Record whether the household acknowledged the figures.")
        return ack, None
    by = form.get("ack_by", "").strip()
    if status != "not_reached":
        if not by:
            errors["ack_by"] = _("Who confirmed the figures?")
        ack["by"] = by[:50]
    png = None
    if method == "in_person" and status != "not_reached":
        png = _signature(form.get("signature", ""), errors)
        if png:
            ack["signature_sha256"] = hashlib.sha256(png).hexdigest()
    return ack, png


def _signature(data_url: str, errors: dict[str, str]) -> bytes | None:
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        errors["signature"] = _("At an in-person visit the household signs on the screen.")
        return None
    try:
        png = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        png = b""
    if not png.startswith(PNG_MAGIC) or len(png) > MAX_SIGNATURE_BYTES:
        errors["signature"] = _("The signature could not be read: clear it and sign again.")
        return None
    return png


def _warnings(form: MultiDict, ctx: Context, body: dict[str, Any], out: Outcome) -> list[dict[str, str]]:
    """Warnings raised by this entry; each confirmed one (with its reason) goes into the record."""
    raised = {}
    if ctx.earlier is not None:
        raised["second_visit"] = _("This household already has a visit for %(month)s (no. %(seq)d, %(date)s). If "
                                   "that one is wrong, correct it instead; confirm only a real second visit.",
                                   month=ctx.month, seq=ctx.earlier.seq, date=ctx.earlier.visit_date)
    if ctx.last is not None:
        before, now = ctx.last.net(), _net(body["income"])
        if before > 0 and now < before * (1 - ctx.drop_share):
            raised["income_drop"] = _("Net income this month (%(now)d yuan) is %(share)d%% below last month's "
                                      "(%(before)d yuan).", now=now, before=before,
                                      share=round(100 * (before - now) / before))
    jobs_wage = sum(job["wage"] for job in body["employment"])
    if jobs_wage > body["income"]["wage"]:
        raised["wage_below_jobs"] = _("The household's wage income (%(household)d yuan) is less than its labourers' "
                                      "wages this month (%(jobs)d yuan): check both.",
                                      household=body["income"]["wage"], jobs=jobs_wage)
    elapsed = parse_month(ctx.month)[1]
    if any(job["months"] > elapsed for job in body["employment"]):
        raised["months_beyond_elapsed"] = _("Months worked this year are more than the %(elapsed)d months "
                                            "elapsed.", elapsed=elapsed)
    confirmed = []
    for code, message in raised.items():
        reason = form.get(f"reason_{code}", "").strip()[:200]
        if form.get(f"confirm_{code}") and reason:
            confirmed.append({"code": code, "reason": reason})
        else:
            out.warnings[code] = message
    return confirmed


def _net(income: dict[str, int]) -> int:
    return sum(income[s] for s in SOURCES[:4]) - income["expenses"]


def values_of(body: dict[str, Any], ctx: Context) -> MultiDict:
    """Form values that show a signed body again (to correct it); the signature must be drawn anew."""
    values = MultiDict({"method": body["method"], "date": body["date"], "ack_status": body["ack"]["status"],
                        "ack_by": body["ack"].get("by", ""), "note": free_text.masked(body.get("note", ""))})
    for source in SOURCES:
        values[f"income_{source}"] = str(body["income"][source])
    by_id = {m.person_key: m.id for m in ctx.members}
    for member in ctx.labourers:  # a labourer without a job in the record was recorded as not working
        values[f"emp_{member.id}_place"] = NOT_WORKING
    for job in body.get("employment", []):
        if job["person"] in by_id:
            prefix = f"emp_{by_id[job['person']]}_"
            values.update({prefix + "place": job["place"], prefix + "province": job.get("province", ""),
                           prefix + "months": str(job["months"]), prefix + "wage": str(job["wage"])})
    for index, change in enumerate(body.get("changes", [])[:CHANGE_ROWS]):
        for key, value in change.items():
            values[f"change_{index}_{key}"] = value
    for risk in body.get("risks", []):
        values.add("risks", risk)
    return values
