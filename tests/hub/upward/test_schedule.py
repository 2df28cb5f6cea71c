"""The worker's hourly push-up: due at its minute on a county or city hub only, and a county not enrolled upward does
nothing (the command line says why: tests/e2e/test_upward.py drives the real push)."""

from __future__ import annotations

from datetime import datetime

from hub.jobs import tasks


def test_the_push_up_is_due_hourly_on_a_county_or_city_hub_only(app):
    at_the_minute = datetime(2026, 11, 3, 7, tasks.UPWARD_MINUTE)
    assert tasks.upward_due(app, at_the_minute)
    assert not tasks.upward_due(app, at_the_minute.replace(minute=tasks.UPWARD_MINUTE + 1))
    app.config["UPWARD_EVERY_MINUTES"] = 15
    assert [minute for minute in range(60) if tasks.upward_due(app, at_the_minute.replace(minute=minute))] == \
        [0, 15, 30, 45]
    app.config["HUB_LEVEL"] = "city"  # a city forwards its counties' records to the region
    assert tasks.upward_due(app, at_the_minute)
    app.config["HUB_LEVEL"] = "region"
    assert not tasks.upward_due(app, at_the_minute)


def test_a_county_not_enrolled_upward_sends_nothing(app):
    assert tasks.scheduled_push_up(app) is False
