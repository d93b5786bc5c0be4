"""`synth runs list|trigger|delete`: training runs from the terminal, through Dagster's GraphQL API.

The same API the Dagster UI uses, on a running webserver (`make ui`; --url or SYNTH_DAGSTER_URL, default
http://localhost:3000). A training run is a run of the ``training`` job for one analysis day (its partition).
Triggering and run status go through dagster_graphql's :class:`DagsterGraphQLClient`
(``submit_job_execution``, ``get_run_status``); listing and deleting, which the client has no method for,
are plain GraphQL queries (``runsOrError``, ``runOrError``, ``deleteRun``) posted to the same endpoint.
A run that is not finished (success, failure, canceled) is never deleted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

import requests

from synth_assets.smart_home.training.jobs import TRAINING_JOB

DEFAULT_URL = "http://localhost:3000"
URL_ENV = "SYNTH_DAGSTER_URL"
PARTITION_TAG = "dagster/partition"
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
"""The statuses of a run that will not execute any more: only such a run is deleted (Dagster's deleteRun
checks nothing itself; QUEUED, STARTED, MANAGED, SUSPENDED ... may still run)."""
METRICS = ("accuracy", "macro_f1", "majority_baseline_accuracy", "n_homes")
TIMEOUT_SECONDS = 30

RUNS_QUERY = """
query TrainingRuns($filter: RunsFilter, $limit: Int) {
  runsOrError(filter: $filter, limit: $limit) {
    __typename
    ... on Runs {
      results {
        runId status jobName creationTime startTime endTime
        tags { key value }
        assetMaterializations {
          assetKey { path }
          metadataEntries {
            label
            ... on FloatMetadataEntry { floatValue }
            ... on IntMetadataEntry { intValue }
          }
        }
      }
    }
    ... on InvalidPipelineRunsFilterError { message }
    ... on PythonError { message }
  }
}
"""

RUN_QUERY = """
query TrainingRun($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { runId status jobName }
    ... on RunNotFoundError { message }
    ... on PythonError { message }
  }
}
"""

DELETE_MUTATION = """
mutation DeleteTrainingRun($runId: String!) {
  deleteRun(runId: $runId) {
    __typename
    ... on DeletePipelineRunSuccess { runId }
    ... on RunNotFoundError { message }
    ... on UnauthorizedError { message }
    ... on PythonError { message }
  }
}
"""


class RunsError(RuntimeError):
    """A `synth runs` request that cannot be done; the message says why and what to do."""


def server_url(given: str | None) -> str:
    """--url, else SYNTH_DAGSTER_URL, else http://localhost:3000 (no trailing slash); a URL that is not
    http(s)://host[:port][/prefix] is refused."""
    url = (given or os.environ.get(URL_ENV) or DEFAULT_URL).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RunsError(f"{url!r} is not a Dagster webserver URL: give http(s)://host[:port], e.g. {DEFAULT_URL} "
                        f"(--url or {URL_ENV})")
    return url


def _unreachable(url: str, exc: Exception) -> RunsError:
    return RunsError(f"no Dagster webserver answers at {url} ({type(exc).__name__}). Start one with `make ui` "
                     f"(the UI and its GraphQL API at {DEFAULT_URL}), or point --url / {URL_ENV} at yours")


def _connection_failure(exc: BaseException) -> BaseException | None:
    """The connection error somewhere in ``exc``'s chain of causes (the client wraps it in its own), if any."""
    seen, depth = exc, 0
    while seen is not None and depth < 20:   # a chain, never a cycle; bounded all the same
        if isinstance(seen, (requests.ConnectionError, requests.Timeout, ConnectionError)):
            return seen
        seen, depth = seen.__cause__ or seen.__context__, depth + 1
    return None


