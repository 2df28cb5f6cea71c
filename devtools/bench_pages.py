"""County pages benchmark (issue 15): the anomaly queue with 10,000 open anomalies, and page sizes gzip'd.

A county of 3,000 households (the generated roster, 12 townships) gets 10,000 open anomalies of every rule written
straight into the hub's tables; a county admin then asks for the queue (first page, a rule's filter, page 50) and
one anomaly, each 30 times through the app in this process (no network: the server's own time).  Target: the
slowest queue page's median under 300 ms.  Page sizes are read from the same app with and without
``Accept-Encoding: gzip`` (flask-compress).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from devtools import synthetic
from hub.cleaning.rules import CATALOGUE
from hub.county import setup as county_setup
from hub.roster import importer
from hub.store import db
from hub.store.models import Anomaly, CleaningRun, CountyUser, Household, Village
from hub.web.app import create_app
from shared.accounts import hash_password
from shared.rows import tuples

TARGET_MS = 300
REPEATS = 30


def plant(root: Path, households: int, anomalies: int) -> None:
    """The roster imported, then ``anomalies`` open anomalies spread over the households and every rule."""
    villages = synthetic.default_villages(max(1, households // (12 * 25)))
    rows = synthetic.generate_roster(3, villages, max(1, households // len(villages)))
    synthetic.write_roster_csv(rows, root / "roster.csv")
    importer.import_roster(root / "roster.csv")
    run = CleaningRun.create(started_at=datetime(2026, 11, 11), period="2026-10", rules_version="bench",
                             settings="{}", counts=json.dumps({"rules": {}}))
    homes = list(tuples(Household.select(Household.id, Household.village, Village.township).join(Village)))
    rules = list(CATALOGUE)
    batch = []
    for index in range(anomalies):
        home, village, township = homes[index % len(homes)]
        rule = rules[(index // len(homes) + index) % len(rules)]
        batch.append({"key": f"bench:{index}", "rule": rule, "township": township, "village": village,
                      "household": home, "subject": f"{CATALOGUE[rule].zh}（基准）", "detail": "{}", "digest": "",
                      "status": "open", "first_run": run.id, "last_run": run.id,
                      "opened_at": datetime(2026, 11, 11), "scope": ""})
    with db.write_transaction():
        for start in range(0, len(batch), 1000):
            db.insert_rows(Anomaly, batch[start:start + 1000])
    CountyUser.create(username="bench", display_name="基准", password_hash=hash_password("bench-pass-1"),
                      role="admin", created_at=datetime.utcnow())


def signed_in(app):
    from hub.accounts.users import session_token

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_token(CountyUser.get(CountyUser.username == "bench"))
        session["_fresh"] = True
    return client


def median_ms(client, path: str) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        reply = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200, (path, reply.status_code)
    return statistics.median(times)


def sizes(client, path: str) -> tuple[int, int]:
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    packed = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed.headers.get("Content-Encoding") == "gzip" or len(plain.get_data()) < 500, path  # flask-compress
    return len(plain.get_data()), len(packed.get_data())  # leaves tiny pages as they are


def bulk_answer(client) -> tuple[float, int]:
    """One answer for every open anomaly of the first township, as its officer would give it."""
    township = Anomaly.select(Anomaly.township).first().township
    count = Anomaly.select().where(Anomaly.township == township.id, Anomaly.status == "open").count()
    started = time.perf_counter()
    reply = client.post("/cleaning/anomalies/answer", data={"township": township.name, "answer": "unverifiable",
                                                            "note": "基准：批量答复", "count": count})
    assert reply.status_code == 302, reply.get_data(as_text=True)[:300]
    return time.perf_counter() - started, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--anomalies", type=int, default=10_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        app = create_app({"DATA_DIR": str(root / "hub"), "DATABASE_URL": "", "WTF_CSRF_ENABLED": False},
                         check_schema=False)
        with app.app_context(), db.database.connection_context():
            db.migrate()
            county_setup.init_county(synthetic.COUNTY, synthetic.RONGAN_TOWNSHIPS)
            plant(root, options.households, options.anomalies)
            client = signed_in(app)
            one = Anomaly.select().first().id
            number = Household.select().first().number
            queue = {"queue, first page": "/cleaning/anomalies", "queue, one rule": "/cleaning/anomalies?rule=P5",
                     "queue, page 50": "/cleaning/anomalies?page=50"}
            timed = {label: median_ms(client, path) for label, path in queue.items()}
            timed["one anomaly"] = median_ms(client, f"/cleaning/anomalies/{one}")
            pages = {"queue": "/cleaning/anomalies", "anomaly": f"/cleaning/anomalies/{one}",
                     "household": f"/households/{number}", "home": "/"}
            packed = {label: sizes(client, path) for label, path in pages.items()}
            bulk, answered = bulk_answer(client)
    print(f"\nfieldsync pages bench — {options.anomalies:,} open anomalies, {options.households:,} households "
          f"(SQLite, in-process, median of {REPEATS})\n")
    for label, ms in timed.items():
        print(f"  {label:<20} {ms:>7.1f} ms")
    slowest = max(timed[label] for label in queue)
    print(f"  target: slowest queue page < {TARGET_MS} ms — {'ok' if slowest < TARGET_MS else 'MISSED'}\n")
    print(f"  bulk answer of one township's {answered:,} open anomalies (one audit entry each): {bulk:.1f} s\n")
    for label, (plain, gz) in packed.items():
        print(f"  {label:<12} {plain / 1024:>7.1f} KiB → {gz / 1024:>6.1f} KiB gzip'd ({plain / max(gz, 1):.1f}×)")
    return 0 if slowest < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
