"""Writes to the station's SD card: a page view writes nothing, a saved visit goes to the WAL (synced) and is
not checkpointed into node.db at once, a draft is committed without syncing the card."""

from __future__ import annotations

import os

import pytest

from field_node.store.db import database
from tests.field_node.web.test_visits import full_form, household_with_labourer


def test_a_saved_visit_stays_in_the_wal_and_pages_leave_the_database_file_alone(member_client, station):
    folder = station["node"].data_dir
    number, _ = household_with_labourer(station)
    member_client.get("/")
    before = os.stat(folder / "node.db")
    assert member_client.post(f"/h/{number}/visit", data=full_form()).status_code == 302
    for path in ("/", f"/h/{number}", "/sync"):
        assert member_client.get(path).status_code == 200
    after = os.stat(folder / "node.db")
    # Closing each request's connection used to checkpoint the WAL into node.db and delete it: every save was
    # written twice more, and every page view rebuilt the WAL index.
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    assert (folder / "node.db-wal").stat().st_size > 0


def test_a_draft_is_written_without_syncing_the_card_and_records_still_are(opened_node):
    from field_node.store.db import without_waiting_for_the_card

    def synchronous() -> int:
        return database.execute_sql("PRAGMA synchronous").fetchone()[0]

    with database.connection_context():
        assert synchronous() == 2  # FULL: a save that returned is on disk
        with pytest.raises(RuntimeError), without_waiting_for_the_card():
            assert synchronous() == 1  # NORMAL, for the draft only
            raise RuntimeError("the draft could not be written")
        assert synchronous() == 2
