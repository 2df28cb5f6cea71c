"""What keeps citizen ID numbers off the station card (issue 12; docs/records.md, docs/threat-model.md).

- Roster persons arrive under the hub's person key, with the birth month and no ID number or phone; a member
  document is checked to carry nothing else before it is stored (``station_member`` in field_node/roster/households.py).
- An ID number typed at a visit (a newborn, a new spouse) is sealed to the hub's public key before the record
  is signed (``seal_typed_numbers``): only the hub can read it.
- Records of format 1, signed before the upgrade, still hold ID numbers: they are sent as they were signed, and
  once the hub has acknowledged one its numbers are blanked (``redactions``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from field_node.store.db import database
from field_node.store.models import Record
from field_node.store.state import get_state
from shared import sealing
from shared.errors import ErrorCode, FieldsyncError
from shared.records import canonical, signed_in_plain
from shared.rows import tuples
from shared.schemas import ID_NUMBER_SHAPE

PERSONAL_KINDS = ("visit", "recommendation", "interest")  # kinds whose format-1 bodies name persons by number
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
TYPED_ID = re.compile(ID_NUMBER_SHAPE)
BAD_TYPED_ID = "身份证号码应为18位：前17位是数字，最后一位是数字或X。请核对后重新填写。"
NO_SEAL_KEY = ("还没有县级平台的加密公钥，身份证号码无法加密保存：请先同步一次，再录入身份证号码"
               "（也可以先不填号码保存，下次走访再补）。")
NO_SEAL_KEY_INTEREST = "本站点还没有与县级平台同步过，暂时不能登记报名：请稍后再来，或直接联系岗位上的联系人。"


def seal_typed_numbers(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with every typed ``changes[].id_number`` replaced by ``id_sealed``, and an interest's ``phone``
    and ``id_number`` by ``phone_sealed`` and ``id_sealed`` (all sealed to the hub's key)."""
    if kind == "interest" and isinstance(body, dict):
        return _sealed_interest(body)
    if kind != "visit" or not isinstance(body, dict) or not isinstance(body.get("changes"), list):
        return body
    if not any(isinstance(change, dict) and change.get("id_number") for change in body["changes"]):
        return body
    public_key = _hub_seal_key(NO_SEAL_KEY, "changes")
    return {**body, "changes": [_sealed_change(change, public_key) for change in body["changes"]]}


def _hub_seal_key(message: str, field: str) -> str:
    public_key = get_state("hub_seal_key")
    if not public_key:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, message, {field: [message]})
    return public_key


def _sealed_interest(body: dict[str, Any]) -> dict[str, Any]:
    """An interest (checked in plain text by the form) as the station signs it: nothing but the sealed text of
    the job-seeker's phone and ID number (record format 3)."""
    public_key = _hub_seal_key(NO_SEAL_KEY_INTEREST, "phone")
    sealed = {key: value for key, value in body.items() if key not in ("phone", "id_number")}
    if body.get("phone"):
        sealed["phone_sealed"] = sealing.seal(public_key, str(body["phone"]))
    if body.get("id_number"):
        sealed["id_sealed"] = sealing.seal(public_key, str(body["id_number"]))
    return sealed


def _sealed_change(change: Any, public_key: str) -> Any:
    if not isinstance(change, dict) or not change.get("id_number"):
        return change
    if not isinstance(change["id_number"], str) or not TYPED_ID.match(change["id_number"]):
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, BAD_TYPED_ID, {"changes": [BAD_TYPED_ID]})
    sealed = {key: value for key, value in change.items() if key != "id_number"}
    sealed["id_sealed"] = sealing.seal(public_key, str(change["id_number"]))
    return sealed


def redactions(seqs: list[int]) -> list[tuple[int, bytes]]:
    """The signed bytes of the records among ``seqs`` signed in plain text (format 1, and format-2 interests)
    that hold ID numbers or phones, with those blanked.

    The hub holds those records as they were signed; the station keeps the rest of each (the visit pages read
    it) and never sends a redacted record again (outbox/records.py writes them).  Other records hold no such
    number and stay as signed, so a hub restored from an older backup still gets them back."""
    rows = Record.select(Record.seq, Record.content).where(
        Record.seq.in_(seqs), Record.redacted == False, Record.kind.in_(PERSONAL_KINDS))  # noqa: E712
    return _blanked_records(tuples(rows))


def acknowledged_interest_redactions() -> list[tuple[int, bytes]]:
    """Interests the hub acknowledged before this release sealed them (format 2), blanked now: the sync pass
    asks once per run, so an upgraded station's card loses them at its next sync."""
    rows = Record.select(Record.seq, Record.content).where(
        Record.kind == "interest", Record.status == "sent", Record.redacted == False)  # noqa: E712
    return _blanked_records(tuples(rows))


def _blanked_records(rows: Any) -> list[tuple[int, bytes]]:
    found = []
    for seq, content in rows:
        text = bytes(content).decode()
        envelope = json.loads(text)
        if signed_in_plain(envelope) and (ID_NUMBER.search(text) or MOBILE.search(text)):
            found.append((seq, canonical(_blanked(envelope))))
    return found


def _blanked(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _blanked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_blanked(item) for item in value]
    if isinstance(value, str):
        return MOBILE.sub("", ID_NUMBER.sub("", value))
    return value


def checkpoint() -> None:
    """Fold the WAL into node.db and empty it: old page images (with what was blanked) leave the card."""
    with database.connection_context():
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
