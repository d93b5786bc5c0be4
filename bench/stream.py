"""Stream benchmarks: the highest sustained message rate into the file and DuckDB sinks, and the
seed's per-message design (one validated Pydantic object per message) measured in the same run."""

from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.naive_air_quality import SensorDataGenerator
from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.stream.config import StreamConfig
from synth_assets.air_quality.stream.simulator import run
from synth_assets.air_quality.stream.sinks import make_sink

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def max_rate(sink: str, count: int = 200_000) -> dict:
    """Readings as fast as the sink takes them (simulated clock, unbounded speed-up)."""
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        spec = f"file:{Path(tmp) / 'stream.jsonl'}" if sink == "file" else sink
        config = StreamConfig(mode="production", count=count, start=START, speedup=1_000_000)
        totals = run(config, select_cities("full"), make_sink(spec, Path(tmp) / "stream.duckdb", None))
    return {"rows": totals.sent, "seconds": totals.seconds, "rows_per_s": totals.sent / totals.seconds}


def naive_messages(count: int = 5_000) -> dict:
    """The seed's stream: pick a random city, build one validated measurement per message."""
    cities = select_cities("full").to_dicts()
    sensor = SensorDataGenerator(1)
    started = time.perf_counter()
    for i in range(count):
        sensor.generate(cities[int(sensor.rng.integers(len(cities)))], START + timedelta(seconds=i / 33))
    seconds = time.perf_counter() - started
    return {"rows": count, "seconds": seconds, "rows_per_s": count / seconds}
