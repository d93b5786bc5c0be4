"""`synth runs list|trigger|delete` end to end against a real dagster-webserver serving synth_assets.definitions.

The fixture prepares a small data directory (20 homes, a 2-day window) in-process, then starts the webserver
on a free port with a temporary DAGSTER_HOME and that data directory in its environment (SYNTH_DATA_DIR), so
the runs it launches read it. Runs are launched at once (DefaultRunCoordinator: no daemon in the test)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
import requests

from synth_assets import runs_cli
from synth_assets.smart_home.training import assets as training_assets
from synth_assets.smart_home.training.graph import GROUP as TRAINING_GROUP
from synth_assets_tests.postgres_fixture import _free_port
from synth_assets_tests.smart_home import training_data

REPO = Path(__file__).resolve().parents[1]
HOMES, WINDOW_DAYS = 20, 2
STARTUP_SECONDS = 180
RUN_SECONDS = 420
INSTANCE_YAML = """telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
concurrency:
  pools:
    default_limit: 1
"""


def _prepare_training_inputs(root: Path) -> training_data.TrainingData:
    """Everything the code location's training job reads for the analysis day, made in this process."""
    from synth_assets.smart_home.definitions import defs  # the family's part of the code location

    with dg.instance_for_test() as instance:
        data = training_data.prepare(root, instance, homes=HOMES, window_days=WINDOW_DAYS)
        rest = (dg.AssetSelection.groups(TRAINING_GROUP).upstream() - dg.AssetSelection.groups(TRAINING_GROUP)
                - dg.AssetSelection.assets(*training_data.MADE_BY_PREPARE))
        graph = dg.Definitions.merge(defs, dg.Definitions(resources=data.resources)).resolve_asset_graph()
        if rest.resolve(graph):   # e.g. the automations and the day's suggestions the prompt pairs read
            result = dg.materialize(list(defs.assets), selection=rest, resources=data.resources, instance=instance,
                                    partition_key=data.day.isoformat())
            assert result.success
    return data


