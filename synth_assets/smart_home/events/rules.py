"""``smart_home.correlations``: the causal rules planted in each home, drawn only over the entities it has.

Per home one stream ``(seed, "smart_home", "correlations", home_index)`` decides which candidate pairs
become rules, their lags and gates, so a home's rules never depend on other homes. Candidates follow
how people automate with Home Assistant: a motion sensor switches the lights of its room (gated on the
room's light level when the sensor measures it), a door auto-locks its lock after closing or chimes a
speaker, a room's temperature drives its thermostat, a metering plug runs in the day's cheapest hour,
the first occupant leaving an empty home switches things off, and chains of 2-4 entities (a sensor, then
actuators each triggered by the previous one). Each entity is the started target of at most one rule
(the away rule only ever stops things). Per-home Python over a few dozen candidates; not on the event
path. Pure: no Dagster.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synth_assets.core.rng import rng_for
from synth_assets.smart_home.events.models import HEATING_BAND_C, ILLUMINANCE_GATE_LUX, RULE_KIND_SPECS
from synth_assets.smart_home.models import CORRELATIONS_SCHEMA

STREAM = ("smart_home", "correlations")
SMALL_HOME_ENTITIES, LARGE_HOME_ENTITIES = 20, 300   # rule caps interpolate between these sizes
CHAIN_FIRST = ("binary_sensor.motion", "binary_sensor.door")
CHAIN_ACTUATORS = ("light", "media_player.speaker", "cover.blind", "cover.shade", "fan", "switch.outlet")
AWAY_TARGETS = ("light", "media_player.tv", "media_player.speaker", "fan")
CHEAP_POWER_CONDITION = "dynamic electricity price in the day's cheapest hour"


def entity_kinds(entities: pl.DataFrame, areas: pl.DataFrame) -> pl.DataFrame:
    """Entities with ``kind`` (the catalogue key: ``domain`` or ``domain.device_class``) and ``area_kind``."""
    kind = pl.when(pl.col("device_class").is_null()).then(pl.col("domain")).otherwise(
        pl.col("domain") + "." + pl.col("device_class"))
    return (entities.with_columns(kind=kind)
            .join(areas.select("home_id", "area_id", "area_kind"), on=["home_id", "area_id"], how="left"))


def _cap(kind: str, n_entities: int) -> int:
    small, large = RULE_KIND_SPECS[kind].per_home
    share = min(1.0, max(0.0, (n_entities - SMALL_HOME_ENTITIES) / (LARGE_HOME_ENTITIES - SMALL_HOME_ENTITIES)))
    return int(round(small + share * (large - small)))


class _HomeRules:
    """Collects one home's rules; ``started`` holds the entities some rule already turns on."""

    def __init__(self, home_id: str, rng: np.random.Generator, n_entities: int):
        self.home_id, self.rng, self.n_entities = home_id, rng, n_entities
        self.rows: list[tuple] = []
        self.started: set[str] = set()
        self.self_ending: set[str] = set()   # chimes and chain links switch off by themselves
        self.count: dict[str, int] = {}

    def lag(self, kind: str) -> float:
        low, high = RULE_KIND_SPECS[kind].lag_seconds
        return round(float(low + (high - low) * self.rng.random()), 1)

    def full(self, kind: str) -> bool:
        return self.count.get(kind, 0) >= _cap(kind, self.n_entities)

    def add(self, kind: str, trigger: str | None, target: str, condition: str | None = None,
            chain: tuple[str, int] | None = None, lag: float | None = None) -> None:
        self.count[kind] = self.count.get(kind, 0) + 1
        if chain is None:
            rule_id = f"{kind}_{self.count[kind]:02d}"
        else:
            rule_id = f"{chain[0]}_step_{chain[1]}"
        self.rows.append((self.home_id, rule_id, kind, trigger, target, self.lag(kind) if lag is None else lag,
                          condition, None if chain is None else chain[0], None if chain is None else chain[1]))
        if kind != "away_all_off":
            self.started.add(target)
        if kind in ("door_alarm", "chain"):
            self.self_ending.add(target)

    def shuffled(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame[self.rng.permutation(frame.height)] if frame.height else frame


def _home_rules(rules: _HomeRules, ents: pl.DataFrame, first_occupant: str | None) -> None:
    by_kind = {k: f for (k,), f in ents.partition_by("kind", as_dict=True, maintain_order=True).items()}
    empty = ents.clear()
    get = lambda kind: by_kind.get(kind, empty)  # noqa: E731
    lights, motions, doors = get("light"), get("binary_sensor.motion"), get("binary_sensor.door")
    illuminance = get("sensor.illuminance")
    for motion in rules.shuffled(motions).iter_rows(named=True):
        if rules.full("motion_light"):
            break
        room = lights.filter((pl.col("area_id") == motion["area_id"]) & ~pl.col("entity_id").is_in(rules.started))
        for light in rules.shuffled(room).head(2).iter_rows(named=True):
            if rules.full("motion_light"):
                break
            gate = illuminance.filter(pl.col("device_id") == motion["device_id"])["entity_id"]
            condition = (f"{gate[0]} < {ILLUMINANCE_GATE_LUX:g} lx" if gate.len() and rules.rng.random() < 0.6
                         else None)
            rules.add("motion_light", motion["entity_id"], light["entity_id"], condition)
    speakers = get("media_player.speaker")
    for door in rules.shuffled(doors).iter_rows(named=True):
        locks = get("lock").filter((pl.col("area_id") == door["area_id"]) & ~pl.col("entity_id").is_in(rules.started))
        if locks.height and not rules.full("door_lock"):
            rules.add("door_lock", door["entity_id"], locks["entity_id"][0], f"{door['entity_id']} closed")
        free = speakers.filter(~pl.col("entity_id").is_in(rules.started))
        if free.height and not rules.full("door_alarm") and rules.rng.random() < 0.7:
            rules.add("door_alarm", door["entity_id"], rules.shuffled(free)["entity_id"][0])
    temperatures = get("sensor.temperature")
    for climate in get("climate").iter_rows(named=True):
        if rules.full("temperature_climate"):
            break
        own = temperatures.filter(pl.col("device_id") == climate["device_id"])
        room = temperatures.filter(pl.col("area_id") == climate["area_id"])
        sensor = own if own.height else room
        if sensor.height:
            threshold = HEATING_BAND_C[0] + (HEATING_BAND_C[1] - HEATING_BAND_C[0]) * rules.rng.random()
            rules.add("temperature_climate", sensor["entity_id"][0], climate["entity_id"],
                      f"{sensor['entity_id'][0]} < {threshold:.1f} °C")
    for plug in rules.shuffled(get("switch.outlet")).iter_rows(named=True):
        if rules.full("cheap_power_appliance"):
            break
        if plug["area_kind"] in ("utility", "kitchen", "garage", "basement") or rules.rng.random() < 0.3:
            rules.add("cheap_power_appliance", None, plug["entity_id"], CHEAP_POWER_CONDITION)
    _chains(rules, get, ents)
    if first_occupant is not None:
        others = get("person").filter(pl.col("entity_id") != first_occupant)["entity_id"].to_list()
        condition = " and ".join(f"{o} not_home" for o in others) or None
        targets = ents.filter(pl.col("kind").is_in(AWAY_TARGETS) & ~pl.col("area_kind").is_in(["garden", "driveway"])
                              & ~pl.col("entity_id").is_in(list(rules.self_ending)))
        for target in rules.shuffled(targets).head(_cap("away_all_off", rules.n_entities)).iter_rows(named=True):
            rules.add("away_all_off", first_occupant, target["entity_id"], condition)


def _chains(rules: _HomeRules, get, ents: pl.DataFrame) -> None:
    firsts = rules.shuffled(pl.concat([get(k) for k in CHAIN_FIRST]))
    for first in firsts.iter_rows(named=True):
        if rules.full("chain"):
            return
        actuators = rules.shuffled(ents.filter(pl.col("kind").is_in(CHAIN_ACTUATORS)
                                               & ~pl.col("entity_id").is_in(rules.started)))
        same_room = actuators.filter(pl.col("area_id") == first["area_id"])
        pool = pl.concat([same_room, actuators.filter(pl.col("area_id") != first["area_id"])])
        links = int(rules.rng.integers(1, 4))
        if pool.height < links:
            continue
        chain_id = f"chain_{rules.count.get('chain', 0) + 1:02d}"
        members = [first["entity_id"], *pool["entity_id"].head(links).to_list()]
        for step, (trigger, target) in enumerate(zip(members[:-1], members[1:], strict=True), start=1):
            rules.add("chain", trigger, target, chain=(chain_id, step))
        rules.count["chain"] = rules.count["chain"] - links + 1   # the cap counts chains, not links


def generate_correlations(seed: int, homes: pl.DataFrame, entities: pl.DataFrame,
                          areas: pl.DataFrame) -> pl.DataFrame:
    """Every home's rules in ``CORRELATIONS_SCHEMA``, sorted by (home_id, rule_id)."""
    kinds = entity_kinds(entities, areas)
    per_home = kinds.partition_by("home_id", as_dict=True, maintain_order=True)
    rows: list[tuple] = []
    for home in homes.select("home_id", "home_index", "occupant_names").iter_rows(named=True):
        ents = per_home.get((home["home_id"],))
        if ents is None:
            continue
        rules = _HomeRules(home["home_id"], rng_for(seed, *STREAM, int(home["home_index"])), ents.height)
        persons = ents.filter(pl.col("kind") == "person")
        names = home["occupant_names"] or []
        first = persons.filter(pl.col("original_name") == names[0])["entity_id"] if names else persons["entity_id"]
        _home_rules(rules, ents, first[0] if first.len() else None)
        rows.extend(rules.rows)
    frame = pl.DataFrame(rows, schema=pl.from_arrow(CORRELATIONS_SCHEMA.empty_table()).schema, orient="row")
    return frame.sort("home_id", "rule_id")
