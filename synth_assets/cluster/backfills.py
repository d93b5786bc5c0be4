"""Backfills submitted, watched and repaired through the webserver's GraphQL API, as the Dagster UI does.

* :func:`launch_backfill`: the UI's "Materialize selected" over a partition range is the
  ``launchPartitionBackfill`` mutation with an asset selection and partition names; the daemon's backfill
  loop then cuts the range into runs by each asset's backfill policy (``SYNTH_BACKFILL_POLICY``) and the
  queue loop starts them within the run coordinator's limits;
* :func:`backfill_runs` / :func:`wait_for_runs`: the runs tagged ``dagster/backfill=<id>``
  (:func:`wait_for_run_ids`: runs by id);
* :func:`reexecute_from_failure`: the UI's "Re-execute from failure" of a failed run, the
  ``launchRunReexecution`` mutation (strategy ``FROM_FAILURE``): a new run over the same partition range.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from synth_assets.cluster.graphql import ClusterError, expect, graphql

BACKFILL_TAG = "dagster/backfill"
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")

LAUNCH_BACKFILL = """
mutation LaunchBackfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}
"""
RUNS = """
query BackfillRuns($filter: RunsFilter) {
  runsOrError(filter: $filter) {
    __typename
    ... on Runs { results { runId status startTime endTime tags { key value } } }
    ... on Error { message }
  }
}
"""
BACKFILL = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { id status numPartitions }
    ... on Error { message }
  }
}
"""
REEXECUTE = """
mutation Reexecute($params: ReexecutionParams!) {
  launchRunReexecution(reexecutionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
  }
}
"""
RUN_EVENTS = """
query RunEvents($runId: ID!) {
  logsForRun(runId: $runId) {
    __typename
    ... on EventConnection { events { __typename ... on MessageEvent { message } } }
    ... on Error { message }
  }
}
"""


def _tags(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in (tags or {}).items()]


def launch_backfill(url: str, asset_keys: Sequence[str], partition_names: Sequence[str],
                    run_config: dict | None = None, tags: dict[str, str] | None = None,
                    title: str | None = None) -> str:
    """Submit a backfill of ``asset_keys`` ("family/name") over ``partition_names``; the backfill id."""
    params: dict = {"assetSelection": [{"path": key.split("/")} for key in asset_keys],
                    "partitionNames": list(partition_names), "tags": _tags(tags)}
    if run_config:
        params["runConfigData"] = run_config
    if title:
        params["title"] = title
    result = graphql(url, LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
    return expect(result, "LaunchBackfillSuccess", "launchPartitionBackfill")["backfillId"]


def backfill_status(url: str, backfill_id: str) -> str:
    result = graphql(url, BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
    return expect(result, "PartitionBackfill", f"looking up backfill {backfill_id}")["status"]


def backfill_runs(url: str, backfill_id: str) -> list[dict]:
    """The runs of a backfill (including re-executions, which keep the tag): runId, status, tags as a dict."""
    result = graphql(url, RUNS, {"filter": {"tags": [{"key": BACKFILL_TAG, "value": backfill_id}]}})["runsOrError"]
    runs = expect(result, "Runs", f"listing the runs of backfill {backfill_id}")["results"]
    return [_run(run) for run in runs]


def _run(run: dict) -> dict:
    return {"run_id": run["runId"], "status": run["status"], "start": run["startTime"], "end": run["endTime"],
            "tags": {tag["key"]: tag["value"] for tag in run["tags"]}}


def runs_by_id(url: str, run_ids: Sequence[str]) -> list[dict]:
    """The runs with these ids (a re-execution of a run of a finished backfill does not carry its tag)."""
    result = graphql(url, RUNS, {"filter": {"runIds": list(run_ids)}})["runsOrError"]
    return [_run(run) for run in expect(result, "Runs", "listing runs")["results"]]


def wait_for_run_ids(url: str, run_ids: Sequence[str], timeout_seconds: float, poll_seconds: float = 1.0) -> list[dict]:
    """Wait until each of these runs is finished; the runs."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        runs = runs_by_id(url, run_ids)
        if len(runs) == len(run_ids) and all(run["status"] in FINISHED for run in runs):
            return runs
        if time.monotonic() > deadline:
            raise ClusterError(f"runs {sorted((run['run_id'], run['status']) for run in runs)} not finished after "
                               f"{timeout_seconds:.0f} s")
        time.sleep(poll_seconds)


def wait_for_runs(url: str, backfill_id: str, expected: int, timeout_seconds: float,
                  poll_seconds: float = 1.0) -> list[dict]:
    """Wait until the backfill has at least ``expected`` runs and all of them are finished; its runs."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        runs = backfill_runs(url, backfill_id)
        if len(runs) >= expected and all(run["status"] in FINISHED for run in runs):
            return runs
        if time.monotonic() > deadline:
            states = sorted(run["status"] for run in runs)
            raise ClusterError(f"backfill {backfill_id}: {len(runs)}/{expected} runs {states} after "
                               f"{timeout_seconds:.0f} s")
        time.sleep(poll_seconds)


def wait_for_backfill(url: str, backfill_id: str, timeout_seconds: float, poll_seconds: float = 2.0) -> str:
    """Wait until the daemon has marked the backfill finished (its loop runs every 30 s); the status."""
    deadline = time.monotonic() + timeout_seconds
    while (status := backfill_status(url, backfill_id)) in ("REQUESTED", "CANCELING", "FAILING"):
        if time.monotonic() > deadline:
            raise ClusterError(f"backfill {backfill_id} is still {status} after {timeout_seconds:.0f} s")
        time.sleep(poll_seconds)
    return status


def reexecute_from_failure(url: str, run_id: str) -> str:
    """Re-execute a failed run from its failure (same partitions, same tags); the new run's id."""
    result = graphql(url, REEXECUTE, {"params": {"parentRunId": run_id, "strategy": "FROM_FAILURE"}})
    return expect(result["launchRunReexecution"], "LaunchRunSuccess", f"re-executing run {run_id}")["run"]["runId"]


def run_messages(url: str, run_id: str) -> list[str]:
    """The messages of a run's event log, oldest first."""
    result = graphql(url, RUN_EVENTS, {"runId": run_id})["logsForRun"]
    events = expect(result, "EventConnection", f"reading the events of run {run_id}")["events"]
    return [event.get("message") or "" for event in events]
