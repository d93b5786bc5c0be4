"""Detected pairs and chains scored against the planted rules (``smart_home.correlations``). Pure: no Dagster.

The truth is entity-level: a planted rule is the pair (trigger, target), with the home's occupancy
(:data:`~.models.OCCUPANCY_ENTITY`) as the trigger of "everyone away" rules; a planted chain of ``k``
entities is a path of ``k - 1`` planted rules, each link's target the next link's trigger (the links of
the declared 2-4 entity chains, and any other rules that happen to line up). Time-triggered rules (cheap
power) have no trigger entity and are not pairs.

Besides the rules, the generator writes routines of people (:mod:`~..events.routines`: the lock worked
by hand on arrival and departure). A detected pattern that is such a routine is a true pattern the
generator made, not a false positive: it counts for precision (``routine_matches`` says how many), never
for recall. A routine the generator does not declare is a false positive.

Only pairs whose target an automation can set (:data:`~.models.ACTIONABLE_DOMAINS`) are scored: a door
sensor opening after a lock, a person arriving after the door, are patterns of the routine, never rules.

* precision: detected patterns that are planted / detected patterns;
* recall: planted patterns detected / planted patterns the window *exercised*, those whose every link
  changed its target at least ``min_support`` times in the window (counted from the events' context
  parents, which only the scorer reads: a rule that never fired cannot be seen in any data);
* recall_of_all_planted: the same over every planted pattern, exercised or not.
"""

from __future__ import annotations

import polars as pl

from synth_assets.smart_home.events.routines import declared_routines
from synth_assets.smart_home.patterns.models import ACTIONABLE_DOMAINS, OCCUPANCY_ENTITY

_KEY = ["home_id", "entity_a", "entity_b"]
SCORE_SCHEMA = {"pattern": pl.String, "length": pl.Int8, "planted": pl.Int64, "exercised": pl.Int64,
                "detected": pl.Int64, "true_positives": pl.Int64, "routine_matches": pl.Int64,
                "precision": pl.Float64, "recall": pl.Float64,
                "recall_of_all_planted": pl.Float64}


def planted_pairs(correlations: pl.DataFrame) -> pl.DataFrame:
    """``home_id``, ``entity_a``, ``entity_b``, ``kind``: one row per planted entity pair."""
    return (correlations.filter(pl.col("trigger_entity_id").is_not_null())
            .select("home_id", entity_a=pl.when(pl.col("kind") == "away_all_off").then(pl.lit(OCCUPANCY_ENTITY))
                    .otherwise(pl.col("trigger_entity_id")), entity_b="target_entity_id", kind="kind")
            .unique(_KEY, keep="first").sort(_KEY))


def exercised_pairs(events: pl.DataFrame, correlations: pl.DataFrame, min_support: int) -> pl.DataFrame:
    """The planted pairs whose target changed at least ``min_support`` times with the trigger's change as
    its context parent (away rules: a person's change) in ``events``."""
    pairs = planted_pairs(correlations)
    causes = events.select("home_id", cause="entity_id", context_parent_id="context_id")
    caused = (events.filter(pl.col("context_parent_id").is_not_null())
              .select("home_id", "entity_id", "context_parent_id")
              .join(causes, on=["home_id", "context_parent_id"])
              .with_columns(pl.when(pl.col("cause").str.starts_with("person.")).then(pl.lit(OCCUPANCY_ENTITY))
                            .otherwise(pl.col("cause")).alias("cause"))
              .group_by("home_id", entity_a="cause", entity_b="entity_id").agg(fired=pl.len()))
    return (pairs.join(caused, on=_KEY).filter(pl.col("fired") >= min_support).drop("fired").sort(_KEY))


def planted_paths(pairs: pl.DataFrame, length: int) -> pl.DataFrame:
    """``home_id``, ``chain`` (entity ids): every path of ``length`` entities through ``pairs``."""
    paths = pairs.select("home_id", chain=pl.concat_list("entity_a", "entity_b"), last="entity_b")
    for _ in range(length - 2):
        paths = (paths.join(pairs.select("home_id", last="entity_a", next="entity_b"), on=["home_id", "last"])
                 .filter(~pl.col("chain").list.contains(pl.col("next")))
                 .select("home_id", chain=pl.concat_list("chain", "next"), last="next"))
    return paths.select("home_id", "chain").unique().sort("home_id", "chain")


def actionable(detected_pairs: pl.DataFrame) -> pl.DataFrame:
    """The entity pairs of ``detected_pairs`` (CO_OCCURRENCE rows) whose target an automation can set."""
    domain = pl.col("entity_b").str.extract(r"^([a-z_]+)\.", 1)
    return detected_pairs.filter(domain.is_in(ACTIONABLE_DOMAINS)).select(_KEY).unique().sort(_KEY)


def _row(pattern: str, length: int, detected: pl.DataFrame, planted: pl.DataFrame, exercised: pl.DataFrame,
         made: pl.DataFrame, key: list[str]) -> dict:
    """``made``: what the generator made, planted or routine (precision); ``planted``/``exercised``: recall."""
    hits = detected.join(planted, on=key, how="semi").height
    real = detected.join(made, on=key, how="semi").height
    hits_exercised = detected.join(exercised, on=key, how="semi").height
    return {"pattern": pattern, "length": length, "planted": planted.height, "exercised": exercised.height,
            "detected": detected.height, "true_positives": hits, "routine_matches": real - hits,
            "precision": real / detected.height if detected.height else None,
            "recall": hits_exercised / exercised.height if exercised.height else None,
            "recall_of_all_planted": hits / planted.height if planted.height else None}


def score(co_occurrence: pl.DataFrame, chains: pl.DataFrame, correlations: pl.DataFrame,
          events: pl.DataFrame, min_support: int, entities: pl.DataFrame | None = None,
          lengths: tuple[int, ...] = (2, 3, 4)) -> pl.DataFrame:
    """One row per pattern (``pairs``; ``chains`` of each length) with SCORE_SCHEMA's counts and shares.
    ``entities`` (smart_home.entities) locate the declared routines (without them, none is declared)."""
    planted = planted_pairs(correlations).select(_KEY)
    routines = [] if entities is None else [declared_routines(entities, correlations).select(_KEY)]
    made = pl.concat([planted, *routines]).unique()
    exercised = exercised_pairs(events, correlations, min_support).select(_KEY)
    rows = [_row("pairs", 2, actionable(co_occurrence), planted, exercised, made, _KEY)]
    ends_actionable = pl.col("chain").list.last().str.extract(r"^([a-z_]+)\.", 1).is_in(ACTIONABLE_DOMAINS)
    for length in lengths:
        detected = chains.filter((pl.col("length") == length) & ends_actionable).select("home_id", "chain").unique()
        rows.append(_row("chains", length, detected, planted_paths(planted, length),
                         planted_paths(exercised, length), planted_paths(made, length), ["home_id", "chain"]))
    return pl.DataFrame(rows, schema=SCORE_SCHEMA)
