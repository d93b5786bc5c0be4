"""The stream simulator against real sinks: determinism, fault rates, rate, shutdown, landing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import duckdb
import psycopg
import pytest

from synth_assets.air_quality import stream_assets
from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.stream.config import StreamConfig
from synth_assets.air_quality.stream.simulator import run
from synth_assets.air_quality.stream.sinks import make_sink
from synth_assets.core.postgres import psycopg_conninfo
from synth_assets_tests.conftest import make_settings

CITIES = select_cities("full")
START = datetime(2024, 2, 10, tzinfo=timezone.utc)
SYNTH = str(Path(sys.executable).with_name("synth"))


def replay(path: Path, **overrides) -> object:
    config = StreamConfig(**{"mode": "production", "count": 3_000, "start": START, "speedup": 1e6, **overrides})
    return run(config, CITIES, make_sink(f"file:{path}", path.with_suffix(".duckdb"), None))


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_replay_is_reproducible_message_for_message(tmp_path):
    replay(tmp_path / "a.jsonl", seed=7)
    replay(tmp_path / "b.jsonl", seed=7)
    replay(tmp_path / "c.jsonl", seed=8)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()
    first = read_lines(tmp_path / "a.jsonl")[0]
    assert first["timestamp"] == "2024-02-10T00:00:00Z" and first["sensor_id"].startswith("sensor-")


def test_fault_shares_over_100k_messages_are_within_their_statistical_band(tmp_path):
    n = 100_000
    totals = replay(tmp_path / "s.jsonl", count=n, malformed_rate=0.01, seed=3)
    lines = read_lines(tmp_path / "s.jsonl")
    assert totals.readings == n and totals.sent == len(lines)
    # lost: about 100 readings in about 25 outages (mean 4 readings), sd about 26; 3 sd either side
    assert 20 <= totals.lost <= 180 and totals.lost_share == totals.lost / n
    assert totals.outages < totals.lost  # bursts
    # duplicates ~ Binomial(~n, 0.005): mean ~500, sd ~22
    assert 390 <= totals.duplicated <= 610
    assert sum(1 for r in lines if r["is_duplicate"]) == totals.duplicated
    assert n - totals.lost + totals.duplicated == totals.sent
    assert 800 <= totals.malformed <= 1200  # ~Binomial(n, 0.01)
    ids = [r["message_id"] for r in lines if not r["is_duplicate"]]
    assert len(ids) == len(set(ids))


def test_lost_readings_are_the_missing_messages_in_bursts_and_the_totals_say_so(tmp_path):
    n = 60_000  # development mode (the default): 10 sensors
    lossy = replay(tmp_path / "lossy.jsonl", mode="development", count=n, duplicate_rate=0.0, seed=12)
    whole = replay(tmp_path / "whole.jsonl", mode="development", count=n, duplicate_rate=0.0, drop_rate=0.0, seed=12)
    sent = {r["message_id"] for r in read_lines(tmp_path / "lossy.jsonl")}
    every = read_lines(tmp_path / "whole.jsonl")  # the same readings, none lost
    assert whole.lost == 0 and len(every) == n and sent <= {r["message_id"] for r in every}
    missing = [r for r in every if r["message_id"] not in sent]
    assert len(missing) == lossy.lost == n - lossy.sent > 0
    assert lossy.lost_share == lossy.lost / n
    assert f"lost {lossy.lost:,} ({lossy.lost_share:.3%}" in lossy.summary()
    # a burst is a run of consecutive readings of one sensor, all missing
    is_missing: dict[str, list[bool]] = {}
    for r in every:
        is_missing.setdefault(r["sensor_id"], []).append(r["message_id"] not in sent)
    runs = sum(flags[0] + sum(b and not a for a, b in zip(flags, flags[1:])) for flags in is_missing.values())
    assert runs <= lossy.outages < lossy.lost  # every outage is one burst (adjacent ones may join)


def test_duckdb_sink_separates_valid_messages_and_dead_letters(tmp_path):
    path = tmp_path / "stream.duckdb"
    config = StreamConfig(mode="production", count=5_000, start=START, speedup=1e6, malformed_rate=0.02, seed=5)
    totals = run(config, CITIES, make_sink("duckdb", path, None))
    with duckdb.connect(str(path), read_only=True) as con:
        realtime = con.execute("select count(*) from air_quality.stream_realtime").fetchall()[0][0]
        dead = con.execute("select count(*) from air_quality.stream_dead_letters").fetchall()[0][0]
        errors = con.execute("select string_agg(error, ' ') from air_quality.stream_dead_letters").fetchall()[0][0]
    assert dead == totals.dead_lettered > 0
    assert realtime == totals.sent - dead
    assert "pm25" in errors or "country_code" in errors or "timestamp" in errors


def test_postgres_sink_writes_the_same_tables(tmp_path, fresh_database):
    config = StreamConfig(mode="development", count=400, start=START, speedup=1e6, malformed_rate=0.05, seed=2)
    totals = run(config, CITIES, make_sink("postgres", tmp_path / "x.duckdb", fresh_database))
    with psycopg.connect(psycopg_conninfo(fresh_database)) as con:
        realtime = con.execute("select count(*) from air_quality.stream_realtime").fetchone()[0]
        dead = con.execute("select count(*) from air_quality.stream_dead_letters").fetchone()[0]
    assert (realtime, dead) == (totals.sent - totals.dead_lettered, totals.dead_lettered)


def test_real_time_rate_is_within_two_percent(tmp_path):
    config = StreamConfig(rate=400, sensors=50, duration=5.0, seed=1)
    totals = run(config, CITIES, make_sink(f"file:{tmp_path / 'r.jsonl'}", tmp_path / "r.duckdb", None))
    assert abs(totals.readings / totals.seconds - 400) / 400 <= 0.02


def test_sigterm_stops_cleanly_with_totals(tmp_path):
    out = tmp_path / "live.jsonl"
    process = subprocess.Popen([SYNTH, "stream", "--rate", "50", "--sink", f"file:{out}"],
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "SYNTH_DATA_DIR": str(tmp_path)})
    deadline = time.monotonic() + 60   # the first lines, however long the start takes on a busy machine
    while not (out.exists() and out.stat().st_size > 0) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    summary = stderr.strip().splitlines()[-1]
    sent = int(summary.split("sent ")[1].split()[0].replace(",", ""))
    assert sent > 0 and sent == len(read_lines(out))


def test_bad_sink_and_bad_config_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown sink 'kafka'; valid: stdout, file:PATH"):
        make_sink("kafka", tmp_path / "x", None)
    with pytest.raises(ValueError, match="needs --database-url"):
        make_sink("postgres", tmp_path / "x", None)
    done = subprocess.run([SYNTH, "stream", "--speedup", "10", "--count", "3"], capture_output=True, text=True)
    assert done.returncode == 2 and "--speedup needs a simulated clock" in done.stderr


def test_landing_asset_lands_each_day_deduplicated_and_validated(tmp_path, instance):
    settings = make_settings(tmp_path / "data")
    landing = stream_assets.landing_dir(settings)
    landing.mkdir(parents=True)
    config = StreamConfig(mode="production", count=20_000, start=START, speedup=1e6, malformed_rate=0.01,
                          duplicate_rate=0.02, seed=4)  # 20,000 readings at 33/s = about 7 simulated days
    totals = run(config, CITIES, make_sink(f"file:{landing / 'live.jsonl'}", tmp_path / "x.duckdb", None))
    result = dg.materialize([stream_assets.streamed_measurements], resources={"settings": settings},
                            instance=instance,
                            tags={"dagster/asset_partition_range_start": "2024-02-10",
                                  "dagster/asset_partition_range_end": "2024-02-20"})
    metadata = result.asset_materializations_for_node("air_quality__streamed_measurements")[0].metadata
    lines = read_lines(landing / "live.jsonl")
    expected_valid = {r["message_id"] for r in lines if r["timestamp"] and r["pm25"] >= 0
                      and r["country_code"].isupper() and len(r["country_code"]) == 2}
    assert metadata["dagster/row_count"].value == len(expected_valid)
    assert metadata["stream/duplicates_removed"].value == sum(
        1 for r in lines if r["is_duplicate"] and r["message_id"] in expected_valid)
    assert metadata["stream/messages"].value == sum(1 for r in lines if r["timestamp"])
    assert totals.sent == len(lines)
    assert len(list((landing / "daily").glob("*/*.parquet"))) == 11
