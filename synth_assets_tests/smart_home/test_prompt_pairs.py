"""Prompt/automation pairs: each automation phrased from what it does (names of the home's entities and areas),
its completion the same automation, 1-3 distinct templates drawn per automation and the same every run, and
whole homes in one split, dealt 8/1/1 per block of ten."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
import yaml

from synth_assets.smart_home.export.automations import automation_rows, entity_kinds, home_automations
from synth_assets.smart_home.export.registries import friendly_names
from synth_assets.smart_home.patterns.automation_links import load_automation
from synth_assets.smart_home.training.prompt_pairs import (
    MAX_PHRASINGS,
    PROMPT_PAIRS_SCHEMA,
    SPLIT_BLOCK,
    SPLITS,
    TEMPLATES,
    HomeWords,
    PromptPairError,
    describe,
    home_splits,
    phrase,
    prompt_pairs,
)
from synth_assets_tests.smart_home.events_world import world

DAY = date(2024, 1, 21)
SEED = 5


@pytest.fixture(scope="module")
def homes_world():
    events_world = world(SEED, 12)
    entities = events_world.entities.with_columns(friendly_name=friendly_names(events_world.entities,
                                                                               events_world.devices))
    names = dict(entities.select("entity_id", "friendly_name").iter_rows())
    rows = pl.concat([automation_rows(home_id, home_automations(part, names, entity_kinds(entities)))
                      for (home_id,), part in events_world.rules.group_by("home_id", maintain_order=True)])
    return events_world, entities, rows.with_columns(source=pl.lit("automation"))


def _pairs(homes_world, rows=None):
    events_world, entities, automations = homes_world
    return prompt_pairs(SEED, DAY, automations if rows is None else rows, entities, events_world.areas,
                        events_world.homes)


WORDS = HomeWords(
    pl.DataFrame({"entity_id": ["binary_sensor.kitchen_motion", "light.kitchen", "sensor.kitchen_lux",
                                "person.anna", "person.ben", "cover.blind", "switch.kettle"],
                  "domain": ["binary_sensor", "light", "sensor", "person", "person", "cover", "switch"],
                  "device_class": ["motion", None, "illuminance", None, None, "blind", "outlet"],
                  "unit_of_measurement": [None, None, "lx", None, None, None, None],
                  "area_id": ["kitchen", "kitchen", "kitchen", None, None, "bedroom", "kitchen"],
                  "friendly_name": ["Kitchen Motion", "Kitchen Light", "Kitchen Lux", "Anna", "Ben",
                                    "Bedroom Blind", "Kitchen Kettle"]}),
    pl.DataFrame({"area_id": ["kitchen", "bedroom"], "name": ["Kitchen", "Bedroom"]}))


def _said(automation: dict, template: int = 0) -> str:
    return phrase(TEMPLATES[template], describe(automation, WORDS))


def test_triggers_conditions_and_actions_are_said_with_the_homes_names():
    motion = {"trigger": [{"platform": "state", "entity_id": "binary_sensor.kitchen_motion", "to": "on"}],
              "condition": [{"condition": "numeric_state", "entity_id": "sensor.kitchen_lux", "below": 30}],
              "action": [{"service": "light.turn_on", "target": {"entity_id": "light.kitchen"}}]}
    assert _said(motion) == ("Turn on the kitchen light when motion is detected in the kitchen if the light level "
                             "in the kitchen is below 30 lx.")
    away = {"trigger": [{"platform": "state", "entity_id": ["person.anna", "person.ben"], "to": "not_home"}],
            "condition": [{"condition": "state", "entity_id": ["person.anna", "person.ben"], "state": "not_home"}],
            "action": [{"delay": {"seconds": 120}},
                       {"service": "cover.close_cover", "target": {"entity_id": "cover.blind"}}]}
    assert _said(away, 1) == "When everyone has left, close the bedroom blind after 2 minutes."
    leaving = {"trigger": [{"platform": "state", "entity_id": "person.anna", "to": "not_home"}],
               "condition": [{"condition": "state", "entity_id": "person.ben", "state": "not_home"}],
               "action": [{"service": "switch.turn_off", "target": {"entity_id": "switch.kettle"}}]}
    assert _said(leaving, 2) == "Can you switch off the kitchen kettle whenever Anna leaves home if Ben is away?"
    timed = {"trigger": [{"platform": "time", "at": "07:05:00"}],
             "condition": [{"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "fri"]}],
             "action": [{"service": "cover.open_cover", "target": {"entity_id": "cover.blind"}}]}
    assert _said(timed) == "Open the bedroom blind when it is 07:05 on a weekday."
    chain = {"trigger": [{"platform": "state", "entity_id": "light.kitchen", "to": "on"}], "condition": [],
             "action": [{"service": "switch.turn_on", "target": {"entity_id": "switch.kettle"}},
                        {"delay": {"seconds": 30}},
                        {"service": "cover.open_cover", "target": {"entity_id": "cover.blind"}}]}
    assert _said(chain) == ("Switch on the kitchen kettle, then after 30 seconds open the bedroom blind when the "
                            "kitchen light turns on.")
    with pytest.raises(PromptPairError, match="teleport"):
        _said({**chain, "action": [{"service": "light.teleport", "target": {"entity_id": "light.kitchen"}}]})


def test_a_choose_automation_gets_a_clause_per_branch(homes_world):
    _, _, automations = homes_world
    motion = automations.filter(pl.col("automation_id").str.starts_with("motion_light")).row(0, named=True)
    frame = _pairs(homes_world, automations.filter(pl.col("automation_id") == motion["automation_id"]))
    for prompt in frame["prompt"]:
        assert "motion is detected in the" in prompt and "there has been no motion in the" in prompt, prompt


def test_every_automation_is_phrased_and_its_completion_is_that_automation(homes_world):
    _, _, automations = homes_world
    frame = _pairs(homes_world)
    assert frame.columns == PROMPT_PAIRS_SCHEMA.names
    per = frame.group_by("home_id", "automation_id").agg(pl.len(), pl.col("template").n_unique().alias("templates"))
    assert per.height == automations.height   # every automation, planted chains' links and all
    assert per["len"].min() >= 1 and per["len"].max() <= MAX_PHRASINGS and (per["len"] == per["templates"]).all()
    assert set(frame["template"]) == set(range(len(TEMPLATES)))   # variety over the homes
    assert frame["pair_id"].n_unique() == frame.height and frame["prompt"].str.len_chars().min() > 20
    source = {(r["home_id"], r["automation_id"]): load_automation(r["yaml"]) for r in automations.iter_rows(named=True)}
    for row in frame.iter_rows(named=True):
        done = yaml.safe_load(row["completion"])
        assert isinstance(done, dict)
        automation = source[row["home_id"], row["automation_id"]]
        expected = {k: v for k, v in automation.items() if k not in ("id", "description")}
        assert done == expected
        assert "Planted" not in row["completion"] and "rule" not in row["prompt"].split(":")[-1].lower()


def test_the_same_automations_give_the_same_pairs(homes_world):
    first, again = _pairs(homes_world), _pairs(homes_world)
    assert first.equals(again)
    _, _, automations = homes_world
    one_home = _pairs(homes_world, automations.filter(pl.col("home_id") == "home_00003"))
    assert one_home.equals(first.filter(pl.col("home_id") == "home_00003"))   # no home depends on another


def test_whole_homes_are_dealt_eight_one_one_per_block_of_ten_and_adding_homes_keeps_them():
    homes = pl.DataFrame({"home_id": [f"home_{i:05d}" for i in range(1, 48)], "home_index": list(range(1, 48))})
    splits = home_splits(SEED, homes)
    for block in range(4):
        dealt = splits["split"][block * 10:(block + 1) * 10].value_counts()
        assert dict(dealt.iter_rows()) == dict(zip(SPLITS, SPLIT_BLOCK, strict=True))
    assert home_splits(SEED, homes.head(23)).equals(splits.head(23))
    assert not home_splits(SEED + 1, homes)["split"].equals(splits["split"])   # the deal is drawn, not fixed


def test_no_home_is_in_two_splits(homes_world):
    frame = _pairs(homes_world)
    assert frame.group_by("home_id").agg(pl.col("split").n_unique())["split"].max() == 1
    assert set(frame["split"]) <= set(SPLITS)
