"""The context tables' checks, declared once per table: ranges and nulls from the models, keys, homes or
regions that exist, and every home (or region) with exactly the hours of its local day.

A table's list gives the asset's ``check_specs`` (:func:`context_specs`) and is evaluated over the
days of a run with a :class:`~synth_assets.core.checks.Tally` (:func:`context_tally`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl

from synth_assets.core.checks import (
    Check,
    Tally,
    foreign_key,
    in_model_ranges,
    not_null,
    rows_per_key,
    specs,
    unique_key,
)
from synth_assets.smart_home.checks import OneOf
from synth_assets.smart_home.context import models as m
from synth_assets.smart_home.context.pricing import TOU_PERIODS

HOURLY_TABLES = ("weather", "external_data")
REGIONAL_TABLES = ("carbon_intensity", "electricity_prices")
TABLES = (*HOURLY_TABLES, *REGIONAL_TABLES, "calendar")
MODELS = {"weather": m.WeatherHour, "external_data": m.ExternalDataHour, "calendar": m.CalendarDay,
          "carbon_intensity": m.CarbonIntensityHour, "electricity_prices": m.ElectricityPriceHour}


def local_day_length_hours(zone: str, day: date) -> int:
    """Hours from local midnight of ``day`` to the next (23, 24 or 25), from the IANA database."""
    tz = ZoneInfo(zone)
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return round((end.astimezone(timezone.utc) - start.astimezone(timezone.utc)).total_seconds() / 3600)


@dataclass(frozen=True)
class HoursOfLocalDay(Check):
    """Each key (home or region) has one row per UTC hour of its local day: every row's local date is the
    day (the key's zone), and the count is the day's length there (23/24/25). Parents: ``zones`` (a frame
    of key and timezone) and ``days`` (the partition days of the frame)."""

    key: str = "home_id"

    def count(self, frame, parents) -> Counter:
        zones: pl.DataFrame = parents["zones"]
        counts = Counter()
        rows = frame.select(self.key, "timestamp").join(zones, on=self.key, how="inner")
        for (zone,), group in rows.group_by("timezone"):
            local = group.with_columns(pl.col("timestamp").dt.convert_time_zone(zone).dt.date().alias("day"))
            per_day = local.group_by(self.key, "day").len()
            length_of = {d: local_day_length_hours(zone, d) for d in per_day["day"].unique().to_list()}
            lengths = per_day["day"].replace_strict(length_of, return_dtype=pl.Int64)
            counts["wrong_hour_count"] += int((per_day["len"] != lengths).sum())
            counts["rows_on_another_day"] += int(local.filter(~pl.col("day").is_in(parents["days"].implode())).height)
        present = frame.select(self.key).unique().height
        counts["keys_without_rows"] += max(0, zones.height - present) if frame.height else zones.height
        return counts


def checks_for(table: str) -> list[Check]:
    """The checks of ``table``, in the order of its check specs."""
    model = MODELS[table]
    common = [in_model_ranges(model), not_null(model)]
    if table == "calendar":
        return [*common, unique_key("unique_home_day", ["home_id", "date"]),
                foreign_key("home_exists", "home_id", "homes", "home_id"),
                rows_per_key("one_row_per_home_and_day", {"home_id": pl.col("home_id"), "date": pl.col("date")}, 1,
                             "one row per home and local day, every home every day",
                             complete_over=("home_id", "homes"), per="date")]
    key = "region_id" if table in REGIONAL_TABLES else "home_id"
    parent = "regions" if key == "region_id" else "homes"
    if table == "electricity_prices":
        common.append(OneOf("tou_period_known", f"tou_period is one of {', '.join(TOU_PERIODS)}",
                            column="tou_period", values=TOU_PERIODS))
    return [*common, unique_key(f"unique_{key.removesuffix('_id')}_hour", [key, "timestamp"]),
            foreign_key(f"{parent.removesuffix('s')}_exists", key, parent, key),
            HoursOfLocalDay("hours_of_local_day", f"each {key} has exactly the UTC hours of its local day "
                            "(23/24/25 with DST), all on that day", key=key)]


def context_specs(table: str, asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return specs(asset_key, checks_for(table))


def context_tally(table: str, homes: pl.DataFrame, regions: pl.DataFrame, days: list[date]) -> Tally:
    """A tally of ``table``'s checks against the run's homes (and their grid regions) and days."""
    key = "region_id" if table in REGIONAL_TABLES else "home_id"
    zones = (regions if key == "region_id" else homes).select(key, "timezone")
    return Tally(checks_for(table), parents={"homes": homes["home_id"], "regions": regions["region_id"],
                                             "zones": zones, "days": pl.Series("days", days, dtype=pl.Date)})
