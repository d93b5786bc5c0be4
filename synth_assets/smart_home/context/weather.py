"""Hourly outdoor weather at each home: the air-quality family's weather at the home's city (no second model).

The city's values come from :func:`synth_assets.air_quality.measurements.generate_hourly`, the very
generator of the air-quality hourly files, so a home's temperature at an hour equals its city's
temperature in ``air_quality/hourly_measurements`` at that hour for the same seed. A local day touches
up to three UTC days; the city grid is made for those days and each home row gathers its (city, hour).

Before the first partition (2020-01-01 UTC) the air-quality streams have no block, yet local day
2020-01-01 east of Greenwich starts on 31 December UTC: those hours use the same model
(:func:`measurement_values`) with draws from a smart-home stream ("smart_home", "weather_before_start",
city_id), one block per day counted back from the start. Pure: no Dagster, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl
import pyarrow as pa

from synth_assets.air_quality import measurements as aq
from synth_assets.air_quality.cities import select_cities
from synth_assets.core.calendar import local_calendar
from synth_assets.core.days import PARTITIONS_START
from synth_assets.smart_home.context.local_hours import LocalDayHours, local_day_hours
from synth_assets.smart_home.context.models import WEATHER_SCHEMA

CITY_MODE = "full"  # homes live in any of the 300 reference cities
WEATHER_COLUMNS = ("temperature_c", "humidity_pct", "wind_speed_kmh", "is_raining")
AIR_COLUMNS = aq.POLLUTANTS
GRID_COLUMNS = (*AIR_COLUMNS, *WEATHER_COLUMNS)
BEFORE_START_STREAM = ("smart_home", "weather_before_start")


@dataclass(frozen=True)
class CityHourGrid:
    """The air-quality values of each city (rows, ascending city_id) at each UTC hour from ``first_hour``."""

    city_ids: np.ndarray
    first_hour: np.datetime64
    values: dict[str, np.ndarray]   # name -> (cities, hours)

    def gather(self, city_ids: np.ndarray, hours: np.ndarray) -> dict[str, np.ndarray]:
        """Values at each (city_id, UTC hour) pair; every pair must lie inside the grid."""
        row = np.searchsorted(self.city_ids, city_ids)
        if np.any(row >= len(self.city_ids)) or np.any(self.city_ids[np.minimum(row, len(self.city_ids) - 1)]
                                                       != city_ids):
            raise ValueError("a city is not in the grid")
        column = (hours.astype("datetime64[h]") - self.first_hour).astype(np.int64)
        return {name: array[row, column] for name, array in self.values.items()}


def cities_of(homes: pl.DataFrame) -> pl.DataFrame:
    """The reference rows of the cities the homes live in, ascending city_id (an unknown city is an error)."""
    wanted = homes["city_id"].unique()
    cities = select_cities(CITY_MODE).filter(pl.col("city_id").is_in(wanted.implode()))
    missing = set(wanted.to_list()) - set(cities["city_id"].to_list())
    if missing:
        raise ValueError(f"homes refer to city ids {sorted(missing)} that are not air-quality cities")
    return cities


def _grid_from_table(table: pa.Table, n_cities: int) -> dict[str, np.ndarray]:
    """Columns of a (timestamp, city_id)-ordered air-quality table as (cities, hours) arrays."""
    return {name: table.column(name).to_numpy().reshape(-1, n_cities).T for name in GRID_COLUMNS}


def _before_start(cities: pl.DataFrame, day: date, seed: int) -> dict[str, np.ndarray]:
    """One day before the first partition, from the shared model with the smart-home stream."""
    block = (PARTITIONS_START - day).days - 1
    hours = aq.HOURS_PER_DAY
    hourly, daily = aq.city_uniforms(seed, cities["city_id"].to_numpy(), block, 1, stream=BEFORE_START_STREAM)
    hours_utc = np.datetime64(day, "h") + np.arange(hours).astype("timedelta64[h]")
    calendar = local_calendar(hours_utc, cities["timezone"].to_list())
    values, raining = aq.measurement_values(cities, calendar, hourly, np.repeat(daily[0:2], hours, axis=2))
    return {**values, "is_raining": raining}


def city_hour_grid(cities: pl.DataFrame, first_day: date, last_day: date, seed: int) -> CityHourGrid:
    """Air-quality weather and pollutants of ``cities`` for the UTC days ``first_day .. last_day``."""
    parts: list[dict[str, np.ndarray]] = []
    day = first_day
    while day <= last_day and day < PARTITIONS_START:
        parts.append(_before_start(cities, day, seed))
        day += timedelta(days=1)
    if day <= last_day:
        table = aq.generate_hourly(cities, day, last_day + timedelta(days=1), seed)
        parts.append(_grid_from_table(table, cities.height))
    values = {name: np.concatenate([part[name] for part in parts], axis=1) for name in GRID_COLUMNS}
    return CityHourGrid(cities["city_id"].to_numpy(), np.datetime64(first_day, "h"), values)


def homes_in_order(homes: pl.DataFrame) -> pl.DataFrame:
    """Homes ascending by home_index: the row order of every per-home table."""
    return homes.sort("home_index")


def city_values(homes: pl.DataFrame, hours: LocalDayHours, seed: int) -> dict[str, np.ndarray]:
    """The city grid's values at every (home, hour) row of ``hours``."""
    days = hours.utc_days()
    grid = city_hour_grid(cities_of(homes), days[0], days[-1], seed)
    return grid.gather(homes["city_id"].to_numpy()[hours.location], hours.timestamp)


def row_keys(homes: pl.DataFrame, hours: LocalDayHours) -> dict[str, pa.Array]:
    """home_id, timestamp and local_hour of each row."""
    return {
        "home_id": homes["home_id"].gather(hours.location).to_arrow(),
        "timestamp": pa.array(hours.timestamp.astype("datetime64[us]"), type=pa.timestamp("us", tz="UTC")),
        "local_hour": pa.array(hours.local_hour, type=pa.int8()),
    }


def weather_day(homes: pl.DataFrame, day: date, seed: int) -> pa.Table:
    """Hourly weather of every home over its local ``day``, in (home_index, timestamp) order."""
    homes = homes_in_order(homes)
    hours = local_day_hours(homes["timezone"].to_list(), day)
    values = city_values(homes, hours, seed)
    columns = {**row_keys(homes, hours), **{name: pa.array(values[name]) for name in WEATHER_COLUMNS}}
    return pa.table(columns).cast(WEATHER_SCHEMA)
