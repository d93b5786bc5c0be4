"""automations.yaml from the planted rules: the shape of each kind, chains folded, conditions parsed, bad
kinds refused, and the automations of the real correlation engine accepted by Home Assistant's validator."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest
import yaml

from synth_assets.smart_home.events.rules import generate_correlations
from synth_assets.smart_home.export.automations import (
    DELAY_FROM_SECONDS,
    UnknownRuleError,
    automation_rows,
    automations_yaml,
    home_automations,
)
from synth_assets.smart_home.models import CORRELATIONS_SCHEMA, RULE_KINDS
from synth_assets_tests.smart_home.export_frames import dimensions
from synth_assets_tests.smart_home.ha_tool_env import ha_python, run_ha_script  # noqa: F401 - fixture

pytestmark = pytest.mark.xdist_group(name="ha_automations")  # module fixtures: keep the module on one worker


def _rules(*rows: tuple) -> pl.DataFrame:
    columns = list(zip(*[("home_00001", *row) for row in rows], strict=True))
    return pl.from_arrow(pa.table({f.name: pa.array(list(c), f.type)
                                   for f, c in zip(CORRELATIONS_SCHEMA, columns, strict=True)}))


def test_each_kind_gets_its_trigger_condition_and_service():
    rules = _rules(
        ("motion_light_01", "motion_light", "binary_sensor.hall_motion", "light.hall", 1.5,
         "sensor.hall_illuminance < 30 lx", None, None),
        ("door_lock_01", "door_lock", "binary_sensor.front_door", "lock.front", 20.0,
         "binary_sensor.front_door closed", None, None),
        ("temperature_climate_01", "temperature_climate", "sensor.living_temperature", "climate.living", 90.0,
         "sensor.living_temperature < 19.5 °C", None, None),
        ("away_all_off_01", "away_all_off", "person.anna", "light.hall", 60.0,
         "person.ben not_home and person.cleo not_home", None, None),
        ("cheap_power_appliance_01", "cheap_power_appliance", None, "switch.washer", 0.0,
         "dynamic electricity price in the day's cheapest hour", None, None))
    by_id = {a["id"]: a for a in home_automations(rules, {"light.hall": "Hall light"})}
    motion = by_id["motion_light_01"]
    assert motion["trigger"] == [{"platform": "state", "entity_id": "binary_sensor.hall_motion", "to": "on"}]
    assert motion["condition"] == [{"condition": "numeric_state", "entity_id": "sensor.hall_illuminance",
                                    "below": 30}]
    assert motion["action"] == [{"service": "light.turn_on", "target": {"entity_id": "light.hall"}}]
    assert "Hall light" in motion["alias"]
    door = by_id["door_lock_01"]
    assert door["trigger"][0]["to"] == "off" and door["condition"][0]["state"] == "off"
    assert door["action"] == [{"delay": {"seconds": 20}},
                              {"service": "lock.lock", "target": {"entity_id": "lock.front"}}]
    assert by_id["temperature_climate_01"]["condition"][0]["below"] == 19.5
    away = by_id["away_all_off_01"]
    assert away["trigger"][0]["to"] == "not_home"
    assert [c["entity_id"] for c in away["condition"]] == ["person.ben", "person.cleo"]
    assert away["action"][-1]["service"] == "light.turn_off"
    cheap = by_id["cheap_power_appliance_01"]
    assert cheap["trigger"] == [{"platform": "time_pattern", "minutes": 0}] and cheap["condition"] == []
    assert "cheapest hour" in cheap["description"]


def test_a_chain_is_one_automation_in_step_order_with_its_delays():
    rules = _rules(("chain_01_step_2", "chain", "light.a", "switch.b", 30.0, None, "chain_01", 2),
                   ("chain_01_step_1", "chain", "binary_sensor.door", "light.a", 2.0, None, "chain_01", 1))
    (chain,) = home_automations(rules, {})
    assert chain["id"] == "chain_01"
    assert chain["trigger"][0]["entity_id"] == "binary_sensor.door"
    targets = [step["target"]["entity_id"] for step in chain["action"] if "target" in step]
    assert targets == ["light.a", "switch.b"]
    assert chain["action"][1] == {"delay": {"seconds": 30}} and 2.0 < DELAY_FROM_SECONDS
    rows = automation_rows("home_00001", [chain])
    assert yaml.safe_load(rows["yaml"][0]) == [chain]


def test_an_unknown_rule_kind_is_refused():
    rules = _rules(("x_01", "telepathy", "binary_sensor.a", "light.b", 1.0, None, None, None))
    with pytest.raises(UnknownRuleError, match="telepathy"):
        home_automations(rules, {})


@pytest.fixture(scope="module")
def real_rules():
    dims = dimensions(seed=3, homes=30)
    return generate_correlations(3, dims["homes"], dims["entities"], dims["areas"])


def test_the_correlation_engines_rules_pass_home_assistants_validator(real_rules, ha_python, tmp_path):  # noqa: F811
    assert set(real_rules["kind"]) == set(RULE_KINDS)   # every kind is exercised
    files, expected = [], {}
    for (home_id,), rules in real_rules.group_by("home_id", maintain_order=True):
        automations = home_automations(rules, {})
        path = tmp_path / f"{home_id}.yaml"
        path.write_text(automations_yaml(automations), encoding="utf-8")
        files.append(path)
        expected[str(path)] = [a["id"] for a in automations]
    found = run_ha_script(ha_python, "validate_automations.py", *files)
    assert {path: result["errors"] for path, result in found.items()} == {path: [] for path in expected}
    assert {path: result["valid"] for path, result in found.items()} == expected
