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
    """`synth generate-data` (three `dagster asset materialize` runs) on a fresh instance and data dir."""
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
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "steps": steps}
