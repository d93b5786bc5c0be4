"""The pattern analysis read from ``smart_home.state_changes`` equals the analysis of the raw events, and the
integer counting of pairs (patterns.item_codes) equals counting them with polars group-bys on the strings.

Events of 8 generated homes over 6 winter days (the generators, no files)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import polars as pl
import pytest

from synth_assets.smart_home.patterns import co_occurrence as co
from synth_assets.smart_home.patterns.item_codes import PairSpace
from synth_assets.smart_home.patterns.mine import mine_in_blocks, mine_pairs_and_chains
from synth_assets.smart_home.patterns.mined_rows import CHANGE, READING
from synth_assets.smart_home.patterns.models import PatternConfig
from synth_assets.smart_home.patterns.state_change_days import STATE_CHANGES_SCHEMA, state_change_rows
from synth_assets.smart_home.patterns.time_of_day import time_of_day_in_blocks, time_of_day_patterns
from synth_assets_tests.smart_home.events_world import world

DAYS = [date(2024, 1, 8) + timedelta(days=i) for i in range(6)]
WINDOW_SECONDS = len(DAYS) * 86_400.0
CONFIG = PatternConfig(window_days=len(DAYS), min_pair_support=4)   # 6 days: a lower bar, more pairs to compare


@lru_cache(maxsize=1)
def _days() -> tuple[pl.DataFrame, ...]:
    homes = world(seed=11, homes=8)
    return tuple(homes.events(day) for day in DAYS)


def test_each_day_keeps_the_mined_rows_and_columns_sorted_by_home():
    events = _days()[0]
    rows = state_change_rows(events)
    assert rows.schema == pl.from_arrow(STATE_CHANGES_SCHEMA.empty_table()).schema
    assert 0 < rows.height < events.height
    assert rows.equals(rows.sort("home_id", "entity_id", "timestamp"))
    real = events.filter(pl.col("last_changed") == pl.col("timestamp")).select("home_id", "entity_id", "timestamp")
    changes, readings = rows.filter(pl.col("kind") == CHANGE), rows.filter(pl.col("kind") == READING)
    assert changes.height > 0 and readings.height > 0 and changes.height + readings.height == rows.height
    assert changes.join(real, on=["home_id", "entity_id", "timestamp"], how="anti").is_empty()   # only real changes
    assert not changes["entity_id"].str.starts_with("sensor.").any() and changes["value"].is_null().all()
    assert readings["entity_id"].str.contains("temperature").all()
    assert (readings["value"] == readings["state"].cast(pl.Float64)).all()   # the reading, parsed once
    with pytest.raises(ValueError, match="last_changed"):
        state_change_rows(events.drop("last_changed"))


def test_mining_the_state_changes_of_each_day_equals_mining_the_events():
    events = pl.concat(_days())
    stored = pl.concat([state_change_rows(day) for day in _days()])
    homes = world(seed=11, homes=8).homes
    ids = homes["home_id"].to_list()
    from_events = mine_in_blocks(events.lazy(), ids, WINDOW_SECONDS, CONFIG, block_homes=3)
    from_changes = mine_in_blocks(stored.lazy(), ids, WINDOW_SECONDS, CONFIG, block_homes=3)
    assert from_events.co_occurrence.height >= 20 and from_events.chains.height >= 5
    assert from_changes.co_occurrence.equals(from_events.co_occurrence)
    assert from_changes.chains.equals(from_events.chains)
    times = time_of_day_in_blocks(stored.lazy(), homes, DAYS, CONFIG, block_homes=3)
    assert times.height > 0 and times.equals(time_of_day_patterns(events, homes, DAYS, CONFIG))
    one_pass = mine_pairs_and_chains(stored, WINDOW_SECONDS, CONFIG)
    assert one_pass.co_occurrence.equals(from_changes.co_occurrence) and one_pass.chains.equals(from_changes.chains)


def test_pair_counts_on_integers_equal_polars_group_bys_on_the_item_strings():
    changes = co.state_changes(pl.concat([state_change_rows(day) for day in _days()]))
    found = co.occurrences(changes, CONFIG.max_lag_seconds)
    stats = co.pair_statistics(changes, found, WINDOW_SECONDS, CONFIG)
    items = changes.select("row", "home_id", "item")
    reference = (found.join(items.rename({"row": "row_a", "item": "item_a"}), on="row_a")
                 .join(items.select(row_b="row", item_b="item"), on="row_b")
                 .group_by("home_id", "item_a", "item_b")
                 .agg(support=pl.len(), preceded=pl.col("row_b").n_unique(),
                      reach=pl.col("lag_us").quantile(0.9, interpolation="nearest"),
                      median=pl.col("lag_us").median(), q25=pl.col("lag_us").quantile(0.25),
                      q75=pl.col("lag_us").quantile(0.75))
                 .filter(pl.col("support") >= CONFIG.min_pair_support)
                 .sort("home_id", "item_a", "item_b"))
    assert reference.height >= 50
    assert stats.select("home_id", "item_a", "item_b").equals(reference.select("home_id", "item_a", "item_b"))
    assert (stats["support"].cast(pl.UInt32) == reference["support"]).all()
    assert (stats["preceded"] == reference["preceded"].cast(pl.UInt32)).all()
    assert np.array_equal(stats["lag_seconds"].to_numpy(), (reference["median"] / 1e6).to_numpy())
    assert np.array_equal(stats["reach_seconds"].to_numpy(),
                          (reference["reach"] / 1e6 + co.REACH_PAD_SECONDS).to_numpy())
    dispersion = (reference["q75"] - reference["q25"]) / 1e6 / (reference["median"] / 1e6).clip(co.MIN_LAG_SECONDS)
    assert np.array_equal(stats["dispersion"].to_numpy(), dispersion.to_numpy())
    assert (stats["preceded"] < stats["support"]).any()   # some B follows two A's: counted once


def test_a_pair_integer_names_its_two_items_and_homes_never_share_one():
    changes = co.state_changes(state_change_rows(_days()[0]))
    space = PairSpace.of(changes)
    codes = changes.select("code", "home").unique().sort("code")
    code, home = codes["code"].to_numpy(), codes["home"].to_numpy()
    same_home = [(a, b) for h in np.unique(home) for a in code[home == h][:7] for b in code[home == h][:7]]
    a, b = np.array(same_home).T
    keys = space.key(a, b)
    assert len(np.unique(keys)) == len(keys) and keys.min() >= 0 and keys.max() < space.size
    back_a, back_b = space.codes(keys)
    assert np.array_equal(back_a, a) and np.array_equal(back_b, b)
