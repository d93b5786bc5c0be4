"""A run killed with -9 does not block later ones; stopping a verb stops its work and says what is done."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from synth_assets.air_quality import layout
from synth_assets.core.run_health import PID_TAG
from synth_assets_tests.conftest import sha256_tree

REPO = Path(__file__).resolve().parents[2]
SYNTH = str(Path(sys.executable).with_name("synth"))


@pytest.fixture
def shell_env(tmp_path) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNTH_") and k != "DATABASE_URL"}
    return {**env, "DAGSTER_HOME": str(home), "SYNTH_DATA_DIR": str(tmp_path / "data"), "SYNTH_SEED": "5",
            "PYTHONUNBUFFERED": "1"}


def _instance(env) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(env["DAGSTER_HOME"])


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _start_slot_holder(env) -> subprocess.Popen:
    """A content load that takes a while and holds the pool `duckdb` (one writer per DuckDB file)."""
    return subprocess.Popen(
        [sys.executable, "-m", "synth_assets.core.run_worker", "--select", "content/users",
         "--partition-range", "2025-05-01...2025-09-21"],
        env={**env, "SYNTH_CONTENT_USERS": "3000000"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        cwd=REPO)


def _wait_for_the_slot(instance) -> None:
    _wait_for(lambda: instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots, 90,
              "the holder to claim the duckdb slot")


def test_a_run_killed_holding_the_duckdb_slot_does_not_block_the_next(shell_env, tmp_path):
    worker = _start_slot_holder(shell_env)
    instance = _instance(shell_env)
    try:
        _wait_for_the_slot(instance)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        [killed] = instance.get_runs(dg.RunsFilter(tags={PID_TAG: str(worker.pid)}))
        assert killed.status == dg.DagsterRunStatus.STARTED  # what Dagster alone leaves behind

        # the yearly roll-up needs the same pool; before the fix it waited forever ("0/1 years")
        done = subprocess.run([SYNTH, "generate-data", "--start", "2021-01-01", "--end", "2021-12-31"],
                              env=shell_env, capture_output=True, text=True, timeout=240, cwd=REPO)

        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "had lost its worker" in done.stdout
        assert layout.yearly_path(tmp_path / "data", "sample", 2021).exists()
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
        assert not instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
    finally:
        if worker.poll() is None:
            worker.kill()
        instance.dispose()


def test_a_blocked_verb_says_which_run_it_waits_for(shell_env, tmp_path):
    """A live holder is not reaped: the verb names it instead of spinning silently."""
    holder = _start_slot_holder(shell_env)
    instance = _instance(shell_env)
    waiting = None
    try:
        _wait_for_the_slot(instance)
        os.kill(holder.pid, signal.SIGSTOP)  # alive but not progressing: it keeps the slot as long as we like
        waiting = subprocess.Popen([SYNTH, "generate-data", "--start", "2021-01-01", "--end", "2021-12-31"],
                                   env=shell_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
        [holder_run] = instance.get_runs(dg.RunsFilter(tags={PID_TAG: str(holder.pid)}))
        said = []
        deadline = time.monotonic() + 180
        for line in waiting.stdout:
            said.append(line)
            if "waiting;" in line or time.monotonic() > deadline:
                break
        text = "".join(said)
        assert "waiting;" in text, text
        assert holder_run.run_id[:8] in text and "its worker is running" in text
        assert "had lost its worker" not in text  # a live holder is never reaped
        assert instance.get_run_by_id(holder_run.run_id).status == dg.DagsterRunStatus.STARTED
    finally:
        for process in (waiting, holder):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
                if process.stdout:
                    process.stdout.close()
        # the waiting verb's worker cannot act on SIGINT while it waits for the slot: its watchdog kills it
        runs_of_2021 = instance.get_runs(dg.RunsFilter(tags={"dagster/asset_partition_range_start": "2021"}))
        workers = [int(r.tags[PID_TAG]) for r in runs_of_2021]
        _wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 30, "orphaned workers to stop")
        instance.dispose()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_stopping_generate_data_stops_the_worker_and_a_rerun_resumes_identically(shell_env, tmp_path, signum):
    data = tmp_path / "data"
    # full mode (300 cities) so that the days take long enough to stop midway; not a whole year: no roll-up
    args = [SYNTH, "generate-data", "--mode", "full", "--start", "2020-01-01", "--end", "2020-12-30"]
    process = subprocess.Popen(args, env=shell_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=REPO)
    hourly = layout.hourly_dir(data, "full")
    _wait_for(lambda: len(list(hourly.glob("*/*.parquet"))) >= 20, 120, "the first daily files")
    process.send_signal(signum)
    out, err = process.communicate(timeout=120)

    assert process.returncode == 128 + signum, out + err
    assert f"stopped by {signal.Signals(signum).name}" in err and "were written, each one complete" in err
    written = sha256_tree(hourly)
    time.sleep(2)  # the worker is gone: no file appears or changes after the verb returned
    assert sha256_tree(hourly) == written
    assert 20 <= len(written) < 365
    instance = _instance(shell_env)
    try:  # the run ended and left no slot behind
        assert not instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert not instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
    finally:
        instance.dispose()

    if signum != signal.SIGTERM:
        return  # resuming is the same whatever stopped the verb: checked once, after SIGTERM
    again = subprocess.run(args, env=shell_env, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert again.returncode == 0, again.stderr[-3000:]
    after = sha256_tree(hourly)
    assert len(after) == 365
    assert {name: after[name] for name in written} == written  # complete days unchanged, byte for byte


def test_a_verb_killed_with_9_takes_its_worker_down_cleanly(shell_env, tmp_path):
    """`synth` itself gets SIGKILL (nothing to catch): the kernel tells the worker, which stops cleanly."""
    data = tmp_path / "data"
    command = [SYNTH, "generate-data", "--mode", "full", "--start", "2020-01-01", "--end", "2020-12-30"]
    process = subprocess.Popen(command,
                               env=shell_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    hourly = layout.hourly_dir(data, "full")
    _wait_for(lambda: len(list(hourly.glob("*/*.parquet"))) >= 20, 120, "the first daily files")
    instance = _instance(shell_env)
    try:
        [run] = instance.get_runs(dg.RunsFilter(tags={"dagster/asset_partition_range_start": "2020-01-01"}))
        worker_pid = int(run.tags[PID_TAG])
        process.kill()
        process.wait()
        _wait_for(lambda: not Path(f"/proc/{worker_pid}").exists(), 60, "the worker to stop")
        written = sha256_tree(hourly)
        time.sleep(2)
        assert sha256_tree(hourly) == written and len(written) < 365  # it stopped midway, not at the end
        ended = instance.get_run_by_id(run.run_id)
        assert ended.is_finished and ended.status != dg.DagsterRunStatus.SUCCESS
        assert not instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
    finally:
        if process.poll() is None:
            process.kill()
        instance.dispose()


def test_a_worker_is_judged_dead_only_when_that_can_be_told(tmp_path):
    from synth_assets.core.run_health import HOST_TAG, STARTED_TAG, worker_alive, worker_tags

    assert worker_alive(worker_tags()) is True
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert worker_alive(worker_tags(gone.pid) | {STARTED_TAG: "12345"}) is False
    # the pid now runs something else (another start time): that is not our worker
    assert worker_alive(worker_tags() | {STARTED_TAG: "1"}) is False
    # no start time recorded: only "no such process" counts, a live pid is unknown, never dead
    assert worker_alive(worker_tags() | {STARTED_TAG: ""}) is None
    assert worker_alive(worker_tags(gone.pid) | {STARTED_TAG: ""}) is False
    assert worker_alive(worker_tags() | {HOST_TAG: "another-host"}) is None
