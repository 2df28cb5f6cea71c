"""`fieldsync-hub add-node`, `new-code`, `revoke-node`, `release-node` and `nodes`: the county's village stations."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import click
import qrcode

from hub.cli.context import CLI_PRINCIPAL, run_in_app
from hub.county.clock import local_time
from hub.store.models import Node
from hub.sync import nodes
from hub.sync.overview import node_rows, station_status
from shared.errors import ErrorCode, FieldsyncError


@click.command("add-node")
@click.argument("name")
@click.option("--village", "villages", multiple=True, required=True,
              help="A village the station serves, as 乡镇/村; repeat for each.")
@click.option("--qr", "qr_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the enrolment QR code as a PNG here (outside the data dir; mode 0600). "
                   "Without it the QR code is only printed to the terminal.")
@run_in_app()
def add_node(app: Any, name: str, villages: tuple[str, ...], qr_path: Path | None) -> None:
    """Register a village station and print its one-time enrolment code (and its QR code)."""
    if qr_path is not None:
        _refuse_inside_data_dir(qr_path, Path(app.config["DATA_DIR"]))
    found = [nodes.find_village(label) for label in villages]
    node, code = nodes.register(name, found, app.config["ENROLMENT_CODE_HOURS"], actor=CLI_PRINCIPAL.actor)
    click.echo(f"已添加站点“{name}”（编号 {node.id}），负责：{'、'.join(v.label for v in found)}")
    _show_code(app, code, qr_path)


@click.command("new-code")
@click.argument("name")
@click.option("--qr", "qr_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the enrolment QR code as a PNG here (outside the data dir; mode 0600).")
@run_in_app()
def new_code(app: Any, name: str, qr_path: Path | None) -> None:
    """A new one-time enrolment code for a station not enrolled yet (its code expired or was lost); the old one
    stops working."""
    if qr_path is not None:
        _refuse_inside_data_dir(qr_path, Path(app.config["DATA_DIR"]))
    code = nodes.reissue_code(_station(name), app.config["ENROLMENT_CODE_HOURS"], actor=CLI_PRINCIPAL.actor)
    click.echo(f"站点“{name}”的新登记码已生成，原先的登记码作废。")
    _show_code(app, code, qr_path)


def _station(name: str) -> Node:
    node = Node.get_or_none(Node.name == name)
    if node is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, f"没有名为“{name}”的站点。")
    return node


def _show_code(app: Any, code: str, qr_path: Path | None) -> None:
    """The one-time code, the command to run on the station, and its QR code (terminal, or a private PNG)."""
    hub_url = app.config["PUBLIC_URL"]
    click.echo(f"一次性登记码：{code}（{app.config['ENROLMENT_CODE_HOURS']} 小时内有效，只能用一次）")
    click.echo(f"在站点上运行：fieldsync-node enroll --hub {hub_url} --code {code}")
    content = nodes.enrolment_link(hub_url, code)
    if qr_path is None:
        _print_qr(content)
        return
    _write_private_png(content, qr_path)
    click.echo(f"登记二维码：{qr_path}（只有本账户可读；站点登记后请删除）")


def _refuse_inside_data_dir(path: Path, data_dir: Path) -> None:
    """Enrolment codes are secrets until used: none is left lying in the hub's data folder (and its backups)."""
    if path.resolve().is_relative_to(data_dir.resolve()):
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"登记二维码不能存放在平台的数据文件夹（{data_dir}）里："
                             "请用 --qr 指定别处（例如 U 盘），或不加 --qr 直接在终端显示。")


def _print_qr(content: str) -> None:
    code, text = qrcode.QRCode(border=1), io.StringIO()
    code.add_data(content)
    code.print_ascii(out=text)
    click.echo(text.getvalue(), nl=False)


