"""The recurring times of day an entity enters a state, per home and day type. Pure: no Dagster.

For each (home, entity, state entered, day type) over a window of days:

1. every real state change (``last_changed == timestamp``) of a discrete entity
   (:data:`~.models.DISCRETE_DOMAINS`) gets its home-local minute of day and local date (the home's
   ``timezone``, DST aware: offsets per zone and UTC hour from the IANA database, gathered per event);
2. the day type is the home's local calendar: ``weekend`` on the country's weekend days and public
   holidays (:mod:`synth_assets.core.calendar`), ``weekday`` otherwise;
3. the days with a change are counted per ``BIN_MINUTES`` bin of the clock, smoothed circularly with a
   1-2-1 kernel (a time near midnight neighbours both ends of the clock);
4. a peak is a bin higher than the bin before it and not lower than the bin after it, at least
   ``PEAK_OVER_MEAN`` times the group's mean bin (a motion sensor busy all day has no peak);
5. around each peak, each day contributes its change nearest the peak (within ``NEAR_MINUTES``):
   ``minute_of_day`` is their circular mean, ``spread_minutes`` their circular standard deviation,
   ``support`` the days with such a change and ``share`` = support / days of the type in the window;
   peaks within ``NEAR_MINUTES`` of a stronger one are dropped; rows need ``support >= min_support`` and
   ``share >= MIN_SHARE``.

Everything is vectorised with polars/numpy over all homes at once; Python loops run only over the
distinct time zones and countries of the homes.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import numpy as np
import polars as pl

from synth_assets.core.calendar import holiday_mask, iso_weekday, weekend_mask
from synth_assets.core.sorting import dense_ranks, sort_ints
from synth_assets.smart_home.patterns.mined_rows import CHANGE, mined_rows
from synth_assets.smart_home.patterns.models import DAY_TYPES, TIME_OF_DAY_SCHEMA, PatternConfig

MINUTES_PER_DAY = 1440
BIN_MINUTES = 15          # histogram bin of the clock (estimate: a routine's time varies by minutes, not hours)
NEAR_MINUTES = 45.0       # a day's change counts for a peak within this distance of it (estimate)
PEAK_OVER_MEAN = 3.0      # a peak bin holds at least this many times the group's mean (estimate)
MIN_SHARE = 0.5           # a recurring time happens on at least half the days of its type (estimate)
BLOCK_HOMES = 100         # homes analysed at once by time_of_day_in_blocks (memory stays flat with the home count)
BINS = MINUTES_PER_DAY // BIN_MINUTES
SMOOTHING = {-1: 1, 0: 2, 1: 1}
_GROUP = ["home_id", "entity_id", "state", "day_type"]
_TO_RADIANS = 2 * np.pi / MINUTES_PER_DAY


def local_clock(homes: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """``changes`` (``home_id``, ``timestamp`` UTC) with ``local_day`` (date) and ``minute`` (home-local
    minute of day, float). ``homes`` gives each home's ``timezone``; unknown homes are an error."""
    zones = homes.select("home_id", "timezone").unique("home_id")
    missing = changes.join(zones, on="home_id", how="anti")["home_id"].unique().sort().to_list()
    if missing:
        raise ValueError(f"events of homes not in smart_home.homes: {', '.join(missing[:5])}"
                         f"{' ...' if len(missing) > 5 else ''}")
    if changes.is_empty():
        return changes.with_columns(local_day=pl.lit(None, pl.Date), minute=pl.lit(None, pl.Float64))
    t_us = changes["timestamp"].dt.epoch("us").to_numpy()
    hours = t_us // 3_600_000_000
    first_hour = int(hours.min())
    grid = np.arange(first_hour, int(hours.max()) + 1, dtype=np.int64)
    zone_names = zones["timezone"].unique().sort().to_list()
    offsets = np.empty((len(zone_names), grid.size), dtype=np.int64)   # µs, per zone and UTC hour
    stamps = pl.Series("t", grid * 3_600_000_000).cast(pl.Datetime("us", "UTC"))
    for row, zone in enumerate(zone_names):
        wall = stamps.dt.convert_time_zone(zone).dt.replace_time_zone(None).dt.epoch("us").to_numpy()
        offsets[row] = wall - grid * 3_600_000_000
    zone_of = changes.select("home_id").join(
        zones.with_columns(zone=pl.col("timezone").replace_strict(zone_names, list(range(len(zone_names))),
                                                                  return_dtype=pl.Int64)),
        on="home_id", how="left", maintain_order="left")["zone"].to_numpy()
    local_us = t_us + offsets[zone_of, hours - first_hour]
    day_number = local_us // 86_400_000_000
    minute = (local_us - day_number * 86_400_000_000) / 60_000_000
    return changes.with_columns(local_day=pl.Series(day_number.astype("datetime64[D]")).cast(pl.Date),
                                minute=pl.Series(minute))


