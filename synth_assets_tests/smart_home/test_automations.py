"""automations.yaml from the planted rules: the shape of each kind, one automation per chain link, conditions
parsed, bad kinds refused; the automations of the real correlation engine accepted by Home Assistant's
validator and, run on the planted events, leading each target to the state the events show."""

from __future__ import annotations

from datetime import date

import polars as pl
import pyarrow as pa
import pytest
import yaml

from synth_assets.smart_home.events.models import HEATING_HYSTERESIS_C, MOTION_LIGHT_TIMEOUT_S
from synth_assets.smart_home.events.rules import entity_kinds as rule_entity_kinds
from synth_assets.smart_home.events.rules import generate_correlations
from synth_assets.smart_home.export.automations import (
    DELAY_FROM_SECONDS,
    MOTION_LIGHT_OFF_AFTER_SECONDS,
    UnknownRuleError,
    automation_rows,
    automations_yaml,
    entity_kinds,
    home_automations,
)
from synth_assets.smart_home.models import CORRELATIONS_SCHEMA, RULE_KINDS
from synth_assets_tests.smart_home.events_world import world
from synth_assets_tests.smart_home.export_frames import dimensions
from synth_assets_tests.smart_home.ha_tool_env import ha_python, run_ha_script  # noqa: F401 - fixture

pytestmark = pytest.mark.xdist_group(name="ha_automations")  # module fixtures: keep the module on one worker


def _rules(*rows: tuple) -> pl.DataFrame:
    columns = list(zip(*[("home_00001", *row) for row in rows], strict=True))
    return pl.from_arrow(pa.table({f.name: pa.array(list(c), f.type)
                                   for f, c in zip(CORRELATIONS_SCHEMA, columns, strict=True)}))


KINDS = {"light.hall": "light", "light.a": "light", "lock.front": "lock", "climate.living": "climate",
         "switch.washer": "switch.outlet", "switch.b": "switch.outlet", "cover.bedroom_blind": "cover.blind",
         "media_player.hall_speaker": "media_player.speaker", "media_player.tv": "media_player.tv"}


def test_each_kind_gets_its_trigger_condition_and_service():
    rules = _rules(
        ("motion_light_01", "motion_light", "binary_sensor.hall_motion", "light.hall", 1.5,
         "sensor.hall_illuminance < 30 lx", None, None),
        ("door_lock_01", "door_lock", "binary_sensor.front_door", "lock.front", 20.0,
         "binary_sensor.front_door closed", None, None),
        ("door_alarm_01", "door_alarm", "binary_sensor.front_door", "media_player.hall_speaker", 1.0, None, None,
         None),
        ("temperature_climate_01", "temperature_climate", "sensor.living_temperature", "climate.living", 90.0,
         "sensor.living_temperature < 19.5 °C", None, None),
        ("away_all_off_01", "away_all_off", "person.anna", "light.hall", 60.0,
         "person.ben not_home and person.cleo not_home", None, None),
        ("away_all_off_02", "away_all_off", "person.anna", "media_player.tv", 60.0, None, None, None),
        ("cheap_power_appliance_01", "cheap_power_appliance", None, "switch.washer", 0.0,
         "dynamic electricity price in the day's cheapest hour", None, None))
    by_id = {a["id"]: a for a in home_automations(rules, {"light.hall": "Hall light"}, KINDS)}
    motion = by_id["motion_light_01"]  # on with motion (when dark), off once motion has cleared for a while
    assert motion["trigger"] == [
        {"platform": "state", "entity_id": "binary_sensor.hall_motion", "to": "on", "id": "on"},
        {"platform": "state", "entity_id": "binary_sensor.hall_motion", "to": "off",
         "for": {"seconds": MOTION_LIGHT_OFF_AFTER_SECONDS}, "id": "off"}]
    assert MOTION_LIGHT_TIMEOUT_S[0] <= MOTION_LIGHT_OFF_AFTER_SECONDS <= MOTION_LIGHT_TIMEOUT_S[1]
    (choose,) = motion["action"]
    assert choose["choose"] == [
        {"conditions": [{"condition": "trigger", "id": "on"},
                        {"condition": "numeric_state", "entity_id": "sensor.hall_illuminance", "below": 30}],
         "sequence": [{"service": "light.turn_on", "target": {"entity_id": "light.hall"}}]},
        {"conditions": [{"condition": "trigger", "id": "off"}],
         "sequence": [{"service": "light.turn_off", "target": {"entity_id": "light.hall"}}]}]
    assert "Hall light" in motion["alias"] and motion["condition"] == []
    door = by_id["door_lock_01"]
    assert door["trigger"][0]["to"] == "off" and door["condition"][0]["state"] == "off"
    assert door["action"] == [{"delay": {"seconds": 20}},
                              {"service": "lock.lock", "target": {"entity_id": "lock.front"}}]
    assert by_id["door_alarm_01"]["action"][0]["service"] == "media_player.media_play"  # a speaker plays
    climate = by_id["temperature_climate_01"]  # heat below the threshold, off above it + the hysteresis
    assert [(t["platform"], t.get("below"), t.get("above"), t["id"]) for t in climate["trigger"]] == [
        ("numeric_state", 19.5, None, "heat"), ("numeric_state", None, round(19.5 + HEATING_HYSTERESIS_C, 2), "off")]
    (choose,) = climate["action"]
    assert [(o["conditions"][0]["id"], o["sequence"][-1]["service"], o["sequence"][-1].get("data"))
            for o in choose["choose"]] == [("heat", "climate.set_hvac_mode", {"hvac_mode": "heat"}),
                                           ("off", "climate.turn_off", None)]
    assert all(o["sequence"][0] == {"delay": {"seconds": 90}} for o in choose["choose"])
    away = by_id["away_all_off_01"]
    assert away["trigger"][0]["to"] == "not_home"
    assert [c["entity_id"] for c in away["condition"]] == ["person.ben", "person.cleo"]
    assert away["action"][-1]["service"] == "light.turn_off"
    assert by_id["away_all_off_02"]["action"][-1]["service"] == "media_player.turn_off"
    cheap = by_id["cheap_power_appliance_01"]
    assert cheap["trigger"] == [{"platform": "time_pattern", "minutes": 0}] and cheap["condition"] == []
    assert cheap["action"][-1]["service"] == "switch.turn_on"
    assert "cheapest hour" in cheap["description"]


