"""Planted anomalies and their detection without Dagster: the plan's rate, kinds and determinism, the events
carrying the planted spells and still passing every check, the detector on hand-built frames (finds each
kind, stays quiet on the clean twin) and the score's matching."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest

from synth_assets.smart_home.events import anomalies as plan_module
from synth_assets.smart_home.events.checks import EVENT_CHECKS, RulesMeasuredBack, day_parents
from synth_assets.smart_home.events.generate import generate_events
from synth_assets.smart_home.events.models import ANOMALY_VALUES, ANOMALY_VOLUME_PULSES
from synth_assets.smart_home.patterns import anomalies as detector
from synth_assets.smart_home.patterns.models import ANOMALIES_SCHEMA, ANOMALY_KINDS
from synth_assets_tests.smart_home.events_world import world

DAY = date(2023, 1, 17)


def _candidates(w):
    return plan_module.candidates(plan_module.candidate_frame(w.entities, w.areas, w.devices), w.rules)


def test_the_kinds_are_the_pattern_contracts():
    assert plan_module.KINDS == ANOMALY_KINDS


def test_the_plan_plants_at_the_rate_within_a_binomial_band_and_every_kind():
    w = world(3, 300)
    candidates = _candidates(w)
    rate, days = 0.02, 30
    plans = pl.concat([plan_module.plan(w.seed, DAY + timedelta(days=k), w.homes, candidates, rate)
                       for k in range(days)])
    home_days = candidates["home_id"].n_unique() * days
    assert plans.select("day", "home_id").n_unique() == plans.height   # at most one per home-day
    sd = math.sqrt(home_days * rate * (1 - rate))
    assert abs(plans.height - home_days * rate) <= 4 * sd, (plans.height, home_days)
    assert set(plans["kind"]) == set(ANOMALY_KINDS)
    assert plan_module.plan(w.seed, DAY, w.homes, candidates, 0.0).height == 0


def test_the_plan_is_deterministic_and_a_homes_plan_does_not_depend_on_the_others():
    w = world(3, 300)
    candidates = _candidates(w)
    full = plan_module.plan(w.seed, DAY, w.homes, candidates, 0.3)
    assert full.equals(plan_module.plan(w.seed, DAY, w.homes, candidates, 0.3))
    some = w.homes.filter(pl.col("home_index") % 7 == 0)
    alone = plan_module.plan(w.seed, DAY, some, candidates, 0.3)
    assert alone.height > 0
    assert alone.equals(full.filter(pl.col("home_id").is_in(some["home_id"].implode())))
    other_day = plan_module.plan(w.seed, DAY + timedelta(days=1), w.homes, candidates, 0.3)
    assert not other_day.select("home_id", "entity_id").equals(full.select("home_id", "entity_id"))


def test_candidates_are_no_rules_trigger_or_started_target():
    w = world(5, 40)
    candidates = _candidates(w)
    triggers = w.rules.select("home_id", entity_id="trigger_entity_id").drop_nulls()
    started = w.rules.filter(pl.col("kind") != "away_all_off").select("home_id", entity_id="target_entity_id")
    assert candidates.join(pl.concat([triggers, started]), on=["home_id", "entity_id"], how="semi").height == 0
    assert candidates.height > 0


def test_a_bad_rate_is_refused():
    w = world(5, 12)
    with pytest.raises(ValueError, match="anomaly rate"):
        plan_module.plan(w.seed, DAY, w.homes, _candidates(w), 1.5)


@pytest.fixture(scope="module")
def anomalous_day():
    w = world(5, 40)
    ctx = w.context(DAY)
    events = pl.from_arrow(generate_events(w.seed, DAY, w.homes, w.entities, w.devices, w.areas, w.rules,
                                           ctx["calendar"], ctx["weather"], ctx["external"], ctx["prices"],
                                           anomaly_rate=0.5))
    return w, events, plan_module.plan(w.seed, DAY, w.homes, _candidates(w), 0.5)


def test_events_with_anomalies_pass_every_check(anomalous_day):
    w, events, planted = anomalous_day
    assert planted.height >= 10 and planted["kind"].n_unique() == 4
    parents = day_parents(w.seed, DAY, w.homes, w.entities, w.devices, w.areas, w.rules, w.context(DAY)["prices"])
    for check in EVENT_CHECKS:
        counts = check.count(events, parents)
        if isinstance(check, RulesMeasuredBack):
            assert check.result(counts, rules=w.rules).passed
        else:
            assert sum(counts.values()) == 0, (check.name, counts)


def test_each_planted_spell_is_in_the_events(anomalous_day):
    _, events, planted = anomalous_day
    spells = events.join(planted.select("home_id", "entity_id", "kind", "start", "end", "value", "pulses"),
                         on=["home_id", "entity_id"]).filter(pl.col("timestamp").is_between("start", "end"))
    for row in planted.iter_rows(named=True):
        own = spells.filter((pl.col("home_id") == row["home_id"]) & (pl.col("entity_id") == row["entity_id"]))
        if row["kind"] == "unusual_value":
            low, high = ANOMALY_VALUES[own["entity_id"][0].split(".")[0] + "." + _class_of(own["entity_id"][0])]
            assert own.height == 2 and float(own["state"][0]) == row["value"] and low <= row["value"] <= high
            assert abs(float(own["state"][1]) - row["value"]) > 10     # back to the sensor's own value
        elif row["kind"] == "unusual_volume":
            assert own.height >= row["pulses"] >= ANOMALY_VOLUME_PULSES[0]     # pulses (some merge with its own)
            assert own["context_user_id"].null_count() == own.height
        else:   # switched on by an occupant at the start (or already on), off by the end at the latest
            at_start = own.filter(pl.col("timestamp") == row["start"])
            assert at_start.height in (0, 1)
            if at_start.height:
                assert at_start["state"][0] in ("on", "playing") and at_start["context_user_id"][0] is not None
                assert at_start["context_parent_id"][0] is None


def _class_of(entity_id: str) -> str:
    return next(c for c in ("temperature", "humidity", "power") if c in entity_id)


# --- the detector on hand-built frames ----------------------------------------------------------------

HOME = "home_00001"
WINDOW = 10
FIRST = date(2024, 3, 4)
UTC = timezone.utc


def _at(day: int, hour: float) -> datetime:
    return datetime.combine(FIRST + timedelta(days=day), datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


def _built(planted: bool) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One home in UTC, ten days: a lamp on 19:00-20:00 every evening, a temperature sensor around 21 °C, a
    motion sensor pulsing twice an hour; with ``planted``, the last day also has the lamp on at 03:10 for 40
    min, the hall lamp on 01:00-08:30 (on 19:00-20:00 before), a 50 °C reading and 150 pulses in an hour."""
    rows = []
    rng = np.random.default_rng(1)
    for day in range(WINDOW):
        for lamp in ("light.lamp", "light.hall"):
            rows += [(lamp, _at(day, 19), "on", "u1"), (lamp, _at(day, 20), "off", "u1")]
        for minute in range(0, 24 * 60, 15):
            rows.append(("sensor.temperature", _at(day, minute / 60), f"{21 + rng.normal(0, 0.3):.1f}", None))
        for hour in range(24):
            rows += [("binary_sensor.motion", _at(day, hour + 0.2), "on", None),
                     ("binary_sensor.motion", _at(day, hour + 0.21), "off", None)]
    if planted:
        last = WINDOW - 1
        rows += [("light.lamp", _at(last, 3 + 10 / 60), "on", "u1"),
                 ("light.lamp", _at(last, 3 + 50 / 60), "off", "u1"),
                 ("light.hall", _at(last, 1), "on", "u1"), ("light.hall", _at(last, 8.5), "off", "u1"),
                 ("sensor.temperature", _at(last, 14.01), "50.0", None)]
        for k in range(150):
            rows += [("binary_sensor.motion", _at(last, 10 + k / 150), "on", None),
                     ("binary_sensor.motion", _at(last, 10 + (k + 0.5) / 150), "off", None)]
    events = (pl.DataFrame(rows, schema={"entity_id": pl.String, "timestamp": pl.Datetime("us", "UTC"),
                                         "state": pl.String, "context_user_id": pl.String}, orient="row")
              .with_columns(home_id=pl.lit(HOME)).unique(["entity_id", "timestamp"], keep="last")
              .sort("timestamp", "entity_id"))
    entities = pl.DataFrame({"home_id": [HOME] * 5, "entity_id": ["light.lamp", "light.hall", "sensor.temperature",
                                                                   "binary_sensor.motion", "person.ann"],
                             "domain": ["light", "light", "sensor", "binary_sensor", "person"],
                             "device_class": [None, None, "temperature", "motion", None]})
    return events, entities, pl.DataFrame({"home_id": [HOME], "timestamp": ["UTC"]}).rename({"timestamp": "timezone"})


