"""Home Assistant export benchmark: one home's recorder database over 14 days of generated events.

Run alone: ``python -m bench.smart_home_export [--homes 40] [--days 14]``. The homes, their rules and
``days`` of events (with the context days they need) are generated in memory first (timed apart); the
largest home is exported (registries, recorder with statistics, YAML), best of ``repeats``. The same
home's states are then written the naive way, one ``INSERT`` per state with its attributes encoded per row,
in the same run, and the rates are compared per state row.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from synth_assets.air_quality.cities import select_cities
from synth_assets.smart_home.areas import generate_areas
from synth_assets.smart_home.context import calendar, external, pricing, weather
from synth_assets.smart_home.devices import generate_devices, generate_entities
from synth_assets.smart_home.events.generate import generate_events
from synth_assets.smart_home.events.rules import generate_correlations
from synth_assets.smart_home.export import registries
from synth_assets.smart_home.export.home_export import HomeTables, export_home
from synth_assets.smart_home.export.recorder import schema_sql
from synth_assets.smart_home.homes import generate_homes
from synth_assets.smart_home.models import SmartHomeConfig
from synth_assets.smart_home.people import occupants

FIRST_DAY = date(2024, 1, 8)


def _world(homes: int, days: int, seed: int) -> tuple[HomeTables, list[date], float]:
    began = time.perf_counter()
    config = SmartHomeConfig(seed=seed, homes=homes)
    home_rows = generate_homes(config, select_cities("full"))
    areas = generate_areas(seed, home_rows)
    devices = generate_devices(seed, home_rows, areas)
    entities = generate_entities(home_rows, devices)
    rules = generate_correlations(seed, home_rows, entities, areas)
    biggest = entities.group_by("home_id").len().sort(["len", "home_id"], descending=[True, False])["home_id"][0]
    one = home_rows.filter(pl.col("home_id") == biggest)
    span = [FIRST_DAY + timedelta(days=i) for i in range(days)]
    frames = []
    for day in span:  # every home's day, as the events asset makes it; the biggest home's rows are kept
        frames.append(pl.from_arrow(generate_events(
            seed, day, home_rows, entities, devices, areas, rules,
            pl.from_arrow(calendar.calendar_day(home_rows, day, seed)),
            pl.from_arrow(weather.weather_day(home_rows, day, seed)),
            pl.from_arrow(external.external_day(home_rows, day, seed)),
            pl.from_arrow(pricing.electricity_prices_day(home_rows, day, seed)))).filter(
            pl.col("home_id") == biggest))

    def mine(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(pl.col("home_id") == biggest)

    tables = HomeTables(home=one.row(0, named=True), elevation_m=100.0, areas=mine(areas), devices=mine(devices),
                        entities=mine(entities), people=mine(occupants(seed, home_rows)), events=pl.concat(frames),
                        correlations=mine(rules))
    return tables, span, time.perf_counter() - began


def _naive_states(path: Path, tables: HomeTables) -> float:
    """One INSERT per state, attributes dict built and encoded per row, ids looked up per row."""
    entities = tables.entities.with_columns(friendly_name=registries.friendly_names(tables.entities, tables.devices))
    static = {row["entity_id"]: row for row in entities.iter_rows(named=True)}
    began = time.perf_counter()
    db = sqlite3.connect(path)
    db.executescript(schema_sql())
    meta, attrs, last = {}, {}, {}
    for row in tables.events.sort("timestamp", "entity_id").iter_rows(named=True):
        entity = static[row["entity_id"]]
        if row["entity_id"] not in meta:
            meta[row["entity_id"]] = db.execute("INSERT INTO states_meta (entity_id) VALUES (?)",
                                                (row["entity_id"],)).lastrowid
        values = {**({"state_class": entity["state_class"]} if entity["state_class"] else {}),
                  **json.loads(row["attributes"] or "{}"), "friendly_name": entity["friendly_name"]}
        shared = json.dumps(values, separators=(",", ":"), ensure_ascii=False)
        if shared not in attrs:
            attrs[shared] = db.execute("INSERT INTO state_attributes (shared_attrs) VALUES (?)", (shared,)).lastrowid
        last[row["entity_id"]] = db.execute(
            "INSERT INTO states (state, last_updated_ts, old_state_id, attributes_id, metadata_id) "
            "VALUES (?, ?, ?, ?, ?)", (row["state"], row["timestamp"].timestamp(), last.get(row["entity_id"]),
                                       attrs[shared], meta[row["entity_id"]])).lastrowid
    db.commit()
    db.close()
    return time.perf_counter() - began


def export_one_home(homes: int = 40, days: int = 14, repeats: int = 2, seed: int = 42) -> dict:
    tables, span, setup_seconds = _world(homes, days, seed)
    best, rows = float("inf"), {}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(repeats):
            began = time.perf_counter()
            rows = export_home(Path(scratch) / "ha", seed, span, tables).recorder_rows
            best = min(best, time.perf_counter() - began)
        naive_seconds = _naive_states(Path(scratch) / "naive.db", tables)
    states = rows["states"]
    return {"home_id": tables.home["home_id"], "entities": tables.entities.height, "days": days,
            "setup_seconds": setup_seconds, "events": tables.events.height, "rows": states, "seconds": best,
            "rows_per_s": states / best,
            "table_rows": rows, "naive_seconds": naive_seconds, "naive_rows_per_s": states / naive_seconds,
            "ratio": naive_seconds / best}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smart_home_export")
    parser.add_argument("--homes", type=int, default=40)
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()
    result = export_one_home(args.homes, args.days)
    print(f"Home Assistant export of {result['home_id']} ({result['entities']} entities, {result['days']} days; "
          f"events generated in {result['setup_seconds']:.1f} s)")
    print(f"  whole export (registries, recorder + statistics, YAML): {result['seconds']:.2f} s, "
          f"{result['rows']:,} states (of {result['events']:,} events: Home Assistant records no repeated write), "
          f"{result['rows_per_s']:,.0f} states/s")
    print(f"  recorder rows: {result['table_rows']}")
    print(f"  naive per-row INSERT of the states alone: {result['naive_seconds']:.2f} s, "
          f"{result['naive_rows_per_s']:,.0f} states/s; ratio {result['ratio']:.1f} x")


if __name__ == "__main__":
    main()
