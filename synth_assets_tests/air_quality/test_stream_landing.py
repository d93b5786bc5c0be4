"""Landing stream files with broken lines: complete lines land, every bad line is reported as file:line."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timezone
from pathlib import Path

import dagster as dg
import polars as pl

from synth_assets.air_quality import stream_assets
from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.stream.config import StreamConfig
from synth_assets.air_quality.stream.landing import land_day
from synth_assets.air_quality.stream.simulator import run
from synth_assets.air_quality.stream.sinks import make_sink
from synth_assets_tests.conftest import make_resources, make_settings

CITIES = select_cities("full")
START = datetime(2024, 2, 10, tzinfo=timezone.utc)
DAY = date(2024, 2, 10)


def stream_file(path: Path, count: int = 600, seed: int = 11) -> list[bytes]:
    """A real `synth stream --sink file:` file (one simulated day, no duplicates); returns its lines."""
    config = StreamConfig(mode="production", count=count, start=START, speedup=1e6, duplicate_rate=0.0,
                          drop_rate=0.0, seed=seed)
    run(config, CITIES, make_sink(f"file:{path}", path.with_suffix(".duckdb"), None))
    return path.read_bytes().splitlines(keepends=True)


def ids(lines: list[bytes]) -> list[str]:
    return sorted(json.loads(line)["message_id"] for line in lines)


def landed_ids(landed) -> list[str]:
    return sorted(landed.frame["message_id"].to_list())


def test_a_cut_last_line_is_reported_and_the_complete_lines_land(tmp_path):
    path = tmp_path / "live.jsonl"
    lines = stream_file(path)
    path.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])  # writer killed mid-line

    landed = land_day([path], DAY)

    assert landed_ids(landed) == ids(lines[:-1]) and landed.frame.height == len(lines) - 1
    assert landed.bad_lines == [f"{path}:{len(lines)}: truncated line (no newline at end of file)"]
    assert landed.messages == len(lines) - 1 and landed.invalid == 0


def test_a_last_line_cut_inside_a_multibyte_character_is_a_truncated_line(tmp_path):
    path = tmp_path / "live.jsonl"
    lines = stream_file(path)
    last = json.dumps({**json.loads(lines[-1]), "city_name": "São Paulo"}, ensure_ascii=False).encode()
    cut = last.index("ã".encode()) + 1  # half of the two UTF-8 bytes of 'ã'
    path.write_bytes(b"".join(lines[:-1]) + last[:cut])

    landed = land_day([path], DAY)

    assert landed_ids(landed) == ids(lines[:-1])
    assert landed.bad_lines == [f"{path}:{len(lines)}: truncated line (no newline at end of file)"]


def test_a_complete_last_line_without_its_newline_still_lands(tmp_path):
    path = tmp_path / "live.jsonl"
    lines = stream_file(path)
    path.write_bytes(b"".join(lines)[:-1])

    landed = land_day([path], DAY)

    assert landed_ids(landed) == ids(lines) and landed.bad_lines == []


def test_garbage_lines_in_the_middle_are_reported_and_skipped(tmp_path):
    path = tmp_path / "live.jsonl"
    lines = stream_file(path)
    broken = {
        101: b"garbage\n",                             # not JSON at all
        202: lines[202][:40] + b"\n",                  # an object cut short (a torn write)
        303: b'{"message_id": tru}\n',                 # invalid JSON inside an object
        404: b"[1, 2, 3]\n",                           # valid JSON, not an object
        505: b'{"message_id": "\xff\xfe"}\n',          # not UTF-8
    }
    path.write_bytes(b"".join(broken.get(i, line) for i, line in enumerate(lines)) + b"\n\n")  # blank lines: no report

    landed = land_day([path], DAY)

    kept = [line for i, line in enumerate(lines) if i not in broken]
    assert landed_ids(landed) == ids(kept) and landed.messages == len(kept)
    assert [line.split(": ", 1)[0] for line in landed.bad_lines] == [f"{path}:{i + 1}" for i in sorted(broken)]
    reasons = [line.split(": ", 1)[1] for line in landed.bad_lines]
    assert reasons[0] == "not a JSON object: 'garbage'"
    assert reasons[1].startswith("not valid JSON (") and reasons[2].startswith("not valid JSON (")
    assert reasons[3] == "not a JSON object: '[1, 2, 3]'" and reasons[4] == "not valid UTF-8"


def test_bad_lines_are_reported_per_file(tmp_path):
    good, bad = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    good_lines = stream_file(good, seed=1)
    bad_lines = stream_file(bad, seed=2)
    bad.write_bytes(b"".join(bad_lines[:3]) + b"oops\n" + b"".join(bad_lines[3:]) + b'{"message_id": "')

    landed = land_day([good, bad], DAY)

    assert landed_ids(landed) == sorted(ids(good_lines) + ids(bad_lines))
    assert landed.bad_lines == [f"{bad}:4: not a JSON object: 'oops'",
                                f"{bad}:{len(bad_lines) + 2}: truncated line (no newline at end of file)"]


def test_the_landing_asset_reports_bad_lines_in_its_metadata(tmp_path, instance):
    settings = make_settings(tmp_path / "data")
    landing = stream_assets.landing_dir(settings)
    landing.mkdir(parents=True)
    path = landing / "live.jsonl"
    lines = stream_file(path)
    path.write_bytes(b"".join(lines[:10]) + b"not json\n" + b"".join(lines[10:-1]) + lines[-1][:25])

    result = dg.materialize([stream_assets.streamed_measurements], resources=make_resources(settings),
                            instance=instance, partition_key="2024-02-10")

    assert result.success
    metadata = result.asset_materializations_for_node("air_quality__streamed_measurements")[0].metadata
    assert metadata["dagster/row_count"].value == len(lines) - 1
    assert metadata["stream/bad_lines"].value == 2
    report = metadata["bad_lines"].value
    assert f"{path}:11: not a JSON object: 'not json'" in report
    assert f"{path}:{len(lines) + 1}: truncated line (no newline at end of file)" in report
    warnings = [record.user_message for record in instance.all_logs(result.run_id)
                if record.level == logging.WARNING]
    assert any("skipped 2 unparseable line(s)" in message and f"{path}:11" in message for message in warnings)
    written = stream_assets.landing_dir(settings) / "daily" / "2024" / "2024-02-10.parquet"
    assert written.exists()


def test_appending_after_a_cut_line_starts_a_new_line(tmp_path):
    """A killed writer left half a line: the next `synth stream --sink file:` must not glue onto it."""
    from datetime import date as _date

    path = tmp_path / "live.jsonl"
    path.write_text('{"message_id": "cut-off", "sensor_id": "s-1", "city_na')  # no newline: killed mid-line
    sink = make_sink(f"file:{path}", tmp_path / "unused.duckdb", None)
    record = {"message_id": "00000000-0000-0000-0000-000000000001", "sensor_id": "s-2", "is_duplicate": False,
              "city_id": 1, "city_name": "Oslo", "country_name": "Norway", "country_code": "NO", "latitude": 59.9,
              "longitude": 10.7, "timestamp": "2024-03-01T12:00:00Z", "pm25": 10.0, "pm10": 15.0, "no2": 4.0,
              "so2": 3.0, "co": 0.8, "o3": 5.0, "temperature_c": 1.0, "humidity_pct": 70.0, "wind_speed_kmh": 9.0,
              "is_raining": False}
    sink.write([record])
    sink.close()
    landed = land_day([path], _date(2024, 3, 1))
    assert landed.frame["message_id"].to_list() == [record["message_id"]]  # the complete message landed
    assert len(landed.bad_lines) == 1 and f"{path}:1:" in landed.bad_lines[0]


def test_a_day_without_messages_lands_with_the_same_columns_as_a_full_day(tmp_path):
    path = tmp_path / "live.jsonl"
    stream_file(path, count=50)
    full, other_day, no_files = land_day([path], DAY), land_day([path], date(2024, 2, 11)), land_day([], DAY)
    assert full.frame.height > 0 and other_day.frame.height == 0 and no_files.frame.height == 0
    assert other_day.frame.schema == no_files.frame.schema == full.frame.schema
    assert "is_duplicate" not in full.frame.columns
    assert full.frame.schema["timestamp"] == pl.Datetime("us", "UTC")