def test_the_detector_finds_each_planted_kind_in_a_built_window():
    events, entities, homes = _built(planted=True)
    found = detector.detect(events, entities, homes, FIRST + timedelta(days=WINDOW - 1), WINDOW)
    assert found.columns == ANOMALIES_SCHEMA.names and found.to_arrow().cast(ANOMALIES_SCHEMA).num_rows == 4
    by_kind = {row["kind"]: row for row in found.iter_rows(named=True)}
    assert set(by_kind) == set(ANOMALY_KINDS), found
    assert by_kind["unusual_time"]["entity_id"] == "light.lamp"
    assert by_kind["unusual_time"]["timestamp"] == _at(WINDOW - 1, 3 + 10 / 60)
    assert "on at 03:10 for 40 min" in by_kind["unusual_time"]["reason"]
    assert by_kind["unusual_duration"]["entity_id"] == "light.hall"
    assert "on for 7.5 h from 01:00" in by_kind["unusual_duration"]["reason"]
    assert by_kind["unusual_value"]["timestamp"] == _at(WINDOW - 1, 14.01)
    assert by_kind["unusual_volume"]["entity_id"] == "binary_sensor.motion"
    assert _at(WINDOW - 1, 10) <= by_kind["unusual_volume"]["timestamp"] <= _at(WINDOW - 1, 11)
    assert found.height == 4


