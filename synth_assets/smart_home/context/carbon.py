"""Hourly carbon intensity of each country's grid: a published annual mean shaped by sun, season and wind.

intensity = annual mean (reference/grid_carbon.csv) x diurnal x seasonal x windy-day x hour noise, each
factor averaging 1, so the generated annual mean stays at the published one. The diurnal factor dips
at solar noon (solar output) and rises in the evening peak; it runs on the country's mean solar time
(the mean longitude of its reference cities), the seasonal factor on its mean latitude (winter higher).
Values depend on the country and the UTC hour only; a grid region (country, time zone) is the country's
grid seen over the local days of that zone. Draws: one block per (country, UTC day) of the stream
("smart_home", "carbon_intensity", country_code). Pure: no Dagster, no I/O.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from synth_assets.air_quality.cities import select_cities
from synth_assets.core import rng
from synth_assets.core.bounds import field_bounds
from synth_assets.core.days import PARTITIONS_START
from synth_assets.smart_home.context.local_hours import LocalDayHours, local_day_hours
from synth_assets.smart_home.context.models import CARBON, CARBON_SCHEMA, REGION_SEPARATOR, CarbonIntensityHour

REFERENCE_DIR = Path(__file__).parent / "reference"
GRID_CARBON_CSV = REFERENCE_DIR / "grid_carbon.csv"
HOURS_PER_DAY = 24
WORDS_PER_DAY = 28          # 24 hour noises (12 Box-Muller pairs), 2 for the day's wind, 2 spare
STREAM = ("smart_home", "carbon_intensity")
DECIMALS = 1
DAYS_PER_YEAR = 365.25
COLDEST_DAY_OF_YEAR = 15.0  # mid-January in the north, as core/climate.py
_BOUNDS = field_bounds(CarbonIntensityHour)["carbon_intensity_gco2_per_kwh"]


def read_reference(path: Path) -> pl.DataFrame:
    """A reference CSV (comment lines start with '#') as a frame, one row per country_code."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    frame = pl.DataFrame(rows).with_columns(pl.col("estimate") == "true")
    if frame["country_code"].is_duplicated().any():
        raise ValueError(f"{path}: duplicate country_code rows")
    return frame


@lru_cache(maxsize=1)
def grid_carbon() -> pl.DataFrame:
    """Annual mean gCO2e/kWh per country with its source, and the country's mean latitude and longitude."""
    reference = read_reference(GRID_CARBON_CSV).with_columns(pl.col("gco2_per_kwh").cast(pl.Float64))
    centres = (select_cities("full").group_by("country_code")
               .agg(pl.col("latitude").mean(), pl.col("longitude").mean()))
    return reference.join(centres, on="country_code", how="inner").sort("country_code")


def grid_countries(country_codes: list[str]) -> pl.DataFrame:
    """Reference rows of ``country_codes`` (ascending); a country without a reference row is an error."""
    table = grid_carbon()
    missing = sorted(set(country_codes) - set(table["country_code"].to_list()))
    if missing:
        raise ValueError(f"no grid carbon reference for country codes {missing}; add them to {GRID_CARBON_CSV}")
    return table.filter(pl.col("country_code").is_in(sorted(set(country_codes))))


def regions_of(homes: pl.DataFrame) -> pl.DataFrame:
    """The grid regions the homes live in: distinct (country_code, timezone), ascending, with region_id."""
    regions = homes.select("country_code", "timezone").unique().sort("country_code", "timezone")
    region = pl.concat_str("country_code", "timezone", separator=REGION_SEPARATOR)
    return regions.with_columns(region.alias("region_id"))


def _periodic_mean(shape, points: int = 24 * 60) -> float:
    return float(np.mean(shape(np.arange(points) * HOURS_PER_DAY / points)))


def _solar(solar_hour: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, np.cos(2.0 * np.pi * (solar_hour - 12.0) / HOURS_PER_DAY))


def _evening(solar_hour: np.ndarray) -> np.ndarray:
    distance = (solar_hour - CARBON.evening_peak_hour + 12.0) % HOURS_PER_DAY - 12.0
    return np.exp(-0.5 * (distance / 1.5) ** 2)


_SOLAR_MEAN, _EVENING_MEAN = _periodic_mean(_solar), _periodic_mean(_evening)


def diurnal_factor(solar_hour: np.ndarray) -> np.ndarray:
    """Midday solar dip and evening peak around 1 (mean 1 over a day)."""
    return (1.0 - CARBON.solar_dip * (_solar(solar_hour) - _SOLAR_MEAN)
            + CARBON.evening_peak * (_evening(solar_hour) - _EVENING_MEAN))


def winter_cosine(day_of_year: np.ndarray, latitude: np.ndarray) -> np.ndarray:
    """+1 in mid-winter, -1 in mid-summer of the hemisphere (mean 0 over a year)."""
    winter = np.cos(2.0 * np.pi * (day_of_year - COLDEST_DAY_OF_YEAR) / DAYS_PER_YEAR)
    return np.where(latitude >= 0, winter, -winter)


