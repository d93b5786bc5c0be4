"""The inputs of one partition day as aligned numpy arrays: entities with their kind, room, home and
occupant; each home's hourly context (outdoor temperature, humidity, rain, sun, price) on a per-minute
grid; and the planted rules resolved to entity rows. Pure: no Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np
import polars as pl

from synth_assets.smart_home.events.log import INTERVAL_KINDS
from synth_assets.smart_home.events.occupancy import MINUTES, LocalDay
from synth_assets.smart_home.events.rules import entity_kinds
from synth_assets.smart_home.people import occupants

ENTITY_SLOTS = 1 << 12     # entity ordinals within a home (counter addressing)
HOURS = 27                 # UTC hour columns per home: a local day touches at most 26 hour starts


class MissingContextError(ValueError):
    """A same-day context table lacks rows for some home."""


@dataclass(frozen=True)
class Entities:
    frame: pl.DataFrame        # home_id, entity_id, kind, area_kind, area_id, device_id, ...
    home: np.ndarray           # position of the entity's home in the partition's homes
    ordinal: np.ndarray        # position within its home (registration order)
    rank: np.ndarray           # position of entity_id within its home in text order (the sort key)
    person: np.ndarray         # occupant position of person / device_tracker / phone sensors, else -1
    kind: np.ndarray           # object array of kind strings

    def counter(self, home_index: np.ndarray) -> np.ndarray:
        """A per-entity counter for index-addressed draws: (home_index, ordinal)."""
        return home_index[self.home].astype(np.int64) * ENTITY_SLOTS + self.ordinal

    @cached_property
    def interval_kind(self) -> np.ndarray:
        """Each entity's position in log.INTERVAL_KINDS (-1: not an on/off-like entity), for table lookups."""
        codes = {kind: code for code, kind in enumerate(INTERVAL_KINDS)}
        return (pl.Series(self.kind, dtype=pl.String).replace_strict(codes, default=-1, return_dtype=pl.Int16)
                .to_numpy())

    def rows_of(self, kind: str | tuple[str, ...]) -> np.ndarray:
        kinds = (kind,) if isinstance(kind, str) else kind
        return np.flatnonzero(np.isin(self.kind, kinds))


def prepare_entities(seed: int, homes: pl.DataFrame, entities: pl.DataFrame, devices: pl.DataFrame,
                     areas: pl.DataFrame) -> Entities:
    """The partition's entities in (home order, registration order), with what the generator needs."""
    position = homes.select("home_id").with_row_index("home_pos")
    frame = (entity_kinds(entities.with_row_index("registered"), areas)
             .join(position, on="home_id", how="inner")
             .join(devices.select("device_id", "device_type", "occupant_name"), on="device_id", how="left")
             .sort("registered")     # joins may reorder rows; the ordinal is the registration order
             .with_columns(ordinal=pl.int_range(pl.len()).over("home_id"))
             .sort("home_pos", "ordinal")
             .drop("registered"))
    if (frame["ordinal"].max() or 0) >= ENTITY_SLOTS:
        raise ValueError(f"a home has more than {ENTITY_SLOTS} entities")
    people = occupants(seed, homes).select("home_id", "position", "name")
    owner = pl.coalesce(pl.when(pl.col("kind") == "person").then(pl.col("original_name")), pl.col("occupant_name"))
    frame = (frame.with_columns(owner=owner)
             .join(people, left_on=["home_id", "owner"], right_on=["home_id", "name"], how="left",
                   maintain_order="left")
             .with_columns(rank=pl.col("entity_id").rank("ordinal").over("home_id") - 1))
    return Entities(frame=frame, home=frame["home_pos"].to_numpy().astype(np.int64),
                    ordinal=frame["ordinal"].to_numpy().astype(np.int64),
                    rank=frame["rank"].to_numpy().astype(np.int64),
                    person=frame["position"].fill_null(-1).to_numpy().astype(np.int64),
                    kind=frame["kind"].to_numpy().astype(object))


@dataclass(frozen=True)
class HourlyContext:
    """(homes, HOURS) arrays indexed by UTC hours since each home's first hour; and (homes, MINUTES) views."""

    hour_of_minute: np.ndarray   # (homes, MINUTES) column of each elapsed minute
    temperature: np.ndarray
    humidity: np.ndarray
    raining: np.ndarray
    sun_elevation: np.ndarray
    price: np.ndarray

    def at(self, name: str, home: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        minute = np.clip((seconds // 60).astype(np.int64), 0, MINUTES - 1)
        return getattr(self, name)[home, self.hour_of_minute[home, minute]]


def _hour_grid(table: pl.DataFrame, key: pl.DataFrame, first_hour: np.ndarray, columns: list[str],
               name: str, day: date) -> dict[str, np.ndarray]:
    """Each home's rows of ``table`` placed by UTC hour; hours the table lacks take the nearest one."""
    rows = key.join(table, on=[c for c in key.columns if c != "home_pos"], how="inner")
    homes_with_rows = rows["home_pos"].unique()
    if homes_with_rows.len() < key.height:
        missing = sorted(set(range(key.height)) - set(homes_with_rows.to_list()))[:3]
        raise MissingContextError(f"smart_home.{name} has no rows for {len(missing)}+ home(s) on {day} "
                                  f"(home positions {missing})")
    pos = rows["home_pos"].to_numpy().astype(np.int64)
    hour = (rows["timestamp"].dt.epoch("s").to_numpy() // 3600 - first_hour[pos]).astype(np.int64)
    keep = (hour >= 0) & (hour < HOURS)
    out = {}
    for column in columns:
        grid = np.full((key.height, HOURS), np.nan)
        grid[pos[keep], hour[keep]] = rows[column].cast(pl.Float64).to_numpy()[keep]
        # nearest filled hour, forward then backward
        index = np.where(np.isnan(grid), 0, np.arange(HOURS)[None, :])
        np.maximum.accumulate(index, axis=1, out=index)
        filled = grid[np.arange(key.height)[:, None], index]
        back = np.where(np.isnan(filled), HOURS - 1, np.arange(HOURS)[None, :])
        back = np.minimum.accumulate(back[:, ::-1], axis=1)[:, ::-1]
        out[column] = np.where(np.isnan(filled), grid[np.arange(key.height)[:, None], back], filled)
    return out


def hourly_context(homes: pl.DataFrame, local: LocalDay, day: date, weather: pl.DataFrame,
                   external: pl.DataFrame, prices: pl.DataFrame) -> HourlyContext:
    first_hour = local.start_us // 3_600_000_000
    key = homes.select("home_id").with_row_index("home_pos")
    w = _hour_grid(weather, key, first_hour, ["temperature_c", "humidity_pct", "is_raining"], "weather", day)
    x = _hour_grid(external, key, first_hour, ["sun_elevation_deg"], "external_data", day)
    region_key = homes.select("country_code", "timezone").with_row_index("home_pos")
    p = _hour_grid(prices, region_key, first_hour, ["dynamic_usd_per_kwh"], "electricity_prices", day)
    minutes = np.arange(MINUTES)
    seconds = (local.start_us // 1_000_000)[:, None] + minutes[None, :] * 60
    hour_of_minute = np.clip(seconds // 3600 - first_hour[:, None], 0, HOURS - 1)
    return HourlyContext(hour_of_minute=hour_of_minute, temperature=w["temperature_c"], humidity=w["humidity_pct"],
                         raining=w["is_raining"], sun_elevation=x["sun_elevation_deg"],
                         price=p["dynamic_usd_per_kwh"])
