"""``smart_home.correlations``: the causal rules planted in each home, drawn only over the entities it has.

Per home one stream ``(seed, "smart_home", "correlations", home_index)`` decides which candidate pairs
become rules, their lags and gates, so a home's rules never depend on other homes. Candidates follow
how people automate with Home Assistant: a motion sensor switches the lights of its room (gated on the
room's light level when the sensor measures it), a door auto-locks its lock after closing or chimes a
speaker, a room's temperature drives its thermostat, a metering plug runs in the day's cheapest hour,
the first occupant leaving an empty home switches things off, and chains of 2-4 entities (a sensor, then
actuators each triggered by the previous one). Each entity is the started target of at most one rule;
the away rule only ever stops things, and never those another rule already switches off (motion lights,
chimes, chain links), so each measured change has one cause. Per-home Python over a few dozen
candidates; not on the event path. Pure: no Dagster.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synth_assets.core.rng import rng_for
from synth_assets.smart_home.catalogue import entity_kind
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
    return (entities.with_columns(entity_kind())
            .join(areas.select("home_id", "area_id", "area_kind"), on=["home_id", "area_id"], how="left",
                  maintain_order="left"))


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
        self.self_ending: set[str] = set()   # motion lights, chimes and chain links switch off by themselves
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
        if kind in ("motion_light", "door_alarm", "chain"):
            self.self_ending.add(target)

    def shuffled(self, rows: list[dict]) -> list[dict]:
        return [rows[i] for i in self.rng.permutation(len(rows))] if rows else rows


Rows = list[dict]


def _home_rules(rules: _HomeRules, ents: Rows, first_occupant: str | None) -> None:
    by_kind: dict[str, Rows] = {}
    for row in ents:
        by_kind.setdefault(row["kind"], []).append(row)
    get = lambda kind: by_kind.get(kind, [])  # noqa: E731
    free = lambda rows: [r for r in rows if r["entity_id"] not in rules.started]  # noqa: E731
    lights, motions, doors = get("light"), get("binary_sensor.motion"), get("binary_sensor.door")
    illuminance = get("sensor.illuminance")
    for motion in rules.shuffled(motions):
        if rules.full("motion_light"):
            break
        room = [r for r in free(lights) if r["area_id"] == motion["area_id"]]
        for light in rules.shuffled(room)[:2]:
            if rules.full("motion_light"):
                break
            gate = [r["entity_id"] for r in illuminance if r["device_id"] == motion["device_id"]]
            condition = (f"{gate[0]} < {ILLUMINANCE_GATE_LUX:g} lx" if gate and rules.rng.random() < 0.6
                         else None)
            rules.add("motion_light", motion["entity_id"], light["entity_id"], condition)
    speakers = get("media_player.speaker")
    for door in rules.shuffled(doors):
        locks = [r for r in free(get("lock")) if r["area_id"] == door["area_id"]]
        if locks and not rules.full("door_lock"):
            rules.add("door_lock", door["entity_id"], locks[0]["entity_id"], f"{door['entity_id']} closed")
        chimes = free(speakers)
        if chimes and not rules.full("door_alarm") and rules.rng.random() < 0.7:
            rules.add("door_alarm", door["entity_id"], rules.shuffled(chimes)[0]["entity_id"])
    temperatures = get("sensor.temperature")
    for climate in get("climate"):
        if rules.full("temperature_climate"):
            break
        own = [r for r in temperatures if r["device_id"] == climate["device_id"]]
        room = [r for r in temperatures if r["area_id"] == climate["area_id"]]
        sensor = own or room
        if sensor:
            threshold = HEATING_BAND_C[0] + (HEATING_BAND_C[1] - HEATING_BAND_C[0]) * rules.rng.random()
            rules.add("temperature_climate", sensor[0]["entity_id"], climate["entity_id"],
                      f"{sensor[0]['entity_id']} < {threshold:.1f} °C")
    for plug in rules.shuffled(get("switch.outlet")):
        if rules.full("cheap_power_appliance"):
            break
        if plug["area_kind"] in ("utility", "kitchen", "garage", "basement") or rules.rng.random() < 0.3:
            rules.add("cheap_power_appliance", None, plug["entity_id"], CHEAP_POWER_CONDITION)
    _chains(rules, get, ents)
    if first_occupant is not None:
        others = [r["entity_id"] for r in get("person") if r["entity_id"] != first_occupant]
        condition = " and ".join(f"{o} not_home" for o in others) or None
        targets = [r for r in ents if r["kind"] in AWAY_TARGETS and r["area_kind"] not in ("garden", "driveway")
                   and r["entity_id"] not in rules.self_ending]
        for target in rules.shuffled(targets)[:_cap("away_all_off", rules.n_entities)]:
            rules.add("away_all_off", first_occupant, target["entity_id"], condition)


def _chains(rules: _HomeRules, get, ents: Rows) -> None:
    firsts = rules.shuffled([r for k in CHAIN_FIRST for r in get(k)])
    for first in firsts:
        if rules.full("chain"):
            return
        actuators = rules.shuffled([r for r in ents if r["kind"] in CHAIN_ACTUATORS
                                    and r["entity_id"] not in rules.started])
        pool = ([r for r in actuators if r["area_id"] == first["area_id"]]
                + [r for r in actuators if r["area_id"] != first["area_id"]])
        links = int(rules.rng.integers(1, 4))
        if len(pool) < links:
            continue
        chain_id = f"chain_{rules.count.get('chain', 0) + 1:02d}"
        members = [first["entity_id"], *(r["entity_id"] for r in pool[:links])]
        for step, (trigger, target) in enumerate(zip(members[:-1], members[1:], strict=True), start=1):
            rules.add("chain", trigger, target, chain=(chain_id, step))
        rules.count["chain"] = rules.count["chain"] - links + 1   # the cap counts chains, not links


def generate_correlations(seed: int, homes: pl.DataFrame, entities: pl.DataFrame,
                          areas: pl.DataFrame) -> pl.DataFrame:
    """Every home's rules in ``CORRELATIONS_SCHEMA``, sorted by (home_id, rule_id)."""
    columns = ["home_id", "entity_id", "kind", "area_id", "device_id", "area_kind", "original_name"]
    per_home: dict[str, Rows] = {}
    for row in entity_kinds(entities, areas).select(columns).with_columns(pl.col("area_kind").fill_null("")).to_dicts():
        per_home.setdefault(row["home_id"], []).append(row)
    rows: list[tuple] = []
    for home_id, home_index, names in homes.select("home_id", "home_index", "occupant_names").iter_rows():
        ents = per_home.get(home_id)
        if ents is None:
            continue
        rules = _HomeRules(home_id, rng_for(seed, *STREAM, int(home_index)), len(ents))
        persons = [r for r in ents if r["kind"] == "person"]
        first = [r for r in persons if names and r["original_name"] == names[0]] if names else persons
        _home_rules(rules, ents, first[0]["entity_id"] if first else None)
        rows.extend(rules.rows)
    frame = pl.DataFrame(rows, schema=pl.from_arrow(CORRELATIONS_SCHEMA.empty_table()).schema, orient="row")
    return frame.sort("home_id", "rule_id")
