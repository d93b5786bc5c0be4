"""The routines of people the event generator writes besides the planted rules, declared as entity pairs.

The pattern analysis is scored against what the generator put into the events: the planted rules
(``smart_home.correlations``) and these routines, which are no automation but still make one entity's
change follow another's within seconds, every time:

* ``hand_lock``: in each home, the first lock that no ``door_lock`` rule drives (in registration order)
  is worked by hand by whoever comes or goes: unlocked 5 s after a person arrives and locked again 55 s
  later, unlocked 60 s before a person leaves and locked 5 s before (``events.generate``). Its pairs are
  every person of the home, and the home's occupancy, followed by the lock.

A routine that is not declared here shows up in the scores as a false positive. Pure: no Dagster.
"""

from __future__ import annotations

import polars as pl

from synth_assets.smart_home.patterns.models import OCCUPANCY_ENTITY


def hand_locks(entities: pl.DataFrame, correlations: pl.DataFrame) -> pl.DataFrame:
    """``home_id``, ``entity_id`` of the lock each home works by hand (none where every lock has a rule)."""
    ruled = correlations.filter(pl.col("kind") == "door_lock").select("home_id", entity_id="target_entity_id")
    return (entities.with_row_index("registered")
            .filter(pl.col("entity_id").str.starts_with("lock."))
            .join(ruled, on=["home_id", "entity_id"], how="anti")
            .sort("registered").group_by("home_id", maintain_order=True).first()
            .select("home_id", "entity_id"))


def declared_routines(entities: pl.DataFrame, correlations: pl.DataFrame) -> pl.DataFrame:
    """``home_id``, ``entity_a``, ``entity_b``, ``routine``: the entity pairs the routines above couple."""
    locks = hand_locks(entities, correlations).rename({"entity_id": "entity_b"})
    people = entities.filter(pl.col("entity_id").str.starts_with("person.")).select("home_id", entity_a="entity_id")
    occupancy = locks.select("home_id", entity_a=pl.lit(OCCUPANCY_ENTITY))
    return (pl.concat([people.join(locks, on="home_id"), occupancy.join(locks, on="home_id")])
            .with_columns(routine=pl.lit("hand_lock"))
            .unique(["home_id", "entity_a", "entity_b"]).sort("home_id", "entity_a", "entity_b"))
