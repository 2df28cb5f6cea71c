"""One push-up, as `fieldsync-hub push-up` and the worker's hourly task both run it: stage, then send — a county
hub its month to the city, a city hub its counties' records to the region; and how it ended, kept for the page of
the hub's upward state (``upward_push``, this module's table)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hub.county.clock import utcnow
from hub.store.db import write_transaction
from hub.store.models import UpwardPush
from hub.upward import client, county, relay
from shared.errors import FieldsyncError

TIMEOUT_SECONDS = 60.0
CLI, WORKER = "cli", "worker"  # who started a push (upward_push.actor)
DONE, REFUSED, FAILED = "done", "refused", "failed"  # how it ended (upward_push.outcome)


def this_month(zone: str) -> str:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).strftime("%Y-%m")


def push_up(config: Mapping[str, Any], months: list[str] | None = None, actor: str = CLI
            ) -> tuple[county.Staged, client.Pass]:
    """Stage what is new for ``months`` (default: those with visits among the last three) and send the city
    everything it lacks.  NOT_ENROLLED_UP before `enroll-up`; CITY_UNREACHABLE leaves everything staged.  Each
    push of an enrolled county is kept with its outcome, a failed one too."""
    county.link()
    started = utcnow()
    try:
        staged, done = _stage_and_send(config, months)
    except FieldsyncError as error:
        _keep(actor, started, FAILED, county.Staged(), client.Pass(), error.code.name)
        raise
    _keep(actor, started, REFUSED if done.rejected else DONE, staged, done, None)
    return staged, done


def _stage_and_send(config: Mapping[str, Any], months: list[str] | None) -> tuple[county.Staged, client.Pass]:
    data_dir = Path(config["DATA_DIR"])
    at_city = config["HUB_LEVEL"] == "city"  # a city forwards its counties' records to the region (relay.py)
    region = None if at_city else county.region_key(config["REGION_PERSON_KEY_FILE"])
    key = county.upward_key(data_dir)
    state = client.city_state(key, TIMEOUT_SECONDS)
    client.resume_after(state)
    if at_city:
        staged = relay.stage(data_dir)
    else:
        chosen = months or county.months_to_send(this_month(config["TIMEZONE"]))
        staged = county.stage(data_dir, region, chosen)
    return staged, client.push_up(key, config["UPWARD_BATCH_SIZE"], TIMEOUT_SECONDS, state)


def _keep(actor: str, started: datetime, outcome: str, staged: county.Staged, done: client.Pass,
          code: str | None) -> None:
    with write_transaction():
        UpwardPush.create(started_at=started, finished_at=utcnow(), actor=actor, outcome=outcome, code=code,
                          sent=done.sent, duplicates=done.duplicates, rejected=len(done.rejected),
                          resent=done.resent, staged=sum(staged.added.values()), batches=done.batches,
                          bytes_sent=done.bytes_sent)