def seasonal_factor(day_of_year: np.ndarray, latitude: np.ndarray) -> np.ndarray:
    """Higher in the local winter, lower in summer (mean 1 over a year)."""
    return 1.0 + CARBON.winter_excess * winter_cosine(day_of_year, latitude)


@dataclass(frozen=True)
class CountryHourGrid:
    """Values per country (rows, ascending country_code) and UTC hour from ``first_hour``."""

    country_codes: np.ndarray
    first_hour: np.datetime64
    values: np.ndarray  # (countries, hours)

    def gather(self, country_codes: np.ndarray, hours: np.ndarray) -> np.ndarray:
        row = np.searchsorted(self.country_codes, country_codes)
        column = (hours.astype("datetime64[h]") - self.first_hour).astype(np.int64)
        return self.values[row, column]


def carbon_grid(countries: pl.DataFrame, first_day: date, last_day: date, seed: int) -> CountryHourGrid:
    """Hourly intensity of each country for the UTC days ``first_day .. last_day`` (vectorised)."""
    n_days = (last_day - first_day).days + 1
    first_block = (first_day - PARTITIONS_START).days + 1  # block 0 is the day before the first partition
    if first_block < 0:
        raise ValueError(f"carbon intensity starts on {PARTITIONS_START - timedelta(days=1)}; asked for {first_day}")
    codes = countries["country_code"].to_list()
    words = np.stack([rng.raw_blocks(seed, (*STREAM, code), first_block, n_days, WORDS_PER_DAY) for code in codes])
    uniforms = rng.to_uniform(words)                                   # (countries, days, words)
    hour_noise = rng.box_muller(uniforms[..., 0:12], uniforms[..., 12:24], axis=-1)  # (countries, days, 24)
    wind = rng.box_muller(uniforms[..., 24:25], uniforms[..., 25:26], axis=-1)[..., 0]  # (countries, days)
    hours_utc = np.datetime64(first_day, "h") + np.arange(n_days * HOURS_PER_DAY).astype("timedelta64[h]")
    utc_hour = (hours_utc - hours_utc.astype("datetime64[D]")).astype(np.float64)
    longitude = countries["longitude"].to_numpy()[:, None]
    latitude = countries["latitude"].to_numpy()[:, None]
    solar_hour = (utc_hour[None, :] + 0.5 + longitude / 15.0) % HOURS_PER_DAY
    day_of_year = (hours_utc.astype("datetime64[D]") - hours_utc.astype("datetime64[Y]")).astype(np.float64) + 1
    windy = np.exp(CARBON.wind_day_sd * wind - CARBON.wind_day_sd ** 2 / 2.0)  # lognormal, mean 1
    value = (countries["gco2_per_kwh"].to_numpy()[:, None] * diurnal_factor(solar_hour)
             * seasonal_factor(day_of_year[None, :], latitude)
             * np.repeat(windy, HOURS_PER_DAY, axis=1)
             * (1.0 + CARBON.hour_noise_sd * hour_noise.reshape(len(codes), -1)))
    value = np.clip(np.round(value, DECIMALS), *_BOUNDS)
    return CountryHourGrid(np.asarray(codes), np.datetime64(first_day, "h"), value)


def region_rows(homes: pl.DataFrame, day: date) -> tuple[pl.DataFrame, LocalDayHours]:
    """The grid regions of the homes and the UTC hours of each region's local ``day``."""
    regions = regions_of(homes)
    return regions, local_day_hours(regions["timezone"].to_list(), day)


def region_keys(regions: pl.DataFrame, hours: LocalDayHours) -> dict[str, pa.Array]:
    return {
        "region_id": regions["region_id"].gather(hours.location).to_arrow(),
        "country_code": regions["country_code"].gather(hours.location).to_arrow(),
        "timezone": regions["timezone"].gather(hours.location).to_arrow(),
        "timestamp": pa.array(hours.timestamp.astype("datetime64[us]"), type=pa.timestamp("us", tz="UTC")),
        "local_hour": pa.array(hours.local_hour, type=pa.int8()),
    }


def carbon_at(regions: pl.DataFrame, hours: LocalDayHours, seed: int) -> np.ndarray:
    """Intensity at each (region, hour) row."""
    days = hours.utc_days()
    grid = carbon_grid(grid_countries(regions["country_code"].to_list()), days[0], days[-1], seed)
    return grid.gather(regions["country_code"].to_numpy()[hours.location], hours.timestamp)


def carbon_intensity_day(homes: pl.DataFrame, day: date, seed: int) -> pa.Table:
    """Hourly intensity of every grid region the homes live in, over the region's local ``day``."""
    regions, hours = region_rows(homes, day)
    columns = {**region_keys(regions, hours),
               "carbon_intensity_gco2_per_kwh": pa.array(carbon_at(regions, hours, seed))}
    return pa.table(columns).cast(CARBON_SCHEMA)
