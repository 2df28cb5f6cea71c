"""What every management page shares: who acts, the form's fields, the role checks."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from hub.web import auth
from shared.errors import FieldsyncError


def actor() -> str:
    """Who the audit entry names: ``user:<name>``."""
    return auth.principal().actor


def field(name: str) -> str:
    return request.form.get(name, "").strip()


def require_admin(what: str, subject: str = "") -> None:
    auth.require(auth.principal().can_administer, what, subject)


def require_county(what: str, subject: str = "") -> None:
    auth.require(auth.principal().can_write_county, what, subject)


def require_county_wide(what: str, subject: str = "") -> None:
    auth.require(auth.principal().county_wide, what, subject)


def refused(template: str, error: FieldsyncError, **context: Any) -> tuple[str, int]:
    """The page again with the refusal in Chinese above its forms, and the error's HTTP status."""
    return render_template(template, error=error.message, **context), error.code.http_status
