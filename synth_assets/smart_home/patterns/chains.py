"""Ordered chains of 2-4 entity states (A -> B -> C -> D) built from the pairs that survived co-occurrence.

Every link is a passing pair whose target an automation can set (:data:`~.models.ACTIONABLE_DOMAINS`):
a person arriving or a door opening may start a chain, never continue one. A chain occurs when a change
of A is followed by B within the pair's lag, that very change of B by C, and
so on: the links are the occurrences of :func:`~.co_occurrence.occurrences` restricted to the passing
pairs, joined end to start. ``support`` counts the distinct changes of A that start the whole chain;
``lag_seconds`` is the median delay from A to the last item. Pure: no Dagster.
"""

from __future__ import annotations

import polars as pl

from synth_assets.smart_home.patterns.models import ACTIONABLE_DOMAINS, PatternConfig

MAX_CHAIN = 4


def chain_patterns(changes: pl.DataFrame, found: pl.DataFrame, pairs: pl.DataFrame, config: PatternConfig,
                   max_length: int = MAX_CHAIN) -> pl.DataFrame:
    """``home_id``, ``chain`` (items in order), ``length``, ``support``, ``lag_seconds`` for every chain of
    2..``max_length`` items whose support reaches ``config.min_pair_support``."""
    items = changes.select("row", "home_id", "item", "t")
    settable = pairs.filter(pl.col("entity_b").str.extract(r"^([a-z_]+)\.", 1).is_in(ACTIONABLE_DOMAINS))
    starts = items.join(settable.select("home_id", item="item_a").unique(), on=["home_id", "item"], how="semi")
    links = (found.join(starts.select(row_a="row", home_id="home_id", item_a="item"), on="row_a")
             .join(items.select(row_b="row", item_b="item"), on="row_b")
             .join(settable.select("home_id", "item_a", "item_b"), on=["home_id", "item_a", "item_b"], how="semi"))
    paths = links.select("home_id", first="row_a", last="row_b", chain=pl.concat_list("item_a", "item_b"),
                         lag_us="lag_us")
    levels = [paths]
    for _ in range(max_length - 2):
        paths = (paths.join(links.select(last="row_a", next_row="row_b", next_item="item_b", step_us="lag_us"),
                            on="last")
                 .filter(~pl.col("chain").list.contains(pl.col("next_item")))      # no entity state twice
                 .select("home_id", "first", last="next_row",
                         chain=pl.concat_list("chain", "next_item"),
                         lag_us=pl.col("lag_us") + pl.col("step_us")))
        if paths.is_empty():
            break
        levels.append(paths)
    found_chains = (pl.concat(levels)
                    .group_by("home_id", "chain")
                    .agg(support=pl.col("first").n_unique(), lag_seconds=pl.col("lag_us").median() / 1e6)
                    .filter(pl.col("support") >= config.min_pair_support)
                    .with_columns(length=pl.col("chain").list.len().cast(pl.Int8)))
    return (found_chains.select("home_id", "chain", "length", "support", "lag_seconds")
            .sort("home_id", "length", "support", descending=[False, False, True]))
