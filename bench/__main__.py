"""`make bench`: throughput of every family and the ratio against a naive per-row baseline.

Everything is measured in this one run on this machine; nothing is a stored number.
Run `python -m bench --quick` to skip the end-to-end backfill through the Dagster CLI.
"""

from __future__ import annotations

import argparse
import platform
import warnings

warnings.filterwarnings("ignore")

from bench import (  # noqa: E402
    air_quality,
    cluster_backfill,
    content,
    smart_home_anomalies,
    smart_home_dimensions,
    smart_home_events,
    smart_home_export,
    smart_home_patterns,
    smart_home_training,
    stream,
)

TARGETS = {"generator_rows_per_s": 1_000_000, "backfill_seconds": 60, "ratio": 100, "rollup_seconds": 5,
           "seed_10k_seconds": 5, "seed_1m_seconds": 45, "copy_rows_per_s": 150_000}


def _row(label: str, result: dict, target: str = "") -> str:
    return (f"  {label:<58} {result['rows']:>12,} rows {result['seconds']:>8.2f} s "
            f"{result['rows_per_s']:>14,.0f} rows/s  {target}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="skip the five-year CLI backfill and 1M seeding")
    parser.add_argument("--only", choices=["air_quality", "cluster", "content", "stream", "smart_home"],
                        help="one part")
    args = parser.parse_args()
    print(f"synth_assets bench on {platform.machine()}, {platform.python_version()}, "
          f"{__import__('os').cpu_count()} cores\n")
    if args.only in (None, "air_quality"):
        bench_air_quality(args)
    if args.only in (None, "cluster") and not args.quick:
        print("\nscale-out: the same backfill on three instances (docs/scale-out.md)")
        print(*cluster_backfill.report(cluster_backfill.backfills_three_ways("full")), sep="\n")
    if args.only in (None, "stream"):
        bench_stream()
    if args.only in (None, "content"):
        bench_content(args)
    if args.only in (None, "smart_home"):
        bench_smart_home(args)


def bench_smart_home(args) -> None:
    homes = 1_000 if args.quick else 10_000
    print(f"\nsmart home: dimensions of {homes:,} homes, events, Home Assistant export")
    results = smart_home_dimensions.generation(homes)
    registration = results.pop("registration")
    for table, result in results.items():
        print(_row(f"generate {table}", result))
    print(_row("entity ids registered, vectorised", registration))
    print(f"  {'ratio vectorised / Home Assistant per-entity loop':<58} {registration['ratio']:>12,.1f} x")
    events = smart_home_events.events_day(1_000)
    print(_row(f"events, 1,000 homes x one day ({smart_home_events.WORKERS} threads, in process)", events,
               f"target >= {TARGETS['generator_rows_per_s']:,}"))
    print(_row("  same, one thread", {"rows": events["rows"], "seconds": events["one_thread_seconds"],
                                      "rows_per_s": events["one_thread_rows_per_s"]}))
    print(f"  {'  same, per CPU-second of this process':<58} {events['rows_per_cpu_s']:>33,.0f} rows/s")
    print(_row(f"seed's per-event Python loop, {smart_home_events.NAIVE_HOMES} homes", {
        "rows": events["naive_rows"], "seconds": events["naive_seconds"], "rows_per_s": events["naive_rows_per_s"]}))
    print(f"  {'ratio events generator / seed per-event loop (per event)':<58} {events['ratio']:>12,.1f} x")
    export = smart_home_export.export_one_home()
    print(_row(f"Home Assistant export, {export['home_id']} x {export['days']} days (states)", export))
    print(_row("  states written one INSERT per row (naive)", {
        "rows": export["rows"], "seconds": export["naive_seconds"], "rows_per_s": export["naive_rows_per_s"]}))
    print(f"  {'ratio whole export / naive INSERT of the states alone':<58} {export['ratio']:>12,.1f} x")
    if not args.quick:   # the 1,000 homes x 28 days of events are generated once (about 5 min), then cached
        print("\nsmart home: pattern analysis of one 28-day window, 1,000 homes")
        print(*smart_home_patterns.report(smart_home_patterns.patterns_window()), sep="\n")
        anomalies = smart_home_anomalies.anomalies_day()
        print(f"  anomalies of one analysis day {anomalies['seconds']:>8.1f} s: {anomalies['anomalies']:,} found")
        print("\nsmart home: a training day (device graph + home-type classifier), 1,000 homes x 28 days")
        print(*smart_home_training.report(smart_home_training.training_day()), sep="\n")


def bench_stream() -> None:
    print("\nair-quality stream simulator")
    file_rate, duckdb_rate = stream.max_rate("file"), stream.max_rate("duckdb")
    print(_row("highest sustained rate, file sink (JSON lines)", file_rate, "target >= 10,000 msg/s"))
    print(_row("highest sustained rate, DuckDB sink (validated)", duckdb_rate, "target >= 10,000 msg/s"))
    naive = stream.naive_messages()
    print(_row("seed's design: one validated object per message", naive))
    print(f"  {'ratio file sink / per-message design':<58} {file_rate['rows_per_s'] / naive['rows_per_s']:>12,.0f} x")


def bench_content(args) -> None:
    print("\ncontent seed DB")
    size = 100_000 if args.quick else 1_000_000
    for table, result in content.generation(size).items():
        print(_row(f"generate {table}", result))
    for day in content.day_against_range(size):
        print(_row(f"one day ({day['day']}) of every table, generated alone", day,
                   f"{day['ratio']:.2f} x its share of the range ({day['share_seconds']:.2f} s), target <= 3"))
    print(_row("seed 10,000 per table into DuckDB (end to end)", content.seed_end_to_end(10_000, None),
               f"target <= {TARGETS['seed_10k_seconds']} s"))
    with content.postgres_server() as server:
        if server is None:
            print("  PostgreSQL server not installed: skipping the PostgreSQL figures")
            return
        for table in ("users", "content_items"):
            rate = content.copy_rate(server, size, table)
            print(_row(f"COPY {table} into PostgreSQL (no indexes)", rate,
                       f"target >= {TARGETS['copy_rows_per_s']:,} ({rate['mb'] / rate['seconds']:,.0f} MB/s stored)"))
        print(_row("seed 10,000 per table into PostgreSQL", content.seed_end_to_end(
            10_000, server.create_database("bench_10k_test")), f"target <= {TARGETS['seed_10k_seconds']} s"))
        big = content.seed_end_to_end(size, server.create_database("bench_big_test"), server)
        print(_row(f"seed {size:,} per table into PostgreSQL", big,
                   (f"target <= {TARGETS['seed_1m_seconds']} s; " if size == 1_000_000 else "")
                   + f"CPU: client {big['client_cpu_s']:.1f} s, server {big['server_cpu_s']:.1f} s"))
        naive = content.naive(server, 2_000)
        print(_row("seed's design: Faker + bulk_insert_mappings, 2,000/table", naive))
        ours = content.seed_end_to_end(10_000, server.create_database("bench_ratio_test"))
        print(f"  {'ratio synth seed / seed design (rows/s, PostgreSQL)':<58} "
              f"{ours['rows_per_s'] / naive['rows_per_s']:>12,.0f} x")


def bench_air_quality(args) -> None:
    print("air quality")
    generator = air_quality.generator_year()
    print(_row("generator, full mode, one year (300 cities)", generator,
               f"target >= {TARGETS['generator_rows_per_s']:,}"))
    naive = air_quality.naive_slice()
    print(_row(f"naive seed design, {air_quality.NAIVE_DAYS} days x 300 cities", naive))
    ratio = generator["rows_per_s"] / naive["rows_per_s"]
    print(f"  {'ratio generator / naive (per row)':<46} {ratio:>12,.0f} x  target >= {TARGETS['ratio']} x")
    naive_year = generator["rows"] / naive["rows_per_s"]
    print(f"  {'naive design, one full year (extrapolated)':<46} {naive_year:>12,.0f} s")
    if not args.quick:
        backfill = air_quality.cli_backfill("full")
        print(_row("full backfill 2020-2024 via dagster CLI", backfill,
                   f"target <= {TARGETS['backfill_seconds']} s"))
        for step in backfill["steps"]:
            print(f"      {step}")
        rolled = backfill["rollup"]
        print(_row(f"yearly roll-up alone, 5 years, in process (median of {rolled['runs']})", rolled,
                   f"target <= {TARGETS['rollup_seconds']} s; first run {rolled['first_seconds']:.2f} s"))
        in_memory = air_quality.dagster_backfill_in_memory("full")
        print(_row("same backfill via dagster.materialize, in-memory instance", in_memory))


if __name__ == "__main__":
    main()
