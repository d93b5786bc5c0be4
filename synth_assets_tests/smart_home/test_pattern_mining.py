"""The pattern miners' harder cases (issue 15): loose human lags, a numeric trigger, the occupancy and its
people, blocks of homes; and the scoring against planted rules and declared routines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl

from synth_assets.smart_home.events.routines import declared_routines, hand_locks
from synth_assets.smart_home.patterns.co_occurrence import co_occurrence, state_changes
from synth_assets.smart_home.patterns.mine import mine_in_blocks, mine_pairs_and_chains
from synth_assets.smart_home.patterns.mined_rows import mined_rows
from synth_assets.smart_home.patterns.models import OCCUPANCY_ENTITY, PatternConfig
from synth_assets.smart_home.patterns.scoring import exercised_pairs, planted_paths, score

START = datetime(2024, 1, 8, tzinfo=timezone.utc)
DAYS = 28
WINDOW_SECONDS = DAYS * 86_400.0


def _log(*series: tuple[str, str, np.ndarray, object]) -> pl.DataFrame:
    frames = []
    for home, entity, seconds, state in series:
        states = [state] * len(seconds) if isinstance(state, str) else [f"{v:.1f}" for v in state]
        frames.append(pl.DataFrame({"home_id": home, "entity_id": entity,
                                    "timestamp": [START + timedelta(seconds=float(s)) for s in seconds],
                                    "state": states},
                                   schema_overrides={"timestamp": pl.Datetime("us", "UTC")}))
    return (pl.concat(frames).with_columns(last_changed=pl.col("timestamp"))
            .sort("home_id", "timestamp", "entity_id"))


def _times(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.sort(rng.uniform(0, WINDOW_SECONDS - 900, n))


def _pairs(found: pl.DataFrame) -> set[tuple[str, str]]:
    return set(found.select("item_a", "item_b").iter_rows())


def test_a_person_s_loose_habit_is_not_an_automation_but_a_tight_delay_is():
    rng = np.random.default_rng(3)
    door = _times(rng, 200)
    # the same share follows each door opening, one with an automation's tight delay, one by hand
    chime = door + rng.lognormal(np.log(8.0), 0.2, door.size)
    speaker = door + rng.uniform(5, 120, door.size)
    events = _log(("h1", "binary_sensor.door", door, "on"), ("h1", "media_player.chime", chime, "playing"),
                  ("h1", "media_player.radio", speaker, "playing"))
    found = co_occurrence(events, WINDOW_SECONDS, PatternConfig())
    assert ("binary_sensor.door=on", "media_player.chime=playing") in _pairs(found)
    assert ("binary_sensor.door=on", "media_player.radio=playing") not in _pairs(found)


def test_a_door_opened_by_hand_between_the_unlock_and_its_chime_explains_the_shortcut():
    """unlock -> door (a person, loose) -> chime (an automation, tight): unlock -> chime is as tight as the
    chime's own delay after the door, but it is only transitive and is dropped."""
    rng = np.random.default_rng(4)
    unlock = _times(rng, 300)
    door = unlock + rng.uniform(3, 25, unlock.size)
    door_by_hand = _times(rng, 150)                          # also opened from inside
    opened = np.sort(np.concatenate([door, door_by_hand]))
    chime = opened + rng.lognormal(np.log(2.0), 0.2, opened.size)
    closed = opened + 60
    events = _log(("h1", "lock.front", unlock, "unlocked"), ("h1", "lock.front", unlock + 300, "locked"),
                  ("h1", "binary_sensor.front_door", opened, "on"), ("h1", "binary_sensor.front_door", closed, "off"),
                  ("h1", "media_player.chime", chime, "playing"), ("h1", "media_player.chime", chime + 10, "idle"))
    found = _pairs(co_occurrence(events, WINDOW_SECONDS, PatternConfig()))
    assert ("binary_sensor.front_door=on", "media_player.chime=playing") in found
    assert ("lock.front=unlocked", "media_player.chime=playing") not in found


