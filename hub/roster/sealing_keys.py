"""The hub's sealing key: stations seal typed ID numbers to its public half, and person keys derive from it.

The private key lives in the hub's data folder (``seal.key``, 0600, in the backup with ``hub.key``); it is made
on first use.  ``readable_body`` turns a record body of format 2 or 3 (persons by person key, typed numbers and an
interest's phone sealed) back into the form the hub's tables hold (plain ID numbers and phones), for the
projections; format 1 bodies already are.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from flask import current_app, has_app_context

from hub.store.db import database
from hub.store.models import Person
from shared import sealing
from shared.postings import MOBILE_SHAPE
from shared.rows import tuples
from shared.schemas import ID_NUMBER_SHAPE

SEAL_KEY_FILE = "seal.key"


def _data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


@cache
def load_key(path: Path) -> X25519PrivateKey:
    """The sealing key in ``path``, made (0600) if there is none yet."""
    if not path.exists():
        _create(path)
    return X25519PrivateKey.from_private_bytes(path.read_bytes())


def _create(path: Path) -> None:
    """Write a new key whole under a temporary name, then link it into place: a hub worker that loses the race
    to make it reads the winner's complete file, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = X25519PrivateKey.generate().private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                    serialization.NoEncryption())
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def private_key() -> X25519PrivateKey:
    return load_key(_data_dir() / SEAL_KEY_FILE)


def public_text() -> str:
    """The public key stations seal to (sent with every roster page)."""
    return sealing.public_text(private_key())


@cache
def _secret(path: Path) -> bytes:
    return sealing.person_key_secret(load_key(path))


def person_key(id_number: str) -> str:
    return sealing.person_key(_secret(_data_dir() / SEAL_KEY_FILE), id_number)


def stored_person_key(id_number: str) -> str:
    """The key to store in ``person.person_key``: "" outside the hub's app (a script importing a roster with no
    data folder bound), which :func:`fill_person_keys` fills later."""
    return person_key(id_number) if has_app_context() else ""


def open_sealed(text: str) -> str | None:
    """The plain value, or None when it cannot be opened (sealed to another hub's key, or damaged)."""
    try:
        return sealing.open_sealed(private_key(), text)
    except sealing.SealError:
        return None


def id_numbers_by_key(household_id: int | None) -> dict[str, str]:
    """Person key -> ID number for a household's members (the household a record names)."""
    if household_id is None:
        return {}
    numbers = tuples(Person.select(Person.id_number).where(Person.household == household_id))
    return {person_key(number): number for (number,) in numbers}


FILL_CHUNK = 1000  # persons keyed per query by fill_person_keys


def fill_person_keys() -> int:
    """Write the person key of every person whose ``person_key`` is still empty (rows from before migration 0032);
    return how many.  `fieldsync-hub migrate` runs it; so does the first lookup that meets an empty key."""
    filled = 0
    while True:
        rows = list(tuples(Person.select(Person.id, Person.id_number).where(Person.person_key == "")
                           .order_by(Person.id).limit(FILL_CHUNK)))
        with database.atomic():  # one commit per chunk: a county's million persons is not a million fsyncs
            for person_id, number in rows:
                Person.update(person_key=person_key(number)).where(Person.id == person_id).execute()
        filled += len(rows)
        if len(rows) < FILL_CHUNK:
            return filled


def _by_key(key: str) -> str | None:
    found = Person.select(Person.id_number).where(Person.person_key == key).order_by(Person.id).first()
    return found.id_number if found else None


def _resolve(key: str, known: dict[str, str]) -> str:
    """The ID number behind a person key; a person who left the household is looked up county-wide by the
    indexed ``person_key`` column (filled first when some rows still lack it).  A key no person has (the person
    was removed from the roster) is kept as it is."""
    if key in known:
        return known[key]
    number = _by_key(key)
    if number is None and Person.select().where(Person.person_key == "").exists():
        fill_person_keys()
        number = _by_key(key)
    if number is None:
        return key
    known[key] = number
    return number


def readable_body(kind: str, body: dict[str, Any], household_id: int | None, version: int) -> dict[str, Any]:
    """A body of format 2 or 3 in the form of format 1 (plain ID numbers and phones), for the hub's tables;
    others as they are."""
    if kind == "interest":
        return _opened_interest(body) if "phone_sealed" in body else body
    if version == 1 or kind not in ("visit", "recommendation"):
        return body
    known = id_numbers_by_key(household_id)
    if kind == "recommendation":
        return {**body, "person": _resolve(body["person"], known)}
    employment = [{**job, "person": _resolve(job["person"], known)} for job in body.get("employment", [])]
    changes = [_opened_change(change) for change in body.get("changes", [])]
    return {**body, "employment": employment, "changes": changes}


def _opened_interest(body: dict[str, Any]) -> dict[str, Any]:
    """An interest of format 3 with its phone and ID number opened; a value the hub cannot open (sealed to
    another hub's key) leaves the phone empty and no ID number."""
    opened = {key: value for key, value in body.items() if key not in ("phone_sealed", "id_sealed")}
    opened["phone"] = _opened_matching(body["phone_sealed"], MOBILE_SHAPE) or ""
    number = _opened_matching(body.get("id_sealed"), ID_NUMBER_SHAPE)
    if number:
        opened["id_number"] = number
    return opened


def _opened_matching(sealed: str | None, shape: str) -> str | None:
    """The opened value when it has ``shape`` (what the station's form checked before sealing), else None."""
    value = open_sealed(sealed) if sealed else None
    return value if value is not None and re.fullmatch(shape, value) else None


def _opened_change(change: dict[str, Any]) -> dict[str, Any]:
    if "id_sealed" not in change:
        return change
    opened = {key: value for key, value in change.items() if key != "id_sealed"}
    number = open_sealed(change["id_sealed"])
    if number is None:
        opened["id_unreadable"] = True
    else:
        opened["id_number"] = number
    return opened
