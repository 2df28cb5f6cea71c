"""What a grid member types before it is signed: the visit form kept as a draft while it is open (``draft``), and
the drawn signature kept beside the signed visit (``signature_image``).  The only writer of both tables."""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from field_node.outbox import records
from field_node.store.db import database, first_row, without_waiting_for_the_card
from field_node.store.models import Draft, SignatureImage
from field_node.store.state import now_text
from shared.records import SealedRecord

NOT_KEPT_SUFFIX = "id_number"  # change_<n>_id_number: never written to the card in plain text


def kept(number: str, author: str) -> Draft | None:
    return first_row(Draft, "SELECT * FROM draft WHERE household = ? AND author = ?", number, author)


def keep(number: str, author: str, fields: dict[str, list[str]]) -> None:
    """The form as typed so far (the phone's browser may be closed at any moment), committed without waiting for
    the card.  An ID number typed into it is not kept: it is sealed only when the visit is saved, and a draft
    in plain text would put it on the card (issue 12); the grid member types it again before saving."""
    fields = {key: values for key, values in fields.items() if not key.endswith(NOT_KEPT_SUFFIX)}
    with without_waiting_for_the_card(), database.atomic("IMMEDIATE"):
        (Draft.insert(household=number, author=author, fields=json.dumps(fields, ensure_ascii=False),
                      updated_at=now_text())
         .on_conflict_replace().execute())


def discard(number: str, author: str) -> None:
    Draft.delete().where(Draft.household == number, Draft.author == author).execute()


def save_visit(key: Ed25519PrivateKey, node_id: int, number: str, author: str, body: dict[str, Any],
               signature_png: bytes | None) -> tuple[list[SealedRecord], list[records.EntryProblem]]:
    """The signature picture, the signed record and the draft's removal in one transaction: one commit (one
    sync of the SD card) per saved visit instead of three, and no picture kept for a visit that was refused."""
    with database.atomic("IMMEDIATE") as transaction:
        if signature_png:
            SignatureImage.insert(sha256=body["ack"]["signature_sha256"], png=signature_png,
                                  created_at=now_text()).on_conflict_ignore().execute()
        saved, problems = records.save_records(key, node_id, [("visit", body)])
        if problems:
            transaction.rollback()
        else:
            discard(number, author)
    return saved, problems
