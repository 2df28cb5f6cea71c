"""`fieldsync-hub audit verify`: check the audit log's hash chain."""

from __future__ import annotations

import sys
from typing import Any

import click

from hub import audit
from hub.cli.context import run_in_app


@click.group("audit")
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
