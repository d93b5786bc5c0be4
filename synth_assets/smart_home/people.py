"""The occupants of each home as Home Assistant knows them: one user (auth) and one ``person`` each.

A manual state change in ``events`` carries the acting occupant's ``user_id`` as its context user, and
the Home Assistant export writes the same ids into its auth and person storage, so both derive them
here. Ids are 32 lowercase hex digits like Home Assistant's ``uuid4().hex``, drawn from counter-based
words keyed by (seed, home index, occupant position): a home's ids never depend on other homes.
Pure: no Dagster.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synth_assets.core.rng import index_words
from synth_assets.smart_home.devices import hex_ids
from synth_assets.smart_home.models import MAX_OCCUPANTS

_USER_KEYS = ("smart_home", "people", "user_id")


def occupants(seed: int, homes: pl.DataFrame) -> pl.DataFrame:
    """One row per occupant: ``home_id``, ``position`` (0-based, the order of ``occupant_names``), ``name``
    and ``user_id``. The occupant's ``person`` entity in ``entities`` has ``original_name`` == ``name``."""
    rows = (homes.select("home_id", "home_index", pl.col("occupant_names").alias("name"))
            .explode("name")
            .with_columns(position=pl.int_range(pl.len()).over("home_id").cast(pl.Int8)))
    counter = rows["home_index"].to_numpy().astype(np.int64) * MAX_OCCUPANTS + rows["position"].to_numpy()
    user_ids = hex_ids(index_words(seed, _USER_KEYS, counter, 2), "user_id")
    return rows.select("home_id", "position", "name").with_columns(user_id=user_ids)