def _write_private_png(content: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        qrcode.make(content).save(handle)
    os.chmod(path, 0o600)  # also when the file existed before with a wider mode


@click.command("revoke-node")
@click.argument("name")
@click.option("--why", default="停用站点", show_default=True, help="Why, e.g. the Pi was stolen (audited).")
@run_in_app()
def revoke_node(app: Any, name: str, why: str) -> None:
    """Revoke a station (lost or stolen Pi): its key can no longer sync; what it sent is kept."""
    node = _station(name)
    nodes.revoke(node, actor=CLI_PRINCIPAL.actor, why=why)
    click.echo(f"站点“{name}”已停用。它已同步的 {node.hwm} 条记录保留；之后的同步请求会被拒绝并报警。")
    _revoke_certificate(app, node)


def _revoke_certificate(app: Any, node: Node) -> None:
    """The station's certificate revoked at the CA too: a stolen card's TLS key then names no valid certificate."""
    if not app.config["STATION_DOMAIN"]:
        return
    from hub.certificates import issuer, status

    if status.revoke_for(node, issuer.issuer_from_config(app.config)):
        click.echo("该站点的 HTTPS 证书已在证书机构吊销。")


@click.command("release-node")
@click.argument("name")
@click.option("--why", required=True, help="What the county checked before letting the station sync again (audited).")
@run_in_app()
def release_node(app: Any, name: str, why: str) -> None:
    """Let a station sync again: lift a quarantine (after checking which device is the real one) and bring a
    claimed head back to the records the hub holds."""
    node = _station(name)
    change = nodes.release(node, CLI_PRINCIPAL.actor, why)
    if change["before"]["head"] != change["after"]["head"]:
        click.echo(f"站点“{name}”声称的最新序号 {change['before']['head']} 已恢复为县里实际持有的 "
                   f"{change['after']['head']}。")
    click.echo(f"站点“{name}”已解除隔离，可以再次同步。")


@click.command("nodes")
@run_in_app()
def list_nodes(app: Any) -> None:
    """List stations: what the hub holds of each, what it is missing, rejections and alarms."""
    rows = node_rows()
    if not rows:
        click.echo("还没有站点。")
    for row in rows:
        node, state = row["node"], row["state"]
        status = station_status(node, row["silent"])
        missing = "，".join(f"{a}-{b}" if a != b else str(a) for a, b in state["missing"]) or "无"
        click.echo(f"{node.name}（编号 {node.id}，{status}）负责 {'、'.join(row['villages'])}")
        click.echo(f"  已收到连续至 {state['hwm']}，站点最新 {state['head']}，共持有 {state['held']} 条；"
                   f"缺少：{missing}；拒收 {row['rejected']}；未处理报警 {row['alarms']}；"
                   f"最后联系 {local_time(node.last_seen_at)}")
        if node.push_failures:
            when = local_time(node.last_push_failed_at)
            click.echo(f"  同步失败：连续 {node.push_failures} 次未能入库（最近 {when}，{node.last_push_error}）")
        _certificate_lines(row)


def _certificate_lines(row: dict[str, Any]) -> None:
    certificate = row["certificate"]
    if certificate is None:
        return
    if certificate.not_after is not None:
        click.echo(f"  证书：{certificate.domain}，有效至 {local_time(certificate.not_after)}")
    if certificate.last_error:
        click.echo(f"  证书申请失败：{certificate.last_error}（{local_time(certificate.last_attempt_at)}）")
        if certificate.last_error_text:
            click.echo(f"  原因：{certificate.last_error_text}")
    if row["certificate_warning"]:
        click.echo(f"  警告：{row['certificate_warning']}")


@click.command("certificates")
@run_in_app()
def certificates(app: Any) -> None:
    """Order and renew station certificates by ACME DNS-01 (run hourly by a timer; docs/certificates.md)."""
    from hub.certificates import issuer, status

    if not app.config["STATION_DOMAIN"]:
        click.echo("未设置 FIELDSYNC_STATION_DOMAIN：本县不为站点申请证书。")
        return
    run = status.order_due(lambda: issuer.issuer_from_config(app.config), app.config["CERT_RENEW_AT"])
    click.echo(f"站点证书：新签发 {run.issued} 张，失败 {run.failed} 张，{run.current} 张仍在有效期内无需续期。")
    names = {node.id: node.name for node in Node.select(Node.id, Node.name)}
    for node_id, message in run.failures:
        click.echo(f"  {names.get(node_id, node_id)}（编号 {node_id}）：{message}")
