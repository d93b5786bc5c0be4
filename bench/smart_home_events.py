"""Smart-home events benchmark: one day of events for many homes, generated in process.

Run alone: ``python -m bench.smart_home_events [--homes 1000]``. The homes, their entities and the day's
context tables are generated in memory first (timed apart); then the event generator runs on all homes
at once, in one thread and in ``WORKERS`` threads over blocks of homes (best of ``repeats``; the rows
are checked equal). The seed's per-event Python loop (bench/naive_smart_home_events.py) runs
in the same process on a subset of homes with the same events per entity, and its rate is compared per
event.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import polars as pl

from bench.naive_smart_home_events import naive_events, start_of
from synth_assets.air_quality.cities import select_cities
from synth_assets.smart_home.areas import generate_areas
from synth_assets.smart_home.context import calendar, external, pricing, weather
from synth_assets.smart_home.devices import generate_devices, generate_entities
from synth_assets.smart_home.events.generate import generate_events
from synth_assets.smart_home.events.rules import generate_correlations
from synth_assets.smart_home.homes import generate_homes
from synth_assets.smart_home.models import SmartHomeConfig

DAY = date(2024, 1, 16)
NAIVE_HOMES = 50
WORKERS = 2   # the machine's cores: homes split into blocks generated in threads (same rows)


def _timed(function):
    began = time.perf_counter()
    result = function()
    return time.perf_counter() - began, result


def _timed_cpu(function):
    """(wall seconds, CPU seconds of this process, result): on a shared machine the CPU time says what the
    generator costs when it has a core to itself."""
    began, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - began, time.process_time() - cpu, result


def events_day(homes: int = 1_000, repeats: int = 2, seed: int = 42, naive_homes: int = NAIVE_HOMES) -> dict:
    config = SmartHomeConfig(seed=seed, homes=homes)
    home_rows = generate_homes(config, select_cities("full"))
    areas = generate_areas(seed, home_rows)
    devices = generate_devices(seed, home_rows, areas)
    entities = generate_entities(home_rows, devices)
    rule_seconds, rules = _timed(lambda: generate_correlations(seed, home_rows, entities, areas))
    context_seconds, ctx = _timed(lambda: {
        "calendar": pl.from_arrow(calendar.calendar_day(home_rows, DAY, seed)),
        "weather": pl.from_arrow(weather.weather_day(home_rows, DAY, seed)),
        "external": pl.from_arrow(external.external_day(home_rows, DAY, seed)),
        "prices": pl.from_arrow(pricing.electricity_prices_day(home_rows, DAY, seed))})
    def run(workers: int):
        return generate_events(seed, DAY, home_rows, entities, devices, areas, rules, ctx["calendar"],
                               ctx["weather"], ctx["external"], ctx["prices"], workers=workers)

    one_thread, one_cpu, single = _timed_cpu(lambda: run(1))
    best, best_cpu, table = float("inf"), float("inf"), None
    for _ in range(repeats):
        seconds, cpu, table = _timed_cpu(lambda: run(WORKERS))
        best, best_cpu = min(best, seconds), min(best_cpu, cpu)
    assert table.equals(single), "threads must not change the rows"
    events = pl.from_arrow(table)
    subset = home_rows.sort("home_index").head(naive_homes)["home_id"]
    counts = events.filter(pl.col("home_id").is_in(subset.implode())).group_by("home_id", "entity_id").len()
    per_entity = {(h, e): n for h, e, n in counts.iter_rows()}
    naive_entities = entities.filter(pl.col("home_id").is_in(subset.implode())).to_dicts()
    naive_seconds, naive_rows = _timed(lambda: naive_events(naive_entities, per_entity, start_of(DAY)))
    naive_rate = len(naive_rows) / naive_seconds
    return {"homes": homes, "entities": entities.height, "rules": rules.height, "rule_seconds": rule_seconds,
            "context_seconds": context_seconds, "rows": table.num_rows, "seconds": best,
            "rows_per_s": table.num_rows / best, "cpu_seconds": best_cpu, "rows_per_cpu_s": table.num_rows / best_cpu,
            "one_thread_seconds": one_thread, "one_thread_rows_per_s": table.num_rows / one_thread,
            "naive_rows": len(naive_rows), "naive_seconds": naive_seconds,
            "naive_rows_per_s": naive_rate, "ratio": table.num_rows / best / naive_rate,
            "naive_extrapolated_seconds": table.num_rows / naive_rate}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smart_home_events")
    parser.add_argument("--homes", type=int, default=1_000)
    args = parser.parse_args()
    r = events_day(args.homes)
    print(f"smart-home events, {r['homes']:,} homes x one day ({DAY}), {r['entities']:,} entities, "
          f"{r['rules']:,} rules (rules {r['rule_seconds']:.2f} s, context {r['context_seconds']:.2f} s, not counted)")
    print(f"  generator      {r['rows']:>12,} events {r['seconds']:>7.2f} s {r['rows_per_s']:>12,.0f} events/s"
          f"  target >= 1,000,000 ({WORKERS} threads)")
    print(f"  one thread     {r['rows']:>12,} events {r['one_thread_seconds']:>7.2f} s "
          f"{r['one_thread_rows_per_s']:>12,.0f} events/s")
    print(f"  generator, per CPU-second of this process: {r['rows_per_cpu_s']:>12,.0f} events/s "
          f"({r['cpu_seconds']:.2f} CPU-s; the wall time above includes waiting for a shared core)")
    print(f"  seed's loop    {r['naive_rows']:>12,} events {r['naive_seconds']:>7.2f} s "
          f"{r['naive_rows_per_s']:>12,.0f} events/s  ({NAIVE_HOMES} homes; all homes extrapolated: "
          f"{r['naive_extrapolated_seconds']:,.0f} s)")
    print(f"  ratio generator / seed's per-event loop: {r['ratio']:,.1f} x")


if __name__ == "__main__":
    main()
