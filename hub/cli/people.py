"""County users, read-API tokens and station accounts: `add-user`, `set-role`, `disable-user`, `reset-password`,
`add-token`, `revoke-token`, `add-field-user`, `disable-field-user` (each change audited)."""

from __future__ import annotations

from typing import Any

import click

from hub.accounts import field_accounts, users
from hub.cli.context import CLI_PRINCIPAL, run_in_app
from hub.sync import nodes


@click.command("add-user")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The person's name, shown on pages and in the audit log.")
@click.option("--role", type=click.Choice(list(users.ROLES)), required=True,
              help="admin, staff (county-wide), township (one township: give --township) or viewer (read only).")
@click.option("--township", default=None, help="The township of a township user.")
@click.password_option(help="The password, at least 8 characters (asked twice when not given).")
@run_in_app()
def add_user(app: Any, username: str, display_name: str, role: str, township: str | None, password: str) -> None:
    """Create a county user who signs in to the hub's pages."""
    user = users.create_user(username, display_name, password, role, township, actor=CLI_PRINCIPAL.actor)
    click.echo(f"已添加用户 {user.username}（{users.ROLES[role]}{'，' + township if township else ''}）。")


@click.command("set-role")
@click.argument("username")
@click.option("--role", type=click.Choice(list(users.ROLES)), required=True, help="The new role.")
@click.option("--township", default=None, help="The township, for the township role.")
@click.option("--why", required=True, help="Why the role changes (goes into the audit log).")
@run_in_app()
def set_role(app: Any, username: str, role: str, township: str | None, why: str) -> None:
    """Change a county user's role (recorded in the audit log with the reason)."""
    user = users.set_role(username, role, township, actor=CLI_PRINCIPAL.actor, why=why)
    click.echo(f"用户 {user.username} 的角色已改为 {users.ROLES[role]}。")


@click.command("add-token")
@click.argument("name")
@click.option("--role", type=click.Choice(["staff", "township", "viewer"]), default="viewer", show_default=True,
              help="The scope of the token, as for a user.")
@click.option("--township", default=None, help="The township of a township-scoped token.")
@run_in_app()
def add_token(app: Any, name: str, role: str, township: str | None) -> None:
    """Create an API token for another county system (read API); it is shown once, only its hash is kept."""
    row, token = users.create_token(name, role, township, actor=CLI_PRINCIPAL.actor)
    click.echo(f"API 令牌“{name}”（{users.ROLES[role]}）：{token}")
    click.echo("请妥善交给对方系统；本平台只保存它的摘要，丢失后只能重新生成。")


@click.command("disable-user")
@click.argument("username")
@click.option("--why", required=True, help="Why the user is disabled, e.g. left the county office (audited).")
@run_in_app()
def disable_user(app: Any, username: str, why: str) -> None:
    """Disable a county user: no more sign-in, and every open session of theirs ends at once."""
    user = users.disable_user(username, actor=CLI_PRINCIPAL.actor, why=why)
    click.echo(f"已停用用户 {user.username}；其已登录的会话立即失效。")


@click.command("reset-password")
@click.argument("username")
@click.option("--why", required=True, help="Why, e.g. the person forgot it and was seen in person (audited).")
@run_in_app()
def reset_password(app: Any, username: str, why: str) -> None:
    """Give a county user a temporary password, shown once: their sessions end and they must choose their own at
    the next sign-in."""
    user, temporary = users.reset_password(username, actor=CLI_PRINCIPAL.actor, why=why)
    click.echo(f"用户 {user.username} 的临时密码：{temporary}")
    click.echo("只显示这一次，请当面交给本人；其已登录的会话已失效，下次登录时须先设置自己的新密码。")


@click.command("revoke-token")
@click.argument("name")
@click.option("--why", required=True, help="Why the token is revoked, e.g. leaked or system retired (audited).")
@run_in_app()
def revoke_token(app: Any, name: str, why: str) -> None:
    """Revoke a read-API token (by the name given at add-token): its next request is refused."""
    row = users.revoke_token(name, actor=CLI_PRINCIPAL.actor, why=why)
    click.echo(f"已吊销 API 令牌“{row.name}”；使用它的请求将被拒绝。")


@click.command("add-field-user")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The grid member's name, as it goes into records.")
@click.option("--village", required=True, help="The village, as 乡镇/村: every station serving it gets the account.")
@click.option("--admin", is_flag=True, help="A station admin (may add accounts on the station itself).")
@click.password_option(help="The password (asked twice when not given).")
@run_in_app()
def add_field_user(app: Any, username: str, display_name: str, village: str, admin: bool, password: str) -> None:
    """Create a station account for a village's grid member; stations pull it at their next sync."""
    account = field_accounts.create(username, display_name, password, nodes.find_village(village),
                                    "admin" if admin else "member", actor=CLI_PRINCIPAL.actor)
    click.echo(f"已添加站点账户 {account.username}（{account.display_name}，{village}）；站点下次同步后可登录。")


@click.command("disable-field-user")
@click.argument("username")
@run_in_app()
def disable_field_user(app: Any, username: str) -> None:
    """Disable a station account made here; stations stop accepting it at their next sync."""
    account = field_accounts.disable(username, actor=CLI_PRINCIPAL.actor)
    click.echo(f"已停用站点账户 {account.username}；各站点下次同步后生效。")
