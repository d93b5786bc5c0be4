"""The production topology as real processes: a multi-run backfill writes the bytes of one process, and a
run worker killed with -9 mid-backfill is re-executed to the same complete result.

One cluster per module (PostgreSQL instance in the session's throw-away server, ``dagster code-server
start``, ``dagster-webserver`` and ``dagster-daemon run`` on a ``grpc_server`` workspace, QueuedRunCoordinator,
DefaultRunLauncher), code location loaded with ``SYNTH_BACKFILL_POLICY=multi_run`` and 11-day chunks. One
backfill of January 2020 (sample mode, 3 runs) is submitted with ``launchPartitionBackfill`` into a data
directory of its own (run config); the first run worker that starts is killed with SIGKILL (its pid from the
run's "Started process for run (pid: N)" event, while it loads the code) and the failed run is re-executed
from failure (``launchRunReexecution``). The files are compared with a single-process ``dg.materialize`` of
the same seed, file by file (sha256). One backfill, not a clean one and a killed one: each run worker here
takes ~25 s (a fresh interpreter importing the code location on 2 shared cores) and the daemon's backfill
loop runs every 30 s, so every further backfill costs about a minute of the suite's time.
"""

from __future__ import annotations

import math
import os
import re
import signal
import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from synth_assets.air_quality import layout
from synth_assets.cluster import backfills
from synth_assets.cluster.config import InstanceDatabase, InstanceDatabaseUnreachable, QueueLimits
from synth_assets.cluster.graphql import graphql
from synth_assets.cluster.processes import free_port, running_cluster, start_cluster
from synth_assets_tests.air_quality.helpers import materialize
from synth_assets_tests.conftest import make_resources, make_settings, sha256_tree

pytestmark = pytest.mark.xdist_group(name="local_cluster")  # one cluster: keep the module on one worker

REPO = Path(__file__).resolve().parents[2]
SEED, MODE, CHUNK_DAYS = 11, "sample", 11
FIRST, LAST = date(2020, 1, 1), date(2020, 1, 31)
DAYS = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
RUNS_PER_BACKFILL = math.ceil(len(DAYS) / CHUNK_DAYS)   # 3: 11 + 11 + 9 days
MAX_RUNS = 2                                             # fewer than the runs: the queue must hold one back
HOURLY = "air_quality/hourly_measurements"
RUN_SECONDS = 300
WORKER_PID = re.compile(r"Started process for run \(pid: (\d+)\)")
MATERIALIZATIONS = """
query Materializations($key: AssetKeyInput!) {
  assetOrError(assetKey: $key) { __typename ... on Asset { assetMaterializations(limit: 10000) { runId partition } } }
}
"""


def _data_dir_with_city_profiles(root: Path) -> Path:
    """A data directory holding the city profiles the backfill reads (made in this process)."""
    settings = make_settings(root, seed=SEED, mode=MODE)
    with dg.instance_for_test() as instance:
        assert materialize(["air_quality/city_profiles"], make_resources(settings), instance).success
    return root


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, str]:
    """sha256 of every file of the month made by one process (dg.materialize over the range)."""
    root = _data_dir_with_city_profiles(tmp_path_factory.mktemp("reference") / "data")
    with dg.instance_for_test() as instance:
        assert materialize([HOURLY], make_resources(make_settings(root, seed=SEED, mode=MODE)), instance,
                           partition_range=(FIRST.isoformat(), LAST.isoformat())).success
    return sha256_tree(root)


@pytest.fixture(scope="module")
def cluster(postgres_server, tmp_path_factory):
    name = "dagster_cluster_test"
    postgres_server.create_database(name)
    database = InstanceDatabase(host=postgres_server.host, port=postgres_server.port, user=postgres_server.user,
                                database=name)
    root = tmp_path_factory.mktemp("cluster")
    settings_env = {"SYNTH_SEED": str(SEED), "SYNTH_AIR_QUALITY_MODE": MODE, "SYNTH_DATA_DIR": str(root / "unused"),
                    "SYNTH_BACKFILL_POLICY": "multi_run", "SYNTH_BACKFILL_CHUNK_DAYS": str(CHUNK_DAYS)}
    try:
        limits = QueueLimits(max_concurrent_runs=MAX_RUNS, runs_per_backfill=MAX_RUNS)
        with running_cluster(root / "dagster_home", database, settings_env, limits, cwd=REPO) as running:
            yield running, root
    finally:
        postgres_server.drop_database(name)