def test_a_temperature_falling_below_a_level_is_the_trigger_of_the_heating():
    rng = np.random.default_rng(5)
    t = np.arange(0, WINDOW_SECONDS - 900, 300.0)
    temperature = np.round(19.5 + 1.5 * np.sin(2 * np.pi * t / 86_400) + rng.normal(0, 0.05, t.size), 1)  # as reported
    other = 22.0 + 1.0 * np.sin(2 * np.pi * t / 86_400 + 1.0) + rng.normal(0, 0.05, t.size)
    falls, rises, heating = [], [], False      # heat below 19.0, off again at 19.5: a thermostat's hysteresis
    for i, value in enumerate(temperature):
        if not heating and value < 19.0:
            falls.append(i)
            heating = True
        elif heating and value >= 19.5:
            rises.append(i)
            heating = False
    heat = t[falls] + rng.lognormal(np.log(30.0), 0.2, len(falls))
    off = t[rises] + rng.lognormal(np.log(30.0), 0.2, len(rises))
    events = _log(("h1", "sensor.hall_temperature", t, temperature), ("h1", "sensor.den_temperature", t, other),
                  ("h1", "climate.hall", heat, "heat"), ("h1", "climate.hall", off, "off"))
    found = co_occurrence(events, WINDOW_SECONDS, PatternConfig())
    triggers = found.filter(pl.col("entity_b") == "climate.hall").select("entity_a", "item_a", "item_b")
    assert set(triggers["entity_a"]) == {"sensor.hall_temperature"}
    assert any(item.startswith("sensor.hall_temperature=<") for item in triggers["item_a"])


def test_the_last_one_leaving_is_the_home_emptying():
    rng = np.random.default_rng(6)
    leave = np.sort(rng.choice(np.arange(DAYS) * 86_400 + 30_000, DAYS, replace=False)).astype(float)
    anna, ben = leave, leave + 600           # ben always leaves last
    anna_back, ben_back = leave + 20_000, leave + 21_000
    lights_off = ben + rng.lognormal(np.log(40.0), 0.2, ben.size)
    lights_on = lights_off - 5_000            # somebody switched it on before
    events = _log(("h1", "person.anna", anna, "not_home"), ("h1", "person.ben", ben, "not_home"),
                  ("h1", "person.anna", anna_back, "home"), ("h1", "person.ben", ben_back, "home"),
                  ("h1", "light.hall", lights_on, "on"), ("h1", "light.hall", lights_off, "off"))
    found = co_occurrence(events, WINDOW_SECONDS, PatternConfig())
    to_light = found.filter(pl.col("entity_b") == "light.hall")
    assert set(to_light["item_a"]) == {f"{OCCUPANCY_ENTITY}=empty"}
    assert found.filter((pl.col("entity_a") == OCCUPANCY_ENTITY)
                        & pl.col("entity_b").str.starts_with("person.")).is_empty()


def test_mining_in_blocks_of_homes_equals_one_pass():
    rng = np.random.default_rng(7)
    series = []
    for home in ("h1", "h2", "h3"):
        motion = _times(rng, 300)
        series += [(home, "binary_sensor.motion", motion, "on"),
                   (home, "light.hall", motion[::2] + rng.lognormal(np.log(1.0), 0.2, motion[::2].size), "on"),
                   (home, "switch.plug", _times(rng, 100), "on")]
    events = _log(*series)
    full = events.with_columns(attributes=pl.lit(None, pl.String), context_id=pl.lit("x"))
    one = mine_pairs_and_chains(mined_rows(full).collect(), WINDOW_SECONDS, PatternConfig())
    blocks = mine_in_blocks(full.lazy(), ["h3", "h1", "h2"], WINDOW_SECONDS, PatternConfig(), block_homes=2)
    assert blocks.co_occurrence.equals(one.co_occurrence) and blocks.chains.equals(one.chains)
    assert one.co_occurrence.height == 3


