"""Automation suggestions from the day's patterns: each kind's trigger, condition and action, duplicates of the
home's automations skipped, the confidence against scipy's Wilson interval, stable ids; on mined generated
events none duplicates a planted rule and every suggestion passes Home Assistant 2024.3's own validator."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
import yaml
from scipy.stats import binomtest

from synth_assets.smart_home.export.automations import automation_rows, entity_kinds, home_automations
from synth_assets.smart_home.export.registries import friendly_names
from synth_assets.smart_home.models import CORRELATIONS_SCHEMA
from synth_assets.smart_home.patterns.automation_links import automation_links, duplicates, load_automation
from synth_assets.smart_home.patterns.mine import mine_pairs_and_chains
from synth_assets.smart_home.patterns.models import (
    AUTOMATION_SUGGESTIONS_SCHEMA,
    CHAIN_SCHEMA,
    CO_OCCURRENCE_SCHEMA,
    OCCUPANCY_ENTITY,
    TIME_OF_DAY_SCHEMA,
    PatternConfig,
)
from synth_assets.smart_home.patterns.suggestions import (
    MAX_TIME_SPREAD_MINUTES,
    MIN_CONFIDENCE,
    MIN_TIME_SHARE,
    UnknownPatternEntityError,
    suggest_automations,
    wilson_lower,
)
from synth_assets_tests.smart_home.events_world import world
from synth_assets_tests.smart_home.ha_tool_env import ha_python, run_ha_script  # noqa: F401 - fixture
from synth_assets_tests.smart_home.suggestion_frames import pattern_frame, undeclared_routine

pytestmark = pytest.mark.xdist_group(name="ha_suggestions")  # module fixtures: keep the module on one worker

DAY = date(2024, 1, 21)
CONFIG = PatternConfig(window_days=28)
HOME = "home_00001"


def pairs(*rows: tuple) -> pl.DataFrame:
    """(entity_a, state_a, entity_b, state_b, support, confidence, precedence, lag) of HOME."""
    return pattern_frame(CO_OCCURRENCE_SCHEMA,
                  [(HOME, a, sa, b, sb, n, c, p, 50.0, lag) for a, sa, b, sb, n, c, p, lag in rows])


def chains(*rows: tuple) -> pl.DataFrame:
    """(entities, states, support, lag) of HOME."""
    return pattern_frame(CHAIN_SCHEMA, [(HOME, e, s, len(e), n, lag) for e, s, n, lag in rows])


def times(*rows: tuple, home: str = HOME) -> pl.DataFrame:
    """(entity, state, day_type, minute, spread, support, days)."""
    return pattern_frame(TIME_OF_DAY_SCHEMA, [(home, e, s, t, m, sp, n, d, n / d) for e, s, t, m, sp, n, d in rows])


ENTITIES = pl.DataFrame({
    "home_id": HOME,
    "entity_id": ["binary_sensor.hall_motion", "light.hall", "light.desk", "switch.kettle", "cover.blind",
                  "lock.front", "binary_sensor.front_door", "person.anna", "person.ben", "media_player.speaker"],
    "domain": ["binary_sensor", "light", "light", "switch", "cover", "lock", "binary_sensor", "person", "person",
               "media_player"]}).with_columns(friendly_name=pl.col("entity_id").str.split(".").list.last())
HOMES = pl.DataFrame({"home_id": [HOME], "country_code": ["DE"]})


def existing(*rules: tuple) -> pl.DataFrame:
    """Links of the automations the generator makes from (rule_id, kind, trigger, target, lag, condition)."""
    frame = pattern_frame(CORRELATIONS_SCHEMA, [(HOME, *rule, None, None) for rule in rules])
    kinds = {"light.hall": "light", "lock.front": "lock", "media_player.speaker": "media_player.speaker"}
    return automation_links(automation_rows(HOME, home_automations(frame, {}, kinds)))


NO_RULES = existing()


def suggest(pair_rows=None, chain_rows=None, time_rows=None, links=NO_RULES, homes=HOMES):
    return suggest_automations(DAY, pair_rows if pair_rows is not None else pairs(),
                               chain_rows if chain_rows is not None else chains(),
                               time_rows if time_rows is not None else times(), links, ENTITIES, homes, CONFIG)


def _only(frame: pl.DataFrame) -> tuple[dict, dict]:
    (row,) = frame.iter_rows(named=True)
    return row, load_automation(row["yaml"], row["suggestion_id"])


def test_a_pair_becomes_a_state_trigger_and_the_targets_service():
    found = suggest(pairs(("binary_sensor.hall_motion", "on", "light.desk", "on", 180, 0.3, 0.9, 2.0),
                          ("light.desk", "on", "person.anna", "home", 50, 0.5, 0.9, 3.0),   # no action sets a person
                          ("light.desk", "on", "switch.kettle", "on", 4, 0.5, 0.5, 3.0)))   # 4 of 8: too uncertain
    row, automation = _only(found.frame)
    assert (row["kind"], row["trigger_entity_id"], row["trigger_state"], row["target_entity_id"], row["service"]) == \
        ("pair", "binary_sensor.hall_motion", "on", "light.desk", "light.turn_on")
    assert automation["trigger"] == [{"platform": "state", "entity_id": "binary_sensor.hall_motion", "to": "on"}]
    assert automation["condition"] == [] and automation["id"] == row["suggestion_id"]
    assert automation["action"] == [{"service": "light.turn_on", "target": {"entity_id": "light.desk"}}]
    assert row["reason"] == ("light.desk turned on a median 2 s after binary_sensor.hall_motion turned on, 180 of "
                             "the 200 times it turned on in the 28 days to 2024-01-21")
    assert found.skipped["pair_not_actionable"] == 1 and found.skipped["pair_low_confidence"] == 1
    assert found.frame.columns == AUTOMATION_SUGGESTIONS_SCHEMA.names


def test_pairs_the_home_already_automates_are_skipped():
    links = existing(("motion_light_01", "motion_light", "binary_sensor.hall_motion", "light.hall", 1.0, None),
                     ("door_alarm_01", "door_alarm", "binary_sensor.front_door", "media_player.speaker", 1.0, None),
                     ("door_lock_01", "door_lock", "binary_sensor.front_door", "lock.front", 20.0, None))
    found = suggest(pairs(("binary_sensor.hall_motion", "on", "light.hall", "on", 180, 0.3, 0.9, 1.0),   # the rule
                          ("binary_sensor.front_door", "on", "media_player.speaker", "idle", 90, 0.9, 0.9, 9.0),
                          ("binary_sensor.front_door", "on", "lock.front", "locked", 90, 0.9, 0.9, 30.0),
                          ("binary_sensor.front_door", "on", "light.hall", "on", 90, 0.9, 0.9, 3.0)), links=links)
    row, _ = _only(found.frame)   # only the new link survives
    assert (row["trigger_entity_id"], row["target_entity_id"]) == ("binary_sensor.front_door", "light.hall")
    assert found.skipped["pair_duplicate_exact"] == 1 and found.skipped["pair_duplicate_variant"] == 2
    assert duplicates(automation_links(found.frame, "suggestion_id"), links).is_empty()


def test_occupancy_is_written_with_every_person_of_the_home():
    found = suggest(pairs((OCCUPANCY_ENTITY, "empty", "cover.blind", "closed", 20, 0.9, 0.95, 40.0),
                          (OCCUPANCY_ENTITY, "occupied", "light.desk", "on", 20, 0.9, 0.95, 3.0)))
    by_state = {r["trigger_state"]: load_automation(r["yaml"]) for r in found.frame.iter_rows(named=True)}
    persons = ["person.anna", "person.ben"]
    assert by_state["empty"]["trigger"] == [{"platform": "state", "entity_id": persons, "to": "not_home"}]
    assert by_state["empty"]["condition"] == [{"condition": "state", "entity_id": persons, "state": "not_home"}]
    assert by_state["empty"]["action"] == [{"delay": {"seconds": 40}},
                                           {"service": "cover.close_cover", "target": {"entity_id": "cover.blind"}}]
    assert by_state["occupied"]["trigger"] == [{"platform": "state", "entity_id": persons, "from": "not_home",
                                                "to": "home"}]
    away = existing(("away_all_off_01", "away_all_off", "person.anna", "cover.blind", 60.0, "person.ben not_home"))
    assert suggest(pairs((OCCUPANCY_ENTITY, "empty", "cover.blind", "closed", 20, 0.9, 0.95, 40.0)),
                   links=away).frame.is_empty()   # the generator's "everyone left" automation is that pair


def test_a_chain_is_one_automation_and_its_links_are_not_suggested_again():
    chain = ["binary_sensor.front_door", "light.hall", "switch.kettle", "cover.blind"]
    states = ["on", "on", "on", "open"]
    links = pairs(*[(a, sa, b, sb, 60, 0.8, 0.9, lag) for a, sa, b, sb, lag in
                    zip(chain[:-1], states[:-1], chain[1:], states[1:], (2.0, 30.0, 8.0), strict=True)])
    found = suggest(links, chains((chain[:3], states[:3], 60, 32.0), (chain, states, 55, 40.0)))
    row, automation = _only(found.frame)   # the three-entity chain is inside the four-entity one
    assert (row["kind"], row["trigger_entity_id"], row["target_entity_id"], row["support"]) == \
        ("chain", "binary_sensor.front_door", "cover.blind", 55)
    assert automation["trigger"] == [{"platform": "state", "entity_id": "binary_sensor.front_door", "to": "on"}]
    assert automation["action"] == [
        {"service": "light.turn_on", "target": {"entity_id": "light.hall"}},
        {"delay": {"seconds": 30}}, {"service": "switch.turn_on", "target": {"entity_id": "switch.kettle"}},
        {"delay": {"seconds": 8}}, {"service": "cover.open_cover", "target": {"entity_id": "cover.blind"}}]
    assert found.skipped["pair_in_suggested_chain"] == 3
    automated = existing(("chain_01_step_1", "chain", "light.hall", "switch.kettle", 30.0, None))
    found = suggest(links, chains((chain, states, 55, 40.0)), links=automated)
    assert set(found.frame["kind"]) == {"pair"} and found.frame.height == 2   # no chain over an automated step


def test_a_regular_time_becomes_a_time_trigger_on_the_countrys_weekdays():
    rows = times(("cover.blind", "open", "weekday", 7 * 60 + 5, 4.0, 18, 20),
                 ("cover.blind", "open", "weekday", 9 * 60, 4.0, 17, 20),   # a second, less regular peak
                 ("light.desk", "on", "weekend", 22 * 60, 6.0, 7, 8),
                 ("switch.kettle", "on", "weekday", 400, MAX_TIME_SPREAD_MINUTES + 1, 18, 20),   # too loose
                 ("light.hall", "on", "weekday", 400, 5.0, int(20 * MIN_TIME_SHARE) - 1, 20))     # too rare
    found = suggest(time_rows=rows, homes=pl.DataFrame({"home_id": [HOME], "country_code": ["SA"]}))
    by_target = {r["target_entity_id"]: (r, load_automation(r["yaml"])) for r in found.frame.iter_rows(named=True)}
    assert set(by_target) == {"cover.blind", "light.desk"} and found.frame.height == 2
    blind_row, blind = by_target["cover.blind"]
    assert blind_row["kind"] == "time" and blind_row["trigger_entity_id"] is None
    assert blind["trigger"] == [{"platform": "time", "at": "07:05:00"}]
    assert blind["condition"] == [{"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "sun"]}]  # SA: Fri-Sat
    assert by_target["light.desk"][1]["condition"][0]["weekday"] == ["fri", "sat"]
    assert blind["action"] == [{"service": "cover.open_cover", "target": {"entity_id": "cover.blind"}}]
    assert "on 18 of the 20 weekday days" in blind_row["reason"]
    cheapest_hour = existing(("cheap_power_appliance_01", "cheap_power_appliance", None, "light.desk", 0.0, None))
    assert suggest(time_rows=rows, links=cheapest_hour).frame["target_entity_id"].to_list() == ["cover.blind"]


def test_patterns_of_entities_the_homes_do_not_have_are_refused():
    with pytest.raises(UnknownPatternEntityError, match="home_00001/light.attic"):
        suggest(pairs(("binary_sensor.hall_motion", "on", "light.attic", "on", 180, 0.3, 0.9, 2.0)))
    with pytest.raises(UnknownPatternEntityError, match="home_00007/cover.blind"):
        suggest(time_rows=times(("cover.blind", "open", "weekday", 425, 4.0, 18, 20), home="home_00007"))


@pytest.mark.parametrize(("successes", "trials"), [(1, 1), (5, 5), (81, 263), (180, 200), (3, 40)])
def test_confidence_is_the_lower_end_of_scipys_wilson_interval(successes, trials):
    ours = pl.select(wilson_lower(pl.lit(successes), pl.lit(trials))).item()
    assert ours == pytest.approx(binomtest(successes, trials).proportion_ci(method="wilson").low, abs=1e-9)


def test_the_same_patterns_give_the_same_suggestions_and_ids_hold_across_days():
    rows = pairs(("binary_sensor.hall_motion", "on", "light.desk", "on", 180, 0.3, 0.9, 2.0))
    first, again = suggest(rows).frame, suggest(rows).frame
    assert first.equals(again)
    later = suggest_automations(DAY + timedelta(days=1), rows, chains(), times(), NO_RULES, ENTITIES, HOMES, CONFIG)
    assert later.frame["suggestion_id"].to_list() == first["suggestion_id"].to_list()
    assert later.frame["analysis_day"].to_list() == [DAY + timedelta(days=1)]


# -- on the generator's events ---------------------------------------------------------------------------------

WORLD_DAYS = [date(2024, 1, 8) + timedelta(days=d) for d in range(7)]


@pytest.fixture(scope="module")
def mined():
    """Suggestions from 7 days of 20 generated homes, mined; time patterns for a few real actionable entities."""
    events_world = world(5, 20)
    events = pl.concat([events_world.events(day) for day in WORLD_DAYS])
    config = PatternConfig(window_days=len(WORLD_DAYS))
    found = mine_pairs_and_chains(events, len(WORLD_DAYS) * 86_400.0, config)
    entities = events_world.entities.with_columns(friendly_name=friendly_names(events_world.entities,
                                                                               events_world.devices))
    names = dict(entities.select("entity_id", "friendly_name").iter_rows())
    rows = pl.concat([automation_rows(home_id, home_automations(part, names, entity_kinds(entities)))
                      for (home_id,), part in events_world.rules.group_by("home_id", maintain_order=True)])
    actionable = (entities.filter(pl.col("domain").is_in(["light", "cover", "switch"]))
                  .group_by("home_id", maintain_order=True).first().head(6))
    time_rows = pl.concat([times((e, "open" if e.startswith("cover.") else "on", kind, 60 * (6 + i), 3.0, 5, 5),
                                 home=h) for i, (h, e) in enumerate(actionable.select("home_id", "entity_id").rows())
                           for kind in ("weekday", "weekend")])
    links = automation_links(rows)
    planted_pairs, planted_chains = undeclared_routine(events_world.entities, events_world.rules)
    suggested = suggest_automations(WORLD_DAYS[-1], pl.concat([found.co_occurrence, planted_pairs]),
                                    pl.concat([found.chains, planted_chains]), time_rows, links, entities,
                                    events_world.homes, config)
    return events_world, found, rows, links, suggested


def test_mined_suggestions_leave_the_planted_rules_out_and_name_real_entities(mined):
    events_world, found, _, links, suggested = mined
    frame = suggested.frame
    assert set(frame["kind"]) == {"pair", "chain", "time"}
    assert suggested.skipped["pair_duplicate_exact"] > frame.filter(pl.col("kind") == "pair").height / 2
    planted = events_world.rules.select("home_id", trigger_entity_id="trigger_entity_id",
                                        target_entity_id="target_entity_id")
    assert frame.join(planted, on=["home_id", "trigger_entity_id", "target_entity_id"]).is_empty()
    assert duplicates(automation_links(frame, "suggestion_id"), links).is_empty()
    assert frame["suggestion_id"].n_unique() == frame.height
    assert frame["confidence"].min() >= MIN_CONFIDENCE and frame["confidence"].max() <= 1
    known = set(events_world.entities.select(pl.format("{}/{}", "home_id", "entity_id")).to_series())
    for row in frame.iter_rows(named=True):
        named = _entity_ids(yaml.safe_load(row["yaml"]))
        assert named and {f"{row['home_id']}/{e}" for e in named} <= known, row["yaml"]


def _entity_ids(node: object) -> set[str]:
    if isinstance(node, dict):
        found = set()
        for key, value in node.items():
            if key == "entity_id":
                found |= {value} if isinstance(value, str) else set(value)
            else:
                found |= _entity_ids(value)
        return found
    if isinstance(node, list):
        return set().union(*map(_entity_ids, node)) if node else set()
    return set()


def test_every_suggestion_passes_home_assistants_validator(mined, ha_python, tmp_path):  # noqa: F811
    *_, suggested = mined
    files, expected = [], {}
    for (home_id,), part in suggested.frame.group_by("home_id", maintain_order=True):
        path = tmp_path / f"{home_id}.yaml"
        path.write_text("".join(part["yaml"]), encoding="utf-8")   # one-item lists concatenate to one list
        files.append(path)
        expected[str(path)] = part["suggestion_id"].to_list()
    assert sum(map(len, expected.values())) == suggested.frame.height > 10
    found = run_ha_script(ha_python, "validate_automations.py", *files)
    assert {path: result["errors"] for path, result in found.items()} == {path: [] for path in expected}
    assert {path: result["valid"] for path, result in found.items()} == expected