def graphql(url: str, query: str, variables: dict) -> dict:
    """POST one GraphQL request to ``url``/graphql; its ``data``, or a :class:`RunsError`."""
    try:
        response = requests.post(f"{url}/graphql", json={"query": query, "variables": variables},
                                 timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise _unreachable(url, exc) from exc
    if response.status_code != 200:
        raise RunsError(f"{url}/graphql answered HTTP {response.status_code}: is this a Dagster webserver? "
                        f"{response.text[:200]}")
    try:
        body = response.json()
    except ValueError as exc:
        raise RunsError(f"{url}/graphql answered with something that is not JSON: is this a Dagster webserver? "
                        f"{response.text[:200]}") from exc
    if body.get("errors"):
        raise RunsError(f"{url}/graphql refused the request: {body['errors'][0].get('message')}")
    return body["data"]


def client(url: str):
    from dagster_graphql import DagsterGraphQLClient

    parts = urlsplit(url)
    return DagsterGraphQLClient(parts.hostname, port_number=parts.port, use_https=parts.scheme == "https",
                                path_prefix=parts.path.rstrip("/"), timeout=TIMEOUT_SECONDS)


def _when(seconds: float | None) -> str:
    return "-" if seconds is None else datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _metrics(run: dict) -> dict[str, float]:
    found = {}
    for materialization in run.get("assetMaterializations") or []:
        for entry in materialization["metadataEntries"]:
            value = entry.get("floatValue", entry.get("intValue"))
            if entry["label"] in METRICS and value is not None:
                found[entry["label"]] = value
    return found


def list_runs(url: str, limit: int) -> list[dict]:
    """The newest ``limit`` runs of the training job: run_id, status, partition, start, end, metrics."""
    data = graphql(url, RUNS_QUERY, {"filter": {"pipelineName": TRAINING_JOB}, "limit": limit})["runsOrError"]
    if data["__typename"] != "Runs":
        raise RunsError(f"listing runs failed: {data.get('message')}")
    return [{"run_id": run["runId"], "status": run["status"],
             "partition": {t["key"]: t["value"] for t in run["tags"]}.get(PARTITION_TAG, "-"),
             "started": _when(run["startTime"]), "ended": _when(run["endTime"]), "metrics": _metrics(run)}
            for run in data["results"]]


def trigger_run(url: str, day: date) -> str:
    """Launch the training job for analysis day ``day`` (its partition); the run id."""
    from dagster_graphql import DagsterGraphQLClientError

    try:
        return client(url).submit_job_execution(TRAINING_JOB, tags={PARTITION_TAG: day.isoformat()})
    except DagsterGraphQLClientError as exc:
        cause = _connection_failure(exc)
        if cause is not None:
            raise _unreachable(url, cause) from exc
        raise RunsError(f"the webserver at {url} did not launch the {TRAINING_JOB} job for {day}: {exc}") from exc


def wait_for(url: str, run_id: str, timeout_seconds: float, poll_seconds: float = 1.0) -> str:
    """Poll the run's status until it finishes (or ``timeout_seconds`` pass); its last status."""
    deadline = time.monotonic() + timeout_seconds
    status = client(url).get_run_status(run_id).value
    while status not in FINISHED and time.monotonic() < deadline:
        time.sleep(poll_seconds)
        status = client(url).get_run_status(run_id).value
    return status


def delete_run(url: str, run_id: str) -> None:
    """Delete a finished training run; an unknown id, another job's run or an active run is refused."""
    found = graphql(url, RUN_QUERY, {"runId": run_id})["runOrError"]
    if found["__typename"] == "RunNotFoundError":
        raise RunsError(f"no run {run_id} at {url} (list the training runs with `synth runs list`)")
    if found["__typename"] != "Run":
        raise RunsError(f"looking up run {run_id} failed: {found.get('message')}")
    if found["jobName"] != TRAINING_JOB:
        raise RunsError(f"run {run_id} is a run of job {found['jobName']!r}, not a training run; `synth runs` "
                        f"deletes training runs only (others: in the UI, {url}/runs/{run_id})")
    if found["status"] not in FINISHED:
        raise RunsError(f"run {run_id} is {found['status']}: a run that is not finished is not deleted. Wait for it "
                        f"to finish or terminate it in the UI ({url}/runs/{run_id}), then delete it")
    deleted = graphql(url, DELETE_MUTATION, {"runId": run_id})["deleteRun"]
    if deleted["__typename"] != "DeletePipelineRunSuccess":
        raise RunsError(f"the webserver did not delete run {run_id}: {deleted.get('message')}")


def _table(runs: list[dict]) -> str:
    header = ("run_id", "status", "partition", "started (UTC)", "ended (UTC)", "accuracy", "majority", "macro_f1",
              "homes")
    rows = [header]
    for run in runs:
        m = run["metrics"]
        rows.append((run["run_id"], run["status"], run["partition"], run["started"], run["ended"],
                     *(f"{m[k]:.3f}" if k in m else "-" for k in ("accuracy", "majority_baseline_accuracy",
                                                                   "macro_f1")),
                     str(int(m["n_homes"])) if "n_homes" in m else "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def cmd_runs(args: argparse.Namespace) -> int:
    url = server_url(args.url)
    if args.runs_command == "list":
        runs = list_runs(url, args.limit)
        print(_table(runs) if runs else f"no {TRAINING_JOB} runs at {url} (start one: synth runs trigger --day D)")
        return 0
    if args.runs_command == "trigger":
        try:
            day = date.fromisoformat(args.day)
        except ValueError as exc:
            raise RunsError(f"--day {args.day!r} is not a day: give YYYY-MM-DD, the analysis day to train on") from exc
        run_id = trigger_run(url, day)
        print(f"launched {TRAINING_JOB} run {run_id} for {day}\n{url}/runs/{run_id}")
        if args.wait is None:
            return 0
        status = wait_for(url, run_id, args.wait)
        print(f"run {run_id}: {status}")
        return 0 if status == "SUCCESS" else 1
    delete_run(url, args.run_id)
    print(f"deleted run {args.run_id}", file=sys.stdout)
    return 0


def add_runs_parser(commands) -> None:
    """The `runs` verb and its sub-verbs, on the `synth` parser's subcommands."""
    server = argparse.ArgumentParser(add_help=False)
    server.add_argument("--url", help=f"the Dagster webserver (default: {URL_ENV}, else {DEFAULT_URL})")
    runs = commands.add_parser(
        "runs", help="list, trigger or delete training runs (Dagster GraphQL API of a running webserver)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = runs.add_subparsers(dest="runs_command", required=True, metavar="VERB")
    listing = verbs.add_parser("list", parents=[server],
                               help="the newest training runs: id, status, analysis day, times, metrics")
    listing.add_argument("--limit", type=int, default=20, help="at most this many runs (default %(default)s)")
    trigger = verbs.add_parser("trigger", parents=[server], help="launch a training run for an analysis day")
    trigger.add_argument("--day", required=True, help="the analysis day (YYYY-MM-DD): the job's partition")
    trigger.add_argument("--wait", type=float, nargs="?", const=3600.0, default=None, metavar="SECONDS",
                         help="wait until the run finishes (at most SECONDS, default 3600); exit 1 unless it succeeds")
    delete = verbs.add_parser("delete", parents=[server],
                              help="delete a finished training run by id (a running one is refused)")
    delete.add_argument("run_id", help="the run id (synth runs list)")
    runs.set_defaults(handler=cmd_runs)
