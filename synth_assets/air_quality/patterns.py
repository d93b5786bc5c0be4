"""The seed's temporal, geographic and weather patterns as vectorised functions.

Every function takes numpy arrays and broadcasts: city attributes have shape ``(cities, 1)`` and
per-hour values ``(cities, hours)``. The batch generator and the stream simulator both use these
functions, and the distribution checks use the same masks, so a pattern is written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl

from synth_assets.air_quality import models as m

P = m.PATTERNS


@dataclass(frozen=True)
class LocalCalendar:
    """Local wall-clock fields of each (city, UTC hour); every array has shape (cities, hours)."""

    hour: np.ndarray
    weekday: np.ndarray  # ISO: Monday = 1 .. Sunday = 7
    month: np.ndarray
    day_of_year: np.ndarray


@lru_cache(maxsize=2048)
def _utc_offsets_of_year(zone: str, year: int) -> np.ndarray:
    """UTC offset (minutes) of ``zone`` at every UTC hour of ``year``, from the IANA database."""
    hours = np.arange(np.datetime64(f"{year}-01-01T00", "h"), np.datetime64(f"{year + 1}-01-01T00", "h"))
    stamps = pl.Series("t", hours.astype("datetime64[us]")).dt.replace_time_zone("UTC")
    wall = stamps.dt.convert_time_zone(zone).dt.replace_time_zone(None).to_numpy()
    offsets = wall.astype("datetime64[m]") - hours.astype("datetime64[m]")
    offsets.setflags(write=False)
    return offsets


def _utc_offsets(zone: str, hours_utc: np.ndarray) -> np.ndarray:
    first, last = hours_utc[0].astype(object).year, hours_utc[-1].astype(object).year
    by_year = np.concatenate([_utc_offsets_of_year(zone, y) for y in range(first, last + 1)])
    index = (hours_utc - np.datetime64(f"{first}-01-01T00", "h")).astype(np.int64)
    return by_year[index]


def local_calendar(hours_utc: np.ndarray, timezones: Sequence[str]) -> LocalCalendar:
    """Convert UTC hours to each city's local hour, weekday, month and day of year (DST aware).

    The UTC offsets of each zone come from polars (the IANA database), cached per zone and year; the
    calendar fields are then derived for all cities at once with numpy datetime arithmetic.
    """
    hours_utc = hours_utc.astype("datetime64[h]")
    offsets = np.empty((len(timezones), len(hours_utc)), dtype="timedelta64[m]")
    by_zone: dict[str, list[int]] = {}
    for index, zone in enumerate(timezones):
        by_zone.setdefault(zone, []).append(index)
    for zone, rows in by_zone.items():
        offsets[rows] = _utc_offsets(zone, hours_utc)
    local = hours_utc.astype("datetime64[m]") + offsets  # (cities, hours) local wall-clock minutes
    days = local.astype("datetime64[D]")
    day_number = days.astype(np.int64)
    return LocalCalendar(
        hour=((local - days).astype(np.int64) // 60).astype(np.int16),
        weekday=((day_number + 3) % 7 + 1).astype(np.int16),  # 1970-01-01 was a Thursday (ISO 4)
        month=(days.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(np.int16),
        day_of_year=((days - days.astype("datetime64[Y]")).astype(np.int64) + 1).astype(np.int16),
    )


_HOUR_FACTOR = np.ones(24)
_HOUR_FACTOR[list(P.rush_hours)] = P.rush_factor
_HOUR_FACTOR[list(P.night_hours)] = P.night_factor


def hour_factor(hour: np.ndarray) -> np.ndarray:
    """Rush hours 7-9 and 17-19 × 1.4, night 22-5 × 0.6, otherwise × 1."""
    return _HOUR_FACTOR[hour]


def weekend_mask(weekday: np.ndarray, country_codes: Sequence[str]) -> np.ndarray:
    """True on the local weekend days of each city's country (Sat/Sun unless listed otherwise)."""
    table = np.zeros((len(country_codes), 8), dtype=bool)
    for row, code in enumerate(country_codes):
        table[row, list(m.WEEKEND_BY_COUNTRY.get(code, m.DEFAULT_WEEKEND))] = True
    return np.take_along_axis(table, weekday.astype(np.intp), axis=1)


def winter_mask(month: np.ndarray, latitude: np.ndarray) -> np.ndarray:
    """Dec-Feb in the northern hemisphere, Jun-Aug in the southern."""
    north = np.isin(month, list(P.northern_winter_months))
    south = np.isin(month, list(P.southern_winter_months))
    return np.where(latitude >= 0, north, south)


