"""The deployment chooses the backfill policy of the daily assets (SYNTH_BACKFILL_POLICY, SYNTH_BACKFILL_CHUNK_DAYS).

The policy is part of the definitions, so each setting is loaded the way a code server loads it: a fresh
interpreter importing ``synth_assets.definitions`` with that environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import dagster as dg
import pytest

from synth_assets.core.backfill import (
    CHUNK_ENV,
    DEFAULT_CHUNK_DAYS,
    POLICY_ENV,
    BackfillSettings,
    daily_backfill_policy,
)

DAILY_ASSETS = ("air_quality/hourly_measurements", "smart_home/events")
_PRINT_POLICIES = """
import json
from synth_assets.definitions import defs
graph = defs.resolve_asset_graph()
out = {}
for key in graph.get_all_asset_keys():
    policy = graph.get(key).backfill_policy
    out[key.to_user_string()] = None if policy is None else [policy.policy_type.value, policy.max_partitions_per_run]
print(json.dumps(out))
"""


def _load_definitions(**variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (POLICY_ENV, CHUNK_ENV)} | variables
    return subprocess.run([sys.executable, "-c", _PRINT_POLICIES], env=env, capture_output=True, text=True,
                          timeout=180)


def test_the_code_location_takes_the_policy_of_its_environment():
    default = _load_definitions()
    multi = _load_definitions(**{POLICY_ENV: "multi_run", CHUNK_ENV: "7"})
    assert default.returncode == 0 and multi.returncode == 0, default.stderr[-2000:] + multi.stderr[-2000:]
    default_policies, multi_policies = json.loads(default.stdout), json.loads(multi.stdout)
    for key in DAILY_ASSETS:
        assert default_policies[key] == ["SINGLE_RUN", None]
        assert multi_policies[key] == ["MULTI_RUN", 7]
    # only the daily assets follow the setting; e.g. the yearly roll-up stays one run
    changed = {key for key in default_policies if default_policies[key] != multi_policies[key]}
    assert changed == set(DAILY_ASSETS)


def test_a_bad_chunk_stops_the_code_location_with_the_variable_named():
    loaded = _load_definitions(**{POLICY_ENV: "multi_run", CHUNK_ENV: "0"})
    assert loaded.returncode != 0
    assert f"{CHUNK_ENV}='0' is refused" in loaded.stderr and "greater than 0" in loaded.stderr


def test_defaults_and_multi_run_chunks():
    assert daily_backfill_policy({}) == dg.BackfillPolicy.single_run()
    assert daily_backfill_policy({POLICY_ENV: "multi_run"}) == dg.BackfillPolicy.multi_run(DEFAULT_CHUNK_DAYS)
    assert daily_backfill_policy({POLICY_ENV: " multi_run ", CHUNK_ENV: "3"}) == dg.BackfillPolicy.multi_run(3)
    assert BackfillSettings.from_env({POLICY_ENV: "", CHUNK_ENV: ""}) == BackfillSettings()


@pytest.mark.parametrize(("variables", "message"), [
    ({CHUNK_ENV: "0"}, f"{CHUNK_ENV}='0' is refused: Input should be greater than 0"),
    ({CHUNK_ENV: "-7"}, f"{CHUNK_ENV}='-7' is refused"),
    ({CHUNK_ENV: "a week"}, f"{CHUNK_ENV}='a week' is not a whole number of days"),
    ({POLICY_ENV: "multi-run"}, f"{POLICY_ENV}='multi-run' is refused"),
    ({POLICY_ENV: "parallel"}, "give single_run or multi_run"),
])
def test_bad_values_are_refused_with_the_variable_named(variables, message):
    with pytest.raises(ValueError) as raised:
        daily_backfill_policy(variables)
    assert message in str(raised.value)
