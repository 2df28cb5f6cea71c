"""Downloads (issue 15): every export of hub/cleaning/exports.py on the web, each user scoped to what their role
may see, every download audited.

A township officer downloads their own township's anomaly list only; county roles download every township's and
the county-wide tables (untransferred labour, income classes, coverage).  A file is written into a private folder
(mode 0700) inside the data folder, read back and deleted before the reply is sent: nothing is left on disk.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask.typing import ResponseReturnValue

from hub import audit
from hub.cleaning import exports
from hub.cleaning.catalogue import Context
from hub.cleaning.rules import facts
from hub.county.parameters import parameters
from hub.store.models import Township
from hub.web import auth, scope
from shared.months import check_month, month_of, previous_month

bp = Blueprint("exports", __name__, url_prefix="/exports")
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}
WORK_FOLDER = "export-work"


def _labour(out: Path, period: str) -> list[Path]:
    return exports.untransferred_labour(out, period)


def _income(out: Path, period: str) -> list[Path]:
    ctx = Context(period, date.today(), parameters())
    facts.build_household_months(ctx)
    return exports.quarterly_income(out, ctx)


def _coverage(out: Path, period: str) -> list[Path]:
    return exports.coverage_table(out, period)


# The county-wide tables: name -> (title, writer).
COUNTY_TABLES: dict[str, tuple[str, Callable[[Path, str], list[Path]]]] = {
    "labour": ("未转移就业脱贫劳动力就业情况统计表", _labour),
    "income": ("收入分档与预警", _income),
    "coverage": ("走访覆盖", _coverage),
}


def _period() -> str:
    asked = request.args.get("period", "").strip()
    return check_month(asked) if asked else previous_month(month_of(date.today()))


@bp.route("/")
def index() -> ResponseReturnValue:
    who = auth.principal()
    return render_template("exports/index.html", townships=scope.visible_townships(), period=_period(),
                           tables=COUNTY_TABLES if who.county_wide else {}, formats=FORMATS)


def _send(write: Callable[[Path], list[Path]], fmt: str, subject: str, details: dict[str, str]) -> ResponseReturnValue:
    if fmt not in FORMATS:
        abort(404)
    work = Path(current_app.config["DATA_DIR"]) / WORK_FOLDER
    work.mkdir(mode=0o700, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as folder:  # mode 0700, removed with its files on leaving
        written = [path for path in write(Path(folder)) if path.suffix == f".{fmt}"]
        if not written:
            abort(404)
        content, name = written[0].read_bytes(), written[0].name
    who = auth.principal()
    audit.record(who.actor, "export.download", subject, None, {**details, "format": fmt})
    reply = send_file(io.BytesIO(content), mimetype=FORMATS[fmt], as_attachment=True, download_name=name)
    reply.headers["Cache-Control"] = "no-store"
    return reply


@bp.route("/anomalies/<township>.<fmt>")
def anomaly_list(township: str, fmt: str) -> ResponseReturnValue:
    """A township's anomaly list: its own township for a township officer, any for county roles."""
    place = Township.get_or_none(Township.name == township)
    scope.require_township(place.id if place else None, "下载其他乡镇的异常清单", f"export:anomalies:{township}")
    if place is None:
        abort(404)
    return _send(lambda out: exports.anomaly_lists(out, township), fmt, f"export:anomalies:{township}",
                 {"township": township})


@bp.route("/<table>.<fmt>")
def county_table(table: str, fmt: str) -> ResponseReturnValue:
    """A county-wide table (every township's people): county roles only."""
    if table not in COUNTY_TABLES:
        abort(404)
    auth.require(auth.principal().county_wide, "下载全县的报表", f"export:{table}")
    period = _period()
    writer = COUNTY_TABLES[table][1]
    return _send(lambda out: writer(out, period), fmt, f"export:{table}", {"period": period})
