"""The cleaning pages: runs with coverage, filtered anomaly lists, one anomaly with the records behind it."""

from __future__ import annotations

import re

from hub.cleaning import runner
from hub.store.models import Anomaly
from tests.hub.cleaning.county_factory import PERIOD, TODAY, baseline, build

FULL_ID = re.compile(r"\d{17}[\dX]")


def test_pages_show_runs_anomalies_and_their_records(client, hub_db, tmp_path):
    county = build(tmp_path)
    skipped = county.rows[0]["household_id"]
    baseline(county, skip={skipped})
    runner.run(PERIOD, TODAY)
    page = client.get("/cleaning/").get_data(as_text=True)
    assert "数据清洗" in page and "各村走访覆盖" in page and "<svg" in page and "9/10" in page
    listing = client.get("/cleaning/anomalies?rule=P5&township=板榄镇").get_data(as_text=True)
    assert skipped in listing and "未走访" in listing
    assert client.get("/cleaning/anomalies?rule=P5&township=大将镇").get_data(as_text=True).count(skipped) == 0
    anomaly = Anomaly.get(Anomaly.rule == "P5")
    detail = client.get(f"/cleaning/anomalies/{anomaly.id}").get_data(as_text=True)
    assert "家庭成员" in detail and "相关走访记录" in detail and not FULL_ID.search(detail)
    assert client.get("/cleaning/anomalies/999999").status_code == 404
    assert not FULL_ID.search(listing)
