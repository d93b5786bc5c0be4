"""Air-quality benchmarks: generator throughput, the naive baseline, and the CLI backfill end to end."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from bench import rollup
from bench.naive_air_quality import generate_naive
from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.measurements import iter_hourly_chunks

REPO = Path(__file__).resolve().parents[1]
YEAR = (date(2021, 1, 1), date(2022, 1, 1))
NAIVE_DAYS = 2


def generator_year(mode: str = "full", seed: int = 42) -> dict:
    """Stream one year of hourly rows in chunks, as the asset does (no concatenation)."""
    cities = select_cities(mode)
    sum(t.num_rows for _, _, t in iter_hourly_chunks(cities, date(2021, 1, 1), date(2021, 1, 3), seed))  # warm-up
    started = time.perf_counter()
    rows = sum(table.num_rows for _, _, table in iter_hourly_chunks(cities, *YEAR, seed))
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}


def naive_slice(mode: str = "full", seed: int = 42) -> dict:
    cities = select_cities(mode).to_dicts()
    started = time.perf_counter()
    rows = generate_naive(cities, YEAR[0], NAIVE_DAYS, seed)
    seconds = time.perf_counter() - started
    return {"rows": len(rows), "seconds": seconds, "rows_per_s": len(rows) / seconds}


def cli_backfill(mode: str = "full") -> dict:
    """`synth generate-data` (three runs of the run worker, as `dagster asset materialize`), fresh instance and data.

    Then, on the same daily files, the yearly roll-up alone in this process (``result["rollup"]``: the median of
    three runs, and the first run's seconds, which carry this process's one-time imports).
    """
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        home = Path(tmp) / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
        env = {**os.environ, "DAGSTER_HOME": str(home), "SYNTH_DATA_DIR": str(Path(tmp) / "data")}
        started = time.perf_counter()
        done = subprocess.run([str(Path(sys.executable).with_name("synth")), "generate-data", "--mode", mode],
                              env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"backfill failed:\n{done.stdout}\n{done.stderr[-3000:]}")
        steps = [line.strip() for line in done.stdout.splitlines() if "done in" in line]
        summary = next(line for line in done.stdout.splitlines() if line.startswith("air quality:"))
        rows = int(summary.split(":")[1].split("rows")[0].replace(",", ""))
        rolled_up = rollup.steady(Path(tmp) / "data", mode)
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "steps": steps, "rollup": rolled_up}


QUIET_RUN = rollup.QUIET_RUN


def dagster_backfill_in_memory(mode: str = "full") -> dict:
    """The same three materializations through `dagster.materialize` on an in-memory instance.

    Same asset code as the CLI run; the difference to it is Dagster's SQLite event log (one planned
    and one materialization event per daily partition) and process start-up.
    """
    import dagster as dg

    from synth_assets.air_quality import assets
    from synth_assets.core.resources import SynthSettings, duckdb_resource

    everything = [assets.city_profiles, assets.hourly_measurements, assets.yearly_measurements]
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        settings = SynthSettings(data_dir=tmp, air_quality_mode=mode)
        resources = {"settings": settings, "duckdb": duckdb_resource(settings)}
        instance = dg.DagsterInstance.ephemeral()
        started = time.perf_counter()
        for selection, first, last in ((assets.CITY_PROFILES, None, None),
                                        (assets.HOURLY, "2020-01-01", "2024-12-31"),
                                        (assets.YEARLY, "2020", "2024")):
            tags = {} if first is None else {"dagster/asset_partition_range_start": first,
                                             "dagster/asset_partition_range_end": last}
            dg.materialize(everything, selection=[selection], resources=resources, instance=instance, tags=tags,
                           run_config=QUIET_RUN)
        seconds = time.perf_counter() - started
        rows = sum(pq.ParquetFile(p).metadata.num_rows for p in Path(tmp).glob(f"air_quality/{mode}/yearly/*.parquet"))
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}
