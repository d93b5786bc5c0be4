"""Training benchmark: the device graph and the home-type classifier of one analysis day, 1,000 homes x 28 days.

Run alone: ``python -m bench.smart_home_training [--homes 1000 --days 28]``. The window's events are the
pattern benchmark's cache (bench.smart_home_patterns.ensure_events: generated once, reused after); its pairs
and chains are mined first (not timed here: bench.smart_home_patterns times them). What is timed is what a
training run adds: the activity of every entity over the window's files (writes and changes per day), the
nodes and edges of every home, the graph-level features and the classifier's k-fold evaluation and fit.
The activity count is compared per event with a per-row Python loop over a few homes' events.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import timedelta

import polars as pl

from bench.smart_home_patterns import LAST_DAY, ensure_events
from synth_assets.smart_home import layout
from synth_assets.smart_home.patterns.mine import mine_in_blocks
from synth_assets.smart_home.patterns.models import PatternConfig
from synth_assets.smart_home.training import classifier, graph

NAIVE_HOMES = 20
ACTIVITY_COLUMNS = ["home_id", "entity_id", "timestamp", "last_changed", "state"]


def _timed(function):
    began, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - began, time.process_time() - cpu, result


def naive_activity(rows: list[tuple]) -> Counter:
    """The seed's way: one dict update per event row (home, entity, timestamp, last_changed)."""
    counts: Counter = Counter()
    for home_id, entity_id, timestamp, last_changed in rows:
        counts[(home_id, entity_id, "writes")] += 1
        if last_changed == timestamp:
            counts[(home_id, entity_id, "changes")] += 1
    return counts


def training_day(homes: int = 1_000, days: int = 28, seed: int = 42) -> dict:
    window = [LAST_DAY - timedelta(days=days - 1 - i) for i in range(days)]
    directory, world = ensure_events(seed, homes, window)
    scan = pl.scan_parquet([str(layout.daily_path(directory, "events", day)) for day in window])
    mined = mine_in_blocks(scan, world["homes"]["home_id"].to_list(), days * 86_400.0, PatternConfig(window_days=days),
                           workers=1)   # one block at a time: the memory of a shared machine
    activity_s, activity_cpu, activity = _timed(lambda: graph.entity_activity(scan.select(ACTIVITY_COLUMNS), days))
    graph_s, graph_cpu, (nodes, edges) = _timed(lambda: graph.device_graph(
        LAST_DAY, world["homes"], world["entities"], world["areas"], activity, mined.co_occurrence, mined.chains))
    train_s, train_cpu, trained = _timed(lambda: classifier.train_home_type_classifier(
        classifier.home_features(nodes, edges), classifier.training_random_state(seed, LAST_DAY.isoformat())))
    events = scan.select(pl.len()).collect().item()
    subset = sorted(world["homes"]["home_id"].to_list())[:NAIVE_HOMES]
    few = scan.filter(pl.col("home_id").is_in(subset)).select("home_id", "entity_id", "timestamp", "last_changed")
    rows = list(few.collect().iter_rows())
    vector_s, _, _ = _timed(lambda: graph.entity_activity(
        scan.filter(pl.col("home_id").is_in(subset)).select(ACTIVITY_COLUMNS), days))
    naive_s, _, naive = _timed(lambda: naive_activity(rows))
    vector = activity.filter(pl.col("home_id").is_in(subset) & (pl.col("entity_id") != "home.occupancy"))
    assert sum(v for (_, _, kind), v in naive.items() if kind == "writes") == round(
        float(vector["writes_per_day"].sum()) * days), "naive and vectorised counts differ"
    return {"homes": homes, "days": days, "events": events, "directory": directory,
            "activity": (activity_s, activity_cpu), "graph": (graph_s, graph_cpu), "train": (train_s, train_cpu),
            "nodes": nodes.height, "edges": graph.edges_per_type(edges), "metrics": trained.metrics,
            "naive_rate": len(rows) / naive_s, "vector_rate": len(rows) / vector_s, "naive_rows": len(rows)}


def report(r: dict) -> list[str]:
    m = r["metrics"]
    return [
        f"  activity of every entity   {r['activity'][0]:>6.1f} s ({r['activity'][1]:.1f} CPU-s): "
        f"{r['events'] / r['activity'][0]:,.0f} events/s",
        f"  nodes and edges            {r['graph'][0]:>6.1f} s ({r['graph'][1]:.1f} CPU-s): {r['nodes']:,} nodes, "
        + ", ".join(f"{n:,} {t}" for t, n in r["edges"].items()),
        f"  classifier (k-fold + fit)  {r['train'][0]:>6.1f} s ({r['train'][1]:.1f} CPU-s): accuracy "
        f"{m['accuracy']:.3f} (95 % {m['accuracy_95ci'][0]:.3f}-{m['accuracy_95ci'][1]:.3f}), macro-F1 "
        f"{m['macro_f1']:.3f}, majority {m['majority_baseline_accuracy']:.3f}, {m['n_homes']} homes, "
        f"{m['n_folds']} folds",
        f"  activity per event: vectorised {r['vector_rate']:,.0f}/s, per-row loop {r['naive_rate']:,.0f}/s "
        f"({NAIVE_HOMES} homes, {r['naive_rows']:,} events): {r['vector_rate'] / r['naive_rate']:.1f} x"]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smart_home_training")
    parser.add_argument("--homes", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=28)
    args = parser.parse_args()
    r = training_day(args.homes, args.days)
    print(f"smart-home training day, {r['homes']:,} homes x {r['days']} days ({r['events']:,} events, cached in "
          f"{r['directory']})")
    print(*report(r), sep="\n")


if __name__ == "__main__":
    main()
