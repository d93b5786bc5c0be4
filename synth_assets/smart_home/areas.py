"""``smart_home.areas``: the rooms (and outdoor spaces) of each home, by home type and household size.

A home of a type has each of its type's areas with that area's probability, drawn from the stream
``(seed, "smart_home", "areas", home_index)`` (one word per area of the type's list, whatever other
homes exist). Bedrooms follow the household: the first ``1 + children`` bedrooms of the list are
always there (estimate: one room per child). ``area_id`` is Home Assistant's slug of the name.
Pure: no Dagster.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synth_assets.smart_home.homes import home_uniforms
from synth_assets.smart_home.models import AREAS_SCHEMA, HOME_TYPES, OUTDOOR_KINDS
from synth_assets.smart_home.slugs import slug_column

AREA_WORDS = 32
if max(len(spec.areas) for spec in HOME_TYPES.values()) > AREA_WORDS:  # pragma: no cover - a config error
    raise ValueError(f"a home type lists more than {AREA_WORDS} areas")


def area_catalogue() -> pl.DataFrame:
    """Every (home type, slot) with its area: name, area_id, kind, level, probability, bedroom rank."""
    rows = []
    for home_type, spec in HOME_TYPES.items():
        bedroom_rank = 0
        for slot, area in enumerate(spec.areas):
            rank = bedroom_rank if area.kind == "bedroom" else -1
            bedroom_rank += area.kind == "bedroom"
            rows.append((home_type, slot, area.name, area.kind, area.level, area.probability, rank))
    frame = pl.DataFrame(rows, orient="row", schema={
        "home_type": pl.String, "slot": pl.Int32, "name": pl.String, "area_kind": pl.String, "level": pl.Int8,
        "probability": pl.Float64, "bedroom_rank": pl.Int32})
    return frame.with_columns(area_id=slug_column(frame["name"]), is_outdoor=pl.col("area_kind").is_in(OUTDOOR_KINDS))


def generate_areas(seed: int, homes: pl.DataFrame) -> pl.DataFrame:
    """Areas of ``homes`` (columns home_id, home_index, home_type, children), ordered by home, then slot."""
    u = home_uniforms(seed, "areas", homes["home_index"].to_numpy(), AREA_WORDS)
    draws = pl.DataFrame({
        "home_pos": np.repeat(np.arange(homes.height, dtype=np.int64), AREA_WORDS),
        "slot": np.tile(np.arange(AREA_WORDS, dtype=np.int32), homes.height),
        "u": u.ravel(),
    })
    candidates = (homes.select("home_id", "home_type", "children").with_row_index("home_pos")
                  .with_columns(pl.col("home_pos").cast(pl.Int64))
                  .join(area_catalogue(), on="home_type")
                  .join(draws, on=["home_pos", "slot"]))
    needed = (pl.col("bedroom_rank") >= 0) & (pl.col("bedroom_rank") <= pl.col("children").cast(pl.Int32))
    present = candidates.filter((pl.col("u") < pl.col("probability")) | needed)
    return (present.sort("home_pos", "slot")
            .select([pl.col(field.name) for field in AREAS_SCHEMA]))
