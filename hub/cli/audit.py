"""`fieldsync-hub audit verify`: check the audit log's hash chain; `audit redact`: mask what old entries kept."""

from __future__ import annotations

import sys
from typing import Any

import click

from hub import audit
from hub.cli.context import CLI_PRINCIPAL, run_in_app


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


@audit_group.command("redact")
@click.option("--why", default="遮盖旧审计记录中的个人信息", show_default=True,
              help="Why the trail is rewritten, e.g. the notice that asked for it (into the redaction's own entry).")
@run_in_app()
def audit_redact(app: Any, why: str) -> None:
    """Mask the ID numbers, phones and birth dates that entries of earlier releases kept in full.

    Masks them as new entries do (mask and person key; an ID or mobile number typed into a reason or a note as
    pages mask it), recomputes the hash chain from the first rewritten entry and appends an `audit.redact` entry
    with how many entries changed, their seq range and the head hash before. Refuses, changing nothing, when
    `audit verify` finds a problem: a redaction must not hide tampering. Running it again changes nothing.
    Take a backup first, and write down the head hash it prints if you keep one elsewhere.
    """
    from hub.roster.persons import redacted_entry
    from shared.free_text import refuse_numbers

    refuse_numbers("why", why)
    done = audit.redact(CLI_PRINCIPAL.actor, redacted_entry, why)
    if not done.changed:
        click.echo(f"没有需要遮盖的审计记录（共 {audit.count()} 条），未做改动。")
        return
    click.echo(f"已遮盖 {done.changed} 条审计记录（第 {done.first_seq} 至 {done.last_seq} 条之间），"
               f"并记入第 {done.entry.seq if done.entry else '?'} 条审计记录。")
    click.echo(f"遮盖前的链尾哈希：{done.head_before}")
    click.echo(f"现在的链尾哈希：{done.entry.hash if done.entry else done.head_after}")
