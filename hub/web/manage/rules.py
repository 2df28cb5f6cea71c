"""The county's rule settings: every parameter in Chinese with its unit, its value and default, and the policy
documents it comes from by name (hub/county/parameters.py); county staff change one with a reason, audited."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from hub.county.parameters import PARAMETERS, parameters, set_parameter
from hub.web.manage.forms import actor, field, refused, require_county
from shared.errors import ErrorCode, FieldsyncError

bp = Blueprint("manage_rules", __name__, url_prefix="/manage/rules")
TEMPLATE = "manage/rules.html"


def _context() -> dict[str, Any]:
    return {"parameters": PARAMETERS, "values": parameters()}


@bp.route("/")
def listing() -> str:
    return render_template(TEMPLATE, error=None, **_context())


@bp.route("/<name>", methods=["POST"])
def change(name: str) -> Any:
    require_county("调整规则参数", f"setting:{name}")
    if name not in PARAMETERS:
        raise FieldsyncError(ErrorCode.NOT_FOUND, "没有这个参数，请从规则参数页面重新进入。")
    try:
        set_parameter(name, field("value"), actor=actor(), why=field("why"))
    except FieldsyncError as error:
        return refused(TEMPLATE, error, **_context())
    return redirect(url_for("manage_rules.listing"))
