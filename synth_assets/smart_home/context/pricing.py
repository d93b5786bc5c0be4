"""Hourly household electricity prices per grid region under flat, time-of-use and dynamic tariffs.

- flat: the country's published household price (reference/electricity_prices.csv, USD/kWh);
- time of use: the flat price times the multiplier of the local hour's period (models.TARIFFS: peak
  16:00-21:00, off-peak 23:00-07:00, shoulder otherwise);
- dynamic: the flat price moved by demand (the residential load shape, models.DEMAND, on the region's
  clock) and by the grid's carbon intensity relative to its annual mean (carbon.py: dirty hours are
  the expensive gas/coal hours), plus noise; so dynamic prices correlate with both.

Draws: one block per (country, UTC day) of ("smart_home", "electricity_prices", country_code). Pure.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from synth_assets.core import rng
from synth_assets.core.bounds import field_bounds
from synth_assets.core.days import PARTITIONS_START
from synth_assets.smart_home.context.carbon import (
    HOURS_PER_DAY,
    REFERENCE_DIR,
    carbon_at,
    grid_countries,
    read_reference,
    region_keys,
    region_rows,
    winter_cosine,
)
from synth_assets.smart_home.context.local_hours import LocalDayHours
from synth_assets.smart_home.context.models import DEMAND, PRICE_SCHEMA, TARIFFS, ElectricityPriceHour

ELECTRICITY_PRICES_CSV = REFERENCE_DIR / "electricity_prices.csv"
STREAM = ("smart_home", "electricity_prices")
WORDS_PER_DAY = 24          # 12 Box-Muller pairs: one normal per UTC hour
DECIMALS = 4
_BOUNDS = field_bounds(ElectricityPriceHour)
TOU_PERIODS = ("off_peak", "shoulder", "peak")


@lru_cache(maxsize=1)
def household_prices(path: Path = ELECTRICITY_PRICES_CSV) -> pl.DataFrame:
    """Flat household price per country (USD/kWh) with its source."""
    return read_reference(path).with_columns(pl.col("usd_per_kwh").cast(pl.Float64)).sort("country_code")


def _bump(hour: np.ndarray, peak: float, width: float) -> np.ndarray:
    distance = (hour - peak + 12.0) % HOURS_PER_DAY - 12.0
    return np.exp(-0.5 * (distance / width) ** 2)


def _raw_demand(hour: np.ndarray) -> np.ndarray:
    return (1.0 - DEMAND.night_trough * _bump(hour, 3.0, 2.5)
            + DEMAND.morning_amplitude * _bump(hour, DEMAND.morning_peak_hour, 1.5)
            + DEMAND.evening_amplitude * _bump(hour, DEMAND.evening_peak_hour, 2.0))


_DEMAND_MEAN = float(np.mean(_raw_demand(np.arange(24 * 60) / 60.0)))


def demand_index(local_hour: np.ndarray, day_of_year: np.ndarray, latitude: np.ndarray) -> np.ndarray:
    """Grid demand relative to the yearly mean: the residential daily shape times a winter excess."""
    daily = _raw_demand(local_hour + 0.5) / _DEMAND_MEAN
    return daily * (1.0 + DEMAND.winter_excess * winter_cosine(day_of_year, latitude))


def tou_period(local_hour: np.ndarray) -> np.ndarray:
    """0 off-peak, 1 shoulder, 2 peak (index into TOU_PERIODS) for each local hour."""
    peak_start, peak_end = TARIFFS.peak_hours
    off_start, off_end = TARIFFS.off_peak_hours
    peak = (local_hour >= peak_start) & (local_hour < peak_end)
    off = (local_hour >= off_start) | (local_hour < off_end)
    return np.where(peak, 2, np.where(off, 0, 1)).astype(np.int8)


def _noise(country_codes: list[str], days: list[date], seed: int) -> np.ndarray:
    """(countries, hours) standard normals, one per UTC hour of ``days`` (consecutive)."""
    first_block = (days[0] - PARTITIONS_START).days + 1
    words = np.stack([rng.raw_blocks(seed, (*STREAM, code), first_block, len(days), WORDS_PER_DAY)
                      for code in country_codes])
    u = rng.to_uniform(words)
    return rng.box_muller(u[..., 0:12], u[..., 12:24], axis=-1).reshape(len(country_codes), -1)


def prices_at(regions: pl.DataFrame, hours: LocalDayHours, seed: int) -> dict[str, np.ndarray]:
    """Demand, the three tariffs and the TOU period at each (region, hour) row."""
    country = regions["country_code"].to_numpy()[hours.location]
    countries = grid_countries(regions["country_code"].to_list())
    prices = household_prices()
    missing = sorted(set(countries["country_code"].to_list()) - set(prices["country_code"].to_list()))
    if missing:
        raise ValueError(f"no household price for country codes {missing}; add them to {ELECTRICITY_PRICES_CSV}")
    prices = prices.filter(pl.col("country_code").is_in(countries["country_code"].implode()))
    row = np.searchsorted(countries["country_code"].to_numpy(), country)
    flat = prices["usd_per_kwh"].to_numpy()[row]
    mean_carbon = countries["gco2_per_kwh"].to_numpy()[row]
    latitude = countries["latitude"].to_numpy()[row]

    days = hours.utc_days()
    hour_column = (hours.timestamp - np.datetime64(days[0], "h")).astype(np.int64)
    noise = _noise(countries["country_code"].to_list(), days, seed)[row, hour_column]
    day_of_year = (hours.timestamp.astype("datetime64[D]") - hours.timestamp.astype("datetime64[Y]")).astype(
        np.float64) + 1
    demand = demand_index(hours.local_hour.astype(np.float64), day_of_year, latitude)
    carbon = carbon_at(regions, hours, seed)
    period = tou_period(hours.local_hour)
    multiplier = np.array([TARIFFS.off_peak_multiplier, TARIFFS.shoulder_multiplier, TARIFFS.peak_multiplier])
    dynamic = flat * (1.0 + TARIFFS.dynamic_demand_weight * (demand - 1.0)
                      + TARIFFS.dynamic_carbon_weight * (carbon / mean_carbon - 1.0)
                      + TARIFFS.dynamic_noise_sd * noise)
    return {
        "demand_index": np.clip(np.round(demand, DECIMALS), *_BOUNDS["demand_index"]),
        "flat_usd_per_kwh": np.clip(np.round(flat, DECIMALS), *_BOUNDS["flat_usd_per_kwh"]),
        "tou_usd_per_kwh": np.clip(np.round(flat * multiplier[period], DECIMALS), *_BOUNDS["tou_usd_per_kwh"]),
        "tou_period": np.asarray(TOU_PERIODS)[period],
        "dynamic_usd_per_kwh": np.clip(np.round(dynamic, DECIMALS), *_BOUNDS["dynamic_usd_per_kwh"]),
        "carbon_intensity_gco2_per_kwh": carbon,
    }


def electricity_prices_day(homes: pl.DataFrame, day: date, seed: int) -> pa.Table:
    """Hourly prices of every grid region the homes live in, over the region's local ``day``."""
    regions, hours = region_rows(homes, day)
    values = prices_at(regions, hours, seed)
    columns = {**region_keys(regions, hours),
               **{name: pa.array(values[name]) for name in PRICE_SCHEMA.names if name in values}}
    return pa.table(columns).cast(PRICE_SCHEMA)
