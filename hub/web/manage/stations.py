"""Stations: the list with each one's sync state in words, registering one for its villages with the one-time
enrolment code and its QR code shown on the page (never stored, never in a URL), revoking, releasing a quarantine."""

from __future__ import annotations

import itertools
from typing import Any

import qrcode
import qrcode.image.svg
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from markupsafe import Markup

from hub.store.models import Node, NodeVillage, Township, Village
from hub.sync import nodes
from hub.sync.overview import node_rows, sync_words
from hub.web.manage.forms import actor, field, refused, require_admin, require_county_wide
from shared.errors import ErrorCode, FieldsyncError

bp = Blueprint("manage_stations", __name__, url_prefix="/manage/stations")
TEMPLATE = "manage/stations.html"


def _villages() -> list[tuple[str, list[Village]]]:
    """Every village of the county, by township, for the register form."""
    query = Village.select(Village, Township).join(Township).order_by(Township.position, Village.name)
    return [(name, list(group)) for name, group in itertools.groupby(query, key=lambda v: v.township.name)]


def _context() -> dict[str, Any]:
    rows = node_rows()
    return {"rows": rows, "words": {row["node"].id: sync_words(row) for row in rows}, "villages": _villages(),
            "code_hours": current_app.config["ENROLMENT_CODE_HOURS"]}


@bp.route("/")
def listing() -> str:
    require_county_wide("查看站点管理")
    return render_template(TEMPLATE, error=None, **_context())


def _qr_svg(content: str) -> Markup:
    """The QR code as inline SVG: drawn into the page itself, so the code travels in no URL and no image file."""
    image = qrcode.make(content, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    svg = image.to_string(encoding="unicode")
    return Markup(svg.replace("<svg ", '<svg class="qr" role="img" aria-label="登记二维码" ', 1))


@bp.route("/register", methods=["POST"])
def register() -> Any:
    require_admin("登记站点")
    chosen = [int(value) for value in request.form.getlist("villages") if value.isdigit()]
    found = list(Village.select(Village, Township).join(Township).where(Village.id.in_(chosen)))
    try:
        if not found:
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, "请选择站点负责的村（至少一个）。")
        node, code = nodes.register(field("name"), found, current_app.config["ENROLMENT_CODE_HOURS"],
                                    actor=actor())
    except FieldsyncError as error:
        return refused(TEMPLATE, error, **_context())
    return _enrolment_page(node, code, [v.label for v in found])


def _enrolment_page(node: Node, code: str, villages: list[str]) -> str:
    hub_url = current_app.config["PUBLIC_URL"]
    return render_template("manage/enrolment.html", node=node, code=code, villages=villages, hub_url=hub_url,
                           qr=_qr_svg(nodes.enrolment_link(hub_url, code)),
                           code_hours=current_app.config["ENROLMENT_CODE_HOURS"])


def _node(node_id: int) -> Node:
    node = Node.get_or_none(Node.id == node_id)
    if node is None or node.name == nodes.HUB_NODE_NAME:
        raise FieldsyncError(ErrorCode.NOT_FOUND, "没有这个站点，请从站点列表重新进入。")
    return node


@bp.route("/<int:node_id>/code", methods=["POST"])
def new_code(node_id: int) -> Any:
    """A fresh enrolment code for a station not enrolled yet (the first expired or was lost)."""
    require_admin("重新生成登记码", f"node:{node_id}")
    node = _node(node_id)
    try:
        code = nodes.reissue_code(node, current_app.config["ENROLMENT_CODE_HOURS"], actor=actor())
    except FieldsyncError as error:
        return refused(TEMPLATE, error, **_context())
    villages = [link.village.label for link in NodeVillage.select(NodeVillage, Village, Township).join(Village)
                .join(Township).where(NodeVillage.node == node)]
    return _enrolment_page(node, code, villages)


@bp.route("/<int:node_id>/revoke", methods=["POST"])
def revoke(node_id: int) -> Any:
    require_admin("停用站点", f"node:{node_id}")
    node = _node(node_id)
    if not field("why"):
        return refused(TEMPLATE, FieldsyncError(ErrorCode.INVALID_FIELDS, "请写明停用站点的原因（例如设备丢失）。"),
                       **_context())
    nodes.revoke(node, actor=actor(), why=field("why"))
    return redirect(url_for("manage_stations.listing"))


@bp.route("/<int:node_id>/release", methods=["POST"])
def release(node_id: int) -> Any:
    require_admin("解除站点隔离", f"node:{node_id}")
    node = _node(node_id)
    if not field("why"):
        return refused(TEMPLATE, FieldsyncError(ErrorCode.INVALID_FIELDS,
                                                "请写明解除隔离的原因（核实了哪台设备是真正的站点）。"), **_context())
    nodes.release(node, actor(), field("why"))
    return redirect(url_for("manage_stations.listing"))
