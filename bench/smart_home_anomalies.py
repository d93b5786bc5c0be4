"""Smart-home anomaly detection benchmark: one analysis day over a window of cached events, and the score
against the anomalies planted in them.

Run alone: ``python -m bench.smart_home_anomalies [--homes 1000 --days 28 --block 100]``. The events come
from bench.smart_home_patterns's cache (made there once, about 5 minutes for 1,000 homes x 28 days; the
events carry anomalies at the default rate, SmartHomeConfig.anomaly_rate). What is timed is what the
``anomalies`` asset does with one window: scan the day files for a block of homes, detect, for every
block; then the planted anomalies of the analysis day (the pure plan) and the precision / recall.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import polars as pl

from bench.smart_home_patterns import LAST_DAY, ensure_events
from synth_assets.smart_home import layout
from synth_assets.smart_home.events import anomalies as plan
from synth_assets.smart_home.patterns import anomalies as detector
from synth_assets.smart_home.patterns.anomaly_assets import READ_COLUMNS


def anomalies_day(seed: int = 42, homes: int = 1_000, days: int = 28, block: int = detector.BLOCK_HOMES) -> dict:
    window = [LAST_DAY - timedelta(days=days - 1 - k) for k in range(days)]
    directory, world = ensure_events(seed, homes, window)
    scan = pl.scan_parquet([str(layout.daily_path(directory, "events", day)) for day in window]).select(
        list(READ_COLUMNS))
    entities = world["entities"].join(world["devices"].select("device_id", "device_type"), on="device_id",
                                      how="left")
    began = time.perf_counter()
    def read(ids: list[str]) -> pl.DataFrame:   # a range first: Parquet row groups are skipped by their statistics
        block = scan.filter(pl.col("home_id").is_between(pl.lit(min(ids)), pl.lit(max(ids))))
        return block.filter(pl.col("home_id").is_in(ids)).collect()

    found = detector.detect_in_blocks(read, entities, world["homes"], LAST_DAY, days, block_homes=block)
    seconds = time.perf_counter() - began
    candidates = plan.candidates(plan.candidate_frame(world["entities"], world["areas"], world["devices"]),
                                 world["rules"])
    planted = plan.plan(seed, LAST_DAY, world["homes"], candidates, world["config"].anomaly_rate)
    return {"homes": homes, "days": days, "seconds": seconds, "anomalies": found.height,
            "scores": detector.score(found, planted), "found": found, "planted": planted}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smart_home_anomalies")
    parser.add_argument("--homes", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--block", type=int, default=detector.BLOCK_HOMES)
    parser.add_argument("--write", help="also write the detected and planted rows to <prefix>_found/_planted.parquet")
    args = parser.parse_args()
    result = anomalies_day(homes=args.homes, days=args.days, block=args.block)
    print(f"anomalies of {LAST_DAY} over {result['days']} days of {result['homes']:,} homes: "
          f"{result['seconds']:.1f} s (read + detect, blocks of {args.block} homes), {result['anomalies']} found")
    with pl.Config(tbl_rows=10):
        print(result["scores"])
    if args.write:
        result["found"].write_parquet(f"{args.write}_found.parquet")
        result["planted"].write_parquet(f"{args.write}_planted.parquet")


if __name__ == "__main__":
    main()
