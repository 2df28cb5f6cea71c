"""`fieldsync-hub`: set up and run the county hub.

Messages are in Chinese for the county clerk; `--help` texts are in English for the maintainer.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
import qrcode

from hub import audit, county, db, field_accounts, nodes, roster, users, verification
from hub.app import create_app
from hub.models import Node
from hub.pages import local_time, node_rows
from shared.errors import ErrorCode, FieldsyncError
from shared.rows import tuples


def run_in_app(check_schema: bool = True, connected: bool = True) -> Callable:
    """Run a command inside the hub app (database bound and, if ``connected``, connected); print FieldsyncErrors
    plainly.  `serve` runs unconnected: gunicorn forks its workers from this process, and a worker must not
    inherit the command's database connection or unwind its context when it exits."""

    def decorate(command: Callable) -> Callable:
        @wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                app = create_app(click.get_current_context().obj, check_schema=check_schema)
                if not connected:
                    return command(app, *args, **kwargs)
                with app.app_context(), db.database.connection_context():
                    return command(app, *args, **kwargs)
            except FieldsyncError as error:
                click.echo(f"错误：{error.message}", err=True)
                for key, value in error.details.items():
                    click.echo(f"  {key}: {value}", err=True)
                sys.exit(1)
            except OSError as error:
                click.echo(f"错误：无法读写文件 {error.filename or ''}（{error.strerror}）。请检查路径和权限。",
                           err=True)
                sys.exit(1)

        return wrapper

    return decorate


@click.group()
@click.option("--data-dir", envvar="FIELDSYNC_DATA_DIR", default="hub-data", show_default=True,
              help="Folder for the SQLite database, QR codes and exports [env FIELDSYNC_DATA_DIR].")
@click.option("--database-url", envvar="FIELDSYNC_DATABASE_URL", default="",
              help="postgresql://… to use PostgreSQL; empty for SQLite in the data folder "
                   "[env FIELDSYNC_DATABASE_URL].")
@click.pass_context
def main(ctx: click.Context, data_dir: str, database_url: str) -> None:
    """fieldsync county hub: receives signed visit records from village field nodes."""
    ctx.obj = {"DATA_DIR": data_dir, "DATABASE_URL": database_url}


@main.command()
@click.option("--county", "county_name", required=True, help="County name, e.g. 融安县.")
@click.option("--township", "townships", multiple=True, help="A township of the county; repeat for each.")
@run_in_app(check_schema=False)
def init(app: Any, county_name: str, townships: tuple[str, ...]) -> None:
    """Create the database (or bring it up to date) and set the county and its townships."""
    applied = db.migrate()
    _, added = county.init_county(county_name, list(townships))
    click.echo(f"数据库结构已是最新（本次应用 {len(applied)} 个迁移）。")
    click.echo(f"县：{county_name}；新增乡镇 {len(added)} 个：{'、'.join(added) or '无'}")


@main.command()
@run_in_app(check_schema=False)
def migrate(app: Any) -> None:
    """Apply the schema migrations this release needs."""
    applied = db.migrate()
    for migration in applied:
        click.echo(f"已应用迁移 {migration.version:04d} {migration.name}")
    click.echo("数据库结构已是最新。")


@main.command()
@click.option("--bind", default=None, help="host:port to listen on [env FIELDSYNC_BIND, default 127.0.0.1:8000].")
@click.option("--workers", type=int, default=None, help="gunicorn worker processes [env FIELDSYNC_WORKERS].")
@run_in_app(connected=False)
def serve(app: Any, bind: str | None, workers: int | None) -> None:
    """Serve the hub with gunicorn (refuses to start on an outdated schema)."""
    import os

    from hub.serve import HubServer, gunicorn_options

    os.environ["FIELDSYNC_DATA_DIR"] = app.config["DATA_DIR"]
    os.environ["FIELDSYNC_DATABASE_URL"] = app.config["DATABASE_URL"]
    HubServer(gunicorn_options(bind or app.config["BIND"], workers or app.config["WORKERS"])).run()


