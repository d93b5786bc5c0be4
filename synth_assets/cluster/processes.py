"""A code server, a webserver and a daemon, as in a Dagster deployment, as local processes.

``dagster code-server start`` serves ``synth_assets.definitions`` over gRPC; ``dagster-webserver`` and
``dagster-daemon run`` load it through a workspace ``grpc_server`` entry and share the PostgreSQL instance.
The DefaultRunLauncher asks the code server for each run, which starts it in a process of its own (a run
worker, a child of the code server). The code location is loaded once, by the code server, in the
environment given here: the backfill policy (``SYNTH_BACKFILL_POLICY``) and the run settings
(``SYNTH_SEED``, ``SYNTH_DATA_DIR`` ...) come from it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from synth_assets.cluster.config import (
    LOCATION_NAME,
    InstanceDatabase,
    QueueLimits,
    check_instance_database,
    instance_config,
    workspace_config,
    write_yaml,
)
from synth_assets.cluster.graphql import ClusterError, graphql

HOST = "127.0.0.1"
STARTUP_SECONDS = 240
STOP_SECONDS = 30
MODULE = "synth_assets.definitions"
DAEMONS_NEEDED = ("BACKFILL", "QUEUED_RUN_COORDINATOR")
_DROPPED_ENV = ("DAGSTER_", "SYNTH_", "PG")   # the shell's instance, settings and libpq defaults never leak in

LOCATION_QUERY = """
query { workspaceOrError { __typename ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""
DAEMONS_QUERY = "query { instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }"


@dataclass
class LocalCluster:
    """The running processes; ``url`` is the webserver (UI and GraphQL)."""

    home: Path
    url: str
    grpc_port: int
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def log(self, name: str) -> Path:
        return self.home / f"{name}.log"

    def log_tail(self, name: str, chars: int = 3000) -> str:
        try:
            return self.log(name).read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def process_environment(home: Path, database: InstanceDatabase, settings_env: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without Dagster, synth and libpq variables, plus the cluster's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_ENV)}
    return {**env, "DAGSTER_HOME": str(home), **database.environment(), **settings_env}


def _start(cluster: LocalCluster, name: str, command: list[str], env: dict[str, str], cwd: Path) -> None:
    with cluster.log(name).open("w") as log:
        cluster.processes[name] = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                                   start_new_session=True)


def _wait(cluster: LocalCluster, what: str, ready, deadline: float) -> None:
    """Poll ``ready()`` until it is true; a process that died or the deadline is a :class:`ClusterError`."""
    while True:
        for name, process in cluster.processes.items():
            if process.poll() is not None:
                raise ClusterError(f"the {name} exited ({process.returncode}) while waiting for {what}:\n"
                                   f"{cluster.log_tail(name)}")
        if ready():
            return
        if time.monotonic() > deadline:
            raise ClusterError(f"{what}: not ready after {STARTUP_SECONDS} s; logs in {cluster.home}")
        time.sleep(1)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/server_info", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _code_server_answers(port: int) -> bool:
    """The code server's gRPC proxy answers once it has loaded the code (8 s here); the webserver and the
    daemon started before would record the location as unreachable."""
    from dagster._grpc.client import DagsterGrpcClient

    try:
        DagsterGrpcClient(port=port, host=HOST).ping("ready?")
    except Exception:  # noqa: BLE001  (DagsterUserCodeUnreachableError until it listens)
        return False
    return True


def _location_loaded(url: str) -> bool:
    entries = graphql(url, LOCATION_QUERY)["workspaceOrError"].get("locationEntries", [])
    for entry in entries:
        if entry["name"] == LOCATION_NAME and entry["loadStatus"] == "LOADED":
            loaded = entry["locationOrLoadError"] or {}
            if loaded.get("__typename") == "PythonError":
                raise ClusterError(f"the code location {LOCATION_NAME} failed to load: {loaded['message']}")
            return loaded.get("__typename") == "RepositoryLocation"
    return False


def _daemons_healthy(url: str) -> bool:
    statuses = graphql(url, DAEMONS_QUERY)["instance"]["daemonHealth"]["allDaemonStatuses"]
    healthy = {status["daemonType"] for status in statuses if status["healthy"]}
    return all(daemon in healthy for daemon in DAEMONS_NEEDED)


def start_cluster(home: Path, database: InstanceDatabase, settings_env: Mapping[str, str],
                  limits: QueueLimits | None = None, cwd: Path | None = None) -> LocalCluster:
    """Check the instance database, write the instance and workspace into ``home`` (the DAGSTER_HOME of every
    process), start the code server, then the webserver and the daemon; return once the location is loaded
    and the daemon's backfill and queue loops report healthy. Stops what it started on any failure."""
    check_instance_database(database)   # before anything starts: one clear sentence, no traceback
    home.mkdir(parents=True, exist_ok=True)
    grpc_port, web_port = free_port(), free_port()
    write_yaml(home / "dagster.yaml", instance_config(limits or QueueLimits()))
    workspace = write_yaml(home / "workspace.yaml", workspace_config(HOST, grpc_port))
    cluster = LocalCluster(home=home, url=f"http://{HOST}:{web_port}", grpc_port=grpc_port)
    env = process_environment(home, database, settings_env)
    cwd = cwd or Path.cwd()
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        _start(cluster, "code-server", [_bin("dagster"), "code-server", "start", "-m", MODULE, "-h", HOST,
                                        "-p", str(grpc_port), "--location-name", LOCATION_NAME], env, cwd)
        _wait(cluster, "the code server", lambda: _code_server_answers(grpc_port), deadline)
        _start(cluster, "webserver", [_bin("dagster-webserver"), "-w", str(workspace), "-h", HOST,
                                      "-p", str(web_port)], env, cwd)
        _start(cluster, "daemon", [_bin("dagster-daemon"), "run", "-w", str(workspace)], env, cwd)
        _wait(cluster, "the webserver", lambda: _answers(cluster.url), deadline)
        _wait(cluster, f"the code location {LOCATION_NAME}", lambda: _location_loaded(cluster.url), deadline)
        _wait(cluster, "the daemon", lambda: _daemons_healthy(cluster.url), deadline)
    except BaseException:
        stop_cluster(cluster)
        raise
    return cluster


def stop_cluster(cluster: LocalCluster) -> None:
    """SIGTERM to each process group (a code server's run workers are in its group), then SIGKILL to what is
    left of it: after 30 s for a leader still running, at once for children that outlived their leader."""
    for process in cluster.processes.values():
        _signal_group(process.pid, signal.SIGTERM)
    for process in cluster.processes.values():
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:   # the whole group is gone
        pass


@contextmanager
def running_cluster(home: Path, database: InstanceDatabase, settings_env: Mapping[str, str],
                    limits: QueueLimits | None = None, cwd: Path | None = None) -> Iterator[LocalCluster]:
    cluster = start_cluster(home, database, settings_env, limits, cwd)
    try:
        yield cluster
    finally:
        stop_cluster(cluster)
