"""Periods that run past local midnight (issue 14, review H1): a lamp, plug, TV, heating or window on at the end
of a day is switched off on the next day, so every on/off-like entity alternates across midnight too, on
ordinary and DST days; the check across midnight catches a repeat. Through the generator, without Dagster."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from synth_assets.core.days import PARTITIONS_START
from synth_assets.smart_home.events import models as em
from synth_assets.smart_home.events.checks import EVENT_CHECKS, day_parents, last_states
from synth_assets.smart_home.events.log import INTERVAL_STATES
from synth_assets.smart_home.events.rules import entity_kinds
from synth_assets.smart_home.people import occupants
from synth_assets_tests.smart_home.events_world import world

KEY = ["home_id", "entity_id"]
ALTERNATE = next(c for c in EVENT_CHECKS if c.name == "binary_states_alternate")
ACTIVE = {kind: states[0] for kind, states in INTERVAL_STATES.items()}


@pytest.fixture(scope="module")
def days():
    """60 homes over 2024-10-25..28: Europe leaves summer time on the 27th (a 25-hour day)."""
    w = world(3, 60)
    first = date(2024, 10, 25)
    return w, [(first + timedelta(days=k), w.events(first + timedelta(days=k))) for k in range(4)]


def _parents(w, day):
    return day_parents(w.seed, day, w.homes, w.entities, w.devices, w.areas, w.rules, w.context(day)["prices"])


def test_every_on_off_entity_alternates_across_midnight(days):
    w, frames = days
    kinds = entity_kinds(w.entities, w.areas).select(*KEY, "kind").filter(pl.col("kind").is_in(list(INTERVAL_STATES)))
    pairs = 0
    for (_, before), (day, after) in zip(frames[:-1], frames[1:], strict=True):
        last = last_states(before, kinds)
        first = (after.join(kinds, on=KEY).sort("timestamp").group_by(KEY)
                 .agg(pl.col("state").first().alias("first")))
        joined = last.join(first, on=KEY)
        pairs += joined.height
        assert joined.filter(pl.col("state") == pl.col("first")).height == 0, day
        counts = ALTERNATE.count(after, {**_parents(w, day), "states_before": last})
        assert counts["repeated_across_midnight"] == 0 and counts["repeated_state"] == 0, day
    assert pairs > 3_000


def test_a_period_running_past_midnight_ends_the_next_day_by_whoever_ends_it(days):
    """Lights, plugs, TVs ... on at the end of a day get their idle state early the next day: no write at
    midnight, no second start; a light switched off by hand carries the occupant's user id."""
    w, frames = days
    kinds = entity_kinds(w.entities, w.areas).select(*KEY, "kind").filter(pl.col("kind").is_in(list(INTERVAL_STATES)))
    users = occupants(w.seed, w.homes).select("home_id", pl.col("user_id").alias("context_user_id"))
    carried = []
    for (_, before), (day, after) in zip(frames[:-1], frames[1:], strict=True):
        on_at_end = (last_states(before, kinds).join(kinds, on=KEY)
                     .filter(pl.col("state") == pl.col("kind").replace_strict(ACTIVE)))
        first = after.sort("timestamp").group_by(KEY).agg(pl.all().first())
        ended = on_at_end.join(first, on=KEY, suffix="_next")
        assert ended.filter(pl.col("state_next") == pl.col("state")).height == 0
        starts = _parents(w, day)["day_bounds"].select("home_id", pl.col("start").alias("midnight"))
        carried.append(ended.join(starts, on="home_id").with_columns(
            day=pl.lit(day), after_midnight_s=(pl.col("timestamp") - pl.col("midnight")).dt.total_seconds()))
    carried = pl.concat(carried)
    lights = carried.filter(pl.col("kind") == "light")
    assert carried.height >= 40 and lights.height >= 10
    assert carried["kind"].n_unique() >= 4
    # each ends when its own period ends, not all in the first minutes (a light on from 23:30 for 2 h)
    late = (lights["after_midnight_s"] > em.OFF_AFTER_RETURN_S[1]).mean()
    assert late > 0.4, late   # 0.10 when sessions past midnight were taken as left in an empty home
    by_hand = lights.filter(pl.col("context_user_id").is_not_null())
    assert by_hand.height >= 5 and by_hand.join(users, on=["home_id", "context_user_id"], how="anti").height == 0


def test_the_check_across_midnight_catches_a_repeated_state(days):
    w, frames = days
    day, after = frames[1]
    kinds = entity_kinds(w.entities, w.areas).select(*KEY, "kind")
    first_states = (after.join(kinds.filter(pl.col("kind").is_in(list(INTERVAL_STATES))), on=KEY)
                    .sort("timestamp").group_by(KEY).agg(pl.col("state").first()))
    counts = ALTERNATE.count(after, {**_parents(w, day), "states_before": first_states})
    assert counts["repeated_across_midnight"] == first_states.height > 100
    assert not ALTERNATE.result(counts).passed


def test_the_first_partition_day_has_no_day_before_to_carry():
    """No context exists before the first partition day (prices would be drawn at a negative block)."""
    w = world(5, 6)
    first = w.events(PARTITIONS_START)
    assert first.height > 0
    assert ALTERNATE.count(first, _parents(w, PARTITIONS_START))["repeated_state"] == 0
