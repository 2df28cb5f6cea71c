"""Backup and restore on every backend: a restored hub holds every record of the backup, and a station resends what
came after it (the hub reports those missing), so nothing is lost."""

from __future__ import annotations

from hub.cli import main
from hub.store import db
from hub.store.models import Record
from shared.protocol import STATE_PATH
from tests.support import VILLAGES, SimNode, households_of, import_county


def held_hashes(app) -> set[bytes]:
    with app.app_context(), db.database.connection_context():
        return {bytes(h) for (h,) in Record.select(Record.hash).tuples()}


def test_a_restored_backup_holds_every_record_and_stations_resend_the_rest(app, client, runner, tmp_path):
    with app.app_context(), db.database.connection_context():
        rows = import_county(tmp_path)
    with app.app_context():
        node = SimNode(app, client, "备份站", VILLAGES[:2])
    before = node.visits(households_of(rows, VILLAGES[0]))
    assert node.push(before).status_code == 200
    args = ["--data-dir", app.config["DATA_DIR"], "--database-url", app.config["DATABASE_URL"]]
    made = runner.invoke(main, [*args, "backup", str(tmp_path / "backup")])
    assert made.exit_code == 0 and "已备份" in made.output, made.output
    assert (tmp_path / "backup" / "manifest.json").exists()
    after = node.visits(households_of(rows, VILLAGES[1]))
    assert node.push(after).status_code == 200
    assert held_hashes(app) == {r.hash for r in before + after}
    assert runner.invoke(main, [*args, "restore", str(tmp_path / "backup")]).exit_code == 2  # --yes is required
    restored = runner.invoke(main, [*args, "restore", str(tmp_path / "backup"), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert held_hashes(app) == {r.hash for r in before}
    state = node.get(STATE_PATH).json
    assert state["hwm"] == len(before) and state["head"] == len(before)
    assert node.push(after, head=len(before + after)).status_code == 200  # the station's next sync
    assert held_hashes(app) == {r.hash for r in before + after}
