"""`make cluster-demo`: the production topology on this machine, and a multi-run backfill through it.

    python -m synth_assets.cluster.demo [--first 2020-01-01] [--last 2020-01-31] [--chunk-days 7] [--keep]

Starts the instance database (a throw-away PostgreSQL server, or yours: set ``DAGSTER_PG_HOST``,
``DAGSTER_PG_PORT``, ``DAGSTER_PG_USER``, ``DAGSTER_PG_PASSWORD``, ``DAGSTER_PG_DB``), the code server, the
webserver and the daemon (:mod:`synth_assets.cluster.processes`), loads the code location with
``SYNTH_BACKFILL_POLICY=multi_run``, submits a backfill of the air-quality city profiles and hourly
measurements over the range through GraphQL ``launchPartitionBackfill`` (as the UI's "Materialize" does), and
prints its runs. Output goes to ``SYNTH_DATA_DIR`` (default ``data``) with ``SYNTH_SEED`` and
``SYNTH_AIR_QUALITY_MODE``; ``--keep`` leaves the UI running until Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from synth_assets.cluster import backfills
from synth_assets.cluster.config import InstanceDatabase, InstanceDatabaseUnreachable
from synth_assets.cluster.graphql import ClusterError
from synth_assets.cluster.processes import running_cluster
from synth_assets.core.backfill import CHUNK_ENV, POLICY_ENV, BackfillSettings

ASSETS = ("air_quality/city_profiles", "air_quality/hourly_measurements")
SETTINGS = ("SYNTH_SEED", "SYNTH_DATA_DIR", "SYNTH_AIR_QUALITY_MODE")
BACKFILL_SECONDS = 1800


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m synth_assets.cluster.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--first", type=date.fromisoformat, default=date(2020, 1, 1))
    parser.add_argument("--last", type=date.fromisoformat, default=date(2020, 1, 31))
    parser.add_argument("--chunk-days", type=int, default=7, help="days per run (SYNTH_BACKFILL_CHUNK_DAYS)")
    parser.add_argument("--max-runs", type=int, default=2, help="runs in progress at once")
    parser.add_argument("--keep", action="store_true", help="keep the cluster (and its UI) up until Ctrl-C")
    return parser


@contextmanager
def instance_database() -> Iterator[InstanceDatabase]:
    """Yours (``DAGSTER_PG_HOST`` set), else a throw-away server (``core.throwaway_postgres``, as the tests use;
    it needs PostgreSQL's server binaries, as `make test` does), stopped and removed at the end."""
    if os.environ.get("DAGSTER_PG_HOST"):
        port = os.environ.get("DAGSTER_PG_PORT", "5432")
        if not port.strip().isdigit():
            raise ClusterError(f"DAGSTER_PG_PORT={port!r} is not a port number (e.g. 5432)")
        yield InstanceDatabase(host=os.environ["DAGSTER_PG_HOST"], port=int(port),
                               user=os.environ.get("DAGSTER_PG_USER", "postgres"),
                               password=os.environ.get("DAGSTER_PG_PASSWORD", ""),
                               database=os.environ.get("DAGSTER_PG_DB", "dagster"))
        return
    from synth_assets.core.throwaway_postgres import find_server_binaries, start_server, stop_server

    bin_dir = find_server_binaries()
    if bin_dir is None:
        raise ClusterError("no PostgreSQL server binaries here (initdb, pg_ctl): install PostgreSQL, or point "
                           "DAGSTER_PG_HOST (and DAGSTER_PG_PORT, _USER, _PASSWORD, _DB) at a running server")
    server = start_server(bin_dir)
    try:
        server.create_database("dagster")
        print(f"instance database: throw-away PostgreSQL on {server.host}:{server.port} ({server.base_dir})")
        yield InstanceDatabase(host=server.host, port=server.port, user=server.user, database="dagster")
    finally:
        stop_server(server)


def run_demo(first: date, last: date, chunk_days: int, max_runs: int, keep: bool) -> int:
    from synth_assets.cluster.config import QueueLimits

    if last < first:
        raise ClusterError(f"--last {last} is before --first {first}")
    days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    settings_env = {name: os.environ[name] for name in SETTINGS if os.environ.get(name)}
    settings_env.setdefault("SYNTH_DATA_DIR", str(Path("data").resolve()))
    settings_env |= {POLICY_ENV: "multi_run", CHUNK_ENV: str(chunk_days)}
    BackfillSettings.from_env(settings_env)   # a chunk <= 0 is refused here, before anything starts
    if max_runs < 1:
        raise ClusterError(f"--max-runs {max_runs}: at least one run must be able to run")
    limits = QueueLimits(max_concurrent_runs=max_runs, runs_per_backfill=max_runs)
    home = Path(tempfile.mkdtemp(prefix="synth-cluster-"))
    try:
        with instance_database() as database, running_cluster(
                home, database, settings_env, limits, cwd=Path.cwd()) as cluster:
            print(f"cluster up: UI and GraphQL at {cluster.url}; DAGSTER_HOME {home} (logs there)")
            begun = time.monotonic()
            backfill_id = backfills.launch_backfill(cluster.url, ASSETS, days, title=f"cluster demo {first}..{last}")
            print(f"backfill {backfill_id}: {len(days)} days in runs of {chunk_days} days, at most {max_runs} at once "
                  f"({cluster.url}/runs/b/{backfill_id})")
            status = backfills.wait_for_backfill(cluster.url, backfill_id, BACKFILL_SECONDS)
            runs = backfills.backfill_runs(cluster.url, backfill_id)
            for run in sorted(runs, key=lambda run: run["start"] or 0):
                tags = run["tags"]
                window = (f"{tags['dagster/asset_partition_range_start']}..{tags['dagster/asset_partition_range_end']}"
                          if "dagster/asset_partition_range_start" in tags else "(unpartitioned)")
                took = f"{run['end'] - run['start']:.1f} s" if run["start"] and run["end"] else "-"
                print(f"  {run['run_id']}  {run['status']:8}  {window:24}  {took}")
            print(f"backfill {status} in {time.monotonic() - begun:.0f} s; files in {settings_env['SYNTH_DATA_DIR']}")
            if keep:
                print("--keep: the cluster stays up; Ctrl-C stops it")
                while True:
                    time.sleep(3600)
            return 0 if status == "COMPLETED_SUCCESS" else 1
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _stop_on_signal(signum, _frame) -> None:
    """SIGTERM/SIGHUP (a closed terminal, `timeout`, a CI cancel) unwind like Ctrl-C, so the cluster's
    processes and the throw-away PostgreSQL are stopped, not orphaned with their ports."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal)
    try:
        return run_demo(args.first, args.last, args.chunk_days, args.max_runs, args.keep)
    except (ClusterError, InstanceDatabaseUnreachable, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
