"""Sensor readings for the stream, built by the batch family's own pattern code.

Reading ``i`` of a run owns a fixed slot of random words in a Philox stream keyed by the seed, so
with a simulated clock a run is reproducible message for message, whatever the batch boundaries.
A reading's weather day-anomaly comes from the same per-(city, day) stream as the batch data.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from synth_assets.air_quality.measurements import DAILY_WORDS, HOURLY_WORDS, measurement_values
from synth_assets.core import rng
from synth_assets.core.calendar import LocalCalendar, local_calendar
from synth_assets.core.days import PARTITIONS_START
from synth_assets.core.ids import uuid4_from_bytes

BLOCK = 1024                 # readings per Philox block
SLOT_WORDS = 20              # sensor pick, 12 measurement words, drop, duplicate, malformed, 2 id words, spare
_SENSOR, _DROP, _DUPLICATE, _MALFORMED, _ID = 0, 13, 14, 15, 16
_EPOCH_DAY = np.datetime64(PARTITIONS_START, "D")


def sensor_table(cities: pl.DataFrame, count: int, seed: int) -> pl.DataFrame:
    """``count`` sensors placed in cities drawn (with replacement) from ``cities`` by the run's seed."""
    picks = rng.rng_for(seed, "stream", "sensors").integers(0, cities.height, count)
    sensor_ids = pl.format("sensor-{}", pl.int_range(count).cast(pl.String).str.zfill(5))
    return cities[picks].with_columns(sensor_id=sensor_ids)


def reading_words(seed: int, first: int, n: int) -> np.ndarray:
    """The (n, SLOT_WORDS) words of readings ``first .. first + n``."""
    first_block, last_block = first // BLOCK, (first + n - 1) // BLOCK
    words = rng.raw_blocks(seed, ("air_quality", "stream"), first_block, last_block - first_block + 1,
                           BLOCK * SLOT_WORDS).reshape(-1, SLOT_WORDS)
    offset = first - first_block * BLOCK
    return words[offset: offset + n]


def _day_uniforms(seed: int, city_ids: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The batch generator's daily uniforms for each (city, UTC day): shape (2, n)."""
    out = np.empty((2, len(city_ids)))
    pairs, inverse = np.unique(np.stack([city_ids, days]), axis=1, return_inverse=True)
    for column, (city_id, day) in enumerate(pairs.T.tolist()):
        words = rng.raw_blocks(seed, ("air_quality", "daily", int(city_id)), int(day), 1, DAILY_WORDS)
        out[:, inverse.ravel() == column] = rng.to_uniform(words[0, :2])[:, None]
    return out


def build_readings(sensors: pl.DataFrame, seed: int, first: int, times: np.ndarray) -> tuple[pa.Table, np.ndarray]:
    """Readings ``first .. first + len(times)`` at the given UTC event times (datetime64[us]).

    Returns the readings (measurement columns + message_id, sensor_id, is_duplicate=False) and the
    (3, n) fault uniforms (drop, duplicate, malformed) of each reading.
    """
    n = len(times)
    words = reading_words(seed, first, n)
    uniforms = rng.to_uniform(words[:, : _ID].T.copy())  # (16, n)
    sensor_index = (uniforms[_SENSOR] * sensors.height).astype(np.int64)
    rows = sensors[sensor_index]
    if times.min().astype("datetime64[D]") < _EPOCH_DAY:
        raise ValueError(f"stream times start at {PARTITIONS_START}; got {times.min()}")
    hours = times.astype("datetime64[h]")
    unique_hours, hour_index = np.unique(hours, return_inverse=True)
    unique_rows, row_index = np.unique(sensor_index, return_inverse=True)
    grid = local_calendar(unique_hours, sensors["timezone"].gather(unique_rows).to_list())
    calendar = LocalCalendar(*(getattr(grid, f)[row_index, hour_index][:, None]
                               for f in ("hour", "weekday", "month", "day_of_year")))
    days = (times.astype("datetime64[D]") - _EPOCH_DAY).astype(np.int64)
    day_u = _day_uniforms(seed, rows["city_id"].to_numpy(), days)
    values, raining = measurement_values(rows, calendar, uniforms[1:1 + HOURLY_WORDS, :, None], day_u[:, :, None])
    table = pa.table({
        "city_id": rows["city_id"].to_arrow(), "city_name": rows["name"].to_arrow(),
        "country_name": rows["country_name"].to_arrow(), "country_code": rows["country_code"].to_arrow(),
        "latitude": rows["latitude"].to_arrow(), "longitude": rows["longitude"].to_arrow(),
        "timestamp": pa.array(times.astype("datetime64[us]"), type=pa.timestamp("us", tz="UTC")),
        **{name: pa.array(array[:, 0]) for name, array in values.items()},
        "is_raining": pa.array(raining[:, 0]),
        "message_id": uuid4_from_bytes(words[:, _ID:_ID + 2].copy().view(np.uint8)).to_arrow(),
        "sensor_id": rows["sensor_id"].to_arrow(),
        "is_duplicate": pa.array(np.zeros(n, dtype=bool)),
    })
    return table, uniforms[[_DROP, _DUPLICATE, _MALFORMED]]
