"""The correlation engine without Dagster: rules only over the entities a home has, ids usable as
automation ids, chains of 2-4 entities linked step by step, sizes by home, every kind present, lags in
their models' ranges, and checks that catch broken rules."""

from __future__ import annotations

import polars as pl
import pytest

from synth_assets.smart_home.events.checks import CORRELATION_CHECKS
from synth_assets.smart_home.events.models import RULE_KIND_SPECS
from synth_assets.smart_home.events.rules import entity_kinds, generate_correlations
from synth_assets.smart_home.models import CORRELATIONS_SCHEMA, RULE_KINDS
from synth_assets_tests.smart_home.events_world import world


@pytest.fixture(scope="module")
def big():
    return world(9, 150)


def test_schema_and_every_check_passes(big):
    assert big.rules.to_arrow().schema.equals(pl.from_arrow(CORRELATIONS_SCHEMA.empty_table()).to_arrow().schema)
    parents = {"entities": big.entities}
    for check in CORRELATION_CHECKS:
        assert sum(check.count(big.rules, parents).values()) == 0, check.name


def test_rules_use_only_entities_of_the_right_kinds(big):
    kinds = entity_kinds(big.entities, big.areas).select("home_id", "entity_id", "kind", "area_id")
    rules = (big.rules.join(kinds.rename({"entity_id": "trigger_entity_id", "kind": "trigger_kind",
                                          "area_id": "trigger_area"}), on=["home_id", "trigger_entity_id"], how="left")
             .join(kinds.rename({"entity_id": "target_entity_id", "kind": "target_kind", "area_id": "target_area"}),
                   on=["home_id", "target_entity_id"], how="left"))
    expect = {"motion_light": ("binary_sensor.motion", {"light"}), "door_lock": ("binary_sensor.door", {"lock"}),
              "door_alarm": ("binary_sensor.door", {"media_player.speaker"}),
              "temperature_climate": ("sensor.temperature", {"climate"}),
              "cheap_power_appliance": (None, {"switch.outlet"}), "away_all_off": ("person", None)}
    for kind, (trigger, targets) in expect.items():
        part = rules.filter(pl.col("kind") == kind)
        assert part.height > 0, kind
        if trigger is None:
            assert part["trigger_entity_id"].null_count() == part.height
        else:
            assert (part["trigger_kind"] == trigger).all(), kind
        if targets:
            assert part["target_kind"].is_in(list(targets)).all(), kind
        low, high = RULE_KIND_SPECS[kind].lag_seconds
        assert part["lag_seconds"].is_between(low, high).all(), kind
    same_room = rules.filter(pl.col("kind").is_in(["motion_light", "door_lock"]))
    assert (same_room["trigger_area"] == same_room["target_area"]).all()
    gated = rules.filter(pl.col("condition").str.ends_with(" lx"))
    assert gated.height > 0 and gated["condition"].str.contains(r"^sensor\..+_illuminance < 30 lx$").all()
    assert set(big.rules["kind"].unique()) == set(RULE_KINDS)


def test_chains_link_two_to_four_entities_step_by_step(big):
    chains = big.rules.filter(pl.col("kind") == "chain").sort("home_id", "chain_id", "step")
    per = chains.group_by("home_id", "chain_id").agg(pl.col("step"), pl.col("trigger_entity_id"),
                                                     pl.col("target_entity_id"))
    assert per.height > 20
    for steps, triggers, targets in per.select("step", "trigger_entity_id", "target_entity_id").iter_rows():
        assert steps == list(range(1, len(steps) + 1)) and 1 <= len(steps) <= 3
        assert triggers[1:] == targets[:-1]
        assert len(set([triggers[0], *targets])) == len(steps) + 1
    assert set(per["step"].list.len().unique()) == {1, 2, 3}
    assert big.rules.filter(pl.col("kind") != "chain")[["chain_id", "step"]].null_count().sum_horizontal().item() \
        == 2 * big.rules.filter(pl.col("kind") != "chain").height


def test_rule_ids_are_unique_automation_ids_and_counts_grow_with_the_home(big):
    assert big.rules.select("home_id", "rule_id").n_unique() == big.rules.height
    assert big.rules["rule_id"].str.contains(r"^[a-z_]+_\d{2}(_step_\d)?$").all()
    per = (big.rules.group_by("home_id").len().join(big.homes.select("home_id", "home_type"), on="home_id")
           .group_by("home_type").agg(pl.col("len").mean()))
    mean = dict(per.iter_rows())
    assert mean["apartment"] < mean["single_family"] < mean["large_smart_home"] <= 60
    assert big.rules["home_id"].n_unique() >= 0.9 * big.homes.height


def test_each_started_target_has_one_rule(big):
    started = big.rules.filter(pl.col("kind") != "away_all_off")
    assert started.select("home_id", "target_entity_id").n_unique() == started.height


def test_rules_are_deterministic_and_adding_homes_keeps_existing_ones():
    small, large = world(9, 20), world(9, 40)
    again = generate_correlations(9, small.homes, small.entities, small.areas)
    assert again.equals(small.rules)
    kept = large.rules.filter(pl.col("home_id").is_in(small.homes["home_id"].implode()))
    assert kept.equals(small.rules)


def test_correlation_checks_catch_broken_rules(big):
    parents = {"entities": big.entities}
    broken = {
        "rule_id_unique_per_home": pl.concat([big.rules, big.rules.head(1)]),
        "rule_trigger_exists": big.rules.with_columns(trigger_entity_id=pl.lit("binary_sensor.nowhere")),
        "rule_target_exists": big.rules.with_columns(target_entity_id=pl.lit("light.nowhere")),
        "rule_kind_known": big.rules.with_columns(kind=pl.lit("telepathy")),
        "chains_linked": big.rules.with_columns(
            step=pl.when(pl.col("kind") == "chain").then(pl.col("step") + 1).otherwise("step")),
    }
    for check in CORRELATION_CHECKS:
        assert sum(check.count(broken[check.name], parents).values()) > 0, check.name
