"""A small world for the pure event tests: homes, rooms, devices, entities, rules and one day's context,
all from the generators (no files), cached per (seed, homes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import polars as pl

from synth_assets.air_quality.cities import select_cities
from synth_assets.smart_home.areas import generate_areas
from synth_assets.smart_home.context import calendar, external, pricing, weather
from synth_assets.smart_home.devices import generate_devices, generate_entities
from synth_assets.smart_home.events.generate import generate_events
from synth_assets.smart_home.events.rules import generate_correlations
from synth_assets.smart_home.homes import generate_homes
from synth_assets.smart_home.models import SmartHomeConfig


@dataclass(frozen=True)
class World:
    seed: int
    homes: pl.DataFrame
    areas: pl.DataFrame
    devices: pl.DataFrame
    entities: pl.DataFrame
    rules: pl.DataFrame

    def context(self, day: date) -> dict[str, pl.DataFrame]:
        return {"calendar": pl.from_arrow(calendar.calendar_day(self.homes, day, self.seed)),
                "weather": pl.from_arrow(weather.weather_day(self.homes, day, self.seed)),
                "external": pl.from_arrow(external.external_day(self.homes, day, self.seed)),
                "prices": pl.from_arrow(pricing.electricity_prices_day(self.homes, day, self.seed))}

    def events(self, day: date, **override) -> pl.DataFrame:
        ctx = self.context(day)
        parts = {"homes": self.homes, "entities": self.entities, "devices": self.devices, "areas": self.areas,
                 "rules": self.rules, **ctx, **override}
        return pl.from_arrow(generate_events(self.seed, day, parts["homes"], parts["entities"], parts["devices"],
                                             parts["areas"], parts["rules"], parts["calendar"], parts["weather"],
                                             parts["external"], parts["prices"]))


@lru_cache(maxsize=8)
def world(seed: int = 5, homes: int = 12) -> World:
    config = SmartHomeConfig(seed=seed, homes=homes)
    home_rows = generate_homes(config, select_cities("full"))
    areas = generate_areas(seed, home_rows)
    devices = generate_devices(seed, home_rows, areas)
    entities = generate_entities(home_rows, devices)
    return World(seed, home_rows, areas, devices, entities, generate_correlations(seed, home_rows, entities, areas))