def _kill_first_worker(url: str, backfill_id: str, timeout_seconds: float = RUN_SECONDS) -> str:
    """SIGKILL the process of the backfill's first run to report its pid (while it loads the code); its run id."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        for run in backfills.backfill_runs(url, backfill_id):
            if run["status"] not in ("STARTING", "STARTED"):
                continue
            found = [WORKER_PID.search(message) for message in backfills.run_messages(url, run["run_id"])]
            pids = [int(match.group(1)) for match in found if match]
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                return run["run_id"]
        time.sleep(0.2)
    raise AssertionError(f"no run worker of backfill {backfill_id} started within {timeout_seconds} s")


@pytest.fixture(scope="module")
def month_backfill(cluster):
    """The backfill, its first run worker killed, the failed run re-executed from failure: what happened."""
    running, root = cluster
    data_dir = _data_dir_with_city_profiles(root / "data")
    backfill_id = backfills.launch_backfill(
        running.url, [HOURLY], [day.isoformat() for day in DAYS], title="January 2020",
        run_config={"resources": {"settings": {"config": {"data_dir": str(data_dir)}}}})
    killed_run = _kill_first_worker(running.url, backfill_id)
    backfills.wait_for_run_ids(running.url, [killed_run], RUN_SECONDS)   # the code server marks it failed
    retry = backfills.reexecute_from_failure(running.url, killed_run)    # while the other runs go on
    retried = backfills.wait_for_run_ids(running.url, [retry], RUN_SECONDS)
    first_runs = [run for run in backfills.wait_for_runs(running.url, backfill_id, RUNS_PER_BACKFILL, RUN_SECONDS)
                  if run["run_id"] != retry]   # the re-execution keeps the backfill's tag while it runs
    failed = [run["run_id"] for run in first_runs if run["status"] == "FAILURE"]
    return {"data_dir": data_dir, "killed_run": killed_run, "first_runs": first_runs, "failed": failed,
            "retried": retried, "url": running.url}


def _materialized_partitions(url: str, run_ids: set[str]) -> list[str]:
    result = graphql(url, MATERIALIZATIONS, {"key": {"path": HOURLY.split("/")}})["assetOrError"]
    return sorted(event["partition"] for event in result["assetMaterializations"] if event["runId"] in run_ids)


def _partition_days(run: dict) -> list[str]:
    first = date.fromisoformat(run["tags"]["dagster/asset_partition_range_start"])
    last = date.fromisoformat(run["tags"]["dagster/asset_partition_range_end"])
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def test_the_backfill_is_cut_into_chunks_that_run_in_parallel_run_workers(month_backfill):
    runs = month_backfill["first_runs"]
    assert len(runs) == RUNS_PER_BACKFILL > 1
    assert sorted(day for run in runs for day in _partition_days(run)) == [day.isoformat() for day in DAYS]
    assert all(len(_partition_days(run)) <= CHUNK_DAYS for run in runs)
    clean = sorted((run for run in runs if run["status"] == "SUCCESS"), key=lambda run: run["start"])
    assert len(clean) == RUNS_PER_BACKFILL - 1
    assert clean[1]["start"] < clean[0]["end"]   # two run workers at work at the same time


def test_the_queue_never_runs_more_than_its_limit_at_once(month_backfill):
    runs = [*month_backfill["first_runs"], *month_backfill["retried"]]
    edges = sorted([(run["start"], 1) for run in runs] + [(run["end"], -1) for run in runs])  # an end before a start
    in_progress = [sum(step for _, step in edges[:i + 1]) for i in range(len(edges))]           # at the same instant
    assert max(in_progress) == MAX_RUNS < len(runs)


def test_a_killed_run_worker_fails_its_run_and_re_execution_completes_it(month_backfill):
    killed_run, url = month_backfill["killed_run"], month_backfill["url"]
    assert month_backfill["failed"] == [killed_run]   # the killed run, and no other, failed
    messages = " ".join(backfills.run_messages(url, killed_run))
    assert f"Run execution process for {killed_run} was terminated by signal 9 (SIGKILL)" in messages
    (retried,) = month_backfill["retried"]
    assert retried["status"] == "SUCCESS"
    killed = next(run for run in month_backfill["first_runs"] if run["run_id"] == killed_run)
    assert _partition_days(retried) == _partition_days(killed)   # the re-execution ran the killed run's days
    # every day materialized exactly once by the successful runs: no duplicate, no missing partition
    succeeded = {run["run_id"] for run in [*month_backfill["first_runs"], retried] if run["status"] == "SUCCESS"}
    assert _materialized_partitions(url, succeeded) == [day.isoformat() for day in DAYS]
    assert _materialized_partitions(url, {killed_run}) == []


def test_the_cluster_writes_the_bytes_of_one_process(month_backfill, reference):
    data_dir = month_backfill["data_dir"]
    assert sorted(layout.hourly_dir(data_dir, MODE).rglob("*.parquet")) == sorted(
        layout.daily_path(data_dir, MODE, day) for day in DAYS)
    # the worker is killed while it loads the code, so not even a hidden temp file (.<day>.parquet.<id>.tmp) is
    # left; a kill in the middle of a write is tested in reliability/test_killed_runs.py
    assert not list(layout.hourly_dir(data_dir, MODE).rglob(".*.tmp"))
    written = sha256_tree(data_dir)
    assert len(written) == len(DAYS) + 1 and written == reference   # the month's daily files and the city profiles


def test_an_unreachable_instance_database_is_a_clear_error_before_any_process_starts(tmp_path):
    database = InstanceDatabase(port=free_port(), database="dagster")   # nothing listens there
    begun = time.monotonic()
    with pytest.raises(InstanceDatabaseUnreachable) as raised:
        start_cluster(tmp_path / "home", database, {})
    message = str(raised.value)
    assert f"postgresql://postgres@127.0.0.1:{database.port}/dagster does not answer" in message
    assert "DAGSTER_PG_HOST" in message and "no Dagster process was started" in message
    assert not (tmp_path / "home").exists() and time.monotonic() - begun < 10
