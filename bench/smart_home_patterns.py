"""Smart-home pattern analysis benchmark: 1,000 homes x 28 days of events mined for pairs, chains and times of day.

Run alone: ``python -m bench.smart_home_patterns [--homes 1000 --days 28] [--scores]``. The events are
generated once (pure generators, context in memory) into a cache directory, ``$SYNTH_BENCH_CACHE`` or
``/tmp/synth-bench``, one Parquet file per day under a key of (seed, homes, days, events schema
version); a later run reuses them (about 5 minutes the first time for 1,000 homes x 28 days).

What is timed is what the 3 AM run does (``smart_home_patterns_daily``):

* **the new day's state changes** (``smart_home/state_changes``: the rows and columns of one events day the
  miners read, :mod:`patterns.state_change_days`), made from its events file and written atomically;
* **the window analysis**: pairs and chains mined from the window's 28 state-changes files in blocks of
  homes on two threads (:func:`patterns.mine.mine_in_blocks`), then the time-of-day patterns.

Steady state is the first plus the second; the cold figure makes all 28 days of state changes first (a
window nobody analysed before). CPU seconds stand beside wall seconds (the machine may be shared; the
load average is printed before each measurement). ``--scores`` also scores the mined window against the
planted rules (:func:`patterns.checks.score_in_blocks`, reading the events' causal links), timed apart.
The per-row pair counting of bench/naive_smart_home_patterns.py runs on a few homes in the same process
and is compared per change.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from bench.naive_smart_home_patterns import naive_pair_counts
from synth_assets.air_quality.cities import select_cities
from synth_assets.core.storage import write_parquet_atomic
from synth_assets.smart_home import layout
from synth_assets.smart_home.areas import generate_areas
from synth_assets.smart_home.context import calendar, external, pricing, weather
from synth_assets.smart_home.devices import generate_devices, generate_entities
from synth_assets.smart_home.events.generate import generate_events
from synth_assets.smart_home.events.models import EVENTS_SCHEMA_VERSION
from synth_assets.smart_home.events.rules import generate_correlations
from synth_assets.smart_home.homes import generate_homes
from synth_assets.smart_home.models import EVENTS_SCHEMA, SmartHomeConfig
from synth_assets.smart_home.patterns import co_occurrence as co
from synth_assets.smart_home.patterns.mine import mine_in_blocks
from synth_assets.smart_home.patterns.models import PatternConfig
from synth_assets.smart_home.patterns.state_change_days import (
    state_change_rows,
    state_changes_path,
    write_state_changes,
)
from synth_assets.smart_home.patterns.time_of_day import time_of_day_in_blocks

LAST_DAY = date(2024, 2, 4)   # the analysis day: 28 winter days end here
NAIVE_HOMES = 5
WORKERS = 2


def _cache_dir(seed: int, homes: int, days: int) -> Path:
    root = Path(os.environ.get("SYNTH_BENCH_CACHE", "/tmp/synth-bench"))
    return root / f"smart_home_events_s{seed}_h{homes}_d{days}_to{LAST_DAY}_v{EVENTS_SCHEMA_VERSION}"


def _world(seed: int, homes: int) -> dict:
    config = SmartHomeConfig(seed=seed, homes=homes)
    home_rows = generate_homes(config, select_cities("full"))
    areas = generate_areas(seed, home_rows)
    devices = generate_devices(seed, home_rows, areas)
    entities = generate_entities(home_rows, devices)
    return {"config": config, "homes": home_rows, "areas": areas, "devices": devices, "entities": entities,
            "rules": generate_correlations(seed, home_rows, entities, areas)}


def ensure_events(seed: int, homes: int, days: list[date]) -> tuple[Path, dict]:
    """The cached day files (made now if missing) and the world they were made from."""
    world = _world(seed, homes)
    directory = _cache_dir(seed, homes, len(days))
    identity = layout.table_identity("events", world["config"], EVENTS_SCHEMA_VERSION)
    for day in days:
        path = layout.daily_path(directory, "events", day)
        if path.exists():
            continue
        began = time.perf_counter()
        h = world["homes"]
        table = generate_events(seed, day, h, world["entities"], world["devices"], world["areas"], world["rules"],
                                pl.from_arrow(calendar.calendar_day(h, day, seed)),
                                pl.from_arrow(weather.weather_day(h, day, seed)),
                                pl.from_arrow(external.external_day(h, day, seed)),
                                pl.from_arrow(pricing.electricity_prices_day(h, day, seed)), workers=WORKERS)
        write_parquet_atomic(table, path, EVENTS_SCHEMA, identity)
        print(f"  (cache) events {day}: {table.num_rows:,} rows in {time.perf_counter() - began:.1f} s -> {path}")
    return directory, world


def _timed(function):
    began, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - began, time.process_time() - cpu, result


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def make_state_changes(directory: Path, world: dict, day: date) -> int:
    """What smart_home/state_changes does for one events day: its mined rows, written atomically."""
    rows = state_change_rows(pl.scan_parquet(layout.daily_path(directory, "events", day)))
    write_state_changes(rows, directory, day, world["config"])
    return rows.height


def patterns_window(homes: int = 1_000, days: int = 28, seed: int = 42, scores: bool = False) -> dict:
    window = [LAST_DAY - timedelta(days=days - 1 - i) for i in range(days)]
    directory, world = ensure_events(seed, homes, window)
    config = PatternConfig(window_days=days)
    home_ids = world["homes"]["home_id"].to_list()
    r = {"homes": homes, "days": days, "directory": directory, "loads": {}}
    r["loads"]["cold"] = _load()
    r["cold_s"], r["cold_cpu"], counts = _timed(lambda: [make_state_changes(directory, world, d) for d in window])
    r["changes"] = sum(counts)
    r["loads"]["day"] = _load()
    r["day_s"], r["day_cpu"], r["day_rows"] = _timed(lambda: make_state_changes(directory, world, window[-1]))
    scan = pl.scan_parquet([str(state_changes_path(directory, day)) for day in window])
    r["loads"]["mine"] = _load()
    r["mine_s"], r["mine_cpu"], mined = _timed(lambda: mine_in_blocks(scan, home_ids, days * 86_400.0, config,
                                                                       workers=WORKERS))
    r["loads"]["tod"] = _load()
    r["tod_s"], r["tod_cpu"], tod = _timed(lambda: time_of_day_in_blocks(scan, world["homes"], window, config,
                                                                         workers=WORKERS))
    r.update(pairs=mined.co_occurrence.height, chains=mined.chains.height, tod_rows=tod.height)
    events = pl.scan_parquet([str(layout.daily_path(directory, "events", day)) for day in window])
    r["events"] = events.select(pl.len()).collect().item()
    subset = sorted(home_ids)[:NAIVE_HOMES]
    changes = co.state_changes(scan.filter(pl.col("home_id").is_in(subset)).collect())
    listed = list(changes.select("home_id", "t", "entity_id", "item").iter_rows())

    def vectorised():
        found = co.occurrences(changes, config.max_lag_seconds)
        return found, co.pair_statistics(changes, found, days * 86_400.0, config)

    vec_s, _, (found, _) = _timed(vectorised)
    naive_s, _, naive = _timed(lambda: naive_pair_counts(listed, int(config.max_lag_seconds * 1e6)))
    assert sum(len(v) for v in naive.values()) == found.height, "naive and vectorised counts differ"
    r.update(naive_changes=len(listed), naive_rate=len(listed) / naive_s, vector_rate=len(listed) / vec_s)
    if scores:
        from synth_assets.smart_home.patterns.checks import score_in_blocks  # imports dagster: only here
        from synth_assets.smart_home.patterns.window import causal_rows
        r["loads"]["scores"] = _load()
        r["scores_s"], r["scores_cpu"], r["scores"] = _timed(lambda: score_in_blocks(
            mined, world["rules"], world["entities"], lambda block: causal_rows(events, block), home_ids,
            config.min_pair_support))
    return r


def report(r: dict) -> list[str]:
    analysis_s, analysis_cpu = r["mine_s"] + r["tod_s"], r["mine_cpu"] + r["tod_cpu"]
    steady_s, steady_cpu = r["day_s"] + analysis_s, r["day_cpu"] + analysis_cpu
    lines = [
        f"  state changes of all {r['days']} days from the events ({r['loads']['cold']}) {r['cold_s']:>8.1f} s "
        f"({r['cold_cpu']:.1f} CPU-s): {r['changes']:,} rows",
        f"  state changes of the new day ({r['loads']['day']}) {r['day_s']:>8.1f} s ({r['day_cpu']:.1f} CPU-s): "
        f"{r['day_rows']:,} rows",
        f"  pairs + chains, mined in blocks of homes ({WORKERS} threads; {r['loads']['mine']}) {r['mine_s']:>8.1f} s "
        f"({r['mine_cpu']:.1f} CPU-s): {r['pairs']:,} pairs, {r['chains']:,} chains",
        f"  time-of-day patterns ({r['loads']['tod']}) {r['tod_s']:>8.1f} s ({r['tod_cpu']:.1f} CPU-s): "
        f"{r['tod_rows']:,} rows",
        f"  3 AM run, steady state (new day + window analysis) {steady_s:>8.1f} s ({steady_cpu:.1f} CPU-s)  "
        f"target <= 60 s",
        f"  cold (all {r['days']} days of state changes + analysis) {r['cold_s'] + analysis_s:>8.1f} s "
        f"({r['cold_cpu'] + analysis_cpu:.1f} CPU-s)",
        f"  pair counting per state change: vectorised {r['vector_rate']:,.0f}/s, per-row loop "
        f"{r['naive_rate']:,.0f}/s ({NAIVE_HOMES} homes, {r['naive_changes']:,} changes): "
        f"{r['vector_rate'] / r['naive_rate']:.1f} x"]
    if "scores" in r:
        lines.append(f"  scores against the planted rules (the asset's checks; they read the events' causal links; "
                     f"{r['loads']['scores']}) {r['scores_s']:.1f} s ({r['scores_cpu']:.1f} CPU-s):")
        lines += [f"    {row['pattern']} {row['length']}: precision {row['precision']}, recall {row['recall']} "
                  f"(planted {row['planted']:,}, exercised {row['exercised']:,}, detected {row['detected']:,})"
                  for row in r["scores"].iter_rows(named=True)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smart_home_patterns")
    parser.add_argument("--homes", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--scores", action="store_true", help="also score the window against the planted rules")
    args = parser.parse_args()
    r = patterns_window(args.homes, args.days, scores=args.scores)
    print(f"smart-home pattern analysis, {r['homes']:,} homes x {r['days']} days ({r['events']:,} events, "
          f"cached in {r['directory']})")
    print(*report(r), sep="\n")


if __name__ == "__main__":
    main()
