"""The sync page: what waits, what went, what the hub refused and why, and a button to sync now.

"Sync now" starts ``fieldsync-node sync`` as its own process, as the station's timer does: the sync loads
the pinyin dictionary for the roster and may wait long on a slow link, and neither belongs in the process
that serves the pages.  The sync lock keeps the two from overlapping.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, url_for

from field_node.outbox import records
from field_node.store.models import PENDING, REJECTED, SENT, Member, Record, Visit
from field_node.store.state import get_state
from field_node.web import auth
from shared.rows import tuples
from shared.vocabulary import HEAD

bp = Blueprint("sync", __name__)
auth.require_sign_in(bp)
LOG_FILE = "sync.log"
_started: dict[Path, subprocess.Popen] = {}  # the sync this app started, per data folder (one process serves)


def sync_running(data_dir: Path) -> bool:
    """A sync started here has not exited, or any sync (the timer's) holds the lock."""
    started = _started.get(data_dir)
    if started is not None and started.poll() is None:
        return True
    lock = data_dir / "sync.lock"
    if not lock.exists():
        return False
    with open(lock) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False


@bp.route("/sync")
def page() -> Any:
    data_dir = current_app.config["NODE"].data_dir
    replaced = {row.seq: row.superseded_by for row in
                Visit.select(Visit.seq, Visit.superseded_by).join(Record, on=(Record.seq == Visit.seq))
                .where(Record.status == REJECTED)}
    last = get_state("last_sync")
    rejected = records.problems_listed(REJECTED, 200)
    waiting = list(Record.select().where(Record.status == PENDING).order_by(Record.seq).limit(20))
    return render_template(
        "sync.html", counts=records.counts(), running=sync_running(data_dir),
        last_contact=get_state("last_contact"), last=json.loads(last) if last else None,
        rejected=rejected, replaced=replaced, waiting=waiting, heads=_heads([*rejected, *waiting]),
        enrolled=get_state("node_id") is not None, hwm=get_state("hub_hwm", "0"), sent_label=SENT)


def _heads(shown: list[Record]) -> dict[str, str]:
    """The head's name of each household the page lists (lists name people, not numbers): only those shown, since
    a station that has not synced for weeks holds thousands of waiting records."""
    numbers = {record.household for record in shown if record.household}
    return dict(tuples(Member.select(Member.household, Member.name)
                       .where(Member.relation == HEAD, Member.household.in_(numbers))))


@bp.route("/sync", methods=["POST"])
def start() -> Any:
    data_dir = current_app.config["NODE"].data_dir
    if not sync_running(data_dir):
        with open(data_dir / LOG_FILE, "ab") as log:
            command = [sys.executable, "-m", "field_node.cli", "--data-dir", str(data_dir), "sync"]
            _started[data_dir] = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                                  start_new_session=True)
    return redirect(url_for("sync.page", started=1))
