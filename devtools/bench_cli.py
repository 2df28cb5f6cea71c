"""`make bench`: how fast the command lines start (issue 13).

A county registers dozens of stations and users by script, one command at a time, so each command's start-up is
paid again and again.  Measured as a user runs them — the installed entry points, in a fresh process each time —
median and slowest of ``--runs``:

1. `fieldsync-hub --help` (target < 0.3 s): the listing reads each command's help from its source;
2. simple hub commands on an initialised SQLite hub, `nodes` and `rule-setting` (target < 1 s): each imports
   only its own module and what it uses;
3. `fieldsync-node --help`, for comparison.

The exit status is non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from devtools.processes import BIN

TARGET_HELP_S, TARGET_COMMAND_S = 0.3, 1.0


def timed(argv: list[str], runs: int) -> tuple[float, float]:
    """Median and slowest wall time of ``argv`` in a fresh process, after one unmeasured run (disk cache warm)."""
    subprocess.run(argv, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def report(label: str, argv: list[str], runs: int, target: float | None) -> bool:
    median, slowest = timed(argv, runs)
    ok = target is None or median < target
    verdict = "" if target is None else f" (target < {target:g} s) {'ok' if ok else 'MISSED'}"
    print(f"{label}: median {median:.2f} s, slowest {slowest:.2f} s{verdict}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="measured runs of each command")
    args = parser.parse_args(argv)
    hub, node = str(BIN / "fieldsync-hub"), str(BIN / "fieldsync-node")
    print("command-line start-up (fresh process per run)")
    with tempfile.TemporaryDirectory() as scratch:
        data = ["--data-dir", str(Path(scratch) / "hub")]
        subprocess.run([hub, *data, "init", "--county", "融安县", "--township", "长安镇"], check=True,
                       capture_output=True)
        results = [report("fieldsync-hub --help", [hub, "--help"], args.runs, TARGET_HELP_S),
                   report("fieldsync-hub nodes", [hub, *data, "nodes"], args.runs, TARGET_COMMAND_S),
                   report("fieldsync-hub rule-setting", [hub, *data, "rule-setting"], args.runs, TARGET_COMMAND_S),
                   report("fieldsync-node --help", [node, "--help"], args.runs, None)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
