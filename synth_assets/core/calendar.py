"""Local calendars of places: wall-clock time (DST aware), weekends and public holidays by country.

Pure numpy (no dagster, no I/O). Arrays have shape (locations, n): one row per location (a city, a
home), one column per UTC hour or local date. Per-location attributes are given as sequences of
length ``locations`` (time zones, ISO 3166-1 alpha-2 country codes). Expensive look-ups (a zone's
UTC offsets, a country's holidays) are computed once per (zone or country, year) and cached, and the
arrays are then derived for all locations at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import holidays
import numpy as np
import polars as pl

# Weekend days (ISO weekday numbers, Monday = 1) where they are not Saturday and Sunday.
# Cross-checked against the `weekend` of each country in the holidays package (0.108): it agrees
# for every code listed here except AF (holidays: Fri/Sat) and LY (holidays: Sat/Sun); those two
# are kept as the seed had them so air-quality output does not change (neither is a reference city's
# country). synth_assets_tests/core/test_calendar.py pins this comparison.
DEFAULT_WEEKEND = (6, 7)
WEEKEND_BY_COUNTRY = {
    **{code: (5, 6) for code in ("EG", "SA", "IL", "QA", "KW", "BH", "OM", "JO", "IQ", "YE", "SY",
                                 "LY", "SD", "DZ", "BD")},
    **{code: (4, 5) for code in ("AF",)},
    "IR": (5,),
}

# Meteorological seasons (WMO convention: winter is December-February in the northern hemisphere).
NORTHERN_WINTER_MONTHS = frozenset({12, 1, 2})
SOUTHERN_WINTER_MONTHS = frozenset({6, 7, 8})

HOLIDAY_NAME_LANGUAGE = "en_US"  # holiday names in English where the holidays package has them


@dataclass(frozen=True)
class LocalCalendar:
    """Local wall-clock fields of each (location, UTC hour); every array has shape (locations, hours)."""

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


def _local_minutes(hours_utc: np.ndarray, timezones: Sequence[str]) -> np.ndarray:
    """Local wall-clock time (datetime64[m]) of each (location, UTC hour); ``hours_utc`` ascending."""
    hours_utc = hours_utc.astype("datetime64[h]")
    offsets = np.empty((len(timezones), len(hours_utc)), dtype="timedelta64[m]")
    by_zone: dict[str, list[int]] = {}
    for index, zone in enumerate(timezones):
        by_zone.setdefault(zone, []).append(index)
    for zone, rows in by_zone.items():
        offsets[rows] = _utc_offsets(zone, hours_utc)
    return hours_utc.astype("datetime64[m]") + offsets


def local_calendar(hours_utc: np.ndarray, timezones: Sequence[str]) -> LocalCalendar:
    """Convert UTC hours to each location's local hour, weekday, month and day of year (DST aware).

    ``hours_utc`` is an ascending 1-d datetime64 array. The UTC offsets of each zone come from polars
    (the IANA database), cached per zone and year; the calendar fields are then derived for all
    locations at once with numpy datetime arithmetic.
    """
    zones, row_zone = np.unique(np.asarray(timezones, dtype=object).astype(str), return_inverse=True)
    local = _local_minutes(hours_utc, list(zones))  # (zones, hours) local wall-clock minutes, once per zone
    days = local.astype("datetime64[D]")
    day_number = days.astype(np.int64)
    fields = (((local - days).astype(np.int64) // 60).astype(np.int16),
              ((day_number + 3) % 7 + 1).astype(np.int16),  # 1970-01-01 was a Thursday (ISO 4)
              (days.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(np.int16),
              ((days - days.astype("datetime64[Y]")).astype(np.int64) + 1).astype(np.int16))
    if len(zones) == len(timezones) and np.array_equal(row_zone, np.arange(len(zones))):
        return LocalCalendar(*fields)
    return LocalCalendar(*(field[row_zone] for field in fields))  # one row per location again


def local_dates(hours_utc: np.ndarray, timezones: Sequence[str]) -> np.ndarray:
    """The local date (datetime64[D]) of each (location, UTC hour), for :func:`holiday_mask`."""
    return _local_minutes(hours_utc, timezones).astype("datetime64[D]")


def iso_weekday(dates: np.ndarray) -> np.ndarray:
    """ISO weekday (Monday = 1 .. Sunday = 7) of datetime64[D] dates, any shape."""
    return ((dates.astype("datetime64[D]").astype(np.int64) + 3) % 7 + 1).astype(np.int16)


def weekend_mask(weekday: np.ndarray, country_codes: Sequence[str]) -> np.ndarray:
    """True on the local weekend days of each location's country (Sat/Sun unless listed otherwise).

    ``weekday`` holds ISO weekdays with shape (locations, n), one row per country code.
    """
    table = np.zeros((len(country_codes), 8), dtype=bool)
    for row, code in enumerate(country_codes):
        table[row, list(WEEKEND_BY_COUNTRY.get(code, DEFAULT_WEEKEND))] = True
    return np.take_along_axis(table, weekday.astype(np.intp), axis=1)


def winter_mask(month: np.ndarray, latitude: np.ndarray) -> np.ndarray:
    """Dec-Feb in the northern hemisphere, Jun-Aug in the southern (latitude broadcasts, e.g. (locations, 1))."""
    north = np.isin(month, list(NORTHERN_WINTER_MONTHS))
    south = np.isin(month, list(SOUTHERN_WINTER_MONTHS))
    return np.where(latitude >= 0, north, south)


def summer_mask(month: np.ndarray, latitude: np.ndarray) -> np.ndarray:
    """The opposite season: Jun-Aug in the north, Dec-Feb in the south."""
    north = np.isin(month, list(SOUTHERN_WINTER_MONTHS))
    south = np.isin(month, list(NORTHERN_WINTER_MONTHS))
    return np.where(latitude >= 0, north, south)


# ---------------------------------------------------------------------------------------------
# Public holidays (the holidays package: national public holidays, observed/substitute days included)
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _country_holidays(code: str, year: int) -> holidays.HolidayBase:
    """The national public holidays of ``code`` in ``year``; a clear error for an unknown code."""
    try:
        calendar = holidays.country_holidays(code, years=year)
    except NotImplementedError:
        raise ValueError(f"no public-holiday calendar for country code {code!r} "
                         f"(holidays {holidays.__version__} has none)") from None
    if not str(calendar.default_language or "en").startswith("en") and \
            HOLIDAY_NAME_LANGUAGE in (calendar.supported_languages or ()):
        calendar = holidays.country_holidays(code, years=year, language=HOLIDAY_NAME_LANGUAGE)
    return calendar


@lru_cache(maxsize=4096)
def _holiday_dates(code: str, year: int) -> np.ndarray:
    days = np.array(sorted(_country_holidays(code, year)), dtype="datetime64[D]")
    days.setflags(write=False)
    return days


def holiday_mask(dates: np.ndarray, country_codes: Sequence[str]) -> np.ndarray:
    """True where a local date is a public holiday of its location's country.

    ``dates`` is datetime64[D] of shape (locations, n), one row per entry of ``country_codes``.
    An unknown country code raises ValueError naming it (no silent "no holidays" fallback).
    """
    dates = np.asarray(dates).astype("datetime64[D]")
    if dates.ndim != 2 or dates.shape[0] != len(country_codes):
        raise ValueError(f"dates must have shape (locations, n) with {len(country_codes)} rows, got {dates.shape}")
    if np.isnat(dates).any():
        raise ValueError("dates contain NaT")
    mask = np.zeros(dates.shape, dtype=bool)
    by_country: dict[str, list[int]] = {}
    for row, code in enumerate(country_codes):
        by_country.setdefault(code, []).append(row)
    for code, rows in by_country.items():
        block = dates[rows]
        years = np.unique(block.astype("datetime64[Y]").astype(np.int64)) + 1970
        days = np.concatenate([_holiday_dates(code, int(year)) for year in years])
        mask[rows] = np.isin(block, days)
    return mask


def holiday_table(country_codes: Sequence[str], start: date, end: date) -> pl.DataFrame:
    """Public holidays of each country for ``start <= date < end``: one row per (country, date, name).

    Sorted by (country_code, date, name); a day with two holidays gives two rows. Names are in
    English where the holidays package has an English translation, else in the country's language.
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    rows: list[tuple[str, date, str]] = []
    for code in sorted(set(country_codes)):
        for year in range(start.year, end.year + 1):
            calendar = _country_holidays(code, year)
            rows.extend((code, day, name) for day in sorted(calendar) if start <= day < end
                        for name in calendar.get_list(day))
    schema = {"country_code": pl.String, "date": pl.Date, "name": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row").sort(["country_code", "date", "name"])
