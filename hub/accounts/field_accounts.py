"""Station accounts made at the hub for a village's grid members (shared/accounts.py), and what a node pulls."""

from __future__ import annotations

from typing import Any

from hub import audit
from hub.county.clock import utcnow
from hub.store.db import write_transaction
from hub.store.models import FieldAccount, Node, Township, Village, village_ids
from shared.accounts import account_document, check_new_account, hash_password
from shared.errors import ErrorCode, FieldsyncError


def create(username: str, display_name: str, password: str, village: Village, role: str = "member", *,
           actor: str) -> FieldAccount:
    """A grid member's (or station admin's) account for ``village``; every station serving it pulls it.  Audited."""
    username = check_new_account(username, display_name, password, role)
    with write_transaction():
        if FieldAccount.get_or_none(FieldAccount.username == username):
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, "用户名已被使用。", {"username": ["用户名已被使用。"]})
        account = FieldAccount.create(username=username, display_name=display_name.strip(), role=role,
                                      password_hash=hash_password(password), village=village, changed_at=utcnow())
        audit.record(actor, "field_account.create", f"field_account:{username}", None,
                     {"role": role, "village": village.label}, "新建站点账户")
    return account


def disable(username: str, *, actor: str, why: str = "停用站点账户") -> FieldAccount:
    """Stations stop accepting the account at their next sync.  Audited."""
    account = FieldAccount.get_or_none(FieldAccount.username == username.strip().lower())
    if account is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, f"没有账户“{username}”。")
    with write_transaction():
        FieldAccount.update(active=False, changed_at=utcnow()).where(FieldAccount.id == account.id).execute()
        audit.record(actor, "field_account.disable", f"field_account:{account.username}", {"active": True},
                     {"active": False}, why.strip() or "停用站点账户")
    return account


def for_node(node: Node) -> list[dict[str, Any]]:
    """Every account of the node's villages, disabled ones included (so the node disables them too)."""
    query = (FieldAccount.select(FieldAccount, Village, Township).join(Village).join(Township)
             .where(FieldAccount.village.in_(village_ids(node))).order_by(FieldAccount.username))
    return [account_document(a.username, a.display_name, a.password_hash, a.role, bool(a.active),
                             [a.village.label]) for a in query]