@main.command("add-node")
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
    node, code = nodes.register(name, found, app.config["ENROLMENT_CODE_HOURS"])
    hub_url = app.config["PUBLIC_URL"]
    click.echo(f"已添加站点“{name}”（编号 {node.id}），负责：{'、'.join(v.label for v in found)}")
    click.echo(f"一次性登记码：{code}（{app.config['ENROLMENT_CODE_HOURS']} 小时内有效，只能用一次）")
    click.echo(f"在站点上运行：fieldsync-node enroll --hub {hub_url} --code {code}")
    content = f"fieldsync://enroll?hub={hub_url}&code={code}"
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
    import io

    code, text = qrcode.QRCode(border=1), io.StringIO()
    code.add_data(content)
    code.print_ascii(out=text)
    click.echo(text.getvalue(), nl=False)


def _write_private_png(content: str, path: Path) -> None:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        qrcode.make(content).save(handle)
    os.chmod(path, 0o600)  # also when the file existed before with a wider mode


@main.command("revoke-node")
@click.argument("name")
@run_in_app()
def revoke_node(app: Any, name: str) -> None:
    """Revoke a station (lost or stolen Pi): its key can no longer sync; what it sent is kept."""
    node = Node.get_or_none(Node.name == name)
    if node is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, f"没有名为“{name}”的站点。")
    nodes.revoke(node)
    click.echo(f"站点“{name}”已停用。它已同步的 {node.hwm} 条记录保留；之后的同步请求会被拒绝并报警。")


@main.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@run_in_app()
def backup(app: Any, out: Path) -> None:
    """Back up the hub into a new folder: the database (SQLite online backup or pg_dump), the hub's key, a manifest."""
    from hub import backup as backups

    contents = backups.backup(out, Path(app.config["DATA_DIR"]), app.config["DATABASE_URL"])
    click.echo(f"已备份到 {out}：{contents['records']} 条记录，数据库结构版本 {contents['schema_version']}。")


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, required=True, help="Confirm: the hub is stopped and its data is replaced.")
@run_in_app(check_schema=False)
def restore(app: Any, folder: Path, yes: bool) -> None:
    """Restore a backup made by `backup` (stop the hub first); stations resend what came after it."""
    from hub import backup as backups

    contents = backups.restore(folder, Path(app.config["DATA_DIR"]), app.config["DATABASE_URL"])
    click.echo(f"已从 {folder} 恢复：{contents['records']} 条记录（备份于 {contents['taken_at']}）。"
               "备份之后收到的记录，各站点下次同步时会自动重发。")


@main.command("release-node")
@click.argument("name")
@click.option("--why", required=True, help="What the county checked before letting the station sync again (audited).")
@run_in_app()
def release_node(app: Any, name: str, why: str) -> None:
    """Let a station sync again: lift a quarantine (after checking which device is the real one) and bring a
    claimed head back to the records the hub holds."""
    node = Node.get_or_none(Node.name == name)
    if node is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, f"没有名为“{name}”的站点。")
    change = nodes.release(node, CLI_PRINCIPAL.actor, why)
    if change["before"]["head"] != change["after"]["head"]:
        click.echo(f"站点“{name}”声称的最新序号 {change['before']['head']} 已恢复为县里实际持有的 "
                   f"{change['after']['head']}。")
    click.echo(f"站点“{name}”已解除隔离，可以再次同步。")


@main.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@run_in_app()
def import_roster(app: Any, file: Path) -> None:
    """Import a household roster (CSV or XLSX, Chinese or English headers; DOMAIN.md §10)."""
    report = roster.import_roster(file)
    click.echo(f"读取 {report.rows} 行：新增 {report.households_created} 户，更新 {report.households_changed} 户，"
               f"未变 {report.households_unchanged} 户。")
    if report.villages_created:
        click.echo(f"新建村（安置点）{len(report.villages_created)} 个：{'、'.join(report.villages_created)}")
    for warning in report.warnings:
        click.echo(f"提醒 第 {warning.row} 行：{warning.message}")
    for error in report.errors:
        where = f"第 {error.row} 行" if error.row else "文件"
        click.echo(f"未导入 {where}：{error.message}", err=True)
    if report.errors:
        click.echo(f"{len(report.errors)} 行未导入，其余已导入。请修改这些行后重新导入同一文件（已导入的不会重复）。",
                   err=True)
        sys.exit(2)


