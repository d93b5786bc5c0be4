"""The yearly roll-up alone: `air_quality/yearly_measurements` over existing daily files, in process.

Usage: ``python -m bench.rollup DATA_DIR [--mode full] [--years 2020 2024] [--repeat 3] [--profile]``.
DATA_DIR holds ``air_quality/<mode>/hourly/...`` from ``synth generate-data --mode <mode>`` (with
SYNTH_DATA_DIR=DATA_DIR). Prints each run's seconds (and the CPU seconds of this process, all threads:
on a shared machine the wall time mostly measures the others) and the sha256 of every yearly file, so
two versions of the roll-up can be compared for speed and for identical bytes. Daily files made before
the stored effect sums exist roll up too, by measuring each year's rows (the slower path).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import time
from pathlib import Path

import dagster as dg

from synth_assets.air_quality import assets, layout
from synth_assets.core.resources import SynthSettings, duckdb_resource

QUIET_RUN = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
"""Run config for in-process runs: Dagster's console logger would print every event at DEBUG amid the table."""


def rollup(data_dir: Path, mode: str = "full", years: tuple[int, int] = (2020, 2024)) -> dict:
    """One materialization of the yearly files ``years[0]..years[1]`` (inclusive); seconds and rows."""
    settings = SynthSettings(data_dir=str(data_dir), air_quality_mode=mode)
    resources = {"settings": settings, "duckdb": duckdb_resource(settings)}
    everything = [assets.city_profiles, assets.hourly_measurements, assets.yearly_measurements]
    tags = {"dagster/asset_partition_range_start": str(years[0]), "dagster/asset_partition_range_end": str(years[1])}
    started, cpu_started = time.perf_counter(), time.process_time()
    result = dg.materialize(everything, selection=[assets.YEARLY], resources=resources,
                            instance=dg.DagsterInstance.ephemeral(), tags=tags, run_config=QUIET_RUN)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    metadata = result.asset_materializations_for_node("air_quality__yearly_measurements")[0].metadata
    rows = metadata["rows_in_run"].value
    return {"rows": rows, "seconds": seconds, "cpu_seconds": cpu_seconds, "rows_per_s": rows / seconds}


def steady(data_dir: Path, mode: str = "full", runs: int = 3) -> dict:
    """:func:`rollup` ``runs`` times on the same files (each run rewrites the same yearly bytes): the median
    run, with the first run's seconds as ``first_seconds``. The first materialization in a process also
    imports what Dagster's run machinery and the plots need (about a second here), which a code server has
    loaded before its first run."""
    results = [rollup(data_dir, mode) for _ in range(runs)]
    median = sorted(results, key=lambda r: r["seconds"])[len(results) // 2]
    return {**median, "first_seconds": results[0]["seconds"], "runs": runs}


def yearly_digests(data_dir: Path, mode: str = "full") -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(layout.yearly_glob(Path(data_dir), mode).parent.glob("*.parquet"))}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rollup")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--mode", default="full")
    parser.add_argument("--years", type=int, nargs=2, default=(2020, 2024))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile one run; top 30 by cumulative time")
    args = parser.parse_args()
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(rollup, args.data_dir, args.mode, tuple(args.years))
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        return
    for _ in range(args.repeat):
        result = rollup(args.data_dir, args.mode, tuple(args.years))
        print(f"yearly roll-up {args.years[0]}-{args.years[1]}: {result['rows']:,} rows in {result['seconds']:.2f} s "
              f"({result['cpu_seconds']:.2f} CPU-s of this process, all threads)")
    for name, digest in yearly_digests(args.data_dir, args.mode).items():
        print(f"  {name} {digest}")


if __name__ == "__main__":
    main()