def day_types(homes: pl.DataFrame, days: Sequence[date]) -> pl.DataFrame:
    """``home_id``, ``local_day``, ``day_type``: every home's days of the window by its country's calendar."""
    dates = np.asarray(days, dtype="datetime64[D]")
    codes = homes["country_code"].to_list()
    grid = np.broadcast_to(dates, (len(codes), dates.size))
    weekend = weekend_mask(iso_weekday(grid), codes) | holiday_mask(grid, codes)
    return pl.DataFrame({
        "home_id": np.repeat(homes["home_id"].to_numpy(), dates.size),
        "local_day": np.tile(dates, len(codes)),
        "day_type": np.where(weekend.ravel(), DAY_TYPES[1], DAY_TYPES[0]),
    }).with_columns(pl.col("local_day").cast(pl.Date))


def state_changes(events: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Real changes of discrete entities (:func:`.mined_rows.mined_rows` of events or of stored mined rows):
    home_id, entity_id, state, timestamp."""
    return (mined_rows(events).filter(pl.col("kind") == CHANGE)
            .select("home_id", "entity_id", "state", "timestamp").collect())


def _circular_distance(minute: pl.Expr, centre: pl.Expr) -> pl.Expr:
    gap = (minute - centre).abs() % MINUTES_PER_DAY
    return pl.min_horizontal(gap, MINUTES_PER_DAY - gap)


def _with_group_ids(changes: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``gid`` (0..groups-1) for each (home, entity, state, day type): the changes with it instead of the four
    strings, and the groups (``gid`` + key), so the histogram work runs on integers. The number a group gets
    does not matter (the table is sorted by its strings); it is made from the columns' categorical codes."""
    key = np.zeros(changes.height, dtype=np.int64)
    for column in _GROUP:
        code = changes[column].cast(pl.Categorical).to_physical().to_numpy().astype(np.int64)
        key = key * (int(code.max()) + 1 if len(code) else 1) + code
    gid = pl.Series("gid", dense_ranks(key), dtype=pl.UInt32)
    with_gid = changes.with_columns(gid)
    return with_gid.select("gid", "local_day", "minute"), with_gid.select("gid", *_GROUP).unique("gid")


def _peaks(day_changes: pl.DataFrame, groups: int) -> pl.DataFrame:
    """``gid``, ``centre``: per group the peak bins of the circularly smoothed histogram of days with a change
    (dense numpy: groups x BINS)."""
    gid = day_changes["gid"].to_numpy().astype(np.int64)
    day = day_changes["local_day"].cast(pl.Int32).to_numpy().astype(np.int64)
    bins = (day_changes["minute"].to_numpy() // BIN_MINUTES).astype(np.int64)
    span = int(day.max() - day.min() + 1)
    keys = sort_ints((gid * span + (day - day.min())) * BINS + bins)
    present = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]   # a day counts once per bin (np.unique: slower)
    cells = (present // (span * BINS)) * BINS + present % BINS
    days = np.bincount(cells, minlength=groups * BINS).reshape(groups, BINS)
    level = sum(weight * np.roll(days, shift, axis=1) for shift, weight in SMOOTHING.items())
    mean = level.sum(axis=1, keepdims=True) / BINS
    peak = ((level > np.roll(level, 1, axis=1)) & (level >= np.roll(level, -1, axis=1))
            & (level >= PEAK_OVER_MEAN * mean))
    group, peak_bin = np.nonzero(peak)
    return pl.DataFrame({"gid": group.astype(np.uint32), "centre": (peak_bin + 0.5) * BIN_MINUTES},
                        schema={"gid": day_changes.schema["gid"], "centre": pl.Float64})


def _around_peaks(day_changes: pl.DataFrame, peaks: pl.DataFrame) -> pl.DataFrame:
    """Per peak, each day's change nearest it: circular mean time, spread and the days supporting it."""
    near = (day_changes.join(peaks, on="gid")
            .with_columns(distance=_circular_distance(pl.col("minute"), pl.col("centre")))
            .filter(pl.col("distance") <= NEAR_MINUTES)
            .sort("distance", "minute")
            .unique(["gid", "centre", "local_day"], keep="first")
            .with_columns(angle=pl.col("minute") * _TO_RADIANS))
    angle = pl.col("angle").sort()   # a fixed order of summation: the same bytes in every run
    stats = near.group_by("gid", "centre").agg(support=pl.len(), sin=angle.sin().mean(), cos=angle.cos().mean())
    resultant = (pl.col("sin") ** 2 + pl.col("cos") ** 2).sqrt().clip(1e-12, 1.0)
    mean_minute = (pl.arctan2(pl.col("sin"), pl.col("cos")) / _TO_RADIANS) % MINUTES_PER_DAY
    return stats.select("gid", "centre", "support",
                        minute_of_day=mean_minute.round(0).cast(pl.Int16) % MINUTES_PER_DAY,
                        spread_minutes=(-2 * resultant.log()).clip(0.0, None).sqrt() / _TO_RADIANS)


def _strongest_nearby(found: pl.DataFrame) -> pl.DataFrame:
    """Drops a peak within ``NEAR_MINUTES`` of a stronger one of its group (ties: the earlier time)."""
    rivals = found.select("gid", rival_centre="centre", rival_support="support", rival_minute="minute_of_day")
    beaten = (found.join(rivals, on="gid").filter(pl.col("rival_centre") != pl.col("centre"))
              .filter((_circular_distance(pl.col("minute_of_day").cast(pl.Float64),
                                          pl.col("rival_minute").cast(pl.Float64)) <= NEAR_MINUTES)
                      & ((pl.col("rival_support") > pl.col("support"))
                         | ((pl.col("rival_support") == pl.col("support"))
                            & (pl.col("rival_minute") < pl.col("minute_of_day")))))
              .select("gid", "centre").unique())   # by peak: two peaks may share a mean minute
    return (found.join(beaten, on=["gid", "centre"], how="anti")
            .sort("support", "spread_minutes", descending=[True, False])
            .unique(["gid", "minute_of_day"], keep="first"))


def time_of_day_patterns(events: pl.DataFrame, homes: pl.DataFrame, days: Sequence[date],
                         config: PatternConfig) -> pl.DataFrame:
    """TIME_OF_DAY_SCHEMA's columns but ``analysis_day``, sorted, for the ``days`` of a window.

    ``events``: EVENTS_SCHEMA rows (at least home_id, entity_id, state, timestamp, last_changed) of the
    window or their mined rows (:mod:`.mined_rows`); ``homes``: home_id, timezone, country_code. Changes
    outside the window's local days are ignored.
    """
    calendar = day_types(homes, days)
    changes = (local_clock(homes, state_changes(events))
               .join(calendar, on=["home_id", "local_day"], how="inner"))
    days_of_type = calendar.group_by("home_id", "day_type").agg(days=pl.len().cast(pl.Int32))
    columns = [c for c in TIME_OF_DAY_SCHEMA.names if c != "analysis_day"]
    if changes.is_empty():
        return pl.from_arrow(TIME_OF_DAY_SCHEMA.empty_table()).select(columns)
    day_changes, groups = _with_group_ids(changes)
    found = _strongest_nearby(_around_peaks(day_changes, _peaks(day_changes, groups.height))).join(groups, on="gid")
    return (found.join(days_of_type, on=["home_id", "day_type"])
            .with_columns(support=pl.col("support").cast(pl.Int32))
            .with_columns(share=pl.col("support") / pl.col("days"))
            .filter((pl.col("support") >= config.min_support) & (pl.col("share") >= MIN_SHARE))
            .select(columns)
            .sort("home_id", "entity_id", "state", "day_type", "minute_of_day"))


def time_of_day_in_blocks(events: pl.LazyFrame, homes: pl.DataFrame, days: Sequence[date], config: PatternConfig,
                          block_homes: int = BLOCK_HOMES, workers: int = 2) -> pl.DataFrame:
    """:func:`time_of_day_patterns` over ``events`` (a scan of the window's files) in blocks of ``block_homes``
    homes, ``workers`` at a time: the same rows as one pass (homes are independent), with the memory of a block."""
    ids = homes["home_id"].sort().to_list()
    blocks = [ids[i:i + block_homes] for i in range(0, len(ids), block_homes)]
    if not blocks:
        return time_of_day_patterns(events.head(0).collect(), homes, days, config)

    def block_patterns(block: list[str]) -> pl.DataFrame:
        in_block = events.filter(pl.col("home_id").is_between(pl.lit(block[0]), pl.lit(block[-1])))   # row groups
        rows = (mined_rows(in_block.filter(pl.col("home_id").is_in(block)))   # skipped by their statistics
                .filter(pl.col("kind") == CHANGE).collect())
        return time_of_day_patterns(rows, homes.filter(pl.col("home_id").is_in(block)), days, config)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return pl.concat(list(pool.map(block_patterns, blocks)))


def activity_profile(patterns: pl.DataFrame) -> pl.DataFrame:
    """``hour``, one column per day type: the recurring changes of a time-of-day table per local hour,
    weighted by share (how many routine changes a home-day sees in that hour), for the asset's plot."""
    hourly = (patterns.with_columns(hour=(pl.col("minute_of_day") // 60).cast(pl.Int32))
              .group_by("hour", "day_type").agg(weight=pl.col("share").sum()))
    grid = pl.DataFrame({"hour": list(range(24))}, schema={"hour": pl.Int32})
    for day_type in DAY_TYPES:
        grid = grid.join(hourly.filter(pl.col("day_type") == day_type).select("hour", pl.col("weight").alias(day_type)),
                         on="hour", how="left")
    return grid.fill_null(0.0).sort("hour")