def test_the_detector_is_quiet_on_the_clean_twin_and_with_too_short_a_baseline():
    events, entities, homes = _built(planted=False)
    assert detector.detect(events, entities, homes, FIRST + timedelta(days=WINDOW - 1), WINDOW).height == 0
    planted, _, _ = _built(planted=True)
    short = detector.MIN_BASELINE_DAYS   # baseline of MIN_BASELINE_DAYS - 1 days: nothing is unusual
    assert detector.detect(planted, entities, homes, FIRST + timedelta(days=WINDOW - 1), short).height == 0


def test_a_long_run_while_nobody_is_home_is_not_unusual():
    events, entities, homes = _built(planted=True)
    last = WINDOW - 1
    away = pl.DataFrame({"entity_id": ["person.ann", "person.ann"], "timestamp": [_at(last, 0.5), _at(last, 9)],
                         "state": ["not_home", "home"], "context_user_id": [None, None], "home_id": [HOME, HOME]},
                        schema=events.schema)
    found = detector.detect(pl.concat([events, away.select(events.columns)]).sort("timestamp"), entities, homes,
                            FIRST + timedelta(days=last), WINDOW)
    assert "unusual_duration" not in set(found["kind"])


def test_the_score_matches_by_home_entity_kind_and_spell():
    stamp = datetime(2024, 1, 10, 3, tzinfo=UTC)
    planted = pl.DataFrame({"home_id": ["h1", "h1", "h2"], "entity_id": ["light.a", "sensor.t", "light.b"],
                            "kind": ["unusual_time", "unusual_value", "unusual_duration"],
                            "start": [stamp, stamp, stamp], "end": [stamp + timedelta(hours=1)] * 3})
    detected = pl.DataFrame({"home_id": ["h1", "h1", "h1", "h2"],
                             "entity_id": ["light.a", "sensor.t", "light.a", "light.b"],
                             "kind": ["unusual_time", "unusual_value", "unusual_volume", "unusual_duration"],
                             "timestamp": [stamp + timedelta(minutes=5), stamp - timedelta(minutes=1),
                                           stamp, stamp - timedelta(hours=1)]})
    scores = {row["kind"]: row for row in detector.score(detected, planted).iter_rows(named=True)}
    assert scores["unusual_time"]["precision"] == 1.0 and scores["unusual_time"]["recall"] == 1.0
    assert scores["unusual_value"]["precision"] == 0.0 and scores["unusual_value"]["recall"] == 0.0   # before it
    assert scores["unusual_volume"]["precision"] == 0.0 and scores["unusual_volume"]["recall"] is None
    assert scores["unusual_duration"]["recall"] == 1.0   # a run may begin before the planted spell
    assert scores["all"]["detected"] == 4 and scores["all"]["true_detected"] == 2 and scores["all"]["found"] == 2


