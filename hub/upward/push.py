"""One push-up, as `fieldsync-hub push-up` and the worker's hourly task both run it: stage, then send — a county
hub its month to the city, a city hub its counties' records to the region."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hub.upward import client, county, relay

TIMEOUT_SECONDS = 60.0


def this_month(zone: str) -> str:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).strftime("%Y-%m")


def push_up(config: Mapping[str, Any], months: list[str] | None = None) -> tuple[county.Staged, client.Pass]:
    """Stage what is new for ``months`` (default: those with visits among the last three) and send the city
    everything it lacks.  NOT_ENROLLED_UP before `enroll-up`; CITY_UNREACHABLE leaves everything staged."""
    data_dir = Path(config["DATA_DIR"])
    county.link()
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
