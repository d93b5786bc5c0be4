"""The pairs and chains of one window of events, as the rows of the pattern tables. Pure: no Dagster.

:func:`mine_pairs_and_chains` is the one entry the assets, the bench and the scoring use; the statistics
are in :mod:`.co_occurrence` and :mod:`.chains`.
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from synth_assets.smart_home.patterns import co_occurrence as co
from synth_assets.smart_home.patterns.chains import chain_patterns
from synth_assets.smart_home.patterns.models import PatternConfig

_ITEM = r"^(.*?)=(.*)$"   # entity_id=state (entity ids never hold "=")


class MinedPatterns(NamedTuple):
    co_occurrence: pl.DataFrame   # CO_OCCURRENCE_SCHEMA's columns but analysis_day
    chains: pl.DataFrame          # CHAIN_SCHEMA's columns but analysis_day


def mine_pairs_and_chains(events: pl.DataFrame, window_seconds: float, config: PatternConfig) -> MinedPatterns:
    """Directed pairs and 2-4 entity chains of ``events`` (EVENTS_SCHEMA rows of the window's days)."""
    changes = co.state_changes(events)
    found = co.occurrences(changes, config.max_lag_seconds)
    stats = co.with_open_confidence(co.pair_statistics(changes, found, window_seconds, config), changes, found,
                                    config)
    candidates = co.passing(stats, config)
    pairs = co.explain_away(co.tight(candidates, config), candidates, changes, found, config)
    chains = chain_patterns(changes, found, pairs, config)
    return MinedPatterns(_pair_rows(pairs), _chain_rows(chains))


def _pair_rows(pairs: pl.DataFrame) -> pl.DataFrame:
    return (pairs.select(
        "home_id", "entity_a", state_a=pl.col("item_a").str.extract(_ITEM, 2), entity_b="entity_b",
        state_b=pl.col("item_b").str.extract(_ITEM, 2), support=pl.col("support").cast(pl.Int32),
        confidence="confidence", precedence="precedence", lift="lift", lag_seconds="lag_seconds")
        .sort("home_id", "entity_a", "state_a", "entity_b", "state_b"))


def _chain_rows(chains: pl.DataFrame) -> pl.DataFrame:
    return (chains.select(
        "home_id", chain=pl.col("chain").list.eval(pl.element().str.extract(_ITEM, 1)),
        states=pl.col("chain").list.eval(pl.element().str.extract(_ITEM, 2)),
        length=pl.col("length").cast(pl.Int8), support=pl.col("support").cast(pl.Int32),
        lag_seconds="lag_seconds")
        .sort("home_id", "length", "chain", "states"))
