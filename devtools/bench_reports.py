"""Reports benchmark: the month's reports for a county of 1,000,000 members (all townships), time and peak memory.

Builds the county of devtools/bench_cleaning.py (bulk inserts, twelve months of visits, about 2 % planted errors),
runs one cleaning run, then times each report `fieldsync-hub export` writes: the anomaly lists per township, the
untransferred-labour table for the county and per village, income classes, coverage, the quarter's hand-off to
县人社局 and the quarterly analysis.  Peak memory is the process's peak resident set (ru_maxrss) before and after the
reports: the reports' own peak is the growth, when there is one.  Target: all reports under 600 s, growth under
2 GB.  Beside each wall-clock time it prints the process's CPU time (``time.process_time``: the database is
SQLite, in the process), which says how much of the time was the reports' own work and how much waiting for a
core on a shared machine.  On the same county (built once), before the reports, it times the dashboard's
figures (docs/dashboard.md): the
county's, by township, and one township's, by village (``bench_cleaning.dashboard_seconds``); the reports' memory
growth is then counted from the peak after the figures.  ``--dashboard-only`` skips the reports.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from devtools.bench_cleaning import PERIOD, dashboard_seconds, generate
from hub.store import db
from hub.web.app import create_app

TARGET_SECONDS, TARGET_GROWTH_MB = 600, 2048


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reports(out: Path) -> list[tuple[str, Callable[[], list[Path]]]]:
    from hub.cleaning import exports
    from hub.cleaning.catalogue import Context
    from hub.cleaning.rules import facts
    from hub.county.parameters import parameters
    from hub.reports import analysis, handoff

    def income() -> list[Path]:
        ctx = Context(PERIOD, date(2026, 11, 11), parameters())
        facts.build_household_months(ctx)
        return exports.quarterly_income(out, ctx)

    quarter = handoff.last_quarter_end(PERIOD)
    return [
        ("anomaly lists per township", lambda: exports.anomaly_lists(out)),
        ("untransferred labour, county and villages",
         lambda: exports.untransferred_labour(out, PERIOD, per_village=True)),
        ("income classes with P1-P4", income),
        ("coverage per village", lambda: exports.coverage_table(out, PERIOD)),
        ("quarterly hand-off", lambda: handoff.quarterly_handoff(out, quarter)),
        ("quarterly analysis", lambda: analysis.quarterly_analysis(out, quarter, parameters())),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--villages-per-township", type=int, default=20)
    parser.add_argument("--dashboard-only", action="store_true", help="time the dashboard's figures, no reports")
    parser.add_argument("--county", type=Path, help="keep the county in this folder: built there when it holds none, "
                        "else reused as it is (at 1,000,000 members building takes tens of minutes on a shared "
                        "machine); the cleaning run and everything timed run again")
    options = parser.parse_args()
    from hub.cleaning import runner

    folder = options.county or Path(tempfile.mkdtemp(prefix="fieldsync-reports-bench-"))
    reused = (folder / "hub.db").exists()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(folder / "out", ignore_errors=True)
    app = create_app({"DATA_DIR": str(folder), "DATABASE_URL": ""}, check_schema=False)
    timings = []
    with app.app_context(), db.database.connection_context():
        db.migrate()
        if reused:
            print(f"  reusing the county in {folder}", flush=True)
        else:
            generate(options.members, options.villages_per_township)
        runner.run(PERIOD, date(2026, 11, 11))
        cleaned = peak_mb()
        county_seconds, township_seconds = dashboard_seconds()
        print(f"  dashboard figures: {county_seconds:.1f} s the county, {township_seconds:.1f} s one township; peak "
              f"resident memory {cleaned:,.0f} MB after the cleaning run, {peak_mb():,.0f} MB after the figures",
              flush=True)
        before = peak_mb()
        for label, build in [] if options.dashboard_only else reports(folder / "out"):
            started, cpu = time.perf_counter(), time.process_time()
            written = build()
            timings.append((label, time.perf_counter() - started, time.process_time() - cpu, len(written)))
            print(f"  {label}: {timings[-1][1]:.1f} s (CPU {timings[-1][2]:.1f} s), {len(written)} files", flush=True)
        after = peak_mb()
    total, growth = sum(t for _, t, _, _ in timings), max(0.0, after - before)
    total_cpu = sum(cpu for _, _, cpu, _ in timings)
    print(f"\nfieldsync reports bench — {options.members:,} members, month {PERIOD}\n")
    for label, seconds, cpu, files in timings:
        print(f"{label:<44} {seconds:>8.1f} s (CPU {cpu:>6.1f} s) {files:>6} files")
    print(f"{'all reports':<44} {total:>8.1f} s (CPU {total_cpu:>6.1f} s)   target < {TARGET_SECONDS} s")
    print(f"load average at the end: {' '.join(f'{value:.1f}' for value in os.getloadavg())} "
          f"({os.cpu_count()} cores)")
    print(f"peak resident memory: {before:,.0f} MB before the reports, {after:,.0f} MB after "
          f"(growth {growth:,.0f} MB, target < {TARGET_GROWTH_MB} MB)")
    print(f"dashboard figures: {county_seconds:.1f} s the county (by township), {township_seconds:.1f} s one township "
          f"(by village); peak resident memory {cleaned:,.0f} MB before them")
    return 0 if total < TARGET_SECONDS and growth < TARGET_GROWTH_MB else 1


if __name__ == "__main__":
    sys.exit(main())