@pytest.fixture(scope="module")
def generated_window():
    """Seven days of 12 homes with anomalies planted at 0.5 per home-day, and the truth of the last."""
    w = world(5, 12)
    days = [DAY + timedelta(days=k) for k in range(7)]
    frames = []
    for day in days:
        ctx = w.context(day)
        frames.append(pl.from_arrow(generate_events(w.seed, day, w.homes, w.entities, w.devices, w.areas, w.rules,
                                                    ctx["calendar"], ctx["weather"], ctx["external"], ctx["prices"],
                                                    anomaly_rate=0.5)))
    entities = w.entities.join(w.devices.select("device_id", "device_type"), on="device_id", how="left")
    return w, pl.concat(frames), entities, plan_module.plan(w.seed, days[-1], w.homes, _candidates(w), 0.5), days


def test_blocks_of_homes_detect_the_same_rows_and_most_planted_anomalies(generated_window):
    w, events, entities, planted, days = generated_window
    whole = detector.detect(events, entities, w.homes, days[-1], len(days))
    blocks = detector.detect_in_blocks(lambda ids: events.filter(pl.col("home_id").is_in(ids)), entities, w.homes,
                                       days[-1], len(days), block_homes=5)
    assert blocks.equals(whole)
    overall = detector.score(whole, planted).filter(pl.col("kind") == "all").row(0, named=True)
    assert overall["planted"] >= 4
    assert overall["found"] >= overall["planted"] / 2, detector.score(whole, planted)


def test_occupancy_of_a_home_never_reads_another_home_before_its_first_write_or_after_fifty_days():
    day_us = 86_400 * 1_000_000
    t0 = 1_700_000_000 * 1_000_000
    persons = pl.DataFrame({"code": [1, 2], "home_pos": [0, 1], "state": ["home", "not_home"],
                            "timestamp": [t0 + 55 * day_us, t0 + 10 * day_us]},
                           schema_overrides={"timestamp": pl.Datetime("us", "UTC")}).with_columns(
        pl.col("home_pos").cast(pl.UInt32))
    occupied = detector.occupancy(persons, 2, (t0, t0 + 60 * day_us))
    home = np.array([0, 0, 1, 1])
    start = np.array([t0, t0 + 52 * day_us, t0, t0 + 52 * day_us])
    hours = occupied.between(home, start, start + 3_600 * 1_000_000) / 3_600
    # home 0: away until day 55 (its first write says it came home); home 1: home until day 10, then away
    assert hours.tolist() == [0.0, 0.0, 1.0, 0.0]
