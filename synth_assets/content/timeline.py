"""Days, day weights and timestamps of the content family: vectorised, deterministic, US-Eastern days.

Rows are spread over the configured US-Eastern days with a weekly rhythm and slow growth; times of
day follow an evening-heavy activity curve. Times are drawn as Eastern wall-clock times and stored as
UTC instants, here as int64 microseconds since the epoch (numpy) until a frame is assembled.
A wall-clock time converts with the UTC offset of its local hour (a DST change happens on the hour):
a time in the hour skipped in spring moves forward one hour, a time in the repeated autumn hour takes
the first of the two instants.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from synth_assets.content.models import TIMEZONE

# Share of a day's activity per local hour: quiet nights, busy evenings (sums to 1 after normalising)
_HOURLY_ACTIVITY = np.array([2, 1.2, 0.8, 0.5, 0.4, 0.5, 1, 2, 3, 3.5, 4, 4.5,
                             5, 5, 4.8, 4.8, 5, 5.5, 6.5, 7.5, 8, 7.5, 6, 4])
HOURLY_ACTIVITY = _HOURLY_ACTIVITY / _HOURLY_ACTIVITY.sum()
WEEKDAY_ACTIVITY = np.array([1.0, 1.0, 1.02, 1.04, 1.1, 1.25, 1.2])  # Monday .. Sunday
GROWTH_OVER_RANGE = 1.6  # the last day is 1.6x as busy as the first
HOUR_US = 3_600_000_000
UTC_TIMESTAMP = pl.Datetime("us", "UTC")
_EPOCH = datetime(1970, 1, 1)


def days_of(start: date, end: date) -> list[date]:
    """Inclusive list of days."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer counts proportional to ``weights`` (largest remainder, exact sum)."""
    if total == 0 or not weights.sum():
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


@lru_cache(maxsize=4096)
def _day_clock(day: date) -> tuple[int, np.ndarray]:
    """Naive epoch microseconds of the day's local midnight, and the UTC offset (us) of each local hour."""
    zone = ZoneInfo(TIMEZONE)
    offsets = [datetime(day.year, day.month, day.day, hour, tzinfo=zone).utcoffset() for hour in range(24)]
    midnight = (datetime(day.year, day.month, day.day) - _EPOCH) // timedelta(microseconds=1)
    return midnight, np.array([o // timedelta(microseconds=1) for o in offsets], dtype=np.int64)


def day_start_us(day: date) -> int:
    """The UTC instant (epoch us) at which the Eastern day begins."""
    midnight, offsets = _day_clock(day)
    return int(midnight - offsets[0])


def eastern_day_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC instants of the start and end of an Eastern day."""
    return to_datetime(day_start_us(day)), to_datetime(day_start_us(day + timedelta(days=1)))


def to_datetime(epoch_us: int) -> datetime:
    return datetime.fromtimestamp(0, timezone.utc) + timedelta(microseconds=int(epoch_us))


def last_instant(last_day: date) -> datetime:
    """The last microsecond of an Eastern day: every timestamp of the range stays at or before it."""
    return eastern_day_bounds(last_day)[1] - timedelta(microseconds=1)


def last_instant_us(last_day: date) -> int:
    return day_start_us(last_day + timedelta(days=1)) - 1


def eastern_times_of_day(rng: np.random.Generator, day: date, n: int) -> np.ndarray:
    """``n`` sorted UTC instants (epoch us) on Eastern day ``day``, activity-weighted by local hour.

    Every time lies strictly inside its local hour (at least 1 us after it starts, 2 us before it ends),
    so ``time + 1 us`` never leaves the day.
    """
    midnight, offsets = _day_clock(day)
    hours = rng.choice(24, size=n, p=HOURLY_ACTIVITY)
    inside = 1 + (rng.random(n) * (HOUR_US - 3)).astype(np.int64)
    times = midnight + hours * HOUR_US + inside - offsets[hours]
    times.sort()
    return times


def utc_series(epoch_us: np.ndarray, name: str) -> pl.Series:
    """Epoch microseconds -> a UTC timestamp column."""
    return pl.Series(name, np.asarray(epoch_us, dtype=np.int64)).cast(UTC_TIMESTAMP)


def seconds_us(values: np.ndarray) -> np.ndarray:
    """Float seconds -> int64 microseconds."""
    return (np.asarray(values) * 1e6).astype(np.int64)


def local_year_month(days: list[date], counts: np.ndarray) -> pl.Series:
    """``"YYYY/MM/"`` of each row's Eastern day, for rows grouped by day (``counts[i]`` rows on ``days[i]``)."""
    labels = pl.Series([f"{d:%Y/%m/}" for d in days], dtype=pl.String)
    return labels.gather(np.repeat(np.arange(len(days)), counts))
