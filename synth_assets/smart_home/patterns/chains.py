"""Ordered chains of 2-4 entity states (A -> B -> C -> D) built from the pairs that survived co-occurrence.

Every link is a passing pair whose target an automation can set (:data:`~.models.ACTIONABLE_DOMAINS`):
a person arriving or a door opening may start a chain, never continue one. A chain occurs when a change
of A is followed by B within the pair's lag, that very change of B by C, and
so on: the links are the occurrences of :func:`~.co_occurrence.occurrences` restricted to the passing
pairs, joined end to start. ``support`` counts the distinct changes of A that start the whole chain;
``lag_seconds`` is the median delay from A to the last item. Pure: no Dagster.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synth_assets.smart_home.patterns.item_codes import PairSpace
from synth_assets.smart_home.patterns.models import ACTIONABLE_DOMAINS, PatternConfig

MAX_CHAIN = 4


def chain_patterns(changes: pl.DataFrame, found: pl.DataFrame, pairs: pl.DataFrame, config: PatternConfig,
                   max_length: int = MAX_CHAIN) -> pl.DataFrame:
    """``home_id``, ``chain`` (items in order), ``length``, ``support``, ``lag_seconds`` for every chain of
    2..``max_length`` items whose support reaches ``config.min_pair_support``. ``pairs`` carry the item
    codes (``code_a``, ``code_b``) of ``changes``; the chains are joined on integers, named at the end."""
    settable = pairs.filter(pl.col("entity_b").str.extract(r"^([a-z_]+)\.", 1).is_in(ACTIONABLE_DOMAINS))
    if settable.is_empty() or found.is_empty():
        return pl.DataFrame(schema={"home_id": pl.String, "chain": pl.List(pl.String), "length": pl.Int8,
                                    "support": pl.UInt32, "lag_seconds": pl.Float64})
    code = changes["code"].to_numpy()
    space = PairSpace.of(changes)
    is_link = np.zeros(space.size, dtype=bool)
    is_link[space.key(settable["code_a"].to_numpy(), settable["code_b"].to_numpy())] = True
    row_a, row_b = found["row_a"].to_numpy(), found["row_b"].to_numpy()
    link = is_link[found["pair"].to_numpy()]
    links = pl.DataFrame({"row_a": row_a[link], "row_b": row_b[link], "item_a": code[row_a[link]],
                          "item_b": code[row_b[link]], "lag_us": found["lag_us"].to_numpy()[link]})
    paths = links.select(first="row_a", last="row_b", chain=pl.concat_list("item_a", "item_b"), lag_us="lag_us")
    levels = [paths]
    for _ in range(max_length - 2):
        paths = (paths.join(links.select(last="row_a", next_row="row_b", next_item="item_b", step_us="lag_us"),
                            on="last")
                 .filter(~pl.col("chain").list.contains(pl.col("next_item")))      # no entity state twice
                 .select("first", last="next_row", chain=pl.concat_list("chain", "next_item"),
                         lag_us=pl.col("lag_us") + pl.col("step_us")))
        if paths.is_empty():
            break
        levels.append(paths)
    found_chains = (pl.concat(levels)
                    .group_by("chain")
                    .agg(support=pl.col("first").n_unique(), lag_seconds=pl.col("lag_us").median() / 1e6)
                    .filter(pl.col("support") >= config.min_pair_support)
                    .with_columns(length=pl.col("chain").list.len().cast(pl.Int8))
                    .with_row_index("chain_row"))
    names = changes.group_by("code").agg(pl.col("home_id", "item").first())
    named = (found_chains.select("chain_row", code="chain").explode("code")
             .join(names, on="code", how="left", maintain_order="left")
             .group_by("chain_row", maintain_order=True).agg(pl.col("home_id").first(), named="item"))
    return (found_chains.join(named, on="chain_row")
            .select("home_id", chain="named", length="length", support="support", lag_seconds="lag_seconds")
            .sort("home_id", "length", "support", descending=[False, False, True]))
