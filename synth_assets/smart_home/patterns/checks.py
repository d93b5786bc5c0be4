"""The checks of the pattern tables: structure (keys, entities, ranges) and the scores against the planted rules.

Structural checks are declared with :mod:`synth_assets.core.checks` (``unique_key``, ``InRanges`` with the
bounds the tables mean, counted over the days of a run by a ``Tally``) plus :class:`FrameRule` for the rules
those builders cannot say (an entity of a chain, support within the days). They block: a malformed table
is an error of the code. The scores (:func:`score_results`, from :func:`patterns.scoring.score`) are
statistical and warn (``blocking=False``): precision and recall of pairs and of 2-3 entity chains should
reach :data:`~.models.SCORE_TARGET`; the 4-entity figure is reported, not judged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import dagster as dg
import polars as pl

from synth_assets.core.bounds import Range
from synth_assets.core.checks import Check, InRanges, Tally, unique_key
from synth_assets.core.metadata import markdown_preview
from synth_assets.smart_home.patterns.chains import MAX_CHAIN
from synth_assets.smart_home.patterns.mine import MinedPatterns
from synth_assets.smart_home.patterns.models import (
    DAY_TYPES,
    OCCUPANCY_ENTITY,
    SCORE_TARGET,
    SCORED_CHAIN_LENGTHS,
    PatternConfig,
)
from synth_assets.smart_home.patterns.scoring import SCORE_SCHEMA, score
from synth_assets.smart_home.patterns.time_of_day import MIN_SHARE, MINUTES_PER_DAY, NEAR_MINUTES

ENTITY_KEYS = "entity_keys"   # the parent: home_id + SEP + entity_id of smart_home.entities (+ home.occupancy)
SEP = "\x1f"
SPREAD_LIMIT = round(NEAR_MINUTES * 1.01, 2)
"""Times within NEAR_MINUTES of a peak: their circular standard deviation is at most that, and a hair more
(sqrt(-2 ln R) of two times 45 minutes either side is 45.15 minutes)."""
SCORE_BLOCK_HOMES = 100   # homes whose causal rows are read at once for the scores (memory of a block)
PAIR_SCORES = "pair_scores_against_planted_rules"
CHAIN_SCORES = "chain_scores_against_planted_rules"


@dataclass(frozen=True)
class FrameRule(Check):
    """Violations counted by ``violations(frame, parents)`` (rows breaking the rule)."""

    violations: Callable[[pl.DataFrame, Mapping[str, pl.Series]], int] = lambda frame, parents: 0

    def count(self, frame, parents=None) -> Counter:
        return Counter({"rows": int(self.violations(frame, parents or {}))})


def entity_keys(entities: pl.DataFrame) -> pl.Series:
    """The parent of the entity checks: every (home, entity) of smart_home.entities and each home's occupancy."""
    homes = entities.select("home_id").unique()
    both = pl.concat([entities.select("home_id", "entity_id"),
                      homes.with_columns(entity_id=pl.lit(OCCUPANCY_ENTITY))])
    return both.select(key=pl.col("home_id") + SEP + pl.col("entity_id"))["key"]


def _orphans(column: str) -> Callable[[pl.DataFrame, Mapping[str, pl.Series]], int]:
    def count(frame: pl.DataFrame, parents: Mapping[str, pl.Series]) -> int:
        items = frame.select("home_id", column)
        if items.schema[column] == pl.List(pl.String):
            items = items.explode(column)
        keys = items.select(pl.col("home_id") + SEP + pl.col(column))
        return int(keys.select((~keys.to_series().is_in(parents[ENTITY_KEYS].implode())).sum()).item())
    return count


def _entity_rule(column: str, table: str) -> FrameRule:
    return FrameRule(f"{column}_in_entities", f"every {table}.{column} is an entity of its home in "
                     f"smart_home.entities (or {OCCUPANCY_ENTITY})", violations=_orphans(column))


# -- time_of_day_patterns ----------------------------------------------------------------------------------

