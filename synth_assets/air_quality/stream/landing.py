"""Land the stream's JSON-lines files into one clean Parquet file per UTC day (pure, no Dagster).

Messages are parsed with polars, checked against the measurement ranges, de-duplicated by
``message_id`` (the simulator's resent copies) and kept if their event time falls on the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import polars as pl

from synth_assets.air_quality.models import AirQualityMeasurement
from synth_assets.core.bounds import field_ranges

STREAM_COLUMNS = {
    "message_id": pl.String, "sensor_id": pl.String, "is_duplicate": pl.Boolean, "city_id": pl.Int32,
    "city_name": pl.String, "country_name": pl.String, "country_code": pl.String, "latitude": pl.Float64,
    "longitude": pl.Float64, "timestamp": pl.String, "pm25": pl.Float64, "pm10": pl.Float64, "no2": pl.Float64,
    "so2": pl.Float64, "co": pl.Float64, "o3": pl.Float64, "temperature_c": pl.Float64, "humidity_pct": pl.Float64,
    "wind_speed_kmh": pl.Float64, "is_raining": pl.Boolean,
}


@dataclass(frozen=True)
class Landed:
    frame: pl.DataFrame
    files: int
    messages: int
    duplicates_removed: int
    invalid: int


def _valid(frame: pl.DataFrame) -> pl.Expr:
    ok = pl.col("timestamp_utc").is_not_null() & pl.col("country_code").str.contains(r"^[A-Z]{2}$")
    for name, bound in field_ranges(AirQualityMeasurement).items():
        if name in frame.columns:
            ok = ok & pl.col(name).is_not_null()
            if bound.low is not None:
                ok = ok & (pl.col(name) > bound.low if bound.low_strict else pl.col(name) >= bound.low)
            if bound.high is not None:
                ok = ok & (pl.col(name) < bound.high if bound.high_strict else pl.col(name) <= bound.high)
    return ok


def land_day(files: list[Path], day: date) -> Landed:
    """The valid, de-duplicated messages of ``day`` (UTC) from the given JSON-lines files."""
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    frames = [pl.read_ndjson(f, schema=STREAM_COLUMNS, ignore_errors=True) for f in files if f.stat().st_size]
    if not frames:
        return Landed(pl.DataFrame(schema=STREAM_COLUMNS), len(files), 0, 0, 0)
    raw = pl.concat(frames).with_columns(
        timestamp_utc=pl.col("timestamp").str.to_datetime(time_zone="UTC", strict=False, time_unit="us"))
    in_day = raw.filter((pl.col("timestamp_utc") >= start) & (pl.col("timestamp_utc") < start + timedelta(days=1)))
    valid = in_day.filter(_valid(in_day))
    unique = valid.unique("message_id", keep="first", maintain_order=True)
    frame = (unique.drop("timestamp", "is_duplicate").rename({"timestamp_utc": "timestamp"})
             .sort(["timestamp", "sensor_id", "message_id"]))
    return Landed(frame, len(files), in_day.height, valid.height - unique.height, in_day.height - valid.height)