def test_each_chain_link_is_an_automation_triggered_by_the_previous_target():
    rules = _rules(("chain_01_step_2", "chain", "light.a", "cover.bedroom_blind", 30.0, None, "chain_01", 2),
                   ("chain_01_step_1", "chain", "binary_sensor.door", "light.a", 2.0, None, "chain_01", 1),
                   ("chain_01_step_3", "chain", "cover.bedroom_blind", "media_player.hall_speaker", 1.0, None,
                    "chain_01", 3))
    first, second, third = home_automations(rules, {}, KINDS)
    assert [a["id"] for a in (first, second, third)] == ["chain_01_step_1", "chain_01_step_2", "chain_01_step_3"]
    assert first["trigger"] == [{"platform": "state", "entity_id": "binary_sensor.door", "to": "on"}]
    assert first["action"] == [{"service": "light.turn_on", "target": {"entity_id": "light.a"}}]
    assert second["trigger"] == [{"platform": "state", "entity_id": "light.a", "to": "on"}]
    assert second["action"] == [{"delay": {"seconds": 30}},   # a lag from DELAY_FROM_SECONDS on
                                {"service": "cover.open_cover", "target": {"entity_id": "cover.bedroom_blind"}}]
    assert 2.0 < DELAY_FROM_SECONDS
    assert third["trigger"][0]["to"] == "open" and third["action"][0]["service"] == "media_player.media_play"
    assert "link 3 of chain_01" in third["description"]
    rows = automation_rows("home_00001", [second])
    assert yaml.safe_load(rows["yaml"][0]) == [second]


def test_an_unknown_rule_kind_is_refused():
    rules = _rules(("x_01", "telepathy", "binary_sensor.a", "light.b", 1.0, None, None, None))
    with pytest.raises(UnknownRuleError, match="telepathy"):
        home_automations(rules, {}, {})


@pytest.fixture(scope="module")
def real_world():
    dims = dimensions(seed=3, homes=30)
    return generate_correlations(3, dims["homes"], dims["entities"], dims["areas"]), entity_kinds(dims["entities"])


def test_the_correlation_engines_rules_pass_home_assistants_validator(real_world, ha_python, tmp_path):  # noqa: F811
    real_rules, kinds = real_world
    assert set(real_rules["kind"]) == set(RULE_KINDS)   # every kind is exercised
    files, expected = [], {}
    for (home_id,), rules in real_rules.group_by("home_id", maintain_order=True):
        automations = home_automations(rules, {}, kinds)
        path = tmp_path / f"{home_id}.yaml"
        path.write_text(automations_yaml(automations), encoding="utf-8")
        files.append(path)
        expected[str(path)] = [a["id"] for a in automations]
    found = run_ha_script(ha_python, "validate_automations.py", *files)
    assert {path: result["errors"] for path, result in found.items()} == {path: [] for path in expected}
    assert {path: result["valid"] for path, result in found.items()} == expected