def time_of_day_checks(config: PatternConfig) -> list[Check]:
    return [
        unique_key("unique_time_of_day", ["analysis_day", "home_id", "entity_id", "state", "day_type",
                                          "minute_of_day"]),
        _entity_rule("entity_id", "time_of_day_patterns"),
        InRanges("values_in_ranges", f"minute_of_day 0-{MINUTES_PER_DAY - 1}, share {MIN_SHARE}-1, spread "
                 f"0-{SPREAD_LIMIT:g} min, support >= min_support, at least one day",
                 ranges={"minute_of_day": Range(0, MINUTES_PER_DAY - 1), "share": Range(MIN_SHARE, 1.0),
                         "spread_minutes": Range(0.0, SPREAD_LIMIT), "support": Range(config.min_support, None),
                         "days": Range(1, None)}),
        FrameRule("support_within_days", f"support <= days and day_type one of {', '.join(DAY_TYPES)}",
                  violations=lambda frame, parents: frame.filter(
                      (pl.col("support") > pl.col("days")) | ~pl.col("day_type").is_in(DAY_TYPES)).height),
    ]


# -- co_occurrence_patterns --------------------------------------------------------------------------------

def co_occurrence_checks(config: PatternConfig) -> list[Check]:
    return [
        unique_key("unique_pair", ["analysis_day", "home_id", "entity_a", "state_a", "entity_b", "state_b"]),
        _entity_rule("entity_a", "co_occurrence_patterns"),
        _entity_rule("entity_b", "co_occurrence_patterns"),
        InRanges("values_in_ranges", "support >= min_pair_support, confidence and precedence 0-1, lift > 0, "
                 "lag 0-max_lag_seconds",
                 ranges={"support": Range(config.min_pair_support, None), "confidence": Range(0.0, 1.0),
                         "precedence": Range(0.0, 1.0), "lift": Range(0.0, None, low_strict=True),
                         "lag_seconds": Range(0.0, config.max_lag_seconds)}),
        FrameRule("no_self_pair", "entity_a differs from entity_b",
                  violations=lambda frame, parents: frame.filter(pl.col("entity_a") == pl.col("entity_b")).height),
    ]


# -- chain_patterns ----------------------------------------------------------------------------------------

def chain_checks(config: PatternConfig) -> list[Check]:
    return [
        unique_key("unique_chain", ["analysis_day", "home_id", "chain", "states"]),
        _entity_rule("chain", "chain_patterns"),
        InRanges("values_in_ranges", f"length 2-{MAX_CHAIN}, support >= min_pair_support, lag 0 to "
                 "(length - 1) x max_lag_seconds",
                 ranges={"length": Range(2, MAX_CHAIN), "support": Range(config.min_pair_support, None),
                         "lag_seconds": Range(0.0, (MAX_CHAIN - 1) * config.max_lag_seconds)}),
        FrameRule("length_matches_chain", "length = entities in chain = states, no entity state twice",
                  violations=_malformed_chains),
    ]


def _malformed_chains(frame: pl.DataFrame, parents: Mapping[str, pl.Series]) -> int:
    lengths = ((pl.col("chain").list.len() != pl.col("length")) | (pl.col("states").list.len() != pl.col("length")))
    wrong_length = frame.filter(lengths).height
    items = (frame.filter(~lengths).select("chain", "states").with_row_index("row").explode("chain", "states")
             .group_by("row").agg(items=pl.len(), distinct=pl.struct("chain", "states").n_unique()))
    return wrong_length + items.filter(pl.col("items") != pl.col("distinct")).height


def structural_specs(asset_key: dg.AssetKey, checks: list[Check]) -> list[dg.AssetCheckSpec]:
    return [check.spec(asset_key) for check in checks]


def tally_results(tally: Tally, asset_key: dg.AssetKey) -> list[dg.AssetCheckResult]:
    return [result._replace(asset_key=asset_key) for result in tally.results()]


# -- scores against the planted rules ---------------------------------------------------------------------

