"""The event generator without Dagster: determinism, home independence, local days with DST, alternation,
causes and users as Home Assistant records them, counters across days, volumes, ULIDs, and checks that
catch broken rows."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

from synth_assets.smart_home.events.checks import EVENT_CHECKS, RulesMeasuredBack, day_parents
from synth_assets.smart_home.events.context_ids import ulid_milliseconds, ulids
from synth_assets.smart_home.events.generate import generate_events
from synth_assets.smart_home.events.models import EVENTS_PER_ENTITY_DAY
from synth_assets.smart_home.events.rules import entity_kinds
from synth_assets.smart_home.people import occupants
from synth_assets_tests.smart_home.events_world import world

DAY = date(2023, 1, 17)


@pytest.fixture(scope="module")
def base():
    return world(5, 12)


@pytest.fixture(scope="module")
def day_events(base):
    return base.events(DAY)


def _check_counts(w, frame, day, rules=None):
    parents = day_parents(w.seed, day, w.homes, w.entities, w.devices, w.areas,
                          w.rules if rules is None else rules, w.context(day)["prices"])
    return {c.name: (c, c.count(frame, parents)) for c in EVENT_CHECKS}


def test_same_inputs_give_identical_events(base, day_events):
    assert base.events(DAY).equals(day_events)


def test_every_check_passes_and_planted_rules_are_measured_back(base, day_events):
    for name, (check, counts) in _check_counts(base, day_events, DAY).items():
        if isinstance(check, RulesMeasuredBack):
            result = check.result(counts, rules=base.rules)
            assert result.passed, result.metadata
            assert result.metadata["measured_back"].value >= 10
        else:
            assert sum(counts.values()) == 0, (name, counts)


def test_a_homes_events_do_not_depend_on_the_other_homes_generated_with_it(base, day_events):
    some = base.homes.filter(pl.col("home_index").is_in([2, 5, 9]))
    alone = base.events(DAY, homes=some)
    assert alone.height > 0
    assert alone.equals(day_events.filter(pl.col("home_id").is_in(some["home_id"].implode())))


def test_threads_over_blocks_of_homes_give_the_same_table():
    w = world(6, 110)
    ctx = w.context(DAY)
    args = (w.seed, DAY, w.homes, w.entities, w.devices, w.areas, w.rules, ctx["calendar"], ctx["weather"],
            ctx["external"], ctx["prices"])
    assert generate_events(*args, workers=2).equals(generate_events(*args, workers=1))


def test_adding_homes_changes_no_existing_home():
    small, large = world(5, 6), world(5, 12)
    before = small.events(DAY)
    after = large.events(DAY).filter(pl.col("home_id").is_in(small.homes["home_id"].implode()))
    assert before.equals(after)
    assert large.rules.filter(pl.col("home_id").is_in(small.homes["home_id"].implode())).equals(small.rules)


@pytest.mark.parametrize("day, hours", [(date(2021, 3, 28), 23), (date(2021, 10, 31), 25)])
def test_a_dst_day_spans_its_local_day(day, hours):
    w = world(5, 12)
    events = w.events(day)
    zone_of = dict(w.homes.select("home_id", "timezone").iter_rows())
    berlin = [h for h, z in zone_of.items() if z in ("Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome",
                                                    "Europe/London", "Europe/Warsaw", "Europe/Amsterdam")]
    assert berlin, "the world needs a European home for this test"
    for home in berlin:
        tz = ZoneInfo(zone_of[home])
        start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(timezone.utc)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz).astimezone(timezone.utc)
        assert (end - start) == timedelta(hours=hours)
        stamps = events.filter(pl.col("home_id") == home)["timestamp"]
        assert stamps.min() >= start and stamps.max() < end
        # sensors report through the whole local day, including its last hour
        assert stamps.max() > end - timedelta(hours=1)


def test_on_off_states_alternate_and_numbers_are_rounded(base, day_events):
    kinds = entity_kinds(base.entities, base.areas).select("home_id", "entity_id", "kind")
    rows = day_events.join(kinds, on=["home_id", "entity_id"])
    lights = rows.filter(pl.col("kind") == "light").sort("home_id", "entity_id", "timestamp")
    assert lights.height > 20
    assert set(lights["state"].unique()) == {"on", "off"}
    assert lights.select((pl.col("state") == pl.col("state").shift(1).over("home_id", "entity_id")).sum()).item() == 0
    temperatures = rows.filter(pl.col("kind") == "sensor.temperature")["state"]
    assert temperatures.str.contains(r"^-?\d+\.\d$").all()
    batteries = rows.filter(pl.col("kind") == "sensor.battery")["state"]
    assert batteries.str.contains(r"^\d+$").all()
    motion = rows.filter(pl.col("kind") == "binary_sensor.motion").sort("home_id", "entity_id", "timestamp")
    pulse = motion.with_columns(seconds=(pl.col("timestamp").diff().over("home_id", "entity_id")).dt.total_seconds())
    on_lengths = pulse.filter(pl.col("state") == "off")["seconds"].drop_nulls()
    assert on_lengths.len() > 50 and on_lengths.median() < 180   # motion comes as short pulses


def test_automation_changes_carry_the_triggers_context_and_manual_ones_an_occupant(base, day_events):
    caused = day_events.filter(pl.col("context_parent_id").is_not_null())
    parents = day_events.select("home_id", pl.col("context_id").alias("context_parent_id"),
                                pl.col("entity_id").alias("trigger_entity_id"), pl.col("timestamp").alias("at"))
    linked = caused.join(parents, on=["home_id", "context_parent_id"])
    assert linked.height == caused.height > 20
    assert (linked["timestamp"] >= linked["at"]).all()
    # every caused change is the target of a declared rule whose trigger wrote the parent
    declared = base.rules.select("home_id", "trigger_entity_id", pl.col("target_entity_id").alias("entity_id"))
    assert linked.join(declared, on=["home_id", "trigger_entity_id", "entity_id"], how="anti").height == 0
    manual = day_events.filter(pl.col("context_user_id").is_not_null())
    users = occupants(base.seed, base.homes).select("home_id", pl.col("user_id").alias("context_user_id"))
    assert manual.height > 20 and manual.join(users, on=["home_id", "context_user_id"], how="anti").height == 0
    # the acting occupant is at home: their person entity's last write before the change is not not_home
    person_of = (occupants(base.seed, base.homes)
                 .join(base.entities.filter(pl.col("domain") == "person")
                       .select("home_id", pl.col("original_name").alias("name"), pl.col("entity_id").alias("person")),
                       on=["home_id", "name"]).select("home_id", pl.col("user_id").alias("context_user_id"), "person"))
    moves = day_events.filter(pl.col("entity_id").str.starts_with("person.")).select(
        "home_id", pl.col("entity_id").alias("person"), pl.col("timestamp").alias("moved"),
        pl.col("state").alias("where")).sort("moved")
    located = (manual.join(person_of, on=["home_id", "context_user_id"]).sort("timestamp")
               .join_asof(moves, left_on="timestamp", right_on="moved", by=["home_id", "person"],
                          check_sortedness=False))
    assert located.height == manual.height
    assert located.filter(pl.col("where") == "not_home").height == 0
    sensors = day_events.filter(pl.col("entity_id").str.starts_with("sensor."))
    assert sensors["context_parent_id"].null_count() == sensors.height
    assert sensors["context_user_id"].null_count() == sensors.height


def test_the_truth_never_appears_in_the_events(base, day_events):
    for column in ("state", "attributes", "context_id", "context_parent_id", "context_user_id"):
        text = day_events[column].drop_nulls()
        assert not text.str.contains("rule|chain|motion_light|away_all_off").any(), column


def test_energy_counters_continue_across_midnight(base):
    first, second = base.events(DAY), base.events(DAY + timedelta(days=1))
    energy = pl.col("entity_id").str.ends_with("_energy") | pl.col("entity_id").str.ends_with("_energy_import")
    last = first.filter(energy).group_by("home_id", "entity_id").agg(pl.col("state").cast(pl.Float64).last())
    start = second.filter(energy).group_by("home_id", "entity_id").agg(pl.col("state").cast(pl.Float64).first())
    both = last.join(start, on=["home_id", "entity_id"], suffix="_next")
    assert both.height >= 5
    assert (both["state"] <= both["state_next"]).all()


def test_people_continue_across_midnight():
    """Night shifts end and trips come home on the day after (from the day before's calendar), so a
    person's first write of a day is never the state they ended the previous day in."""
    w = world(8, 80)
    first = date(2023, 7, 1)
    days = [w.events(first + timedelta(days=k)).filter(pl.col("entity_id").str.starts_with("person."))
            for k in range(5)]
    pairs = 0
    for before, after in zip(days[:-1], days[1:], strict=True):
        last = before.group_by("home_id", "entity_id").agg(pl.col("state").last())
        start = after.group_by("home_id", "entity_id").agg(pl.col("state").first())
        joined = last.join(start, on=["home_id", "entity_id"], suffix="_next")
        pairs += joined.height
        assert joined.filter(pl.col("state") == pl.col("state_next")).height == 0
    assert pairs > 300


def test_events_per_home_day_look_like_real_homes(base, day_events):
    per_home = (day_events.group_by("home_id").len()
                .join(base.entities.group_by("home_id").agg(entities=pl.len()), on="home_id"))
    rate = per_home["len"] / per_home["entities"]
    assert rate.min() >= EVENTS_PER_ENTITY_DAY[0] and rate.max() <= EVENTS_PER_ENTITY_DAY[1]
    # the published figure: about 3,000-13,000 events per home-day for 20-90 sensors
    mid = per_home.filter(pl.col("entities").is_between(20, 90))
    assert mid.height >= 3 and 3_000 <= mid["len"].median() <= 13_000
    assert mid["len"].is_between(1_000, 20_000).all()


def test_ulids_are_crockford_time_prefixed_and_distinct():
    ms = np.array([0, 1_700_000_000_123, 1_700_000_000_123, (1 << 48) - 1])
    ids = [x.decode() for x in ulids(ms, 3, ("t",), np.arange(4))]
    assert all(len(x) == 26 and set(x) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for x in ids)
    assert ulid_milliseconds(ids) == ms.tolist()
    assert len(set(ids)) == 4 and ids[0].startswith("0000000000") and ids[3].startswith("7ZZZZZZZZZ")
    with pytest.raises(ValueError):
        ulids(np.array([1 << 48]), 3, ("t",), np.arange(1))


def _broken(day_events: pl.DataFrame) -> dict[str, pl.DataFrame]:
    energy = day_events.filter(pl.col("entity_id").str.contains(r"_energy(_import)?$"))["entity_id"][1]
    light = day_events.filter(pl.col("entity_id").str.starts_with("light.")).row(1, named=True)
    temp = day_events.filter(pl.col("entity_id").str.ends_with("_temperature")).row(0, named=True)
    return {
        "events_key_unique": pl.concat([day_events, day_events.head(1)]),
        "event_entity_exists": day_events.with_columns(pl.col("entity_id").replace(light["entity_id"],
                                                                                   "light.nowhere")),
        "numeric_states_in_device_class_range": day_events.with_columns(
            pl.when(pl.col("context_id") == temp["context_id"]).then(pl.lit("99.5")).otherwise("state")
            .alias("state")),
        "energy_counters_monotonic": day_events.with_columns(
            pl.when(pl.col("entity_id") == energy).then(pl.lit("0.5")).otherwise("state").alias("state")),
        "sorted_within_local_day": day_events.reverse(),
        "binary_states_alternate": day_events.with_columns(
            pl.when(pl.col("entity_id") == light["entity_id"]).then(pl.lit("on")).otherwise("state").alias("state")),
        "context_links_valid": day_events.with_columns(context_parent_id=pl.col("context_id").shift(-1)),
        "events_per_home_day_in_band": day_events.filter(pl.col("entity_id").str.starts_with("person.")),
    }


def test_every_event_check_catches_broken_rows(base, day_events):
    for name, frame in _broken(day_events).items():
        check, counts = _check_counts(base, frame, DAY)[name]
        assert sum(Counter(counts).values()) > 0, name
        assert not check.result(counts).passed, name


def test_rules_not_planted_in_the_events_are_not_measured_back(base, day_events):
    without_causes = day_events.filter(pl.col("context_parent_id").is_null())
    check, counts = _check_counts(base, without_causes, DAY)["planted_rules_measured_back"]
    assert not check.result(counts, rules=base.rules).passed


@pytest.mark.parametrize("seed", [3, 12, 17])
def test_single_homes_of_any_size_pass_every_check(seed):
    """One home alone (some lack whole entity kinds, e.g. every humidity sensor): no empty-kind crash."""
    w = world(seed, 1)
    day = DAY + timedelta(days=seed)
    events = w.events(day)
    assert events.height > 0
    for name, (check, counts) in _check_counts(w, events, day).items():
        result = check.result(counts, rules=w.rules) if isinstance(check, RulesMeasuredBack) else check.result(counts)
        assert result.passed, (name, counts)


def test_missing_calendar_rows_are_refused(base):
    ctx = base.context(DAY)
    with pytest.raises(ValueError, match="no calendar row"):
        base.events(DAY, calendar=ctx["calendar"].head(3))
