"""Automation suggestions and prompt/automation pairs benchmark: one analysis day of 1,000 homes.

Run alone: ``python -m bench.smart_home_suggestions [--homes 1000 --days 28]``. The window's events come from
the cache of bench/smart_home_patterns.py (made there the first time); the pattern tables the suggestions read
are mined from it first (not timed here: that is the pattern bench's figure). Timed: reading the homes'
automations back from their YAML (automation links), the suggestions of the day, and the prompt/automation
pairs of every automation and suggestion, each in this process on one thread.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import polars as pl

from bench.smart_home_patterns import LAST_DAY, WORKERS, ensure_events
from synth_assets.smart_home import layout
from synth_assets.smart_home.export.automations import automation_rows, entity_kinds, home_automations
from synth_assets.smart_home.export.registries import friendly_names
from synth_assets.smart_home.patterns.automation_links import automation_links
from synth_assets.smart_home.patterns.mine import mine_in_blocks
from synth_assets.smart_home.patterns.mined_rows import mined_rows
from synth_assets.smart_home.patterns.models import PatternConfig
from synth_assets.smart_home.patterns.suggestions import suggest_automations
from synth_assets.smart_home.patterns.time_of_day import time_of_day_patterns
from synth_assets.smart_home.training.prompt_pairs import prompt_pairs


def _timed(function):
    began, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - began, time.process_time() - cpu, result


def suggestions_day(homes: int = 1_000, days: int = 28, seed: int = 42, window_days: int | None = None) -> dict:
    """``window_days`` (default ``days``): mine only the last days of the cached ``days`` (less memory)."""
    cached = [LAST_DAY - timedelta(days=days - 1 - i) for i in range(days)]
    directory, world = ensure_events(seed, homes, cached)
    days = window_days or days
    window = cached[-days:]
    files = [layout.daily_path(directory, "events", day) for day in window]
    config = PatternConfig(window_days=days)
    scan = pl.scan_parquet([str(f) for f in files])
    home_ids = world["homes"]["home_id"].to_list()
    mine_s, _, mined = _timed(lambda: mine_in_blocks(scan, home_ids, days * 86_400.0, config, workers=WORKERS))
    times = time_of_day_patterns(mined_rows(scan).collect(), world["homes"], window, config)
    entities = world["entities"].with_columns(friendly_name=friendly_names(world["entities"], world["devices"]))
    names, kinds = dict(entities.select("entity_id", "friendly_name").iter_rows()), entity_kinds(entities)
    automations = pl.concat([automation_rows(home_id, home_automations(part, names, kinds))
                             for (home_id,), part in world["rules"].group_by("home_id", maintain_order=True)])
    links_s, links_cpu, links = _timed(lambda: automation_links(automations))
    suggest_s, suggest_cpu, found = _timed(lambda: suggest_automations(
        LAST_DAY, mined.co_occurrence, mined.chains, times, links, entities, world["homes"], config))
    rows = pl.concat([automations.select("home_id", pl.lit("automation").alias("source"), "automation_id", "yaml"),
                      found.frame.select("home_id", pl.lit("suggestion").alias("source"),
                                         pl.col("suggestion_id").alias("automation_id"), "yaml")])
    pairs_s, pairs_cpu, pairs = _timed(lambda: prompt_pairs(seed, LAST_DAY, rows, entities, world["areas"],
                                                            world["homes"]))
    return {"homes": homes, "days": days, "mine_seconds": mine_s, "patterns": (mined.co_occurrence.height,
                                                                                 mined.chains.height, times.height),
            "automations": automations.height, "links": links.height, "links_seconds": links_s,
            "links_cpu": links_cpu, "suggestions": found.frame, "skipped": found.skipped,
            "suggest_seconds": suggest_s, "suggest_cpu": suggest_cpu, "pairs": pairs.height,
            "pairs_seconds": pairs_s, "pairs_cpu": pairs_cpu}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smart_home_suggestions")
    parser.add_argument("--homes", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=28, help="days of the events cache (bench.smart_home_patterns)")
    parser.add_argument("--window", type=int, default=None, help="mine only the cache's last WINDOW days")
    args = parser.parse_args()
    r = suggestions_day(args.homes, args.days, window_days=args.window)
    kinds = dict(r["suggestions"].group_by("kind").len().iter_rows())
    pairs, chains, times = r["patterns"]
    print(f"smart-home automation suggestions and prompt pairs, {r['homes']:,} homes, analysis day {LAST_DAY} "
          f"({r['days']}-day window; {pairs:,} pairs, {chains:,} chains, {times:,} times of day mined in "
          f"{r['mine_seconds']:.1f} s, not counted)")
    print(f"  automations read back  {r['links_seconds']:>6.2f} s ({r['links_cpu']:.2f} CPU-s): "
          f"{r['automations']:,} automations, {r['links']:,} links")
    print(f"  suggestions            {r['suggest_seconds']:>6.2f} s ({r['suggest_cpu']:.2f} CPU-s): "
          f"{r['suggestions'].height:,} ({', '.join(f'{k} {v:,}' for k, v in sorted(kinds.items()))}); skipped "
          f"{', '.join(f'{k} {v:,}' for k, v in r['skipped'].items() if v)}")
    print(f"  prompt/automation pairs {r['pairs_seconds']:>5.2f} s ({r['pairs_cpu']:.2f} CPU-s): {r['pairs']:,} pairs, "
          f"{r['pairs'] / r['pairs_seconds']:,.0f} pairs/s")
    total = r["links_seconds"] + r["suggest_seconds"] + r["pairs_seconds"]
    print(f"  total                  {total:>6.2f} s")


if __name__ == "__main__":
    main()
