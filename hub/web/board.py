"""The hub's side of the public job pages (shared/jobs_web.py): its published postings, interest signed by its key."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from hub.postings import store
from hub.store.models import Posting
from hub.sync import own_records
from shared.postings import display_status

BOARD_LIMIT = 500


class HubBoard:
    channel = "hub"

    def today(self) -> date:
        return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()

    def jobs_url(self) -> str:
        return current_app.config["JOBS_URL"] or current_app.config["PUBLIC_URL"]

    def find(self, posting_id: str) -> dict[str, Any] | None:
        posting = store.find_public(posting_id)
        if posting is None:
            return None
        document = store.public_document(posting)
        return {**document, "display_status": display_status(document, self.today()),
                "sources": store.sources(posting)}

    def open_postings(self) -> list[dict[str, Any]]:
        today = self.today().isoformat()
        query = (store.published().where(Posting.status == "open", Posting.valid_until >= today,
                                         (Posting.group_id.is_null()) | (Posting.group_id ==
                                                                                Posting.id))
                 .order_by(Posting.valid_until, Posting.id).limit(BOARD_LIMIT))
        return [store.public_document(posting) for posting in query]

    def register_interest(self, body: dict[str, Any]) -> None:
        own_records.sign("interest", body)
