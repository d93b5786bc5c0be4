"""The pairs and chains of one window of events, as the rows of the pattern tables. Pure: no Dagster.

:func:`mine_pairs_and_chains` is the one entry the assets, the bench and the scoring use; the statistics
are in :mod:`.co_occurrence` and :mod:`.chains`. The miners read only the rows and columns of
:func:`.mined_rows.mined_rows` (real changes of discrete entities and every temperature report): never the
context ids, which say what caused what and are the scorer's alone. Homes never pair with each other, so
a large window is mined in blocks of homes (:func:`mine_in_blocks`), the same rows as in one go.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import polars as pl

from synth_assets.smart_home.patterns import co_occurrence as co
from synth_assets.smart_home.patterns.chains import chain_patterns
from synth_assets.smart_home.patterns.mined_rows import MINED_COLUMNS, MINED_ROWS, mined_rows
from synth_assets.smart_home.patterns.models import PatternConfig

__all__ = ["BLOCK_HOMES", "MINED_COLUMNS", "MINED_ROWS", "MinedPatterns", "mine_in_blocks", "mine_pairs_and_chains"]
BLOCK_HOMES = 25    # homes mined at once in mine_in_blocks (28 days of 25 homes: about 3 M rows; 50 were as
                    # fast alone but 1.4x the peak memory, and slower after other work fragmented memory)

_ITEM = r"^(.*?)=(.*)$"   # entity_id=state (entity ids never hold "=")


class MinedPatterns(NamedTuple):
    co_occurrence: pl.DataFrame   # CO_OCCURRENCE_SCHEMA's columns but analysis_day
    chains: pl.DataFrame          # CHAIN_SCHEMA's columns but analysis_day


def mine_pairs_and_chains(events: pl.DataFrame, window_seconds: float, config: PatternConfig) -> MinedPatterns:
    """Directed pairs and 2-4 entity chains of ``events`` (EVENTS_SCHEMA rows of the window's days, or their
    mined rows: ``smart_home.state_changes``)."""
    changes = co.state_changes(events)
    found = co.occurrences(changes, config.max_lag_seconds)
    stats = co.with_open_confidence(co.pair_statistics(changes, found, window_seconds, config), changes, found,
                                    config)
    candidates = co.passing(stats, config)
    pairs = co.explain_away(co.tight(candidates, config), candidates, changes, found, config)
    chains = chain_patterns(changes, found, pairs, config)
    return MinedPatterns(_pair_rows(pairs), _chain_rows(chains))


def mine_in_blocks(events: pl.LazyFrame, home_ids: Sequence[str], window_seconds: float, config: PatternConfig,
                   block_homes: int = BLOCK_HOMES, workers: int = 2) -> MinedPatterns:
    """:func:`mine_pairs_and_chains` over ``events`` (a scan of the window's events or state-changes files)
    in blocks of ``block_homes`` consecutive homes of ``home_ids``, ``workers`` blocks at a time (polars
    and numpy release the GIL). The result equals one pass over all homes."""
    homes = sorted(home_ids)
    blocks = [homes[i:i + block_homes] for i in range(0, len(homes), block_homes)]
    rows = mined_rows(events)

    def mine(block: list[str]) -> MinedPatterns:
        in_range = rows.filter(pl.col("home_id").is_between(pl.lit(block[0]), pl.lit(block[-1])))  # row groups
        return mine_pairs_and_chains(in_range.filter(pl.col("home_id").is_in(block)).collect(),  # of other homes
                                     window_seconds, config)                        # are skipped by their statistics

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        parts = list(pool.map(mine, blocks))
    if not parts:
        return mine_pairs_and_chains(rows.head(0).collect(), window_seconds, config)
    return MinedPatterns(pl.concat([p.co_occurrence for p in parts]), pl.concat([p.chains for p in parts]))


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