def _server_env(data: training_data.TrainingData, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNTH_", "DAGSTER_"))}
    return {**env, "DAGSTER_HOME": str(home), "SYNTH_DATA_DIR": str(data.settings.data_path),
            "SYNTH_SEED": str(data.settings.seed), "SYNTH_SMART_HOME_HOMES": str(HOMES),
            "SYNTH_SMART_HOME_PATTERN_WINDOW_DAYS": str(WINDOW_DAYS)}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs_cli")
    data = _prepare_training_inputs(root)
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (root / "webserver.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-webserver"), "-m", "synth_assets.definitions",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env=_server_env(data, home), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                if requests.get(f"{url}/server_info", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert process.poll() is None, (root / "webserver.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the webserver did not answer in time"
            time.sleep(1)
        yield url, data
    finally:
        os.killpg(process.pid, signal.SIGTERM)   # the webserver and the run processes it started
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def synth(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != runs_cli.URL_ENV}
    return subprocess.run([str(Path(sys.executable).parent / "synth"), "runs", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=RUN_SECONDS + 60)


def test_trigger_waits_for_success_list_shows_it_and_delete_removes_it(server):
    url, data = server
    day = data.day.isoformat()
    done = synth("trigger", "--day", day, "--url", url, "--wait", str(RUN_SECONDS))
    assert done.returncode == 0, done.stdout + done.stderr
    run_id = re.search(r"launched training run (\S+) for " + day, done.stdout).group(1)
    assert f"{url}/runs/{run_id}" in done.stdout and f"run {run_id}: SUCCESS" in done.stdout
    assert training_assets.model_path(data.settings.data_path, data.day).exists()

    listed = synth("list", "--url", url)
    assert listed.returncode == 0, listed.stderr
    (line,) = [row for row in listed.stdout.splitlines() if row.startswith(run_id)]
    cells = line.split()
    assert cells[1:3] == ["SUCCESS", day]
    accuracy, majority, macro_f1, homes = cells[-4:]
    assert 0 <= float(majority) <= float(accuracy) <= 1 and 0 <= float(macro_f1) <= 1 and homes == str(HOMES)

    deleted = synth("delete", run_id, "--url", url)
    assert deleted.returncode == 0 and f"deleted run {run_id}" in deleted.stdout, deleted.stderr
    assert run_id not in synth("list", "--url", url).stdout
    again = synth("delete", run_id, "--url", url)
    assert again.returncode == 1 and f"no run {run_id}" in again.stderr


def test_a_failing_run_is_reported_and_unknown_ids_are_refused(server):
    url, data = server
    no_patterns = (data.day + timedelta(days=1)).isoformat()   # no events or patterns for this day
    done = synth("trigger", "--day", no_patterns, "--url", url, "--wait", str(RUN_SECONDS))
    assert done.returncode == 1 and "FAILURE" in done.stdout, done.stdout + done.stderr
    unknown = synth("delete", "0123456789abcdef", "--url", url)
    assert unknown.returncode == 1 and "no run 0123456789abcdef" in unknown.stderr


def test_a_run_still_going_is_not_deleted_and_is_once_it_finished(server):
    url, data = server
    launched = synth("trigger", "--day", data.day.isoformat(), "--url", url)
    run_id = re.search(r"launched training run (\S+)", launched.stdout).group(1)
    refused = synth("delete", run_id, "--url", url)   # a training run takes far longer than this call
    assert refused.returncode == 1 and "a run that is not finished is not deleted" in refused.stderr, refused.stderr
    assert runs_cli.wait_for(url, run_id, RUN_SECONDS) == "SUCCESS"
    assert synth("delete", run_id, "--url", url).returncode == 0


def test_an_unreachable_server_names_the_url_and_make_ui(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}"
    for args in (("list",), ("trigger", "--day", "2024-01-10"), ("delete", "abc")):
        done = synth(*args, "--url", url)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert f"no Dagster webserver answers at {url}" in done.stderr and "make ui" in done.stderr


def test_bad_urls_and_days_are_refused_before_any_request():
    assert synth("list", "--url", "localhost:3000").returncode == 1
    assert "is not a Dagster webserver URL" in synth("list", "--url", "ftp://host").stderr
    bad_day = synth("trigger", "--day", "2024-02-30", "--url", "http://127.0.0.1:1")
    assert bad_day.returncode == 1 and "is not a day" in bad_day.stderr


@pytest.mark.parametrize("status", [s.value for s in dg.DagsterRunStatus if s.value not in runs_cli.FINISHED])
def test_a_run_that_may_still_execute_is_never_deleted(monkeypatch, status):
    asked = []

    def answer(url, query, variables):
        asked.append(query)
        return {"runOrError": {"__typename": "Run", "runId": "r1", "status": status, "jobName": "training"}}

    monkeypatch.setattr(runs_cli, "graphql", answer)
    with pytest.raises(runs_cli.RunsError, match=f"run r1 is {status}: a run that is not finished is not deleted"):
        runs_cli.delete_run("http://x", "r1")
    assert asked == [runs_cli.RUN_QUERY]   # the delete mutation was never sent


def test_only_training_runs_are_deleted(monkeypatch):
    monkeypatch.setattr(runs_cli, "graphql", lambda url, query, variables: {"runOrError": {
        "__typename": "Run", "runId": "r2", "status": "SUCCESS", "jobName": "smart_home_patterns_daily"}})
    with pytest.raises(runs_cli.RunsError, match="not a training run"):
        runs_cli.delete_run("http://x", "r2")


def test_the_url_comes_from_the_option_then_the_environment(monkeypatch):
    monkeypatch.setenv(runs_cli.URL_ENV, "http://dagster.internal:8080/")
    assert runs_cli.server_url(None) == "http://dagster.internal:8080"
    assert runs_cli.server_url("https://x.example/prefix") == "https://x.example/prefix"
    monkeypatch.delenv(runs_cli.URL_ENV)
    assert runs_cli.server_url(None) == runs_cli.DEFAULT_URL
