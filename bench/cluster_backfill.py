"""The five-year full-mode backfill of ``air_quality/hourly_measurements`` on three instances (issue 16).

Run alone: ``python -m bench.cluster_backfill [--mode full] [--chunk-days 366] [--max-runs 2]``.

1. one run, SQLite instance: ``dagster asset materialize --partition-range`` with the repository's
   ``dagster.yaml`` (what ``make demo`` and ``synth generate-data`` use);
2. one run, PostgreSQL instance: the same command with runs, events and schedules in a throw-away
   PostgreSQL (dagster-postgres), as a cluster stores them;
3. parallel runs, PostgreSQL instance: the local cluster of :mod:`synth_assets.cluster` (code server,
   webserver, daemon, queued run coordinator), the code location loaded with
   ``SYNTH_BACKFILL_POLICY=multi_run``, the backfill submitted through GraphQL ``launchPartitionBackfill``
   and timed from submission until its last run has finished (the daemon's 30 s loop that then marks the
   backfill done is not counted; cluster start-up is printed on its own).

Each writes into a data directory of its own, with the city profiles made first (not timed); the three
sets of 1,827 daily files are then compared by sha256: more workers change nothing in the data.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
FIRST, LAST = date(2020, 1, 1), date(2024, 12, 31)
HOURLY, CITIES = "air_quality/hourly_measurements", "air_quality/city_profiles"
RUN_SECONDS = 3600


def _dagster(home: Path, data: Path, mode: str, *args: str) -> float:
    """``dagster asset materialize`` in a fresh process; its seconds."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DAGSTER_", "SYNTH_"))}
    env |= {"DAGSTER_HOME": str(home), "SYNTH_DATA_DIR": str(data), "SYNTH_AIR_QUALITY_MODE": mode}
    began = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("dagster")), "asset", "materialize",
                           "-m", "synth_assets.definitions", *args], env=env, capture_output=True, text=True,
                          cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"dagster asset materialize {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - began


def one_run(home: Path, data: Path, mode: str) -> float:
    _dagster(home, data, mode, "--select", CITIES)
    return _dagster(home, data, mode, "--select", HOURLY, "--partition-range", f"{FIRST}...{LAST}")


def postgres_instance(home: Path, url_parts: dict) -> None:
    """A DAGSTER_HOME whose runs, events and schedules live in PostgreSQL (the cluster's storage)."""
    from synth_assets.cluster.config import PG_SCHEME

    home.mkdir(parents=True)
    instance = yaml.safe_load((REPO / "dagster.yaml").read_text())
    instance["storage"] = {"postgres": {"postgres_db": {**url_parts, "scheme": PG_SCHEME}}}
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance))


def parallel_runs(server, data: Path, mode: str, chunk_days: int, max_runs: int) -> dict:
    from synth_assets.cluster import backfills
    from synth_assets.cluster.config import InstanceDatabase, QueueLimits
    from synth_assets.cluster.processes import running_cluster
    from synth_assets.core.backfill import CHUNK_ENV, POLICY_ENV

    server.create_database("dagster_cluster")
    database = InstanceDatabase(host=server.host, port=server.port, user=server.user, database="dagster_cluster")
    days = [(FIRST + timedelta(days=i)).isoformat() for i in range((LAST - FIRST).days + 1)]
    settings_env = {"SYNTH_DATA_DIR": str(data), "SYNTH_AIR_QUALITY_MODE": mode, POLICY_ENV: "multi_run",
                    CHUNK_ENV: str(chunk_days)}
    with tempfile.TemporaryDirectory(prefix="synth-bench-cluster-") as home:
        began = time.perf_counter()
        limits = QueueLimits(max_concurrent_runs=max_runs, runs_per_backfill=max_runs)
        with running_cluster(Path(home), database, settings_env, limits, cwd=REPO) as cluster:
            started = time.perf_counter() - began
            began = time.perf_counter()
            backfill_id = backfills.launch_backfill(cluster.url, [HOURLY], days, title="bench: five years")
            expected = math.ceil(len(days) / chunk_days)
            runs = backfills.wait_for_runs(cluster.url, backfill_id, expected, RUN_SECONDS)
            seconds = time.perf_counter() - began
    failed = [run["run_id"] for run in runs if run["status"] != "SUCCESS"]
    if failed:
        raise RuntimeError(f"cluster backfill runs failed: {failed}")
    spans = [run["end"] - run["start"] for run in runs]
    return {"seconds": seconds, "startup": started, "runs": len(runs), "run_seconds": spans}