@main.command("nodes")
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


def station_status(node: Node, silent: bool) -> str:
    """The station's state in words, as the overview page shows it."""
    if node.revoked_at:
        return "已停用"
    if node.quarantined_at:
        return "已隔离（疑似复制）"
    if silent:
        return "长时间未联系"
    return "已登记" if node.enrolled_at else "待登记"


@main.command("import-postings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@run_in_app()
def import_postings(app: Any, file: Path) -> None:
    """Import job postings from an XLSX or CSV list (one posting per row), each signed by the hub's key."""
    from hub.postings import importer

    with click.progressbar(length=1, label="导入岗位", show_pos=True) as bar:
        def advance(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        report = importer.import_postings(file, advance)
    click.echo(f"共 {report.rows} 行：新增 {report.created} 个岗位（其中 {report.held} 个低于最低工资，待审核），"
               f"{report.unchanged} 个已导入过，{len(report.errors)} 行有问题。")
    for error in report.errors:
        click.echo(f"  第 {error.row} 行：{error.message}", err=True)
    if report.errors:
        sys.exit(2)


CLI_PRINCIPAL = users.Principal("cli", "cli", "admin", None)  # whoever holds the server's shell


@main.command("add-user")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The person's name, shown on pages and in the audit log.")
@click.option("--role", type=click.Choice(list(users.ROLES)), required=True,
              help="admin, staff (county-wide), township (one township: give --township) or viewer (read only).")
@click.option("--township", default=None, help="The township of a township user.")
@click.password_option(help="The password, at least 8 characters (asked twice when not given).")
@run_in_app()
def add_user(app: Any, username: str, display_name: str, role: str, township: str | None, password: str) -> None:
    """Create a county user who signs in to the hub's pages."""
    with db.write_transaction():
        user = users.create_user(username, display_name, password, role, township)
        audit.record(CLI_PRINCIPAL.actor, "user.create", f"user:{user.username}", None,
                     {"role": role, "township": township}, "新建用户")
    click.echo(f"已添加用户 {user.username}（{users.ROLES[role]}{'，' + township if township else ''}）。")


@main.command("set-role")
@click.argument("username")
@click.option("--role", type=click.Choice(list(users.ROLES)), required=True, help="The new role.")
@click.option("--township", default=None, help="The township, for the township role.")
@click.option("--why", required=True, help="Why the role changes (goes into the audit log).")
@run_in_app()
def set_role(app: Any, username: str, role: str, township: str | None, why: str) -> None:
    """Change a county user's role (recorded in the audit log with the reason)."""
    with db.write_transaction():
        user, before, after = users.set_role(username, role, township)
        audit.record(CLI_PRINCIPAL.actor, "role.change", f"user:{user.username}", before, after, why)
    click.echo(f"用户 {user.username} 的角色已改为 {users.ROLES[role]}。")


@main.command("add-token")
@click.argument("name")
@click.option("--role", type=click.Choice(["staff", "township", "viewer"]), default="viewer", show_default=True,
              help="The scope of the token, as for a user.")
@click.option("--township", default=None, help="The township of a township-scoped token.")
@run_in_app()
def add_token(app: Any, name: str, role: str, township: str | None) -> None:
    """Create an API token for another county system (read API); it is shown once, only its hash is kept."""
    with db.write_transaction():
        row, token = users.create_token(name, role, township)
        audit.record(CLI_PRINCIPAL.actor, "token.create", f"token:{row.name}", None,
                     {"role": role, "township": township}, "新建 API 令牌")
    click.echo(f"API 令牌“{name}”（{users.ROLES[role]}）：{token}")
    click.echo("请妥善交给对方系统；本平台只保存它的摘要，丢失后只能重新生成。")


@main.command("disable-user")
@click.argument("username")
@click.option("--why", required=True, help="Why the user is disabled, e.g. left the county office (audited).")
@run_in_app()
def disable_user(app: Any, username: str, why: str) -> None:
    """Disable a county user: no more sign-in, and every open session of theirs ends at once."""
    with db.write_transaction():
        user = users.disable_user(username)
        audit.record(CLI_PRINCIPAL.actor, "user.disable", f"user:{user.username}", {"active": True},
                     {"active": False}, why)
    click.echo(f"已停用用户 {user.username}；其已登录的会话立即失效。")


@main.command("revoke-token")
@click.argument("name")
@click.option("--why", required=True, help="Why the token is revoked, e.g. leaked or system retired (audited).")
@run_in_app()
def revoke_token(app: Any, name: str, why: str) -> None:
    """Revoke a read-API token (by the name given at add-token): its next request is refused."""
    with db.write_transaction():
        row = users.revoke_token(name)
        audit.record(CLI_PRINCIPAL.actor, "token.revoke", f"token:{row.name}", {"active": True}, {"active": False},
                     why)
    click.echo(f"已吊销 API 令牌“{row.name}”；使用它的请求将被拒绝。")


@main.group("audit")
def audit_group() -> None:
    """The audit log: every change, who made it, before and after, and why (a hash chain)."""


@audit_group.command("verify")
@run_in_app()
def audit_verify(app: Any) -> None:
    """Check the audit log's hash chain; name every altered, missing or re-chained entry."""
    problems = audit.verify()
    if not problems:
        click.echo(f"审计日志完整：{audit.count()} 条记录，哈希链校验通过。")
        return
    for problem in problems:
        click.echo(f"问题：{problem.message}", err=True)
    sys.exit(3)


@main.command("spot-check")
@click.option("--month", required=True, help="The month, YYYY-MM.")
@click.option("--seed", default=None, help="Draw with this seed (default: a new random one, recorded).")
@click.option("--redraw", is_flag=True, help="Print the sample the month's recorded seed draws, to check it.")
@run_in_app()
def spot_check(app: Any, month: str, seed: str | None, redraw: bool) -> None:
    """Draw the month's spot-check sample per township and send it out as verification tasks."""
    from hub.models import Household, SpotCheck, Township

    if redraw:
        check = SpotCheck.get_or_none(SpotCheck.month == month)
        if check is None:
            raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, f"{month} 还没有抽查。")
        names = dict(tuples(Township.select(Township.id, Township.name)))
        for township_id, ids in verification.sample(seed or check.seed, check.per_township).items():
            numbers = [n for (n,) in tuples(Household.select(Household.number).where(Household.id.in_(ids)))]
            click.echo(f"{names[township_id]}：{'、'.join(sorted(numbers)) or '（无农户）'}")
        return
    check = verification.draw_spot_check(CLI_PRINCIPAL, month, app.config["SPOT_CHECK_SIZE"], seed)
    click.echo(f"{month} 抽查已下发：每个乡镇 {check.per_township} 户，种子 {check.seed}（用 --redraw 可核对样本）。")


@main.command("add-field-user")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The grid member's name, as it goes into records.")
@click.option("--village", required=True, help="The village, as 乡镇/村: every station serving it gets the account.")
@click.option("--admin", is_flag=True, help="A station admin (may add accounts on the station itself).")
@click.password_option(help="The password (asked twice when not given).")
@run_in_app()
def add_field_user(app: Any, username: str, display_name: str, village: str, admin: bool, password: str) -> None:
    """Create a station account for a village's grid member; stations pull it at their next sync."""
    account = field_accounts.create(username, display_name, password, nodes.find_village(village),
                                    "admin" if admin else "member")
    click.echo(f"已添加站点账户 {account.username}（{account.display_name}，{village}）；站点下次同步后可登录。")


@main.command("disable-field-user")
@click.argument("username")
@run_in_app()
def disable_field_user(app: Any, username: str) -> None:
    """Disable a station account made here; stations stop accepting it at their next sync."""
    account = field_accounts.disable(username)
    click.echo(f"已停用站点账户 {account.username}；各站点下次同步后生效。")


def _register_cleaning() -> None:
    from hub.cleaning.commands import COMMANDS
    from hub.department_lists import import_list_command

    for command in [*COMMANDS, import_list_command]:
        main.add_command(command)


_register_cleaning()


if __name__ == "__main__":
    main()
