"""The automations of a home as Home Assistant registers and records them.

Entities: each automation is an ``automation.<slug of its alias>`` entity (Home Assistant's ``_2`` rule
within the home's entity ids), registered with platform ``automation`` and ``unique_id`` = the automation's
``id`` (``components/automation``: ``AutomationEntity.unique_id``).

Runs: when an automation fires, Home Assistant makes a context whose parent is the trigger's context, fires
``automation_triggered`` with it (event data ``name``, ``entity_id``, ``source`` = the trigger's
description, ``"state of <entity_id>"`` for a state trigger, ``"numeric state of <entity_id>"`` for a
numeric_state one: ``components/automation/__init__.py`` ``async_trigger``,
``homeassistant/triggers/state.py``, ``numeric_state.py``) and runs the actions with it, so the target's state
change carries that context. A change in ``events`` whose parent context is a change of a rule's trigger
entity and which changes that rule's target is therefore one run: the recorder's ``events`` table gets one
``automation_triggered`` row per such change (each chain link is its own automation), fired at the
trigger's time. Changes whose trigger lies before the exported span, and rules without a trigger entity, have no
row. Home Assistant makes the run's context when the trigger fires (``Context(parent_id=...)`` in
``async_trigger``), so its ULID carries the trigger's time, not the (later, by the lag) change's:
:func:`with_run_contexts` gives each run context the trigger's milliseconds in front of its own random part,
in the changes, in the changes whose parent it is, and in the runs. Vectorised joins on the context ids.
Pure: no Dagster.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from synth_assets.smart_home.export.encoding import ulid_time_prefix
from synth_assets.smart_home.slugs import slug_column, unique_entity_ids

EVENT_TYPE = "automation_triggered"


def automation_entities(automations: Sequence[dict], entity_ids: pl.Series) -> pl.DataFrame:
    """``automation_id``, ``alias``, ``entity_id`` (unique beside ``entity_ids``) and ``trigger_platform`` (its
    first trigger's) of each automation."""
    ids = [str(a["id"]) for a in automations]
    platforms = [str(a["trigger"][0]["platform"]) for a in automations]
    aliases = pl.Series("alias", [str(a["alias"]) for a in automations], dtype=pl.String)
    preferred = pl.concat([entity_ids.cast(pl.String), "automation." + slug_column(aliases)])
    registered = unique_entity_ids(pl.Series([0] * len(preferred), dtype=pl.Int64), preferred)
    return pl.DataFrame({"automation_id": ids, "alias": aliases,
                         "entity_id": registered.tail(len(ids)) if ids else pl.Series([], dtype=pl.String),
                         "trigger_platform": platforms},
                        schema={"automation_id": pl.String, "alias": pl.String, "entity_id": pl.String,
                                "trigger_platform": pl.String})


def automation_runs(events: pl.DataFrame, correlations: pl.DataFrame, entities: pl.DataFrame) -> pl.DataFrame:
    """One row per automation run found in ``events``: ``timestamp`` (the trigger's), ``context_id``,
    ``context_parent_id``, ``name``, ``entity_id`` (the automation's) and ``source``; in time order."""
    rules = (correlations.filter(pl.col("trigger_entity_id").is_not_null())
             .select("trigger_entity_id", "target_entity_id", pl.col("rule_id").alias("automation_id")))
    children = events.filter(pl.col("context_parent_id").is_not_null()).select(
        pl.col("entity_id").alias("target_entity_id"), "context_id", "context_parent_id")
    triggers = events.select(pl.col("context_id").alias("context_parent_id"),
                             pl.col("entity_id").alias("trigger_entity_id"), "timestamp")
    runs = (children.join(triggers, on="context_parent_id")
            .join(rules, on=["trigger_entity_id", "target_entity_id"])
            .unique("context_id", keep="first", maintain_order=True)
            .join(entities.select("automation_id", "trigger_platform", pl.col("alias").alias("name"),
                                  pl.col("entity_id").alias("automation_entity_id")), on="automation_id"))
    source = pl.when(pl.col("trigger_platform") == "numeric_state").then(pl.lit("numeric state of ")) \
        .otherwise(pl.lit("state of ")) + pl.col("trigger_entity_id")
    return runs.select("timestamp", "context_id", "context_parent_id", "name",
                       pl.col("automation_entity_id").alias("entity_id"),
                       source.alias("source")).sort("timestamp", "context_id")


def with_run_contexts(events: pl.DataFrame, runs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``events`` and ``runs`` with each run's context id re-timed to its trigger (the ULID's first 10
    characters: the trigger's epoch milliseconds; the other 16, the random part, kept), wherever it is
    used: ``context_id`` of the caused change and ``context_parent_id`` of the changes it caused in turn."""
    if runs.is_empty():
        return events, runs
    ms = runs["timestamp"].dt.epoch("ms").to_numpy()
    new = pl.Series("new", ulid_time_prefix(ms), dtype=pl.String) + runs["context_id"].str.slice(10)
    old = runs["context_id"]
    if new.n_unique() != len(new) or ((new != old) & new.is_in(events["context_id"])).any():
        raise ValueError("re-timing automation run contexts would make two context ids equal")
    mapping = dict(zip(old.to_list(), new.to_list(), strict=True))  # a few thousand runs
    ids = ("context_id", "context_parent_id")
    return (events.with_columns(pl.col(c).replace(mapping) for c in ids),
            runs.with_columns(pl.col("context_id").replace(mapping)))