def digest(data: Path, mode: str) -> str:
    """The daily files of the backfill's days, by name and bytes. A day outside them is named apart: the
    cluster's daemon runs the nightly schedule (00:30 UTC, yesterday's partition) if the bench spans it."""
    days = {(FIRST + timedelta(days=i)).isoformat() for i in range((LAST - FIRST).days + 1)}
    every = sorted((data / "air_quality" / mode / "hourly").rglob("*.parquet"))
    files = [path for path in every if path.stem in days]
    total = hashlib.sha256()
    for path in files:
        total.update(str(path.relative_to(data)).encode() + hashlib.sha256(path.read_bytes()).digest())
    others = sorted(path.stem for path in every if path.stem not in days)
    return f"{len(files)} files, sha256 {total.hexdigest()[:16]}" + (f" (also {', '.join(others)})" if others else "")


def backfills_three_ways(mode: str = "full", chunk_days: int = 366, max_runs: int = 2) -> dict:
    from bench.content import postgres_server

    result: dict = {"mode": mode, "days": (LAST - FIRST).days + 1}
    with tempfile.TemporaryDirectory(prefix="synth-bench-backfills-") as tmp:
        root = Path(tmp)
        sqlite_home = root / "sqlite_home"
        sqlite_home.mkdir()
        shutil.copy(REPO / "dagster.yaml", sqlite_home / "dagster.yaml")
        result["sqlite_one_run"] = one_run(sqlite_home, root / "data_sqlite", mode)
        result["digest_sqlite"] = digest(root / "data_sqlite", mode)
        with postgres_server() as server:
            if server is None:
                result["postgres"] = "PostgreSQL server not installed: no PostgreSQL figures"
                return result
            server.create_database("dagster_one_run")
            postgres_instance(root / "pg_home", {"hostname": server.host, "port": server.port,
                                                 "username": server.user, "password": "",
                                                 "db_name": "dagster_one_run"})
            result["postgres_one_run"] = one_run(root / "pg_home", root / "data_pg", mode)
            result["digest_postgres"] = digest(root / "data_pg", mode)
            _dagster(sqlite_home, root / "data_cluster", mode, "--select", CITIES)   # the runs read them
            result["parallel"] = parallel_runs(server, root / "data_cluster", mode, chunk_days, max_runs)
            result["digest_parallel"] = digest(root / "data_cluster", mode)
    result["chunk_days"], result["max_runs"] = chunk_days, max_runs
    return result


def report(r: dict) -> list[str]:
    lines = [f"  five-year {r['mode']} backfill of hourly_measurements ({r['days']:,} daily partitions)",
             f"    one run, SQLite instance (dagster asset materialize) {r['sqlite_one_run']:>10.1f} s"]
    if "postgres" in r:
        return [*lines, f"    {r['postgres']}"]
    p = r["parallel"]
    lines += [f"    one run, PostgreSQL instance (same command)           {r['postgres_one_run']:>10.1f} s",
              f"    parallel runs, PostgreSQL instance (local cluster)   {p['seconds']:>10.1f} s  "
              f"({p['runs']} runs of <= {r['chunk_days']} days, {r['max_runs']} at once; each "
              f"{min(p['run_seconds']):.0f}-{max(p['run_seconds']):.0f} s; cluster start-up {p['startup']:.0f} s "
              f"not counted)"]
    same = len({r[key].split(" (also")[0] for key in ("digest_sqlite", "digest_postgres", "digest_parallel")}) == 1
    lines.append(f"    daily files of the three: {'identical' if same else 'DIFFERENT'} ({r['digest_sqlite']}"
                 + ("" if same else f" / {r['digest_postgres']} / {r['digest_parallel']}") + ")")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster_backfill")
    parser.add_argument("--mode", default="full")
    parser.add_argument("--chunk-days", type=int, default=366)
    parser.add_argument("--max-runs", type=int, default=2)
    args = parser.parse_args()
    print(*report(backfills_three_ways(args.mode, args.chunk_days, args.max_runs)), sep="\n")


if __name__ == "__main__":
    main()
