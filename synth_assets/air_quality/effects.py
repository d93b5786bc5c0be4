"""Measure the seed's effects on generated data, to compare against the factors in ``models``.

Each measurement divides out the other, independently specified effects (using the same pattern
functions as the generator) and compares group means, so an effect is measured on its own. All
functions are pure: arrays in, floats out; ``None`` means the data holds nothing to measure on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from synth_assets.air_quality import models as m
from synth_assets.air_quality import patterns
from synth_assets.core.calendar import LocalCalendar, local_calendar, summer_mask, weekend_mask, winter_mask

P = m.PATTERNS
GRID_COLUMNS = ("pm25", "pm10", "no2", "so2", "co", "o3", "wind_speed_kmh", "is_raining")


@dataclass(frozen=True)
class Grid:
    """Measurements as (cities, hours) arrays plus the city attributes, for complete data."""

    values: dict[str, np.ndarray]
    calendar: LocalCalendar
    cities: pl.DataFrame

    def city(self, name: str) -> np.ndarray:
        return self.cities[name].to_numpy()[:, None]


def to_grid(table: pa.Table, cities: pl.DataFrame) -> Grid:
    """Reshape a (timestamp, city_id)-ordered table with every city at every hour into a grid."""
    city_ids = table["city_id"].to_numpy()
    ids = np.unique(city_ids)
    cities = cities.filter(pl.col("city_id").is_in(ids.tolist())).sort("city_id")
    n_cities = cities.height
    if n_cities == 0 or table.num_rows % n_cities or not np.array_equal(
            city_ids[:n_cities], cities["city_id"].to_numpy()):
        raise ValueError("table is not a complete (timestamp, city_id) grid")
    n_hours = table.num_rows // n_cities
    values = {name: _cities_by_hours(table[name], n_cities, n_hours) for name in GRID_COLUMNS}
    hours = table["timestamp"].to_numpy()[::n_cities].astype("datetime64[h]")
    return Grid(values, local_calendar(hours, cities["timezone"].to_list()), cities)


def _cities_by_hours(column: pa.ChunkedArray, n_cities: int, n_hours: int) -> np.ndarray:
    """A (timestamp, city_id)-ordered column as a C-ordered (cities, hours) array, like the calendar's.

    Filled chunk by chunk (a daily file is whole hours), so the transposition runs in cache-sized pieces.
    """
    out = np.empty((n_cities, n_hours), dtype=column.type.to_pandas_dtype())
    hour = 0
    for chunk in column.chunks:
        if len(chunk) % n_cities:
            return np.ascontiguousarray(column.to_numpy().reshape(n_hours, n_cities).T)
        step = len(chunk) // n_cities
        out[:, hour:hour + step] = chunk.to_numpy(zero_copy_only=False).reshape(step, n_cities).T
        hour += step
    return out


def _ratio(x: np.ndarray, numerator: np.ndarray, denominator: np.ndarray) -> float | None:
    if not numerator.any() or not denominator.any():
        return None
    return float(x[numerator].mean() / x[denominator].mean())


def _factors(grid: Grid) -> dict[str, np.ndarray]:
    """Each specified effect on the grid, computed once by the generator's own pattern functions."""
    return {
        "geographic": patterns.geographic_factor(grid.city("coastal"), grid.city("industrial")),
        "temporal": patterns.temporal_factor(grid.calendar, grid.city("latitude"),
                                             grid.cities["country_code"].to_list()),
        "wind": patterns.wind_factor(grid.values["wind_speed_kmh"]),
        "rain": np.where(grid.values["is_raining"], P.rain_factor, 1.0),
    }


def _without(grid: Grid, factors: dict[str, np.ndarray], *, temporal: bool = True, geographic: bool = True,
             wind: bool = True, rain: bool = True) -> np.ndarray:
    """PM2.5 divided by the base level and the chosen effects."""
    x = grid.values["pm25"] / grid.city("base_pollution_level")
    for name, chosen in (("geographic", geographic), ("temporal", temporal), ("wind", wind), ("rain", rain)):
        if chosen:
            np.divide(x, factors[name], out=x)
    return x