def score_specs(pairs_key: dg.AssetKey, chains_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    target = f"precision and recall >= {SCORE_TARGET}"
    return [dg.AssetCheckSpec(PAIR_SCORES, asset=pairs_key, blocking=False,
                              description=f"pairs against smart_home.correlations: {target} (warns below)"),
            dg.AssetCheckSpec(CHAIN_SCORES, asset=chains_key, blocking=False,
                              description=f"2-3 entity chains against the planted rules: {target} (warns below); "
                                          "4-entity chains reported")]


def combine_scores(days: list[pl.DataFrame]) -> pl.DataFrame:
    """The score rows of several analysis days as one (counts summed, shares recomputed as the scorer does:
    precision over planted and declared-routine matches, recall over the exercised rules)."""
    if len(days) == 1:
        return days[0]
    counts = ["planted", "exercised", "detected", "true_positives", "routine_matches", "hits_exercised"]
    rows = (pl.concat(days).with_columns(hits_exercised=(pl.col("recall") * pl.col("exercised")).round(0).fill_null(0),
                                         made=pl.col("true_positives") + pl.col("routine_matches"))
            .group_by("pattern", "length", maintain_order=True).agg(pl.col(*counts, "made").sum()))
    combined = rows.select(*counts[:-1], "pattern", "length", precision=_share("made", "detected"),
                           recall=_share("hits_exercised", "exercised"),
                           recall_of_all_planted=_share("true_positives", "planted"))
    return combined.select(list(SCORE_SCHEMA)).cast(SCORE_SCHEMA)


def score_in_blocks(mined: MinedPatterns, correlations: pl.DataFrame, entities: pl.DataFrame,
                    causal: Callable[[list[str]], pl.DataFrame], home_ids: list[str], min_support: int,
                    block_homes: int = SCORE_BLOCK_HOMES) -> pl.DataFrame:
    """:func:`patterns.scoring.score` of a window, block by block of homes (``causal(block)``: the block's
    causal rows, read one block at a time) and combined: every count is per home, so the sums are exact."""
    homes = sorted(home_ids)
    parts = []
    for first in range(0, len(homes), block_homes):
        block = homes[first:first + block_homes]
        mine = pl.col("home_id").is_in(block)
        parts.append(score(mined.co_occurrence.filter(mine), mined.chains.filter(mine), correlations.filter(mine),
                           causal(block), min_support, entities.filter(mine)))
    return combine_scores(parts) if parts else score(mined.co_occurrence, mined.chains, correlations,
                                                     causal([]), min_support, entities)


def _share(numerator: str, denominator: str) -> pl.Expr:
    return pl.when(pl.col(denominator) > 0).then(pl.col(numerator) / pl.col(denominator)).otherwise(None)


def _judged(scores: pl.DataFrame, check_name: str, asset_key: dg.AssetKey, judged: pl.DataFrame,
            what: str) -> dg.AssetCheckResult:
    figures = {f"{row['pattern']}_{row['length']}/{measure}": row[measure]
               for row in scores.iter_rows(named=True) for measure in ("precision", "recall", "recall_of_all_planted")}
    judged_figures = [v for row in judged.iter_rows(named=True) for v in (row["precision"], row["recall"])]
    measurable = [v for v in judged_figures if v is not None]
    passed = all(v >= SCORE_TARGET for v in measurable)
    shown = ", ".join(f"{row['pattern']} {row['length']}: precision {_fmt(row['precision'])}, recall "
                      f"{_fmt(row['recall'])}" for row in judged.iter_rows(named=True))
    description = (f"{what}: {shown or 'nothing to score'}; target >= {SCORE_TARGET}"
                   if measurable else f"{what}: not measurable (nothing detected or exercised in the window)")
    return dg.AssetCheckResult(
        check_name=check_name, asset_key=asset_key, passed=passed, severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={"target": SCORE_TARGET, "scores": markdown_preview(scores, rows=10),
                  **{k: float(v) for k, v in figures.items() if v is not None}})


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def score_results(scores: pl.DataFrame, pairs_key: dg.AssetKey, chains_key: dg.AssetKey) -> list[dg.AssetCheckResult]:
    """The warn-level score checks from :func:`patterns.scoring.score` rows (one window or several combined)."""
    pairs = scores.filter(pl.col("pattern") == "pairs")
    chains = scores.filter(pl.col("pattern") == "chains")
    return [_judged(pairs, PAIR_SCORES, pairs_key, pairs, "pairs"),
            _judged(chains, CHAIN_SCORES, chains_key, chains.filter(pl.col("length").is_in(SCORED_CHAIN_LENGTHS)),
                    "chains")]
