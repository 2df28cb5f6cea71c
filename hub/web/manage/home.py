"""/manage/: the management pages the caller's role may open."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.route("/")
def index() -> str:
    return render_template("manage/index.html")
