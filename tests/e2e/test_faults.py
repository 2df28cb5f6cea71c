"""The fault suite's short form (``make faults`` runs the long one): real processes, real faults, and the hub ends
with every saved record exactly once."""

from __future__ import annotations

import pytest

from devtools import faults

pytestmark = pytest.mark.e2e


def test_faults_lose_nothing_and_duplicate_nothing(tmp_path):
    outcomes = faults.run_suite(tmp_path, runs=3, short=True)
    print("\n" + faults.table(outcomes))
    assert {o.fault for o in outcomes} >= {"node SIGKILL while saving", "node SIGKILL while syncing",
                                           "hub SIGKILL mid-push", "node disk full",
                                           "node clock years off, jumping back",
                                           "cloned node (same key, diverging records)"}
    for outcome in outcomes:
        assert outcome.sent > 0 and outcome.ok, faults.table([outcome])
        assert outcome.stored == outcome.sent and outcome.lost == 0 and outcome.duplicated == 0