def measure_effects(grid: Grid) -> dict[str, float | None]:
    """Observed value of every specified factor; compare with :func:`expected_effects`."""
    cal = grid.calendar
    factors = _factors(grid)
    temporal_only = _without(grid, factors, temporal=False)
    hour = cal.hour
    weekend = weekend_mask(cal.weekday, grid.cities["country_code"].to_list())
    latitude = grid.city("latitude")
    broadcast = np.ones_like(temporal_only, dtype=bool)
    coastal = grid.city("coastal") & broadcast
    industrial = grid.city("industrial") & broadcast
    geo_only = _without(grid, factors, geographic=False)
    midday = np.isin(hour, list(P.midday_hours))
    no_rain = _without(grid, factors, rain=False)
    no_wind = _without(grid, factors, wind=False)
    wind = grid.values["wind_speed_kmh"]
    windy, calm = wind >= P.wind_full_effect_kmh, wind < 2.0
    wind_ratio = _ratio(no_wind, windy, calm)
    return {
        "rush_hour": _ratio(temporal_only, np.isin(hour, list(P.rush_hours)), midday),
        "night": _ratio(temporal_only, np.isin(hour, list(P.night_hours)), midday),
        "weekend": _ratio(temporal_only, weekend, ~weekend),
        "winter": _ratio(temporal_only, winter_mask(cal.month, latitude), summer_mask(cal.month, latitude)),
        "coastal": _ratio(geo_only / np.where(industrial, P.industrial_factor, 1.0), coastal, ~coastal),
        "industrial": _ratio(geo_only / np.where(coastal, P.coastal_factor, 1.0), industrial, ~industrial),
        "rain": _ratio(no_rain, grid.values["is_raining"], ~grid.values["is_raining"]),
        "wind": None if wind_ratio is None else wind_ratio / _ratio(factors["wind"], windy, calm),
        **{f"{name}_ratio": float(grid.values[name].sum() / grid.values["pm25"].sum())
           for name in P.pollutant_ratios},
    }


def expected_effects() -> dict[str, float]:
    """The specified factor for each key of :func:`measure_effects`."""
    return {
        "rush_hour": P.rush_factor, "night": P.night_factor, "weekend": P.weekend_factor,
        "winter": P.winter_factor, "coastal": P.coastal_factor, "industrial": P.industrial_factor,
        "rain": P.rain_factor, "wind": 1.0,
        **{f"{name}_ratio": ratio for name, ratio in P.pollutant_ratios.items()},
    }


def sums_by_local_hour(grid: Grid, column: str = "pm25") -> np.ndarray:
    """Per city, the sum of ``column`` at each local hour 0-23: shape (cities, 24)."""
    n_cities = grid.cities.height
    index = grid.calendar.hour.astype(np.int64) + 24 * np.arange(n_cities)[:, None]
    return np.bincount(index.ravel(), weights=grid.values[column].ravel(), minlength=24 * n_cities).reshape(
        n_cities, 24)


def annual_pm25_vs_published(grid: Grid) -> pl.DataFrame:
    """Per city: the generated mean PM2.5 of the grid against the published annual mean and its source."""
    generated = grid.values["pm25"].mean(axis=1)
    return grid.cities.select("name", "pm25_published", "pm25_year", "pm25_source").with_columns(
        pm25_generated=pl.Series(generated.round(2)),
        ratio=pl.Series((generated / grid.cities["pm25_published"].to_numpy()).round(3)))


def worst_pm25_ratio(grid: Grid) -> float | None:
    """Generated / published annual mean PM2.5 of the city farthest from 1; None unless a whole year."""
    hours = grid.values["pm25"].shape[1]
    if hours < 365 * 24:
        return None
    ratio = annual_pm25_vs_published(grid)["ratio"].to_numpy()
    return float(ratio[np.argmax(np.abs(ratio - 1.0))])
