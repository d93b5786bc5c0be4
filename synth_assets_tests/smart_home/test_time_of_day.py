"""Recurring times of day on event logs built here with a planted routine (home-local clock, DST, weekends)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from synth_assets.smart_home.patterns.models import TIME_OF_DAY_SCHEMA, PatternConfig
from synth_assets.smart_home.patterns.time_of_day import (
    MIN_SHARE,
    activity_profile,
    day_types,
    local_clock,
    time_of_day_in_blocks,
    time_of_day_patterns,
)

FIRST = date(2024, 3, 18)   # Monday; Europe/Berlin switches to summer time on Sunday 2024-03-31
DAYS = [FIRST + timedelta(days=i) for i in range(28)]
GERMAN_HOLIDAYS = {date(2024, 3, 29), date(2024, 4, 1)}   # Good Friday, Easter Monday: days off in h1
HOMES = pl.DataFrame({"home_id": ["h1", "h2"], "timezone": ["Europe/Berlin", "America/New_York"],
                      "country_code": ["DE", "US"]})


def _log(rows: list[tuple[str, str, datetime, str]]) -> pl.DataFrame:
    """Events from (home_id, entity_id, local wall-clock time with its zone, state)."""
    frame = pl.DataFrame({"home_id": [r[0] for r in rows], "entity_id": [r[1] for r in rows],
                          "timestamp": [r[2] for r in rows], "state": [r[3] for r in rows]},
                         schema={"home_id": pl.String, "entity_id": pl.String,
                                 "timestamp": pl.Datetime("us", "UTC"), "state": pl.String})
    return frame.with_columns(last_changed=pl.col("timestamp")).sort("home_id", "timestamp")


def _local(day: date, minutes: float, zone: str) -> datetime:
    wall = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)) + timedelta(minutes=float(minutes))
    return wall.astimezone(ZoneInfo("UTC"))


def _planted(seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for day in DAYS:
        weekend = day.weekday() >= 5 or day in GERMAN_HOLIDAYS
        if not weekend:   # the coffee machine at 06:50 +- a few minutes on workdays, Berlin wall clock
            rows.append(("h1", "switch.coffee", _local(day, 6 * 60 + 50 + rng.normal(0, 4), "Europe/Berlin"), "on"))
        else:             # at 09:30 at weekends
            rows.append(("h1", "switch.coffee", _local(day, 9 * 60 + 30 + rng.normal(0, 4), "Europe/Berlin"), "on"))
        for minute in rng.uniform(0, 1440, 40):   # a busy motion sensor: no recurring time
            rows.append(("h1", "binary_sensor.hall_motion", _local(day, minute, "Europe/Berlin"), "on"))
        # a porch light at 23:55 +- 8 minutes: its changes straddle midnight
        rows.append(("h2", "light.porch", _local(day, 1435 + rng.normal(0, 8), "America/New_York"), "on"))
        rows.append(("h2", "sensor.temperature", _local(day, 420, "America/New_York"), "21.5"))  # numeric: ignored
    return _log(rows)


def _rows(found: pl.DataFrame, entity: str, day_type: str) -> list[dict]:
    return found.filter((pl.col("entity_id") == entity) & (pl.col("day_type") == day_type)).to_dicts()


def test_a_planted_routine_is_found_at_its_local_time_split_by_day_type():
    found = time_of_day_patterns(_planted(), HOMES, DAYS, PatternConfig())
    (weekday,) = _rows(found, "switch.coffee", "weekday")
    (weekend,) = _rows(found, "switch.coffee", "weekend")
    assert abs(weekday["minute_of_day"] - 410) <= 4 and weekday["spread_minutes"] < 10   # across the DST change
    assert weekday["days"] == 18 and weekday["support"] == 18 and weekday["share"] == 1.0
    assert abs(weekend["minute_of_day"] - 570) <= 5 and weekend["days"] == 10 and weekend["support"] == 10
    assert not _rows(found, "binary_sensor.hall_motion", "weekday")
    assert found.filter(pl.col("entity_id").str.starts_with("sensor.")).is_empty()


def test_a_time_near_midnight_is_one_pattern_across_the_ends_of_the_clock():
    found = time_of_day_patterns(_planted(), HOMES, DAYS, PatternConfig())
    porch = _rows(found, "light.porch", "weekday") + _rows(found, "light.porch", "weekend")
    assert len(porch) == 2   # one per day type, not split at midnight
    for row in porch:
        assert min(abs(row["minute_of_day"] - 1435), 1440 - abs(row["minute_of_day"] - 1435)) <= 6
        assert row["spread_minutes"] < 15
    weekday = _rows(found, "light.porch", "weekday")[0]
    # a change after local midnight belongs to the next local day: the support counts local days, at most all
    assert weekday["support"] <= weekday["days"] == 20


def test_a_routine_on_too_few_days_is_not_recurring():
    events = _planted().filter(~((pl.col("entity_id") == "switch.coffee")
                                 & (pl.col("timestamp").dt.day() % 3 != 0)))   # about a third of the days left
    found = time_of_day_patterns(events, HOMES, DAYS, PatternConfig())
    assert all(row["share"] >= MIN_SHARE for row in found.to_dicts())
    assert not _rows(found, "switch.coffee", "weekday")


def test_the_output_has_the_schema_columns_and_attribute_writes_are_not_changes():
    events = _planted()
    found = time_of_day_patterns(events, HOMES, DAYS, PatternConfig())
    assert found.columns == [c for c in TIME_OF_DAY_SCHEMA.names if c != "analysis_day"]
    attribute_only = events.with_columns(last_changed=pl.col("timestamp") - pl.duration(seconds=5))
    assert time_of_day_patterns(attribute_only, HOMES, DAYS, PatternConfig()).is_empty()


def test_local_clock_and_day_types_follow_the_home_zone_and_country():
    events = _log([("h1", "light.a", _local(date(2024, 3, 31), 150, "Europe/Berlin"), "on"),   # 03:30 summer time
                   ("h2", "light.b", _local(date(2024, 3, 18), 1439, "America/New_York"), "on")])
    clock = local_clock(HOMES, events).sort("home_id")
    assert clock["minute"].round(3).to_list() == [210.0, 1439.0]   # 02:00-03:00 does not exist that night
    assert clock["local_day"].to_list() == [date(2024, 3, 31), date(2024, 3, 18)]
    types = day_types(HOMES, [date(2024, 5, 1), date(2024, 5, 4)])   # Labour Day in Germany, not in the US
    lookup = {(r["home_id"], r["local_day"]): r["day_type"] for r in types.to_dicts()}
    assert lookup[("h1", date(2024, 5, 1))] == "weekend" and lookup[("h2", date(2024, 5, 1))] == "weekday"
    assert lookup[("h2", date(2024, 5, 4))] == "weekend"


def test_activity_profile_has_every_hour_and_day_type():
    profile = activity_profile(time_of_day_patterns(_planted(), HOMES, DAYS, PatternConfig()))
    assert profile.height == 24 and profile.columns == ["hour", "weekday", "weekend"]
    assert profile.filter(pl.col("hour") == 6)["weekday"].item() >= 1.0


def test_blocks_of_homes_give_the_rows_of_one_pass():
    events = _planted()
    whole = time_of_day_patterns(events, HOMES, DAYS, PatternConfig())
    assert whole["home_id"].n_unique() == 2
    for workers in (1, 2):
        blocks = time_of_day_in_blocks(events.lazy(), HOMES, DAYS, PatternConfig(), block_homes=1, workers=workers)
        assert blocks.sort(whole.columns).equals(whole.sort(whole.columns))


def test_a_weaker_peak_with_the_same_mean_minute_leaves_the_stronger_one_standing():
    from synth_assets.smart_home.patterns.time_of_day import _strongest_nearby
    found = pl.DataFrame({"gid": [0, 0], "centre": [32, 33], "support": [10, 9], "minute_of_day": [480, 480],
                          "spread_minutes": [5.0, 6.0]})
    assert _strongest_nearby(found).select("centre", "support").rows() == [(32, 10)]
