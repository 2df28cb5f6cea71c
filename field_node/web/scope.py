"""Which households the signed-in station account may read and write: the one check every station view uses.

A member account works in its villages (``account.villages``, from the hub's ``add-field-user --village`` or
chosen by the station admin); an admin account, and an account with no villages recorded, sees every village
of the station.  A household outside the account's villages answers 404, exactly like one the station does
not hold: the answer does not tell a curious grid member which households exist elsewhere.
"""

from __future__ import annotations

import json

from flask import abort, g
from flask_login import current_user
from peewee import Expression

from field_node.store.db import first_row
from field_node.store.models import Account, Household
from shared.rows import tuples


def villages() -> frozenset[str] | None:
    """The 乡镇/村 labels the signed-in account may see, or None for every village of the station."""
    if "scope_villages" not in g:  # the signed-in account's, read with it by the session check
        g.scope_villages = getattr(current_user, "villages", frozenset())
    return g.scope_villages


def villages_of(username: str) -> frozenset[str] | None:
    """The villages of the account ``username`` (None: every village; empty: none, for an unknown account)."""
    return account_villages(Account.get_or_none(Account.username == username))


def account_villages(account: Account | None) -> frozenset[str] | None:
    """The villages of ``account`` (None: every village; empty: none, for no account)."""
    if account is None or account.role == "admin" or account.villages is None:
        return None if account is not None else frozenset()
    return frozenset(json.loads(account.villages))


def station_villages() -> list[str]:
    """Every village (乡镇/村) the station serves: those enrolment named, and those its roster holds."""
    from field_node.store.state import get_state

    enrolled = json.loads(get_state("villages") or "[]")
    held = [text for (text,) in tuples(Household.select(label()).distinct())]
    return sorted(set(enrolled) | set(held))


def label() -> Expression:
    """A household's village as 乡镇/村, the form accounts name villages in."""
    return Household.township.concat("/").concat(Household.village)


def condition() -> Expression | bool:
    """A where-clause on Household limiting it to the account's villages (True: no limit)."""
    allowed = villages()
    return True if allowed is None else label().in_(sorted(allowed) or [""])


def household_numbers() -> list[str] | None:
    """The numbers of the households the account may see, or None for all of the station's."""
    if villages() is None:
        return None
    return [number for (number,) in tuples(Household.select(Household.number).where(condition()))]


def household_or_404(number: str) -> Household:
    """The household if the signed-in account may see it; 404 otherwise (and for one the station lacks)."""
    allowed = villages()
    if allowed is None:
        found = first_row(Household, "SELECT * FROM household WHERE number = ?", number)
    else:
        found = first_row(Household, "SELECT * FROM household WHERE number = ? AND township || '/' || village IN "
                                     "(SELECT value FROM json_each(?))", number, json.dumps(sorted(allowed)))
    if found is None:
        abort(404)
    return found