def _entities(rows: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["home_id", "entity_id"], orient="row")


def _rules(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"home_id": pl.String, "kind": pl.String, "trigger_entity_id": pl.String,
                                      "target_entity_id": pl.String, "chain_id": pl.String, "step": pl.Int8},
                        orient="row")


def test_the_hand_lock_is_the_first_lock_without_a_rule():
    entities = _entities([("h1", "lock.front"), ("h1", "person.anna"), ("h1", "lock.garage"), ("h2", "lock.back"),
                          ("h2", "person.ben")])
    rules = _rules([("h1", "door_lock", "binary_sensor.front_door", "lock.front", None, None),
                    ("h2", "door_lock", "binary_sensor.back_door", "lock.back", None, None)])
    assert hand_locks(entities, rules).rows() == [("h1", "lock.garage")]
    routines = declared_routines(entities, rules)
    assert set(routines.select("entity_a", "entity_b").iter_rows()) == {
        ("person.anna", "lock.garage"), (OCCUPANCY_ENTITY, "lock.garage")}


def test_scores_count_planted_rules_routines_and_only_exercised_rules_for_recall():
    rules = _rules([("h1", "motion_light", "binary_sensor.m", "light.a", None, None),
                    ("h1", "chain", "light.a", "switch.b", "c1", 1), ("h1", "chain", "switch.b", "fan.c", "c1", 2),
                    ("h1", "away_all_off", "person.anna", "light.d", None, None)])
    entities = _entities([("h1", "person.anna"), ("h1", "lock.l")])
    # every rule fired 4 times (context parents) but the away rule, which never fired
    events = pl.DataFrame({"home_id": "h1", "entity_id": ["binary_sensor.m", "light.a", "switch.b", "fan.c"] * 4,
                           "context_id": [f"{k}{i}" for i in range(4) for k in "mabc"],
                           "context_parent_id": [p if p is None else f"{p}{i}" for i in range(4)
                                                 for p in (None, "m", "a", "b")]})
    assert exercised_pairs(events, rules, 4).height == 3
    detected = pl.DataFrame({"home_id": "h1", "entity_a": ["binary_sensor.m", "light.a", OCCUPANCY_ENTITY,
                                                           "binary_sensor.x", "light.a"],
                             "entity_b": ["light.a", "switch.b", "lock.l", "light.y", "binary_sensor.z"]})
    chains = pl.DataFrame({"home_id": "h1", "chain": [["binary_sensor.m", "light.a", "switch.b"],
                                                       ["binary_sensor.m", "light.a", "fan.c"]],
                           "length": pl.Series([3, 3], dtype=pl.Int8)})
    scores = {(r["pattern"], r["length"]): r for r in score(detected, chains, rules, events, 4, entities).to_dicts()}
    pairs = scores[("pairs", 2)]
    # four settable targets: two rules, one routine (the hand lock), one false; the sensor target is not scored
    assert (pairs["detected"], pairs["true_positives"], pairs["routine_matches"]) == (4, 2, 1)
    assert pairs["precision"] == 0.75 and abs(pairs["recall"] - 2 / 3) < 1e-9
    assert abs(pairs["recall_of_all_planted"] - 2 / 4) < 1e-9
    three = scores[("chains", 3)]
    assert (three["planted"], three["detected"], three["true_positives"]) == (2, 2, 1)
    assert planted_paths(rules.select("home_id", entity_a="trigger_entity_id", entity_b="target_entity_id"),
                         4).height == 1


def test_state_changes_carry_the_occupancy_and_no_numeric_reading():
    events = _log(("h1", "person.anna", np.array([10.0, 500.0]), "not_home"),
                  ("h1", "sensor.power", np.array([20.0]), "12.5"))
    items = state_changes(events)["item"].to_list()
    assert items == [f"{OCCUPANCY_ENTITY}=empty", "person.anna=not_home", "person.anna=not_home"]   # same instant
