"""Which state changes follow which: directed co-occurrence of entity states within a lag, per home.

An *item* is an entity entering a state (``light.kitchen=on``). For every change of item A, the first
change of each other item B within ``max_lag_seconds`` after it is an occurrence of A -> B. Per home:

* ``support``: changes of A followed by B; ``confidence`` = support / changes of A; ``precedence``: the
  share of B's changes that follow an A (a light switched on by motion follows motion nearly every time,
  though most motion finds the light already on);
* ``lift``: the followed changes within the pair's own reach (90th-percentile lag) against what chance
  alone gives there: A's changes times ``1 - exp(-rate_B * reach)``;
* ``lag_seconds``: the median delay.

Pairs that pass the thresholds of :class:`PatternConfig` are then *explained away* in triangles: when
Z -> X, Z -> Y and X -> Y all pass, either X causes Y (a chain: Z -> Y is only transitive) or Z causes
both (siblings: X -> Y is only their common cause). They differ in what X does without Z: in a chain, X
changed by hand is still followed by Y; for siblings it is not. Vectorised: numpy on the integer item
codes of :mod:`.item_codes` for the lag windows and the counting, polars for the named tables. Pure: no Dagster.

Measured on the demo (20 homes x 14 days, 414k changes, about 8 s) against ``smart_home.correlations``
(away rules scored with the occupancy item as trigger): precision 0.45-0.54 and recall 0.55 on entity
pairs; recall 0.95 on motion, door and chain rules. Still missed: away rules (a home empties about once
a day and its lights are mostly off already: 14 days are too few) and temperature -> climate (numeric
triggers are not items yet). The false positives are the generator's own undeclared routines: arrivals
(unlock, door, person home), people leaving together, the vacuum starting when someone leaves.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synth_assets.smart_home.patterns.explain_away import explain_away
from synth_assets.smart_home.patterns.item_codes import ChangeIndex, PairSpace, grouped_quantiles, with_item_codes
from synth_assets.smart_home.patterns.mined_rows import CHANGE, mined_rows
from synth_assets.smart_home.patterns.models import OCCUPANCY_ENTITY, PatternConfig
from synth_assets.smart_home.patterns.thresholds import AT_OR_ABOVE, BELOW, crossing_changes

OCCUPANCY = OCCUPANCY_ENTITY
LAG_QUANTILE = 0.9
REACH_PAD_SECONDS = 1.0   # timestamps jitter by up to a second: the shortest reach considered (estimate)
MIN_LAG_SECONDS = 0.05    # lags below this are "at once": their dispersion is taken against it
OCCURRENCE_CHUNK = 1 << 20   # candidate pairs made at once: small arrays the allocator reuses (large ones
                             # are fresh pages each time, and first touches of fresh pages dominated)


def state_changes(events: pl.DataFrame) -> pl.DataFrame:
    """Discrete state changes in (home_id, timestamp) order: ``home_id``, ``t`` (µs), ``row``, ``item``,
    ``entity_id`` and the integer codes of :mod:`.item_codes`. ``events``: events or their mined rows
    (:func:`.mined_rows.mined_rows`: attribute-only writes are not changes); the home's occupancy and the
    temperature levels its thermostats react at (:mod:`.thresholds`) are added."""
    rows = mined_rows(events).collect()   # once: the changes and the thermostats' readings both come from it
    changes = rows.filter(pl.col("kind") == CHANGE).select(
        "home_id", "entity_id", t=pl.col("timestamp").dt.epoch("us"), item=pl.col("entity_id") + "=" + pl.col("state"))
    return with_item_codes(pl.concat([changes, occupancy_changes(changes), crossing_changes(rows, changes)])
                           .sort("home_id", "t", "item")
                           .with_row_index("row"))


def occupancy_changes(changes: pl.DataFrame) -> pl.DataFrame:
    """The home's occupancy as an item of its own: ``home.occupancy=empty`` when the last person leaves,
    ``=occupied`` when the first comes back (what "everyone away" automations react to). A person's state
    before their first change in the window is the opposite of that change."""
    persons = changes.filter(pl.col("entity_id").str.starts_with("person.")).sort("home_id", "t", "item")
    if persons.is_empty():
        return changes.clear()
    at_home = pl.col("item").str.ends_with("=home")
    persons = persons.with_columns(
        step=pl.when(at_home).then(1).otherwise(-1),
        first=pl.int_range(pl.len()).over("home_id", "entity_id") == 0)
    start = persons.filter(pl.col("first") & ~at_home).group_by("home_id").agg(start=pl.len())  # home before
    counted = (persons.join(start, on="home_id", how="left")
               .with_columns(home=pl.col("start").fill_null(0) + pl.col("step").cum_sum().over("home_id")))
    before = counted["home"] - counted["step"]
    flips = counted.with_columns(before=before).filter(
        ((pl.col("home") == 0) & (pl.col("before") > 0)) | ((pl.col("home") > 0) & (pl.col("before") == 0)))
    return flips.select("home_id", entity_id=pl.lit(OCCUPANCY), t="t",
                        item=pl.lit(OCCUPANCY) + pl.when(pl.col("home") == 0).then(pl.lit("=empty"))
                        .otherwise(pl.lit("=occupied")))


def occurrences(changes: pl.DataFrame, max_lag_seconds: float,
                chunk_candidates: int = OCCURRENCE_CHUNK) -> pl.DataFrame:
    """Every change ``row_a`` and the first later change of each other entity's item within the lag:
    ``row_a``, ``row_b``, ``lag_us`` and ``pair`` (the item pair's integer in :class:`.item_codes.PairSpace`
    of ``changes``: every counter of pairs reads it, none recomputes it). Changes must be in
    :func:`state_changes` order. A later change is the first of its item after A when the item's previous
    change came before A: no sort of the pairs. The candidates (every later change within the lag) are
    made ``chunk_candidates`` at a time, in row order: the same rows as all at once."""
    if chunk_candidates < 1:
        raise ValueError(f"chunk_candidates must be positive, got {chunk_candidates}")
    n = changes.height
    if n == 0:
        return pl.DataFrame(schema={"row_a": pl.UInt32, "row_b": pl.UInt32, "lag_us": pl.Int64, "pair": pl.Int64})
    home, t = changes["home"].to_numpy(), changes["t"].to_numpy()
    entity, previous_of_item = changes["entity_code"].to_numpy(), changes["previous"].to_numpy()
    code, space = changes["code"].to_numpy(), PairSpace.of(changes)
    span = int(t.max() - t.min()) + int(max_lag_seconds * 1e6) + 1
    key = home * span + (t - t.min())           # one sorted axis: homes never overlap
    counts = np.searchsorted(key, key + int(max_lag_seconds * 1e6), side="right") - np.arange(n) - 1
    ends = np.cumsum(counts)
    bounds = np.unique(np.concatenate(([0], np.searchsorted(ends, np.arange(chunk_candidates, int(ends[-1]),
                                                                          chunk_candidates)), [n])))
    parts = []
    for first_row, end_row in zip(bounds[:-1], bounds[1:], strict=True):
        per_row = counts[first_row:end_row]
        row_a = np.repeat(np.arange(first_row, end_row, dtype=np.int64), per_row)
        row_b = row_a + 1 + (np.arange(len(row_a)) - np.repeat(np.cumsum(per_row) - per_row, per_row))
        first = (entity[row_a] != entity[row_b]) & (previous_of_item[row_b] < row_a)
        row_a, row_b = row_a[first], row_b[first]
        parts.append((row_a.astype(np.uint32), row_b.astype(np.uint32), t[row_b] - t[row_a],
                      space.key(code[row_a], code[row_b])))
    columns = ("row_a", "row_b", "lag_us", "pair")
    return pl.DataFrame({name: np.concatenate([part[i] for part in parts]) for i, name in enumerate(columns)})


def _item_names(changes: pl.DataFrame) -> pl.DataFrame:
    """Per item code: ``code``, ``home_id``, ``item``, ``entity_id``, ``changes`` (how many)."""
    return changes.group_by("code").agg(pl.col("home_id", "item", "entity_id").first(), changes=pl.len())


def pair_statistics(changes: pl.DataFrame, found: pl.DataFrame, window_seconds: float,
                    config: PatternConfig) -> pl.DataFrame:
    """Support, confidence, lift and median lag of every directed item pair with ``config.min_pair_support``
    occurrences (fewer can never pass: their lags are not even sorted).

    Lags of a causal pair crowd around the automation's delay: support and chance are both taken within
    the pair's own 90th-percentile lag (its reach), so a tight pair stands out from changes that only share
    a minute. Counted in numpy on the pair integers of :class:`.item_codes.PairSpace` (strings only for
    the pairs that come out). ``preceded`` (B's changes that follow an A) counts each change of B once: an
    occurrence shares its B with the one of A's previous change when that change reached the same B."""
    t, previous = changes["t"].to_numpy(), changes["previous"].to_numpy()
    row_a, row_b = found["row_a"].to_numpy(), found["row_b"].to_numpy()
    space = PairSpace.of(changes)
    key = found["pair"].to_numpy()
    support = np.bincount(key, minlength=space.size)
    kept = np.flatnonzero(support >= config.min_pair_support)
    earlier = previous[row_a]   # the change of A before this one: did it reach this very B?
    shared = (earlier >= 0) & (previous[row_b] < earlier) & (t[row_b] - t[np.maximum(earlier, 0)]
                                                               <= int(config.max_lag_seconds * 1e6))
    q = grouped_quantiles(key, found["lag_us"].to_numpy(), support, kept,
                          {"reach_us": LAG_QUANTILE, "q25": 0.25, "q75": 0.75})
    code_a, code_b = space.codes(kept)
    grouped = pl.DataFrame({"code_a": code_a, "code_b": code_b, "support": support[kept].astype(np.uint32),
                            "preceded": (support - np.bincount(key, weights=shared, minlength=space.size)
                                         )[kept].astype(np.uint32),
                            "reach_us": q["reach_us"], "median_us": q["median"], "q25": q["q25"], "q75": q["q75"]})
    grouped = grouped.with_columns(within_reach=((pl.col("support") - 1) * LAG_QUANTILE).round() + 1)
    names = _item_names(changes)
    stats = (grouped.join(names.rename({"code": "code_a", "item": "item_a", "entity_id": "entity_a",
                                        "changes": "changes_a"}), on="code_a")
             .join(names.select(code_b="code", item_b="item", entity_b="entity_id", changes_b="changes"), on="code_b")
             .with_columns(reach_seconds=pl.col("reach_us") / 1e6 + REACH_PAD_SECONDS,
                           lag_seconds=pl.col("median_us") / 1e6)
             .with_columns(confidence=pl.col("support") / pl.col("changes_a"),
                           precedence=pl.col("preceded") / pl.col("changes_b"),
                           chance=1 - (-(pl.col("changes_b") / window_seconds) * pl.col("reach_seconds")).exp())
             .with_columns(lift=pl.col("within_reach") / (pl.col("changes_a") * pl.col("chance")),
                           dispersion=(pl.col("q75") - pl.col("q25")) / 1e6
                           / pl.max_horizontal(pl.col("lag_seconds"), pl.lit(MIN_LAG_SECONDS))))
    return (stats.select("home_id", "item_a", "item_b", "entity_a", "entity_b", pl.col("support").cast(pl.UInt32),
                         pl.col("preceded").cast(pl.UInt32), "reach_seconds", "lag_seconds", "changes_a",
                         "changes_b", "confidence", "precedence", "lift", "dispersion", "code_a", "code_b")
            .sort("home_id", "item_a", "item_b"))


def with_open_confidence(stats: pl.DataFrame, changes: pl.DataFrame, found: pl.DataFrame,
                         config: PatternConfig) -> pl.DataFrame:
    """Adds ``open_confidence``: of A's changes that find B in another state than the pair's (so that B
    *can* change to it), the share followed by B's change. Leaving turns the lights off, but most lights
    are off already when people leave: the plain confidence hides that, this one does not. Only for the
    pairs with enough support and lift (the others get null). In numpy: B's entity's state before a
    change of A is its last change strictly before (one ``searchsorted`` over the changes by entity)."""
    worth = stats.filter((pl.col("support") >= config.min_pair_support) & (pl.col("lift") >= config.min_lift)
                         & (pl.col("confidence") < config.min_confidence))   # the others pass already
    if worth.is_empty():
        return stats.with_columns(open_confidence=pl.lit(None, pl.Float64))
    index_of = ChangeIndex(changes)
    wa, wb = worth["code_a"].to_numpy(), worth["code_b"].to_numpy()
    pair, trial_rows = index_of.rows_of(wa)   # trials: every change of A for each of its pairs
    open_trials = np.bincount(pair, weights=index_of.not_in_state(wb[pair], index_of.t[trial_rows]),
                              minlength=len(wa))
    # hits: the occurrences of the pairs (each is one trial followed by B)
    space = PairSpace.of(changes)
    index = np.full(space.size, -1, dtype=np.int64)
    index[space.key(wa, wb)] = np.arange(len(wa))
    row_a = found["row_a"].to_numpy().astype(np.int64)
    hit = index[found["pair"].to_numpy()]
    row_a, hit = row_a[hit >= 0], hit[hit >= 0]
    open_hits = np.bincount(hit, weights=index_of.not_in_state(wb[hit], index_of.t[row_a]), minlength=len(wa))
    share = worth.select("code_a", "code_b").with_columns(
        open_confidence=pl.Series(np.where(open_trials > 0, open_hits / np.maximum(open_trials, 1), np.nan)))
    return (stats.join(share.with_columns(pl.col("open_confidence").fill_nan(None)), on=["code_a", "code_b"],
                       how="left"))


def passing(stats: pl.DataFrame, config: PatternConfig) -> pl.DataFrame:
    """Pairs with enough support, confidence (any of the three) and lift; never the home's occupancy with a
    person (it is made of the persons' changes: they coincide by definition)."""
    # a level crossed (thresholds.py) is a trigger only if crossing it is followed: every sensor of a
    # cooling home falls below some level just before the heating starts
    level = pl.col("item_a").str.contains(f"=({BELOW}|{AT_OR_ABOVE})[0-9-]")
    regular = ((pl.col("confidence") >= config.min_confidence)
               | ((pl.col("precedence") >= config.min_confidence) & ~level)
               | (pl.col("open_confidence").fill_null(0) >= config.min_confidence))
    person = pl.col("entity_a").str.starts_with("person.") | pl.col("entity_b").str.starts_with("person.")
    occupancy = (pl.col("entity_a") == OCCUPANCY) | (pl.col("entity_b") == OCCUPANCY)
    return stats.filter((pl.col("support") >= config.min_pair_support) & regular & (pl.col("lift") >= config.min_lift)
                        & ~(person & occupancy))


def tight(pairs: pl.DataFrame, config: PatternConfig) -> pl.DataFrame:
    """The pairs whose lags crowd around their median as an automation's delay does. A person's change
    followed by B is left out where the home's occupancy is followed by B too: the last one leaving is the
    home emptying, and the occupancy is what reacts."""
    tight_pairs = pairs.filter(pl.col("dispersion") <= config.max_dispersion)
    by_occupancy = tight_pairs.filter(pl.col("entity_a") == OCCUPANCY).select("home_id", "entity_b").unique()
    proxies = tight_pairs.filter(pl.col("entity_a").str.starts_with("person.")).join(
        by_occupancy, on=["home_id", "entity_b"], how="semi")
    return tight_pairs.join(proxies.select("home_id", "item_a", "item_b"), on=["home_id", "item_a", "item_b"],
                            how="anti")


def co_occurrence(events: pl.DataFrame, window_seconds: float, config: PatternConfig) -> pl.DataFrame:
    """The directed entity-state pairs of ``events`` that pass the thresholds and survive explaining away."""
    changes = state_changes(events)
    found = occurrences(changes, config.max_lag_seconds)
    stats = with_open_confidence(pair_statistics(changes, found, window_seconds, config), changes, found, config)
    candidates = passing(stats, config)
    return explain_away(tight(candidates, config), candidates, changes, found, config)
