"""The public job pages, served alike by the hub (to phones with mobile data) and by a station's node (to phones on
its Wi-Fi, from its synced copy): a posting's page, its QR code, a printable poster, the job board, and the
"我想报名" form.  No sign-in; nothing personal on any page, in any URL or in any QR code (DOMAIN.md §9).

Each app passes a ``Board``: where postings come from and how an interest is signed (by the hub's key or the
node's).  The interest form has a CSRF token (the app's CSRFProtect) and a rate limit per address.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from flask import Blueprint, Response, abort, render_template, request

from shared import idnumber
from shared.errors import field_messages
from shared.kinds import body_errors
from shared.posting_qr import posting_url, qr_svg
from shared.postings import PAY_UNITS, POSTING_KINDS, STATUS_LABELS
from shared.web_security import RateLimiter

POSTER_SIZES = ("A4", "A5")
INTEREST_FIELDS = ("name", "phone", "village", "id_number")


class Board(Protocol):
    channel: str  # "hub" or "node": where interest is registered

    def find(self, posting_id: str) -> dict[str, Any] | None:
        """A published posting's public fields, its ``display_status`` and ``sources``, or None."""

    def open_postings(self) -> list[dict[str, Any]]: ...

    def register_interest(self, body: dict[str, Any]) -> None:
        """Sign and store an interest body (already valid)."""

    def jobs_url(self) -> str:
        """The base URL printed in QR codes (the same on the hub's and the stations' posters)."""

    def today(self) -> date: ...


def blueprint(board: Callable[[], Board], limiter: RateLimiter, rate: Callable[[], str]) -> Blueprint:
    """The public job pages over the app's ``Board``; ``rate`` gives the interest form's limit ("5/minute")."""
    bp = Blueprint("jobs", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/jobs-static")

    def posting_or_404(posting_id: str) -> dict[str, Any]:
        if len(posting_id) != 32:
            abort(404)
        found = board().find(posting_id)
        if found is None:
            abort(404)
        return found

    def page(posting: dict[str, Any], **extra: Any) -> str:
        return render_template("jobs/job.html", posting=posting, kinds=POSTING_KINDS, units=PAY_UNITS,
                               statuses=STATUS_LABELS, **extra)

    @bp.route("/j/<posting_id>")
    def job(posting_id: str) -> Any:
        return page(posting_or_404(posting_id), values={}, errors={}, done=False)

    @bp.route("/j/<posting_id>/interest", methods=["POST"])
    @limiter.limit(rate, methods=["POST"])
    def interest(posting_id: str) -> Any:
        posting = posting_or_404(posting_id)
        if posting["display_status"] != "open":
            return page(posting, values={}, errors={"_": "这个岗位已不再招聘，请看看其他岗位。"}, done=False), 409
        values = {name: request.form.get(name, "").strip() for name in INTEREST_FIELDS}
        values["id_number"] = idnumber.normalise(values["id_number"])
        errors = register_interest(posting_id, values, board())
        if errors:
            values.pop("id_number")  # never sent back to the page
            return page(posting, values=values, errors=errors, done=False), 422
        return page(posting, values={}, errors={}, done=True)

    @bp.route("/j/<posting_id>/qr.svg")
    def qr(posting_id: str) -> Response:
        posting_or_404(posting_id)
        svg = qr_svg(posting_url(board().jobs_url(), posting_id))
        return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

    @bp.route("/j/<posting_id>/poster")
    def poster(posting_id: str) -> Any:
        size = request.args.get("size", "A4")
        return render_template("jobs/poster.html", posting=posting_or_404(posting_id), kinds=POSTING_KINDS,
                               units=PAY_UNITS, size=size if size in POSTER_SIZES else "A4",
                               url=posting_url(board().jobs_url(), posting_id))

    @bp.route("/jobs")
    def listing() -> Any:
        return render_template("jobs/board.html", postings=board().open_postings(), kinds=POSTING_KINDS,
                               units=PAY_UNITS)

    @bp.route("/favicon.ico")
    def favicon() -> Response:
        """Browsers ask every site for it: public, so a job-seeker's phone is never sent to a sign-in page."""
        reply = bp.send_static_file("favicon.svg")
        reply.mimetype = "image/svg+xml"
        reply.headers["Cache-Control"] = "public, max-age=604800"
        return reply

    @bp.errorhandler(404)
    def not_found(_: Exception) -> tuple[str, int]:
        """A job-seeker's dead link leads to the job board, not to the county's sign-in."""
        return render_template("jobs/not_found.html"), 404

    return bp


def register_interest(posting_id: str, values: dict[str, str], board: Board) -> dict[str, str]:
    """Check the form and, when it is right, have the board sign the interest; the errors (Chinese) by field
    otherwise (empty when registered)."""
    body = {"posting_id": posting_id, "name": values["name"], "phone": values["phone"], "village": values["village"],
            "date": board.today().isoformat(), "channel": board.channel}
    if values["id_number"]:
        body["id_number"] = values["id_number"]
    # The form is checked in plain text (format 1's schema); a station seals phone and number before it signs.
    errors = field_messages(body_errors("interest", body, version=1) or {})
    if values["id_number"] and "id_number" not in errors:
        found = idnumber.problem(values["id_number"])
        if found:
            errors["id_number"] = f"身份证号码不正确：{found.message}（可以不填）"
    if not errors:
        board.register_interest(body)
    return errors