# the state each Home Assistant service leaves its entity in (the services of components/<domain>/__init__.py)
SERVICE_LEADS_TO = {
    "light.turn_on": "on", "light.turn_off": "off", "switch.turn_on": "on", "switch.turn_off": "off",
    "fan.turn_on": "on", "fan.turn_off": "off", "cover.open_cover": "open", "cover.close_cover": "closed",
    "media_player.turn_on": "on", "media_player.turn_off": "off", "media_player.media_play": "playing",
    "media_player.media_stop": "idle", "lock.lock": "locked", "lock.unlock": "unlocked", "climate.turn_off": "off",
    "vacuum.start": "cleaning", "vacuum.return_to_base": "docked"}


def _reactions(automation: dict) -> list[dict]:
    """(trigger entity, its 'to' / below / above, the state the run leaves the target in, target, service) of
    each trigger of an automation: a choose's branch by trigger id, else the last action."""
    def result(action: dict) -> str:
        if action["service"] == "climate.set_hvac_mode":
            return action["data"]["hvac_mode"]
        return SERVICE_LEADS_TO[action["service"]]

    found = []
    for trigger in automation["trigger"]:
        action = automation["action"][-1]
        if "choose" in action:
            (branch,) = [o for o in action["choose"] if o["conditions"][0]["id"] == trigger["id"]]
            action = branch["sequence"][-1]
        found.append({"trigger": trigger.get("entity_id"), "to": trigger.get("to"), "below": trigger.get("below"),
                      "above": trigger.get("above"), "target": action["target"]["entity_id"],
                      "service": action["service"], "leads_to": result(action), "automation": automation["id"]})
    return found


def test_every_automation_leads_its_target_to_the_state_the_planted_events_show():
    events_world = world(5, 40)
    kinds = entity_kinds(events_world.entities)
    assert kinds == dict(rule_entity_kinds(events_world.entities, events_world.areas)
                         .select("entity_id", "kind").iter_rows())   # the event generator's kinds
    reactions = pl.DataFrame([{"home_id": home_id, **reaction}
                              for (home_id,), rules in events_world.rules.group_by("home_id", maintain_order=True)
                              for automation in home_automations(rules, {}, kinds)
                              for reaction in _reactions(automation)])
    events = events_world.events(date(2024, 1, 8))
    triggers = events.select("home_id", pl.col("context_id").alias("context_parent_id"),
                             pl.col("entity_id").alias("trigger"), pl.col("state").alias("trigger_state"))
    caused = (events.filter(pl.col("context_parent_id").is_not_null())
              .join(triggers, on=["home_id", "context_parent_id"])
              .select("home_id", "trigger", "trigger_state", pl.col("entity_id").alias("target"), "state")
              .with_row_index("change"))
    # every change an automation caused is explained by an automation (trigger -> target), chain links too
    assert caused.join(reactions, on=["home_id", "trigger", "target"], how="anti").is_empty()
    # ... by a trigger whose state matches (a numeric trigger: the bound it crosses) ...
    value = pl.col("trigger_state").cast(pl.Float64, strict=False)
    matches = (pl.when(pl.col("to").is_not_null()).then(pl.col("trigger_state") == pl.col("to"))
               .when(pl.col("below").is_not_null()).then(value < pl.col("below"))
               .when(pl.col("above").is_not_null()).then(value >= pl.col("above"))
               .otherwise(True))
    run_of = caused.join(reactions, on=["home_id", "trigger", "target"]).filter(matches)
    unmatched = caused.join(run_of.select("change"), on="change", how="anti")
    assert unmatched.is_empty(), unmatched.join(reactions, on=["home_id", "trigger", "target"]).head(8)
    # ... whose service leads to the state the events give the target
    wrong = run_of.filter(pl.col("state") != pl.col("leads_to"))
    assert wrong.is_empty(), wrong.head(5)
    services = set(run_of["service"])
    assert {"cover.open_cover", "media_player.media_play", "climate.set_hvac_mode", "climate.turn_off",
            "lock.lock", "light.turn_off"} <= services   # the kinds the review found wrong are exercised
    assert run_of.filter(pl.col("automation").str.contains("_step_[23]")).height > 0
