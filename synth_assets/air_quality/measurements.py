"""Hourly measurements: a pure function of (seed, cities, days). No Dagster, no I/O.

Each (city, day) owns a fixed block of random words in the city's Philox stream, so a day's values
do not depend on which other days or cities are generated in the same call. Values are computed as
numpy arrays of shape (cities, hours) and returned in (timestamp, city_id) order.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from synth_assets.air_quality import models as m
from synth_assets.air_quality import patterns
from synth_assets.core import climate, rng
from synth_assets.core.bounds import field_bounds
from synth_assets.core.calendar import LocalCalendar, local_calendar
from synth_assets.core.days import PARTITIONS_START, check_daily_window

HOURS_PER_DAY = 24
HOURLY_WORDS = 12   # 8 normals (6 pollutant noises, temperature, humidity), 3 for wind, 1 for rain
DAILY_WORDS = 4     # 2 normals: the day's temperature and humidity anomalies (+2 spare)
DEFAULT_CHUNK_DAYS = 32
POLLUTANTS = ("pm25", "pm10", "no2", "so2", "co", "o3")
_ROUNDING = {"pm25": 1, "pm10": 1, "no2": 1, "so2": 1, "co": 3, "o3": 1,
             "temperature_c": 1, "humidity_pct": 1, "wind_speed_kmh": 1}
_BOUNDS = field_bounds(m.AirQualityMeasurement)
CITY_COLUMNS = {"city_id": "city_id", "city_name": "name", "country_name": "country_name",
                "country_code": "country_code", "latitude": "latitude", "longitude": "longitude"}
"""The measurement columns that are the city's profile (measurement column: city profile column)."""
MEASURED_COLUMNS = [name for name in m.MEASUREMENT_SCHEMA.names if name == "city_id" or name not in CITY_COLUMNS]
"""What a day's file adds to the city profile: the city_id and every column after it."""


def _day_index(day: date) -> int:
    return (day - PARTITIONS_START).days


def city_uniforms(seed: int, city_ids: np.ndarray, first_day: int, n_days: int,
                  stream: tuple[str, ...] = ("air_quality",)) -> tuple[np.ndarray, np.ndarray]:
    """Uniforms in planar layout: (HOURLY_WORDS, cities, hours) and (DAILY_WORDS, cities, days).

    Day ``first_day`` is the block index in each city's ``(*stream, "hourly"|"daily", city_id)`` stream."""
    n_hours = n_days * HOURS_PER_DAY
    hourly = np.empty((HOURLY_WORDS, len(city_ids), n_hours), dtype=np.uint64)
    daily = np.empty((DAILY_WORDS, len(city_ids), n_days), dtype=np.uint64)
    for row, city_id in enumerate(city_ids.tolist()):
        words = rng.raw_blocks(seed, (*stream, "hourly", city_id), first_day, n_days,
                               HOURS_PER_DAY * HOURLY_WORDS)
        hourly[:, row, :] = words.reshape(n_hours, HOURLY_WORDS).T
        daily[:, row, :] = rng.raw_blocks(seed, (*stream, "daily", city_id), first_day, n_days,
                                          DAILY_WORDS).T
    return rng.to_uniform(hourly), rng.to_uniform(daily)


def _tiled_strings(values: pa.Array, repeats: int) -> pa.Array:
    """``values`` repeated ``repeats`` times, built from its buffers (no per-element work)."""
    values = values.cast(pa.string())
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset: values.offset + len(values) + 1]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0]: offsets[-1]]
    lengths = np.diff(offsets)
    tiled_offsets = np.concatenate([[0], np.cumsum(np.tile(lengths, repeats), dtype=np.int64)])
    if tiled_offsets[-1] >= 2**31:
        return pa.chunked_array([values] * repeats).combine_chunks().cast(pa.string())
    return pa.StringArray.from_buffers(len(values) * repeats, pa.py_buffer(tiled_offsets.astype(np.int32)),
                                       pa.py_buffer(np.tile(data, repeats)))


def monthly_normals(cities: pl.DataFrame, column: str) -> np.ndarray:
    """A list column of 12 monthly values as a (rows, 12) array."""
    return cities[column].explode().to_numpy().reshape(cities.height, climate.MONTHS)


def seasonal_normals(cities: pl.DataFrame, column: str, day_of_year: np.ndarray) -> np.ndarray:
    """The seasonal curve of a monthly column at each (row, hour)'s local day of year.

    The daily table is computed once per distinct city (the stream's rows repeat cities).
    """
    _, first, inverse = np.unique(cities["city_id"].to_numpy(), return_index=True, return_inverse=True)
    table = climate.daily_seasonal(monthly_normals(cities[first], column))
    return table[inverse.reshape(-1, 1), day_of_year.astype(np.intp)]


