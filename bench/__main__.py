"""`make bench`: throughput of every family and the ratio against a naive per-row baseline.

Everything is measured in this one run on this machine; nothing is a stored number.
Run `python -m bench --quick` to skip the end-to-end backfill through the Dagster CLI.
"""

from __future__ import annotations

import argparse
import platform
import warnings

warnings.filterwarnings("ignore")

from bench import air_quality  # noqa: E402

TARGETS = {"generator_rows_per_s": 1_000_000, "backfill_seconds": 60, "ratio": 100}


def _row(label: str, result: dict, target: str = "") -> str:
    return (f"  {label:<58} {result['rows']:>12,} rows {result['seconds']:>8.2f} s "
            f"{result['rows_per_s']:>14,.0f} rows/s  {target}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="skip the five-year CLI backfill")
    args = parser.parse_args()
    print(f"synth_assets bench on {platform.machine()}, {platform.python_version()}, "
          f"{__import__('os').cpu_count()} cores\n")
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
        in_memory = air_quality.dagster_backfill_in_memory("full")
        print(_row("same backfill via dagster.materialize, in-memory instance", in_memory))


if __name__ == "__main__":
    main()
