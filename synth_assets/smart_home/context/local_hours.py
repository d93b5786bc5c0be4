"""The UTC hours of each location's local day: the row grid of every hourly context table.

A home-local day D is the set of UTC hour starts whose local wall-clock date is D: 24 hours, 23 on the
day clocks go forward, 25 on the day they go back (zones with half-hour offsets still get 24). Pure numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from synth_assets.core.calendar import local_calendar, local_dates

# Local days start between UTC-12 and UTC+14: the UTC hours from the day before to the day after cover them.
_CANDIDATE_DAYS_BEFORE = 1
_CANDIDATE_HOURS = 72


@dataclass(frozen=True)
class LocalDayHours:
    """Flat (location, hour) rows in (location, UTC time) order; every array has one entry per row."""

    location: np.ndarray        # index into the locations given
    timestamp: np.ndarray       # datetime64[h], UTC hour start
    local_hour: np.ndarray      # int8, the local wall-clock hour at the hour start
    first_hour: np.datetime64   # the earliest UTC hour of any row (for gathering from hour grids)

    @property
    def hour_offset(self) -> np.ndarray:
        """Hours since ``first_hour``: the column of each row in a grid that starts at ``first_hour``."""
        return (self.timestamp - self.first_hour).astype(np.int64)

    def utc_days(self) -> list[date]:
        """Every UTC day from the first to the last the rows touch, ascending."""
        first = self.timestamp.min().astype("datetime64[D]").astype(object)
        last = self.timestamp.max().astype("datetime64[D]").astype(object)
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def local_day_hours(timezones: Sequence[str], day: date) -> LocalDayHours:
    """The rows of ``day`` for each location (by its IANA zone), vectorised over locations."""
    candidates = (np.datetime64(day - timedelta(days=_CANDIDATE_DAYS_BEFORE), "h")
                  + np.arange(_CANDIDATE_HOURS).astype("timedelta64[h]"))
    inside = local_dates(candidates, timezones) == np.datetime64(day, "D")
    location, column = np.nonzero(inside)  # row-major: location, then time
    hour = local_calendar(candidates, timezones).hour
    timestamps = candidates[column]
    first = timestamps.min() if timestamps.size else candidates[0]
    return LocalDayHours(location=location, timestamp=timestamps, local_hour=hour[location, column].astype(np.int8),
                         first_hour=first)
