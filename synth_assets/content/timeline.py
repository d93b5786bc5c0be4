"""Row ids and timestamps for the content family: vectorised, deterministic, US-Eastern days.

Rows are spread over the configured US-Eastern days with a weekly rhythm and slow growth; times of
day follow an evening-heavy activity curve; everything is drawn in Eastern time and stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from synth_assets.content.models import TIMEZONE
from synth_assets.core.ids import uuid4_from_bytes

# Share of a day's activity per local hour: quiet nights, busy evenings (sums to 1 after normalising)
_HOURLY_ACTIVITY = np.array([2, 1.2, 0.8, 0.5, 0.4, 0.5, 1, 2, 3, 3.5, 4, 4.5,
                             5, 5, 4.8, 4.8, 5, 5.5, 6.5, 7.5, 8, 7.5, 6, 4])
HOURLY_ACTIVITY = _HOURLY_ACTIVITY / _HOURLY_ACTIVITY.sum()
WEEKDAY_ACTIVITY = np.array([1.0, 1.0, 1.02, 1.04, 1.1, 1.25, 1.2])  # Monday .. Sunday
GROWTH_OVER_RANGE = 1.6  # the last day is 1.6x as busy as the first


def days_of(start: date, end: date) -> list[date]:
    """Inclusive list of days."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer counts proportional to ``weights`` (largest remainder, exact sum)."""
    if total == 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    remainder = total - counts.sum()
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:remainder]] += 1
    return counts


def day_weights(days: list[date]) -> np.ndarray:
    trend = np.linspace(1.0, GROWTH_OVER_RANGE, len(days))
    return trend * WEEKDAY_ACTIVITY[[d.weekday() for d in days]]


def eastern_times(rng: np.random.Generator, days: list[date], counts: np.ndarray) -> pl.Series:
    """``counts[i]`` UTC timestamps on Eastern day ``days[i]``, sorted; activity-weighted hours."""
    n = int(counts.sum())
    day_index = np.repeat(np.arange(len(days)), counts)
    hours = rng.choice(24, size=n, p=HOURLY_ACTIVITY)
    micros = (hours * 3600 + rng.random(n) * 3600) * 1_000_000
    midnight = np.array([np.datetime64(d, "us") for d in days])[day_index]
    local = midnight + micros.astype("timedelta64[us]")
    return wall_clock_to_utc(local).sort()  # sorted in UTC: skipped DST hours move forward


def wall_clock_to_utc(local: np.ndarray) -> pl.Series:
    """Naive US-Eastern wall-clock times -> UTC. Times skipped by DST move forward one hour."""
    series = pl.Series("t", local.astype("datetime64[us]"))
    aware = series.dt.replace_time_zone(TIMEZONE, ambiguous="earliest", non_existent="null")
    shifted = (series + timedelta(hours=1)).dt.replace_time_zone(TIMEZONE, ambiguous="earliest",
                                                                 non_existent="null")
    return aware.fill_null(shifted).dt.convert_time_zone("UTC")


def eastern_day_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC instants of the start and end of an Eastern day."""
    start = wall_clock_to_utc(np.array([np.datetime64(day, "us"), np.datetime64(day + timedelta(days=1), "us")]))
    return start[0], start[1]


def uuid4_strings(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` random version-4 UUIDs as canonical strings, built from the generator's bytes."""
    return uuid4_from_bytes(rng.integers(0, 256, size=(n, 16), dtype=np.uint8))


def seconds(values: np.ndarray) -> pl.Series:
    """A duration series from float seconds (microsecond precision)."""
    return pl.Series((np.asarray(values) * 1e6).astype(np.int64)).cast(pl.Duration("us"))


def last_instant(last_day: date) -> datetime:
    """The last microsecond of an Eastern day: every timestamp of the range stays at or before it."""
    return eastern_day_bounds(last_day)[1] - timedelta(microseconds=1)


def existing_before(created_sorted: pl.Series, moments: pl.Series) -> np.ndarray:
    """For each moment, how many rows of ``created_sorted`` (ascending) were created before it."""
    return np.searchsorted(created_sorted.dt.epoch("us").to_numpy(), moments.dt.epoch("us").to_numpy(), side="left")