def measurement_values(cities: pl.DataFrame, calendar: LocalCalendar, uniforms: np.ndarray,
                       day_uniforms: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every measured value of each (city row, hour) from its draws: the seed's patterns, in one place.

    ``cities`` has one row per grid row (a city, or in the stream one message's sensor city);
    ``calendar`` fields and the returned arrays have shape (rows, hours); ``uniforms`` has
    HOURLY_WORDS planes and ``day_uniforms`` 2 planes of that shape. Returns the values by column
    name and the rain flags. Used by the batch generator and the stream simulator alike.
    """
    column = lambda name: cities[name].to_numpy()[:, None]  # noqa: E731  (rows, 1) for broadcasting
    latitude, coastal, industrial = column("latitude"), column("coastal"), column("industrial")
    normals = rng.box_muller(uniforms[0:4], uniforms[4:8], axis=0)  # (8, rows, hours)
    day_normals = rng.box_muller(day_uniforms[0:1], day_uniforms[1:2], axis=0)

    seasonal_c = seasonal_normals(cities, "temperature_normals_c", calendar.day_of_year)
    seasonal_pct = seasonal_normals(cities, "humidity_normals_pct", calendar.day_of_year)
    temperature = climate.temperature(seasonal_c, calendar.hour, day_normals[0], normals[6])
    humidity = climate.humidity(seasonal_pct, temperature, seasonal_c, day_normals[1], normals[7])
    wind = rng.gamma_integer_shape(uniforms[8:8 + m.PATTERNS.wind_gamma_shape], m.PATTERNS.wind_gamma_scale,
                                   axis=0)
    raining = uniforms[11] < climate.rain_probability(monthly_normals(cities, "rain_day_share"), calendar.month,
                                                      humidity, seasonal_pct)

    level = (column("base_pollution_level")
             * patterns.geographic_factor(coastal, industrial)
             * patterns.temporal_factor(calendar, latitude, cities["country_code"].to_list())
             * patterns.weather_factor(wind, raining))
    ratios = {"pm25": 1.0, **m.PATTERNS.pollutant_ratios}
    values = {name: level * ratios[name] * patterns.noise_factor(normals[i])
              for i, name in enumerate(POLLUTANTS)}
    values.update(temperature_c=temperature, humidity_pct=humidity, wind_speed_kmh=wind)
    return {name: np.clip(np.round(array, _ROUNDING[name]), *_BOUNDS[name]) for name, array in values.items()}, raining


def _generate_days(cities: pl.DataFrame, first: date, n_days: int, seed: int) -> pa.Table:
    n_cities, n_hours = cities.height, n_days * HOURS_PER_DAY
    u, daily_u = city_uniforms(seed, cities["city_id"].to_numpy(), _day_index(first), n_days)
    hours_utc = np.datetime64(first, "h") + np.arange(n_hours).astype("timedelta64[h]")
    calendar = local_calendar(hours_utc, cities["timezone"].to_list())
    values, raining = measurement_values(cities, calendar, u, np.repeat(daily_u[0:2], HOURS_PER_DAY, axis=2))

    columns: dict[str, pa.Array] = {}
    for name, profile_column in CITY_COLUMNS.items():
        source = cities[profile_column]
        if source.dtype == pl.String:
            columns[name] = _tiled_strings(source.to_arrow(), n_hours)  # (timestamp, city) order
        else:
            columns[name] = pa.array(np.tile(source.to_numpy(), n_hours))
    columns["timestamp"] = pa.array(np.repeat(hours_utc.astype("datetime64[us]"), n_cities),
                                    type=pa.timestamp("us", tz="UTC"))
    for name, array in values.items():
        columns[name] = pa.array(array.T.ravel())
    columns["is_raining"] = pa.array(raining.T.ravel())
    return pa.table(columns).select(m.MEASUREMENT_SCHEMA.names).cast(m.MEASUREMENT_SCHEMA)


def with_city_columns(measured: pa.Table, cities: pl.DataFrame) -> pa.Table:
    """Rows of :data:`MEASURED_COLUMNS` completed with each row's city columns taken from ``cities``, as
    :data:`~synth_assets.air_quality.models.MEASUREMENT_SCHEMA`. A city_id that is not in ``cities`` gets
    nulls (for the integrity checks to count)."""
    rows = pc.index_in(measured["city_id"], value_set=pa.array(cities["city_id"].to_numpy(), pa.int32()))
    columns = {name: (measured[name] if name in MEASURED_COLUMNS else
                      pc.take(cities[CITY_COLUMNS[name]].to_arrow().cast(m.MEASUREMENT_SCHEMA.field(name).type), rows))
               for name in m.MEASUREMENT_SCHEMA.names}
    return pa.table(columns, schema=m.MEASUREMENT_SCHEMA.with_metadata(measured.schema.metadata))


def iter_hourly_chunks(cities: pl.DataFrame, start: date, end: date, seed: int,
                       chunk_days: int = DEFAULT_CHUNK_DAYS) -> Iterator[tuple[date, int, pa.Table]]:
    """Yield ``(first_day, n_days, table)`` for consecutive chunks of ``start <= day < end``.

    Tables are in (timestamp, city_id) order, so day ``d`` of a chunk is the row slice
    ``[d * 24 * cities, (d + 1) * 24 * cities)``. ``cities`` must be sorted by city_id.
    """
    check_daily_window(start, end)
    if chunk_days < 1:
        raise ValueError(f"chunk_days must be at least 1, got {chunk_days}")
    if cities.height == 0:
        raise ValueError("no cities selected")
    if not cities["city_id"].is_sorted():
        raise ValueError("cities must be sorted by city_id")
    day = start
    while day < end:
        n_days = min(chunk_days, (end - day).days)
        yield day, n_days, _generate_days(cities, day, n_days, seed)
        day += timedelta(days=n_days)


def generate_hourly(cities: pl.DataFrame, start: date, end: date, seed: int) -> pa.Table:
    """All hourly measurements of ``cities`` for ``start <= day < end`` as one Arrow table."""
    return pa.concat_tables(table for _, _, table in iter_hourly_chunks(cities, start, end, seed))


def day_slices(table: pa.Table, first_day: date, n_days: int, n_cities: int) -> Iterator[tuple[date, pa.Table]]:
    """Split a chunk from :func:`iter_hourly_chunks` into one zero-copy table per day."""
    rows_per_day = HOURS_PER_DAY * n_cities
    for offset in range(n_days):
        yield first_day + timedelta(days=offset), table.slice(offset * rows_per_day, rows_per_day)
