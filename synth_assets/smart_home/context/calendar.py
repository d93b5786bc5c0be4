"""Each home's local day: weekend and public holiday of its country (core/calendar.py), the household's
workday, work-from-home day and school day (from the homes' routine columns), and vacations.

Per (home, year) the stream ("smart_home", "calendar", year), addressed by home_index, gives the
words that place the trips splitting the home's ``vacation_days_per_year`` and choose which weekdays
its ``work_from_home_days`` fall on. So a day's flags depend on neither the other days nor the other
homes generated with it; a trip that starts in late December carries into January. Pure: no Dagster.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pyarrow as pa

from synth_assets.core import rng
from synth_assets.core.calendar import holiday_mask, holiday_table, iso_weekday, weekend_mask
from synth_assets.smart_home.context.models import CALENDAR_SCHEMA, VACATIONS
from synth_assets.smart_home.context.weather import homes_in_order

STREAM = ("smart_home", "calendar")
FIRST_YEAR = 2019                   # the first partition's trips may start in late 2019
WORKING_WEEKDAYS = 5
ROUTINE_COLUMNS = ("home_index", "country_code", "children", "work_from_home_days", "vacation_days_per_year")
HOLIDAY_NAME_SEPARATOR = "; "
# words of a (home, year) block: trip starts, the first trip's share, the weekday order for working from home
_START_WORDS = VACATIONS.trips_per_year
_WORDS_PER_YEAR = _START_WORDS + 1 + WORKING_WEEKDAYS


def _year_uniforms(home_indices: np.ndarray, year: int, seed: int) -> np.ndarray:
    """(homes, words) uniforms of each home's block for ``year``: addressed by home_index, so a home's
    values do not depend on which other homes are asked for (:func:`core.rng.index_words`)."""
    if year < FIRST_YEAR:
        raise ValueError(f"the smart-home calendar starts in {FIRST_YEAR}; asked for {year}")
    return rng.to_uniform(rng.index_words(seed, (*STREAM, year), np.asarray(home_indices), _WORDS_PER_YEAR))


def trips(home_indices: np.ndarray, vacation_days: np.ndarray, year: int, seed: int,
          uniforms: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """First day (datetime64[D]) and length (days) of each home's trips in ``year``: (homes, trips) each.

    The trips' lengths add up to the home's ``vacation_days`` for the year. ``uniforms``: the year's
    block if the caller has it already.
    """
    u = _year_uniforms(home_indices, year, seed) if uniforms is None else uniforms
    days_in_year = (np.datetime64(f"{year + 1}-01-01") - np.datetime64(f"{year}-01-01")).astype(np.int64)
    start = np.datetime64(f"{year}-01-01", "D") + np.floor(u[:, :_START_WORDS] * days_in_year).astype(np.int64)
    low, high = VACATIONS.first_trip_share
    first = np.round(vacation_days * (low + (high - low) * u[:, _START_WORDS])).astype(np.int64)
    rest = vacation_days.astype(np.int64) - first
    later = VACATIONS.trips_per_year - 1
    lengths = np.column_stack([first, *(rest // later + (k < rest % later) for k in range(later))])
    return start, lengths


def vacation_day(home_indices: np.ndarray, vacation_days: np.ndarray, day: date, seed: int,
                 uniforms: dict[int, np.ndarray] | None = None) -> np.ndarray:
    """1-based day of the trip each home is on at ``day`` (the longest-running trip), 0 when at home."""
    years = [y for y in (day.year - 1, day.year) if y >= FIRST_YEAR]
    uniforms = uniforms or {}
    starts, lengths = zip(*(trips(home_indices, vacation_days, y, seed, uniforms.get(y)) for y in years), strict=True)
    offset = (np.datetime64(day, "D") - np.concatenate(starts, axis=1)).astype(np.int64)
    on_trip = (offset >= 0) & (offset < np.concatenate(lengths, axis=1))
    return np.where(on_trip, offset + 1, 0).max(axis=1, initial=0).astype(np.int16)


def work_from_home_weekday(home_indices: np.ndarray, wfh_days: np.ndarray, weekday: int, year: int,
                           seed: int, uniforms: np.ndarray | None = None) -> np.ndarray:
    """Whether ``weekday`` (ISO, 1-5) is one of each home's work-from-home weekdays in ``year``."""
    if weekday > WORKING_WEEKDAYS:
        return np.zeros(len(home_indices), dtype=bool)
    u = _year_uniforms(home_indices, year, seed) if uniforms is None else uniforms
    order = u[:, _START_WORDS + 1:_START_WORDS + 1 + WORKING_WEEKDAYS]
    rank = np.argsort(np.argsort(order, axis=1, kind="stable"), axis=1, kind="stable")  # a random order of Mon-Fri
    return rank[:, weekday - 1] < wfh_days


def calendar_day(homes: pl.DataFrame, day: date, seed: int) -> pa.Table:
    """One row per home for its local ``day``, in home_index order."""
    missing = [c for c in ROUTINE_COLUMNS if c not in homes.columns]
    if missing:
        raise ValueError(f"the calendar needs the homes' columns {missing}")
    homes = homes_in_order(homes)
    codes, index = homes["country_code"].to_list(), homes["home_index"].to_numpy()
    dates = np.full((homes.height, 1), np.datetime64(day, "D"))
    weekday = iso_weekday(dates)[:, 0]
    weekend = weekend_mask(weekday[:, None], codes)[:, 0]
    holiday = holiday_mask(dates, codes)[:, 0]
    workday = ~weekend & ~holiday
    names = (holiday_table(codes, day, day + timedelta(days=1))
             .group_by("country_code").agg(pl.col("name").str.join(HOLIDAY_NAME_SEPARATOR).alias("holiday_name")))
    holiday_name = homes.select("country_code").join(names, on="country_code", how="left",
                                                     maintain_order="left")["holiday_name"]
    uniforms = {y: _year_uniforms(index, y, seed) for y in (day.year - 1, day.year) if y >= FIRST_YEAR}
    trip_day = vacation_day(index, homes["vacation_days_per_year"].to_numpy(), day, seed, uniforms)
    away = trip_day > 0
    # The working-weekday order depends on the (home, year), not on the day: same weekdays all year.
    wfh = workday & work_from_home_weekday(index, homes["work_from_home_days"].to_numpy(), int(weekday[0]),
                                           day.year, seed, uniforms[day.year]) & ~away
    columns = {
        "home_id": homes["home_id"].to_arrow(),
        "date": pa.array(np.repeat(np.datetime64(day, "D"), homes.height)),
        "country_code": homes["country_code"].to_arrow(),
        "weekday": pa.array(weekday, type=pa.int8()),
        "is_weekend": pa.array(weekend),
        "is_public_holiday": pa.array(holiday),
        "holiday_name": holiday_name.to_arrow(),
        "is_workday": pa.array(workday),
        "is_work_from_home_day": pa.array(wfh),
        "is_school_day": pa.array(workday & (homes["children"].to_numpy() > 0) & ~away),
        "is_vacation": pa.array(away),
        "vacation_day": pa.array(trip_day, type=pa.int16()),
    }
    return pa.table(columns).cast(CALENDAR_SCHEMA)
