"""Pattern rows for the suggestion tests: frames in the pattern tables' schemas, and a routine no planted rule
makes (occupancy empty -> a light off, and a chain over three untouched lights/plugs) on real entities, so
every form of suggestion is exercised whatever the miner finds."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from synth_assets.smart_home.patterns.models import CHAIN_SCHEMA, CO_OCCURRENCE_SCHEMA, OCCUPANCY_ENTITY


def pattern_frame(schema: pa.Schema, rows: list[tuple]) -> pl.DataFrame:
    """``rows`` (every column of ``schema`` but analysis_day) as a frame of its types."""
    fields = [f for f in schema if f.name != "analysis_day"]
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in fields]
    return pl.from_arrow(pa.table({f.name: pa.array(list(c), f.type) for f, c in zip(fields, columns, strict=True)}))


def undeclared_routine(entities: pl.DataFrame, rules: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(pairs, chains) of the first home with two persons and three lights/plugs no rule targets."""
    targets = set(rules["target_entity_id"].to_list())
    for home_id in entities["home_id"].unique(maintain_order=True):
        part = entities.filter(pl.col("home_id") == home_id)
        free = [e for e in part.filter(pl.col("domain").is_in(["light", "switch"]))["entity_id"] if e not in targets]
        if part.filter(pl.col("domain") == "person").height >= 2 and len(free) >= 3:
            break
    else:
        raise AssertionError("no home with two persons and three free lights or plugs")
    a, b, c = free[:3]
    rows = [(OCCUPANCY_ENTITY, "empty", a, "off", 9, 0.9, 0.95, 60.0), (a, "on", b, "on", 30, 0.9, 0.9, 2.0),
            (b, "on", c, "on", 30, 0.9, 0.9, 20.0)]
    pairs = pattern_frame(CO_OCCURRENCE_SCHEMA, [(home_id, *row[:7], 50.0, row[7]) for row in rows])
    return pairs, pattern_frame(CHAIN_SCHEMA, [(home_id, [a, b, c], ["on", "on", "on"], 3, 30, 22.0)])
