"""Directed co-occurrence mining (issue 15 groundwork) on small event logs built here with a known cause."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl

from synth_assets.smart_home.patterns.chains import chain_patterns
from synth_assets.smart_home.patterns.co_occurrence import OCCUPANCY, co_occurrence, occurrences, state_changes
from synth_assets.smart_home.patterns.models import PatternConfig

START = datetime(2024, 1, 8, tzinfo=timezone.utc)
DAYS = 14
WINDOW_SECONDS = DAYS * 86_400.0


def _log(*series: tuple[str, str, np.ndarray, str]) -> pl.DataFrame:
    """Events of one home: (home_id, entity_id, seconds since START, state) per change."""
    frames = []
    for home, entity, seconds, state in series:
        stamps = [START + timedelta(seconds=float(s)) for s in seconds]
        frames.append(pl.DataFrame({"home_id": home, "entity_id": entity, "timestamp": stamps, "state": state},
                                   schema_overrides={"timestamp": pl.Datetime("us", "UTC")}))
    events = pl.concat(frames).with_columns(last_changed=pl.col("timestamp"))
    return events.sort("home_id", "timestamp", "entity_id")


def _times(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.sort(rng.uniform(0, WINDOW_SECONDS - 600, n))


def _pairs(found: pl.DataFrame) -> set[tuple[str, str, str]]:
    return set(found.select("home_id", "item_a", "item_b").iter_rows())


def test_a_tight_cause_is_found_and_background_is_not():
    rng = np.random.default_rng(1)
    motion = _times(rng, 300)
    light = motion[::3] + rng.lognormal(np.log(1.2), 0.2, 100)   # every third motion finds the light off
    events = _log(("h1", "binary_sensor.hall_motion", motion, "on"), ("h1", "light.hall", light, "on"),
                  ("h1", "switch.plug", _times(rng, 200), "on"),   # independent background
                  ("h1", "fan.desk", _times(rng, 200), "on"))
    found = co_occurrence(events, WINDOW_SECONDS, PatternConfig())
    assert _pairs(found) == {("h1", "binary_sensor.hall_motion=on", "light.hall=on")}
    row = found.row(0, named=True)
    assert abs(row["lag_seconds"] - 1.2) < 0.2 and row["precedence"] > 0.95 and row["confidence"] < 0.5


def test_chain_keeps_its_links_and_drops_the_transitive_pair():
    rng = np.random.default_rng(2)
    a = _times(rng, 120)
    b_manual = _times(rng, 60)                          # B also changes by hand: C still follows it
    b = np.sort(np.concatenate([a + rng.uniform(2, 3, a.size), b_manual]))
    c = b + rng.uniform(4, 5, b.size)
    events = _log(("h1", "binary_sensor.a", a, "on"), ("h1", "light.b", b, "on"), ("h1", "fan.c", c, "on"))
    found = _pairs(co_occurrence(events, WINDOW_SECONDS, PatternConfig()))
    assert ("h1", "binary_sensor.a=on", "light.b=on") in found
    assert ("h1", "light.b=on", "fan.c=on") in found
    assert ("h1", "binary_sensor.a=on", "fan.c=on") not in found


def test_siblings_of_one_cause_are_not_linked_to_each_other():
    rng = np.random.default_rng(3)
    a = _times(rng, 120)
    b = np.sort(np.concatenate([a + rng.uniform(1, 2, a.size), _times(rng, 60)]))   # B by hand: C does not follow
    c = a + rng.uniform(5, 6, a.size)
    events = _log(("h1", "binary_sensor.a", a, "on"), ("h1", "light.b", b, "on"), ("h1", "fan.c", c, "on"))
    found = _pairs(co_occurrence(events, WINDOW_SECONDS, PatternConfig()))
    assert {("h1", "binary_sensor.a=on", "light.b=on"), ("h1", "binary_sensor.a=on", "fan.c=on")} <= found
    assert ("h1", "light.b=on", "fan.c=on") not in found


def test_homes_never_pair_with_each_other():
    rng = np.random.default_rng(4)
    motion = _times(rng, 200)
    events = _log(("h1", "binary_sensor.m", motion, "on"), ("h2", "light.l", motion + 1.0, "on"))
    changes = state_changes(events)
    assert occurrences(changes, 150.0).is_empty()
    assert co_occurrence(events, WINDOW_SECONDS, PatternConfig()).is_empty()


def test_attribute_only_writes_and_numeric_sensors_are_not_changes():
    rng = np.random.default_rng(5)
    times = _times(rng, 50)
    events = _log(("h1", "light.l", times, "on"), ("h1", "sensor.t", times + 1, "21.5"))
    events = events.with_columns(
        last_changed=pl.when(pl.col("timestamp") > START + timedelta(days=7))
        .then(pl.col("timestamp") - timedelta(seconds=5)).otherwise(pl.col("timestamp")))
    changes = state_changes(events)
    assert set(changes["entity_id"]) == {"light.l"}
    assert changes.height == int((times <= 7 * 86_400).sum())


def test_occupancy_is_empty_when_the_last_person_leaves():
    leave_a = np.array([8, 32]) * 3600.0          # A leaves at 08:00 on both days, B at 09:00 on day 1 only
    events = _log(("h1", "person.a", leave_a, "not_home"), ("h1", "person.a", leave_a + 9 * 3600, "home"),
                  ("h1", "person.b", np.array([9 * 3600.0]), "not_home"),
                  ("h1", "person.b", np.array([18 * 3600.0]), "home"))
    changes = state_changes(events)
    occupancy = changes.filter(pl.col("entity_id") == OCCUPANCY).sort("t")
    assert occupancy["item"].to_list() == [f"{OCCUPANCY}=empty", f"{OCCUPANCY}=occupied"]
    # day 1: empty when B leaves after A, occupied when A is back; day 2: B stays home, A leaving empties nothing
    assert (occupancy["t"] - int(START.timestamp() * 1e6)).to_list() == [int(9 * 3600e6), int(17 * 3600e6)]


def test_a_rule_that_only_acts_when_it_can_is_found_by_its_open_confidence():
    """Leaving turns the hall light off, but the light is usually off already: the plain confidence is
    low, the share among departures that find the light on is not."""
    rng = np.random.default_rng(6)
    leave = np.arange(28) * 86_400.0 + 8 * 3600 + rng.uniform(0, 1800, 28)
    back = leave + 9 * 3600
    lit = leave[::3]                                   # on one day in three the light is on when leaving
    events = _log(("h1", "person.a", leave, "not_home"), ("h1", "person.a", back, "home"),
                  ("h1", "light.hall", lit - 600, "on"), ("h1", "light.hall", lit + 60, "off"))
    found = co_occurrence(events, 28 * 86_400.0, PatternConfig())
    # one occupant: their leaving and the home turning empty are the same moment; the pair is kept once
    pair = found.filter(pl.col("item_a").is_in(["person.a=not_home", f"{OCCUPANCY}=empty"])
                        & (pl.col("item_b") == "light.hall=off"))
    assert pair.height == 1
    assert pair["confidence"][0] < 0.5 and pair["open_confidence"][0] == 1.0


def test_a_planted_chain_of_four_is_found_with_its_shorter_links():
    rng = np.random.default_rng(7)
    a = _times(rng, 100)
    b = np.sort(np.concatenate([a + rng.uniform(1, 2, a.size), _times(rng, 40)]))   # B and C also by hand:
    c = np.sort(np.concatenate([b + rng.uniform(3, 4, b.size), _times(rng, 40)]))   # the links still follow
    d = c + rng.uniform(2, 3, c.size)
    events = _log(("h1", "binary_sensor.a", a, "on"), ("h1", "light.b", b, "on"), ("h1", "fan.c", c, "on"),
                  ("h1", "switch.d", d, "on"), ("h1", "media_player.noise", _times(rng, 300), "on"))
    config = PatternConfig()
    changes = state_changes(events)
    found = occurrences(changes, config.max_lag_seconds)
    pairs = co_occurrence(events, WINDOW_SECONDS, config)
    chains = chain_patterns(changes, found, pairs, config)
    by_chain = {tuple(row["chain"]): row for row in chains.iter_rows(named=True)}
    full = ("binary_sensor.a=on", "light.b=on", "fan.c=on", "switch.d=on")
    assert full in by_chain and by_chain[full]["length"] == 4 and by_chain[full]["support"] >= 95
    assert abs(by_chain[full]["lag_seconds"] - 7.5) < 1.0
    assert full[:3] in by_chain and full[1:] in by_chain and full[:2] in by_chain
    assert not any("media_player.noise=on" in chain for chain in by_chain)
    assert all(len(set(chain)) == len(chain) for chain in by_chain)


def test_occurrences_made_in_chunks_are_the_rows_made_at_once_with_each_pairs_own_integer():
    rng = np.random.default_rng(11)
    events = _log(*[(home, entity, _times(rng, 400), state) for home in ("h1", "h2")
                    for entity, state in (("binary_sensor.m", "on"), ("light.k", "on"), ("light.k", "off"),
                                          ("switch.s", "on"))])
    changes = state_changes(events)
    at_once = occurrences(changes, 900.0, chunk_candidates=1 << 40)
    assert at_once.height > 1_000
    for chunk in (1, 7, 1_000):
        assert occurrences(changes, 900.0, chunk_candidates=chunk).equals(at_once), chunk
    codes = changes["code"].to_numpy()
    pair_of = {}  # one integer per (item a, item b), different for different pairs
    for a, b, pair in zip(codes[at_once["row_a"].to_numpy()], codes[at_once["row_b"].to_numpy()],
                          at_once["pair"].to_numpy(), strict=True):
        assert pair_of.setdefault((a, b), pair) == pair
    assert len(set(pair_of.values())) == len(pair_of)
