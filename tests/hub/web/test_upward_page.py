"""The county's page of its reporting upward (/upward/, docs/upward.md), on both databases: what it shows before
enrolment, after push-ups (a failed one with its Chinese cause), what waits, a refused record with its Chinese
reason, the months sent; county-wide roles only."""

from __future__ import annotations

import json
import re
from datetime import datetime

from hub.cli import main
from hub.store import db
from hub.store.models import UpwardLink, UpwardPush, UpwardRecord
from shared import keys
from shared.records import FORMAT_VERSION, GENESIS_PREV, seal
from tests.conftest import make_user, signed_in

CODE_NAME = re.compile(r"\b[A-Z]{3,}_[A-Z_]+\b")  # an ErrorCode name: never on a page


def _upward_row(seq: int, kind: str, body: dict, status: str, reason: str | None = None) -> None:
    record = seal(keys.generate(), 4, seq, GENESIS_PREV, kind, body, "2026-11-03T08:00:00Z", FORMAT_VERSION)
    UpwardRecord.create(seq=seq, kind=kind, source=f"{kind}:{seq}", prev=GENESIS_PREV, hash=record.hash,
                        content=record.content, signature=record.signature, status=status, reason=reason,
                        created_at=datetime(2026, 11, 3, 8))


def test_before_enrolment_the_page_says_how_to_enrol(app, client):
    text = client.get("/upward/").get_data(as_text=True)
    assert "还没有在市级平台登记" in text and not CODE_NAME.search(text)
    assert "/upward/" in client.get("/").get_data(as_text=True)  # the county's home links to it


def test_the_page_shows_the_city_the_last_push_what_waits_what_was_refused_and_the_months(app, client, runner):
    with app.app_context(), db.database.connection_context():
        UpwardLink.create(city_url="http://127.0.0.1:9", signer_id=4, public_key=b"k" * 32,
                          enrolled_at=datetime(2026, 11, 1))
        _upward_row(1, "county_month", {"month": "2026-10"}, "sent")
        _upward_row(2, "county_month", {"month": "2026-10"}, "sent")
        _upward_row(3, "station_record", {}, "rejected", json.dumps(
            {"code": "STATION_RECORD_FORGED", "details": {"reason": "the station's signature does not verify",
                                                          "station": 7, "seq": 12}}))
        _upward_row(4, "station_record", {}, "pending")
        _upward_row(5, "county_persons", {}, "pending")
    args = ["--data-dir", app.config["DATA_DIR"], "--database-url", app.config["DATABASE_URL"]]
    assert runner.invoke(main, [*args, "push-up", "--month", "2026-10"]).exit_code == 1  # no city answers
    with app.app_context(), db.database.connection_context():
        kept = UpwardPush.get()
        assert (kept.actor, kept.outcome, kept.code) == ("cli", "failed", "CITY_UNREACHABLE")
    text = client.get("/upward/").get_data(as_text=True)
    assert "http://127.0.0.1:9" in text and "未完成" in text and "连接不上市级平台" in text
    waiting = text[text.index('id="waiting"'):text.index("已上报的月份")]
    assert "站点记录" in waiting and "人员（密钥散列）" in waiting
    months = text[text.index('id="months"'):text.index("被市级平台拒收")]
    assert "2026-10" in months and '<td class="num">2</td>' in months  # sent twice: figures signed again
    refused = text[text.index('id="refused"'):]
    assert "站点 7 的第 12 条记录" in refused and "已拒收并报警" in refused
    assert not CODE_NAME.search(text) and "does not verify" not in text


def test_a_township_user_is_refused(app, county):
    user = make_user(app, "dajiang", "township", "大将镇")
    assert signed_in(app, user).get("/upward/").status_code == 403
