"""Smart-home dimension benchmarks: homes -> areas -> devices -> entities for many homes.

Run alone: ``python -m bench.smart_home_dimensions [--homes 10000]``. Also times Home Assistant's entity-id
registration done the vectorised way against the per-entity loop (``slugs.generate_entity_id``), in the
same run on the same ids.
"""

from __future__ import annotations

import argparse
import time

import polars as pl

from synth_assets.air_quality.cities import select_cities
from synth_assets.smart_home.areas import generate_areas
from synth_assets.smart_home.devices import generate_devices, generate_entities
from synth_assets.smart_home.homes import generate_homes
from synth_assets.smart_home.models import SmartHomeConfig
from synth_assets.smart_home.slugs import generate_entity_id, unique_entity_ids


def _best(function, repeats: int):
    best, result = float("inf"), None
    for _ in range(repeats):
        began = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - began)
    return best, result


def generation(homes: int, repeats: int = 3, seed: int = 42) -> dict[str, dict]:
    """Best-of-``repeats`` seconds and rows/s per table for ``homes`` homes."""
    cities = select_cities("full")
    config = SmartHomeConfig(seed=seed, homes=homes)
    results: dict[str, dict] = {}
    seconds, home_rows = _best(lambda: generate_homes(config, cities), repeats)
    results["homes"] = {"rows": home_rows.height, "seconds": seconds}
    seconds, areas = _best(lambda: generate_areas(seed, home_rows), repeats)
    results["areas"] = {"rows": areas.height, "seconds": seconds}
    seconds, devices = _best(lambda: generate_devices(seed, home_rows, areas), repeats)
    results["devices"] = {"rows": devices.height, "seconds": seconds}
    seconds, entities = _best(lambda: generate_entities(home_rows, devices), repeats)
    results["entities"] = {"rows": entities.height, "seconds": seconds}
    for result in results.values():
        result["rows_per_s"] = result["rows"] / result["seconds"]
    results["registration"] = _registration_ratio(entities)
    return results


def _registration_ratio(entities: pl.DataFrame) -> dict:
    """Entity ids registered vectorised vs one at a time (Home Assistant's loop), on the same preferred ids."""
    preferred = entities["entity_id"].str.replace(r"_\d+$", "")
    homes = entities["home_id"]
    vectorised, fast = _best(lambda: unique_entity_ids(homes, preferred), 1)

    def loop() -> list[str]:
        taken: dict[str, set[str]] = {}
        return [generate_entity_id(p.split(".", 1)[1], p.split(".", 1)[0], taken.setdefault(h, set()))
                for h, p in zip(homes.to_list(), preferred.to_list(), strict=True)]

    looped, slow = _best(loop, 1)
    assert fast.to_list() == slow, "the vectorised registration must give Home Assistant's ids"
    return {"rows": len(preferred), "seconds": vectorised, "rows_per_s": len(preferred) / vectorised,
            "loop_seconds": looped, "ratio": looped / vectorised}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smart_home_dimensions")
    parser.add_argument("--homes", type=int, default=10_000)
    args = parser.parse_args()
    results = generation(args.homes)
    total = sum(r["seconds"] for name, r in results.items() if name != "registration")
    print(f"smart-home dimensions for {args.homes:,} homes: {total:.2f} s in all")
    for name, r in results.items():
        extra = (f"  per-entity loop {r['loop_seconds']:.2f} s, ratio {r['ratio']:.1f} x"
                 if name == "registration" else "")
        print(f"  {name:<14} {r['rows']:>10,} rows {r['seconds']:>7.2f} s {r['rows_per_s']:>12,.0f} rows/s{extra}")


if __name__ == "__main__":
    main()