def summer_mask(month: np.ndarray, latitude: np.ndarray) -> np.ndarray:
    """The opposite season: Jun-Aug in the north, Dec-Feb in the south."""
    north = np.isin(month, list(P.southern_winter_months))
    south = np.isin(month, list(P.northern_winter_months))
    return np.where(latitude >= 0, north, south)


def temporal_factor(calendar: LocalCalendar, latitude: np.ndarray, country_codes: Sequence[str]) -> np.ndarray:
    weekend = weekend_mask(calendar.weekday, country_codes)
    winter = winter_mask(calendar.month, latitude)
    return (hour_factor(calendar.hour)
            * np.where(weekend, P.weekend_factor, 1.0)
            * np.where(winter, P.winter_factor, 1.0))


def geographic_factor(coastal: np.ndarray, industrial: np.ndarray) -> np.ndarray:
    """Coastal cities × 0.75 (sea breeze), industrial cities × 1.35."""
    return np.where(coastal, P.coastal_factor, 1.0) * np.where(industrial, P.industrial_factor, 1.0)


def climate(latitude: np.ndarray, coastal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Annual mean temperature and seasonal half-amplitude from latitude (the sea damps seasons)."""
    abs_lat = np.abs(latitude)
    annual_mean = m.TEMP_EQUATOR_C - m.TEMP_LAPSE_PER_DEG * np.maximum(abs_lat - 15.0, 0.0)
    amplitude = (m.TEMP_AMPLITUDE_BASE_C + m.TEMP_AMPLITUDE_PER_DEG * abs_lat) * np.where(
        coastal, m.COASTAL_AMPLITUDE_FACTOR, 1.0)
    return annual_mean, amplitude


def temperature(latitude: np.ndarray, coastal: np.ndarray, calendar: LocalCalendar,
                day_anomaly: np.ndarray, hour_noise: np.ndarray) -> np.ndarray:
    """Latitude climate + seasonal cosine (coldest mid-January north, mid-July south) + day cycle."""
    annual_mean, amplitude = climate(latitude, coastal)
    season = np.cos(2.0 * np.pi * (calendar.day_of_year - 15.0) / 365.25)
    seasonal = np.where(latitude >= 0, -amplitude * season, amplitude * season)
    diurnal = m.TEMP_DIURNAL_AMPLITUDE_C * np.cos(2.0 * np.pi * (calendar.hour - m.TEMP_DIURNAL_PEAK_HOUR) / 24.0)
    return (annual_mean + seasonal + diurnal
            + m.TEMP_DAY_ANOMALY_SD_C * day_anomaly + m.TEMP_HOUR_NOISE_SD_C * hour_noise)


def humidity(temperature_c: np.ndarray, latitude: np.ndarray, coastal: np.ndarray,
             day_anomaly: np.ndarray, hour_noise: np.ndarray) -> np.ndarray:
    """Relative humidity, inversely related to how warm the hour is for the city."""
    annual_mean, _ = climate(latitude, coastal)
    value = (m.HUMIDITY_BASE_PCT + np.where(coastal, m.HUMIDITY_COASTAL_BONUS_PCT, 0.0)
             + m.HUMIDITY_PER_DEG_C * (temperature_c - annual_mean)
             + m.HUMIDITY_DAY_ANOMALY_SD * day_anomaly + m.HUMIDITY_HOUR_NOISE_SD * hour_noise)
    return np.clip(value, *m.HUMIDITY_RANGE)


def rain_probability(humidity_pct: np.ndarray) -> np.ndarray:
    value = m.RAIN_BASE_PROBABILITY + m.RAIN_PROBABILITY_PER_PCT * (humidity_pct - 60.0)
    return np.clip(value, 0.0, m.RAIN_MAX_PROBABILITY)


def wind_factor(wind_speed_kmh: np.ndarray) -> np.ndarray:
    """Wind disperses pollution: up to 30 % less, reached at ``wind_full_effect_kmh``."""
    return 1.0 - P.wind_max_reduction * np.minimum(wind_speed_kmh / P.wind_full_effect_kmh, 1.0)


def weather_factor(wind_speed_kmh: np.ndarray, is_raining: np.ndarray) -> np.ndarray:
    """Wind and rain (rain washes out 40 %)."""
    return wind_factor(wind_speed_kmh) * np.where(is_raining, P.rain_factor, 1.0)


def noise_factor(standard_normal: np.ndarray) -> np.ndarray:
    """Sensor noise: normal with sigma = 2.5 %, clipped to ±5 %."""
    return np.clip(1.0 + (P.noise_pct / 2.0) * standard_normal, 1.0 - P.noise_pct, 1.0 + P.noise_pct)
