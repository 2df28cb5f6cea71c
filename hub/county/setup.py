"""Setting up the county a hub serves: its name and townships (DOMAIN.md §2)."""

from __future__ import annotations

from hub.store.db import write_transaction
from hub.store.models import County, Township


def init_county(name: str, townships: list[str]) -> tuple[County, list[str]]:
    """Create or rename the county and add the townships it lacks; return the townships added."""
    added = []
    with write_transaction():
        county = County.select().first()
        if county is None:
            county = County.create(name=name)
        elif county.name != name:
            county.name = name
            county.save()
        known = {t.name for t in Township.select()}
        for position, township in enumerate(townships, start=len(known) + 1):
            if township not in known:
                Township.create(name=township, position=position)
                known.add(township)
                added.append(township)
    return county, added
