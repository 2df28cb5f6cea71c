"""`fieldsync-node`: the village station's command line (enrol, add records, sync, status, accounts, serve).

Messages are in Chinese for the station's staff; `--help` texts are in English for the maintainer.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from cryptography import x509

from field_node import accounts
from field_node.cli.common import with_node
from field_node.cli.serve import serve, serve_tls
from field_node.outbox import records
from field_node.store.db import database
from field_node.store.models import PENDING, REJECTED
from field_node.store.state import get_state
from field_node.store.tls import TlsFiles
from field_node.sync import node as node_module
from field_node.sync import passes


@click.group()
@click.option("--data-dir", envvar="FIELDSYNC_NODE_DATA_DIR", default="node-data", show_default=True,
              help="The node's data folder: node.db and node.key [env FIELDSYNC_NODE_DATA_DIR].")
@click.pass_context
def main(ctx: click.Context, data_dir: str) -> None:
    """fieldsync field node: signs visit records offline and syncs them to the county hub."""
    ctx.obj = {"data_dir": data_dir}


@main.command()
@click.option("--hub", "hub_url", required=True, help="The hub's URL, e.g. https://hub.example.gov.cn.")
@click.option("--code", required=True, help="The one-time enrolment code from `fieldsync-hub add-node`.")
@with_node
def enroll(opened: node_module.Node, hub_url: str, code: str) -> None:
    """Create this node's key and enrol it with the hub (once, while a network is available)."""
    reply = node_module.enroll(opened, hub_url, code)
    click.echo(f"登记成功：本站点为“{reply['name']}”（编号 {reply['node_id']}），{reply['county']}，"
               f"负责 {'、'.join(reply['villages'])}。")
    click.echo("下一步：运行 fieldsync-node sync 下载花名册。")


def _entries(payload: Any) -> list[tuple[str, Any]]:
    """A file holds one record or a list; each is a visit body or {"kind": …, "body": …}."""
    items = payload if isinstance(payload, list) else [payload]
    entries = []
    for item in items:
        if isinstance(item, dict) and set(item) == {"kind", "body"}:
            entries.append((str(item["kind"]), item["body"]))
        else:
            entries.append(("visit", item))
    return entries


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_node
def add(opened: node_module.Node, file: Path) -> None:
    """Sign and save records from a JSON file (one record or a list); bad ones are listed, good ones kept."""
    try:
        payload = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        click.echo(f"错误：{file} 不是有效的 UTF-8 JSON 文件（{exc}）。", err=True)
        sys.exit(1)
    with database.connection_context():
        saved, problems = records.save_records(opened.key(), opened.node_id, _entries(payload))
    if saved:
        click.echo(f"已签名保存 {len(saved)} 条记录（序号 {saved[0].seq}–{saved[-1].seq}），等待同步。")
    for problem in problems:
        click.echo(f"第 {problem.index + 1} 条未保存：{problem.message}", err=True)
        for field, messages in problem.details.items():
            click.echo(f"  {field}: {messages}", err=True)
    if problems:
        sys.exit(2)


@main.command("sync")
@click.option("--watch", is_flag=True, help="Keep syncing: every WATCH_INTERVAL seconds, with exponential "
                                            "backoff and jitter while the hub is unreachable.")
@with_node
def sync_command(opened: node_module.Node, watch: bool) -> None:
    """Push the records the hub lacks and pull roster changes (one pass, or forever with --watch)."""
    if watch:
        passes.watch(opened, echo=click.echo)
        return
    report = passes.sync_once(opened, echo=click.echo)
    click.echo(f"同步完成：发送 {report.sent} 条，拒收 {report.rejected} 条，待重发 {report.retry} 条。")
    if report.rejected or report.retry:
        sys.exit(2)


@main.command()
@with_node
def status(opened: node_module.Node) -> None:
    """Show pending, sent and rejected records (with the hub's reasons) and the last contact."""
    with database.connection_context():
        counts = records.counts()
        name = get_state("node_name", "（未登记）")
        click.echo(f"站点：{name}  县级平台：{get_state('hub_url', '（未登记）')}")
        click.echo(f"待发送 {counts[PENDING]} 条，已发送 {counts['sent']} 条，被拒收 {counts[REJECTED]} 条；"
                   f"县里已连续收到至序号 {get_state('hub_hwm', '0')}。")
        click.echo(f"最后一次与县级平台联系：{get_state('last_contact', '从未')}")
        click.echo(last_sync_line(get_state("last_sync"), int(get_state("sync_failures", "0"))))
        click.echo(certificate_line(TlsFiles.of(opened.data_dir).current()))
        for status_name, label in ((REJECTED, "被拒收"), (PENDING, "待重发")):
            for record in records.problems_listed(status_name):
                click.echo(f"  {label} 序号 {record.seq}（户 {record.household}，{record.month}）："
                           f"{record.error_message} [{record.error_code}] {record.error_details or ''}")


def certificate_line(certificate: x509.Certificate | None) -> str:
    """The station's HTTPS certificate in words (docs/certificates.md)."""
    if certificate is None:
        return "HTTPS 证书：还没有（同步时向县级平台申请；县里签发后下次同步送达）。"
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    name = "、".join(names.get_values_for_type(x509.DNSName))
    until = certificate.not_valid_after_utc.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    expired = "（已过期！）" if certificate.not_valid_after_utc <= datetime.now(UTC) else ""
    return f"HTTPS 证书：{name}，有效至 {until}（北京时间）{expired}；手机打开 https://{name}/"


def last_sync_line(last_sync: str | None, failures: int) -> str:
    """The last pass in words; passes that keep failing say so, with the reason and what to do."""
    if not last_sync:
        return "最后一次同步：还没有同步过。"
    outcome = json.loads(last_sync)
    if outcome["ok"]:
        return (f"最后一次同步：{outcome['at']} 成功，县里收到 {outcome['sent']} 条，"
                f"拒收 {outcome['rejected']} 条，待重发 {outcome['retry']} 条。")
    return (f"最后一次同步：{outcome['at']} 失败（已连续失败 {failures} 次）：{outcome['message']} "
            f"[{outcome['code']}]")


@main.command("add-user")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The person's name, as it goes into each record.")
@click.option("--admin", is_flag=True, help="Make a station admin (may add accounts on the accounts page).")
@click.password_option(help="The password (asked twice when not given).")
@with_node
def add_user(opened: node_module.Node, username: str, display_name: str, admin: bool, password: str) -> None:
    """Add an account that may sign in to the station app (a grid member, or with --admin the station admin)."""
    with database.connection_context():
        account = accounts.create_account(username, display_name, password, "admin" if admin else "member")
    click.echo(f"已添加账户 {account.username}（{account.display_name}，{accounts.ROLES[account.role]}）。")


main.add_command(serve)
main.add_command(serve_tls)
