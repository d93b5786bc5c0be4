"""The smart-home dimension checks, declared once: keys, foreign keys homes <- areas <- devices <- entities,
Home Assistant id formats, units per device class and ranges from the models.

Each table's checks become the asset's ``check_specs`` (:func:`check_specs`) and are evaluated on the
frame the asset writes (:func:`evaluate`). Area ids are unique within a home only, so references to an
area are checked on the pair (home_id, area_id).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import dagster as dg
import polars as pl

from synth_assets.core.checks import Check, Tally, foreign_key, in_model_ranges, not_null, specs, unique_key
from synth_assets.smart_home.catalogue import DEVICE_CLASSES, DOMAINS
from synth_assets.smart_home.models import HOME_TYPES, HomeRecord
from synth_assets.smart_home.slugs import VALID_ENTITY_ID, VALID_SLUG

AREA_KEY = "home_area"


@dataclass(frozen=True)
class Matches(Check):
    """Every non-null value of ``column`` matches ``pattern`` (a Rust regex, as polars reads it)."""

    column: str = ""
    pattern: str = ""

    def count(self, frame, parents=None) -> Counter:
        bad = frame.select((~pl.col(self.column).str.contains(self.pattern)).sum()).item()
        return Counter({"malformed": int(bad or 0)})


@dataclass(frozen=True)
class OneOf(Check):
    column: str = ""
    values: tuple[str, ...] = ()

    def count(self, frame, parents=None) -> Counter:
        bad = frame.select((~pl.col(self.column).is_in(list(self.values))).sum()).item()
        return Counter({"unknown": int(bad or 0)})


@dataclass(frozen=True)
class UnitsOfDeviceClass(Check):
    """Every entity's unit and state class are those the models give its domain and device class."""

    def count(self, frame, parents=None) -> Counter:
        expected = pl.DataFrame(
            [(s.domain, s.device_class, s.unit, s.state_class) for s in DEVICE_CLASSES.values()], orient="row",
            schema={"domain": pl.String, "device_class": pl.String, "unit": pl.String, "state": pl.String})
        joined = frame.join(expected, on=["domain", "device_class"], how="left", nulls_equal=True)
        wrong = joined.select(
            (pl.col("unit").ne_missing(pl.col("unit_of_measurement")) |
             pl.col("state").ne_missing(pl.col("state_class"))).sum()).item()
        return Counter({"wrong_unit_or_state_class": int(wrong or 0)})


@dataclass(frozen=True)
class EntitiesPerHome(Check):
    """Each home's entity count lies in its home type's range (models.HOME_TYPES[...].entities)."""

    ranges: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def count(self, frame, parents) -> Counter:
        per_home = (parents["home_types"].join(frame.group_by("home_id").len(), on="home_id", how="left")
                    .with_columns(pl.col("len").fill_null(0)))
        bounds = pl.DataFrame({"home_type": list(self.ranges), "low": [r[0] for r in self.ranges.values()],
                               "high": [r[1] for r in self.ranges.values()]})
        outside = per_home.join(bounds, on="home_type").filter(
            (pl.col("len") < pl.col("low")) | (pl.col("len") > pl.col("high"))).height
        return Counter({"homes_outside_range": outside})


def _area_fk(name: str) -> Check:
    return foreign_key(name, AREA_KEY, "areas", rule="every (home_id, area_id) exists in smart_home.areas")


CHECKS: dict[str, tuple[Check, ...]] = {
    "homes": (
        unique_key("home_id_unique", ["home_id"]),
        not_null(HomeRecord, "homes_no_nulls"),
        in_model_ranges(HomeRecord, "homes_in_model_ranges"),
        OneOf("home_type_known", "home_type is one of the models' home types", column="home_type",
              values=tuple(HOME_TYPES)),
        OneOf("hemisphere_known", "hemisphere is north or south", column="hemisphere", values=("north", "south")),
    ),
    "areas": (
        unique_key("area_unique_per_home", ["home_id", "area_id"]),
        foreign_key("area_home_exists", "home_id", "homes"),
        Matches("area_id_is_slug", "area_id is Home Assistant's slug form", column="area_id", pattern=VALID_SLUG),
    ),
    "devices": (
        unique_key("device_id_unique", ["device_id"]),
        foreign_key("device_home_exists", "home_id", "homes"),
        _area_fk("device_area_exists"),
        Matches("device_id_is_hex", "device_id is 32 lowercase hex digits", column="device_id",
                pattern=r"^[0-9a-f]{32}$"),
    ),
    "entities": (
        unique_key("entity_unique_per_home", ["home_id", "entity_id"]),
        foreign_key("entity_home_exists", "home_id", "homes"),
        foreign_key("entity_device_exists", "device_id", "devices"),
        _area_fk("entity_area_exists"),
        Matches("entity_id_valid", "entity_id matches Home Assistant's VALID_ENTITY_ID", column="entity_id",
                pattern=VALID_ENTITY_ID),
        OneOf("domain_known", "domain is one of the models' Home Assistant domains", column="domain",
              values=DOMAINS),
        UnitsOfDeviceClass("unit_matches_device_class", "unit and state class are those of the device class"),
        EntitiesPerHome("entities_per_home_in_range", "entities per home within the home type's range",
                        ranges={t: spec.entities for t, spec in HOME_TYPES.items()}),
    ),
}


def check_specs(table: str, asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return specs(asset_key, CHECKS[table])


def _with_area_key(frame: pl.DataFrame) -> pl.DataFrame:
    if "area_id" not in frame.columns:
        return frame
    return frame.with_columns(
        pl.when(pl.col("area_id").is_not_null()).then(pl.col("home_id") + "/" + pl.col("area_id")).alias(AREA_KEY))


def evaluate(table: str, frame: pl.DataFrame, parents: Mapping[str, pl.DataFrame]) -> list[dg.AssetCheckResult]:
    """Every check of ``table`` on ``frame``; ``parents`` holds the tables it references, by name."""
    series: dict[str, object] = {}
    if "homes" in parents:
        series["homes"] = parents["homes"]["home_id"]
        series["home_types"] = parents["homes"].select("home_id", "home_type")
    if "areas" in parents:
        series["areas"] = _with_area_key(parents["areas"])[AREA_KEY]
    if "devices" in parents:
        series["devices"] = parents["devices"]["device_id"]
    tally = Tally(CHECKS[table], series)
    tally.add(_with_area_key(frame))
    return tally.results()
