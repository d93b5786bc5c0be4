"""The Home Assistant export's pure parts: encodings, statistics, determinism and bad input."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import random
import sqlite3
from datetime import UTC, date, datetime

import polars as pl
import pyarrow as pa
import pytest
import yaml

from synth_assets.smart_home.export.automations import UnknownRuleError, home_automations
from synth_assets.smart_home.export.checks import RULE_BREAKS, expected_states, export_results, recorder_row_counts
from synth_assets.smart_home.export.configuration import configuration_yaml
from synth_assets.smart_home.export.encoding import (
    EncodingError,
    fnv1a_32,
    ulid_bytes,
    ulid_time_prefix,
    uuid_hex_bytes,
)
from synth_assets.smart_home.export.home_export import check_days, export_home, remove_stale_builds
from synth_assets.smart_home.export.recorder import DATABASE_NAME, audit_database
from synth_assets.smart_home.export.registries import person_document
from synth_assets.smart_home.export.statistics import hourly_statistics, short_term_statistics
from synth_assets_tests.smart_home.export_frames import CROCKFORD, DAYS, dimensions, home_tables, ulid


def _reference_fnv(text: str) -> int:
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def test_ulid_and_user_id_bytes_match_their_integer_value():
    rng = random.Random(3)
    ids = [ulid(datetime(2024, 3, 4, 12, tzinfo=UTC), rng) for _ in range(50)] + [None]
    decoded = ulid_bytes(pa.array(ids)).to_pylist()
    for text, raw in zip(ids, decoded, strict=True):
        if text is None:
            assert raw is None
            continue
        value = 0
        for char in text:
            value = value * 32 + CROCKFORD.index(char)
        assert raw == value.to_bytes(16, "big")
    users = [f"{rng.getrandbits(128):032x}" for _ in range(5)]
    assert uuid_hex_bytes(pa.array(users)).to_pylist() == [bytes.fromhex(u) for u in users]
    with pytest.raises(EncodingError):
        ulid_bytes(pa.array(["not-a-ulid"]))


def test_ulid_time_prefix_is_the_milliseconds_in_crockford_base32():
    # the ULID specification's example: 01ARYZ6S41TSV4RRFFQ69G5FAV has the time 1469918176385 ms
    assert ulid_time_prefix([1469918176385, 0]).to_pylist() == ["01ARYZ6S41", "0000000000"]
    rng = random.Random(5)
    moments = [datetime(2024, 3, 4, h, tzinfo=UTC) for h in range(5)]
    made = [ulid(m, rng) for m in moments]
    assert ulid_time_prefix([int(m.timestamp() * 1000) for m in moments]).to_pylist() == [u[:10] for u in made]
    with pytest.raises(EncodingError):
        ulid_time_prefix([1 << 48])


def test_attribute_hash_is_fnv1a_32():
    texts = ["", "{}", '{"friendly_name":"Küche Licht"}', "x" * 300]
    assert fnv1a_32(texts).tolist() == [_reference_fnv(t) for t in texts]


def _sensor_events(values: list[tuple[float, str]], entity_id: str = "sensor.t") -> pl.DataFrame:
    return pl.DataFrame({"entity_id": [entity_id] * len(values),
                         "timestamp": [datetime.fromtimestamp(t, UTC) for t, _ in values],
                         "state": [s for _, s in values]})


def _entities(state_class: str, entity_id: str = "sensor.t") -> pl.DataFrame:
    return pl.DataFrame({"entity_id": [entity_id], "domain": ["sensor"], "state_class": [state_class],
                         "unit_of_measurement": ["°C"]})


def test_short_term_mean_is_time_weighted_and_carries_the_state_in():
    # 10 for the first 60 s of the period, then 20 for 240 s; the next period starts at 20, 30 after 150 s
    events = _sensor_events([(0.0, "10"), (60.0, "20"), (450.0, "30"), (500.0, "unavailable")])
    rows = short_term_statistics(events, _entities("measurement"), 0.0, 600.0)
    assert rows["start_ts"].to_list() == [0.0, 300.0]
    assert rows["mean"].to_list() == pytest.approx([(10 * 60 + 20 * 240) / 300, (20 * 150 + 30 * 150) / 300])
    assert rows["min"].to_list() == [10.0, 20.0] and rows["max"].to_list() == [20.0, 30.0]
    assert rows["created_ts"].to_list() == [310.0, 610.0]
    assert rows["sum"].null_count() == 2


def test_energy_sum_counts_growth_and_resets_and_hours_take_the_last():
    events = _sensor_events([(0.0, "100"), (100.0, "101.5"), (200.0, "100.5"), (250.0, "101.5"), (400.0, "0.5"),
                             (3700.0, "2.0")])
    short = short_term_statistics(events, _entities("total_increasing"), 0.0, 7200.0)
    # a dip above 0.9 x the last value counts down (-1 then +1); a fall to 0.5 is a reset: 0.5 of growth
    assert short["sum"].to_list()[:2] == [1.5, 2.0]
    assert short["sum"].to_list()[-1] == 3.5 and short["state"].to_list()[-1] == 2.0
    hourly = hourly_statistics(short)
    assert hourly["start_ts"].to_list() == [0.0, 3600.0]
    assert hourly["sum"].to_list() == [2.0, 3.5] and hourly["mean"].null_count() == 2


def test_an_hour_that_has_not_ended_by_the_span_end_has_no_hourly_row():
    # a half-hour zone: the span ends at :30 UTC, so its last hour (from 3600) is not compiled yet
    events = _sensor_events([(0.0, "10"), (1000.0, "20"), (4000.0, "30")])
    short = short_term_statistics(events, _entities("measurement"), 0.0, 5400.0)
    assert short["start_ts"].max() == 5100.0
    hourly = hourly_statistics(short, 5400.0)
    assert hourly["start_ts"].to_list() == [0.0] and hourly["created_ts"].to_list() == [3610.0]
    assert hourly_statistics(short, 7200.0)["start_ts"].to_list() == [0.0, 3600.0]


@pytest.fixture(scope="module")
def tables():
    return home_tables(dimensions(), position=0)


def test_export_is_identical_bytes_for_the_same_input(tables, tmp_path):
    first = export_home(tmp_path / "a", 7, DAYS, tables).directory
    second = export_home(tmp_path / "b", 7, DAYS, tables).directory

    def digests(root):
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    assert digests(first) == digests(second)
    again = export_home(tmp_path / "a", 7, DAYS, tables).directory  # replaces the export in place
    assert digests(again) == digests(first)
    assert [p.name for p in (tmp_path / "a").iterdir()] == [first.name]  # no temp or old dirs left


def test_recorder_rows_follow_the_events(tables, tmp_path):
    export = export_home(tmp_path, 7, DAYS, tables)
    with sqlite3.connect(export.directory / "home-assistant_v2.db") as db:
        chained = db.execute("SELECT COUNT(*) FROM states WHERE old_state_id IS NOT NULL").fetchone()[0]
        broken = db.execute("SELECT COUNT(*) FROM states s JOIN states o ON s.old_state_id = o.state_id "
                            "WHERE o.metadata_id != s.metadata_id OR o.last_updated_ts > s.last_updated_ts")
        shared = [r[0] for r in db.execute("SELECT shared_attrs FROM state_attributes")]
        persons = dict(db.execute("SELECT m.entity_id, a.shared_attrs FROM states s JOIN states_meta m USING "
                                  "(metadata_id) JOIN state_attributes a USING (attributes_id) "
                                  "WHERE m.entity_id LIKE 'person.%'").fetchall())
    assert chained == expected_states(tables.events) - tables.events["entity_id"].n_unique()
    assert broken.fetchone()[0] == 0
    assert len(shared) == len(set(shared))
    assert all("friendly_name" in json.loads(text) for text in shared)
    assert export.recorder_rows["states"] == expected_states(tables.events)
    users = dict(zip(tables.people["name"], tables.people["user_id"], strict=True))
    assert len(persons) == tables.people.height
    for text in persons.values():  # a person's recorded attributes carry its user, as Home Assistant's do
        attributes = json.loads(text)
        assert attributes["user_id"] == users[attributes["friendly_name"]] and attributes["editable"] is True


def test_bad_input_is_refused_before_anything_is_written(tables, tmp_path):
    with pytest.raises(ValueError, match="consecutive"):
        check_days([date(2024, 3, 4), date(2024, 3, 6)])
    bad = tables.correlations.with_columns(kind=pl.lit("telepathy"))
    with pytest.raises(UnknownRuleError, match="telepathy"):
        home_automations(bad, {}, {})
    broken = tables.events.with_columns(context_id=pl.lit("short"))
    with pytest.raises(EncodingError):
        export_home(tmp_path, 7, DAYS, type(tables)(**{**tables.__dict__, "events": broken}))
    assert list(tmp_path.iterdir()) == []


def test_a_write_equal_to_the_previous_is_not_recorded_and_last_changed_is_the_last_change(tables, tmp_path):
    rng = random.Random(11)
    lights = tables.events.filter(pl.col("entity_id").str.starts_with("light."))
    assert lights.height
    # each light's write again 1 s later, same state and attributes, a context of its own: Home Assistant
    # 2024.3 fires no state_changed for it (core.py async_set: same_state and same_attr)
    later = lights.with_columns(timestamp=pl.col("timestamp") + pl.duration(seconds=1), context_parent_id=None,
                                context_user_id=None)
    # and each "on" again 2 s later with another brightness: recorded, last_changed still the "on"'s time
    dimmed = (lights.filter(pl.col("state") == "on")
              .with_columns(timestamp=pl.col("timestamp") + pl.duration(seconds=2), context_parent_id=None,
                            context_user_id=None, attributes=pl.lit('{"brightness": 7}')))
    extra = pl.concat([later, dimmed])
    extra = extra.with_columns(context_id=pl.Series([ulid(t, rng) for t in extra["timestamp"]], dtype=pl.String))
    plain = export_home(tmp_path / "plain", 7, DAYS, tables)
    doubled_events = pl.concat([tables.events, extra]).sort("timestamp", "entity_id")
    doubled = export_home(tmp_path / "doubled", 7, DAYS,
                          type(tables)(**{**tables.__dict__, "events": doubled_events}))
    assert expected_states(pl.concat([tables.events, later])) == expected_states(tables.events)
    assert expected_states(doubled_events) == expected_states(tables.events) + dimmed.height
    for export, events in ((plain, tables.events), (doubled, doubled_events)):
        audit = audit_database(export.directory / DATABASE_NAME)
        assert audit["states"] == expected_states(events)
        assert {name: audit[name] for name in RULE_BREAKS} == dict.fromkeys(RULE_BREAKS, 0)
    with sqlite3.connect(doubled.directory / DATABASE_NAME) as db:
        rows = db.execute("SELECT s.state, s.last_updated_ts, s.last_changed_ts, a.shared_attrs FROM states s "
                          "JOIN states_meta m USING (metadata_id) JOIN state_attributes a USING (attributes_id) "
                          "WHERE m.entity_id = ? ORDER BY s.last_updated_ts", (lights["entity_id"][0],)).fetchall()
    dims = [(a, b) for a, b in zip(rows, rows[1:], strict=False) if a[0] == b[0]]
    assert dims and all('"brightness":7' in b[3] for _, b in dims)
    # an attributes-only change keeps the state's last change; a state change has last_changed = last_updated
    assert all(b[2] == a[1] for a, b in dims)
    assert all(b[2] is None for a, b in zip(rows, rows[1:], strict=False) if a[0] != b[0])
    # a light's attributes as LightEntity.state_attributes writes them (2024.3): color_mode then brightness,
    # both null when off
    for state, _, _, text in rows:
        attributes = json.loads(text)
        assert list(attributes)[:2] == ["color_mode", "brightness"]
        if state == "on":
            assert attributes["color_mode"] == "brightness" and isinstance(attributes["brightness"], int)
        else:
            assert attributes["color_mode"] is None and attributes["brightness"] is None


def test_export_checks_fail_on_a_dangling_reference_and_a_row_mismatch(tables, tmp_path):
    export = export_home(tmp_path, 7, DAYS, tables)
    rows = pl.DataFrame([recorder_row_counts("h", tables.events, export.directory / DATABASE_NAME)])
    assert all(result.passed for result in export_results({"h": export.storage}, rows))
    broken = copy.deepcopy(export.storage)
    broken["core.entity_registry"]["data"]["entities"][-1]["device_id"] = "0" * 32
    results = {r.check_name: r for r in export_results({"h": broken}, rows)}
    assert not results["registries_reference_existing_ids"].passed
    assert results["recorder_rows_match_events"].passed


LAST = "(SELECT max(state_id) FROM states)"
CORRUPTIONS = {  # a written file damaged in one way -> the count of recorder_row_counts that must see it
    "recorder_states": [f"DELETE FROM states WHERE state_id = {LAST}"],
    "broken_old_state_links": [f"UPDATE states SET old_state_id = NULL WHERE state_id = {LAST}"],
    "attribute_hash_mismatches": ["UPDATE state_attributes SET hash = hash + 1 WHERE attributes_id = 1"],
    "repeated_writes": ["INSERT INTO states (state, last_updated_ts, old_state_id, attributes_id, metadata_id, "
                        "origin_idx) SELECT state, last_updated_ts + 0.5, state_id, attributes_id, metadata_id, "
                        f"origin_idx FROM states WHERE state_id = {LAST}"],
    "wrong_last_changed": [f"UPDATE states SET last_changed_ts = last_updated_ts - 1000 WHERE state_id = {LAST}"],
    "states_without_attributes": [f"UPDATE states SET attributes_id = 999999 WHERE state_id = {LAST}"],
}


@pytest.mark.parametrize("count", sorted(CORRUPTIONS))
def test_the_recorder_check_reads_the_written_file_and_fails_on_a_corrupted_one(tables, tmp_path, count):
    export = export_home(tmp_path, 7, DAYS, tables)
    database = export.directory / DATABASE_NAME
    good = recorder_row_counts("h", tables.events, database)
    with sqlite3.connect(database) as db:
        for statement in CORRUPTIONS[count]:
            db.execute(statement)
    db.close()
    bad = recorder_row_counts("h", tables.events, database)
    assert bad[count] != good[count]
    (result,) = [r for r in export_results({"h": export.storage}, pl.DataFrame([bad]))
                 if r.check_name == "recorder_rows_match_events"]
    assert not result.passed


def test_persons_are_matched_to_occupants_by_name_not_by_row_order():
    dims = dimensions(homes=6)
    shared = dims["people"].group_by("home_id").len().filter(pl.col("len") >= 2)["home_id"]
    assert len(shared)   # homes where the order could matter
    for home_id in shared:
        def mine(frame: pl.DataFrame, home: str = home_id) -> pl.DataFrame:
            return frame.filter(pl.col("home_id") == home)

        entities = mine(dims["entities"]).reverse()   # person entities in the other order
        items = person_document(mine(dims["people"]), entities, mine(dims["devices"]))["data"]["items"]
        persons = entities.filter(pl.col("domain") == "person")
        entity_of = dict(zip(persons["original_name"], persons["entity_id"], strict=True))
        users = dict(zip(mine(dims["people"])["name"], mine(dims["people"])["user_id"], strict=True))
        assert [item["name"] for item in items] == mine(dims["people"]).sort("position")["name"].to_list()
        for item in items:
            assert f"person.{item['id']}" == entity_of[item["name"]] and item["user_id"] == users[item["name"]]


def test_configuration_follows_the_home_and_the_span(tables):
    home = {**tables.home, "country_code": "US", "timezone": "America/Chicago"}
    text = configuration_yaml(home, 176.4, 14, "climate normals: Chicago")
    loaded = yaml.safe_load(text.replace("!include", "included"))
    core = loaded["homeassistant"]
    assert core["unit_system"] == "metric" and core["elevation"] == 176   # the events' °C, also in the US
    assert core["time_zone"] == "America/Chicago" and core["country"] == "US"
    assert loaded["recorder"] == {"purge_keep_days": 15, "auto_purge": False}
    assert "# elevation: climate normals: Chicago" in text and "automation: !include automations.yaml" in text
    assert yaml.safe_load(configuration_yaml(tables.home, 0.0, 1).replace("!include", "x"))["homeassistant"][
        "unit_system"] == "metric"
    with pytest.raises(ValueError, match="at least one day"):
        configuration_yaml(tables.home, 0.0, 0)


def test_stale_builds_are_removed_and_fresh_ones_kept(tables, tmp_path):
    export_home(tmp_path, 7, DAYS, tables)
    stale, fresh = tmp_path / ".home_00001.abc.tmp", tmp_path / ".home_00001.def.old"
    stale.mkdir()
    fresh.mkdir()
    os.utime(stale, (0, 0))
    assert remove_stale_builds(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [fresh.name, "home_00001"]


def test_adding_homes_leaves_an_existing_homes_export_identical(tmp_path):
    few = export_home(tmp_path / "few", 7, DAYS, home_tables(dimensions(homes=3), position=1)).directory
    more = export_home(tmp_path / "more", 7, DAYS, home_tables(dimensions(homes=6), position=1)).directory

    def digests(root):
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    assert few.name == more.name == "home_00002"
    assert digests(few) == digests(more)
    other_seed = export_home(tmp_path / "seed", 8, DAYS, home_tables(dimensions(homes=3), position=1)).directory
    registry = ".storage/core.entity_registry"
    assert digests(other_seed)[registry] != digests(few)[registry]   # registry ids follow the seed
