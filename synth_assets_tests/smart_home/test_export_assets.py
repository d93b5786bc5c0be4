"""The export assets through Dagster, on the real event generator: ha_export (checks, layout, a missing
events partition, unknown homes, same bytes again), automations and home_descriptions tables, and the
written export loaded by Home Assistant's own code."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb
import polars as pl
import pytest

from synth_assets.smart_home import assets as home_assets
from synth_assets.smart_home import layout
from synth_assets.smart_home.context import assets as context_assets
from synth_assets.smart_home.events import assets as event_assets
from synth_assets.smart_home.export import assets
from synth_assets.smart_home.export.checks import CHECKS, TABLE_CHECKS, recorded_rows, table_results
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets_tests.conftest import make_resources, make_settings
from synth_assets_tests.smart_home.export_frames import CROCKFORD
from synth_assets_tests.smart_home.ha_tool_env import ha_python, run_ha_script  # noqa: F401 - fixture

SEED = 5
FIRST, LAST = "2024-03-04", "2024-03-05"
ALL = [*home_assets.DIMENSION_ASSETS, *context_assets.CONTEXT_ASSETS, *event_assets.EVENT_ASSETS,
       *assets.EXPORT_ASSETS]
RANGE = {"dagster/asset_partition_range_start": FIRST, "dagster/asset_partition_range_end": LAST}

pytestmark = pytest.mark.xdist_group(name="ha_export_assets")  # module fixtures: keep the module on one worker


@pytest.fixture(autouse=True)
def _no_smart_home_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SYNTH_SMART_HOME_HOMES", "SYNTH_SMART_HOME_HA_EXPORT_HOMES", "SYNTH_SMART_HOME_DESCRIPTIONS",
                 "SYNTH_SMART_HOME_OPENAI_BASE_URL", "SYNTH_SMART_HOME_OPENAI_MODEL"):
        monkeypatch.delenv(name, raising=False)


def _resources(root, **smart_home):
    settings = make_settings(root / "data", seed=SEED)
    return settings, {**make_resources(settings), "smart_home": SmartHomeSettings(**{"homes": 3, **smart_home})}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("export_world")
    settings, resources = _resources(root, ha_export_homes=["home_00001", "home_00003"])
    with dg.instance_for_test() as instance:
        dg.materialize(ALL, selection=[*home_assets.KEYS.values(), event_assets.CORRELATIONS], resources=resources,
                       instance=instance)
        dg.materialize(ALL, selection=[context_assets.KEYS[t] for t in event_assets.CONTEXT_TABLES],
                       resources=resources, instance=instance, tags=RANGE)
        dg.materialize(ALL, selection=[event_assets.EVENTS], resources=resources, instance=instance, tags=RANGE)
        result = dg.materialize(ALL, selection=[assets.KEYS["ha_export"], assets.KEYS["automations"],
                                                assets.KEYS["home_descriptions"]],
                                resources=resources, instance=instance, tags=RANGE)
    return root, settings, resources, result


def _events(settings, home_id):
    files = sorted(layout.daily_dir(settings.data_path, "events").rglob("*.parquet"))
    return pl.concat([pl.read_parquet(f) for f in files]).filter(pl.col("home_id") == home_id)


def test_export_writes_each_chosen_home_and_every_check_passes(world):
    _, settings, _, result = world
    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert {c.name for c in CHECKS} <= set(checks) and all(checks.values())
    root = assets.export_root(settings.data_path)
    assert sorted(p.name for p in root.iterdir()) == ["home_00001", "home_00003"]
    for home_id in ("home_00001", "home_00003"):
        with sqlite3.connect(root / home_id / "home-assistant_v2.db") as db:
            states = db.execute("SELECT COUNT(*) FROM states").fetchone()[0]
        events = _events(settings, home_id)
        assert states == recorded_rows(events).height > 0   # what Home Assistant records of them
        assert (root / home_id / ".storage" / "core.entity_registry").exists()


def test_automations_and_descriptions_tables_are_viewed(world):
    _, settings, _, _ = world
    rules = pl.read_parquet(layout.table_path(settings.data_path, "correlations"))
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as db:
        automations = db.sql("SELECT home_id, automation_id FROM smart_home.automations").pl()
        descriptions = db.sql("SELECT home_id, backend, description FROM smart_home.home_descriptions").pl()
    expected = rules.select("home_id", pl.col("rule_id").alias("automation_id")).unique()  # chain links too
    assert automations.sort(pl.all()).equals(expected.sort(pl.all()))
    assert descriptions.height == 3 and set(descriptions["backend"]) == {"templates"}
    assert all(len(text) > 100 for text in descriptions["description"])


def test_the_export_loads_in_home_assistant(world, ha_python, tmp_path):  # noqa: F811
    _, settings, _, _ = world
    directory = assets.export_root(settings.data_path) / "home_00001"
    found = run_ha_script(ha_python, "validate_export.py", directory, tmp_path)
    events = recorded_rows(_events(settings, "home_00001"))   # the writes Home Assistant records
    assert found["registries"]["dangling"] == []
    assert found["automations"]["errors"] == [] and found["configuration"]["errors"] == []
    recorder = found["recorder"]
    assert recorder["schema_changes"] == [42] and found["warnings"] == []
    assert recorder["states_read"] == events.height
    assert recorder["history"] == {"repeated_states": 0, "last_changed_not_last_change": 0}
    assert recorder["statistics_read"] == recorder["statistics_in_file"] > 0
    # contexts decoded by the recorder's own functions; a run's context is re-timed to its trigger (its first
    # 10 characters), so ids are compared by their random part (the other 16)
    decoded = {c[10:]: (c, user, parent) for c, (user, parent) in recorder["contexts"].items()}
    assert len(decoded) == events.height
    for row in events.iter_rows(named=True):
        context, user, parent = decoded[row["context_id"][10:]]
        assert user == row["context_user_id"]
        assert (parent or "")[10:] == (row["context_parent_id"] or "")[10:]
        assert context == row["context_id"] or row["context_parent_id"] is not None   # only runs are re-timed
    # each recorded automation run: its context is a change whose parent is a change of the rule's trigger,
    # made at the trigger's time (the ULID's milliseconds)
    runs = [e for e in recorder["events"] if e[0] == "automation_triggered"]
    assert runs
    by_random = {row["context_id"][10:]: row for row in events.iter_rows(named=True)}
    rules = pl.read_parquet(layout.table_path(settings.data_path, "correlations")).filter(
        pl.col("home_id") == "home_00001")
    pairs = set(zip(rules["trigger_entity_id"].to_list(), rules["target_entity_id"].to_list(), strict=True))
    retimed = 0
    for _, data, context_id, parent_id, fired in runs:
        child, trigger = by_random[context_id[10:]], by_random[parent_id[10:]]
        assert (child["context_parent_id"] or "")[10:] == parent_id[10:]
        assert data["source"] in (f"state of {trigger['entity_id']}", f"numeric state of {trigger['entity_id']}")
        assert (trigger["entity_id"], child["entity_id"]) in pairs
        assert fired == pytest.approx(trigger["timestamp"].timestamp())
        assert _ulid_ms(context_id) == (trigger["timestamp"] - EPOCH) // timedelta(milliseconds=1)
        retimed += _ulid_ms(context_id) != _ulid_ms(child["context_id"])
    assert retimed   # the changes come a lag after their trigger


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ulid_ms(ulid: str) -> int:
    value = 0
    for char in ulid[:10]:
        value = value * 32 + CROCKFORD.index(char)
    return value


def test_rematerializing_gives_the_same_bytes(world):
    root, settings, resources, _ = world
    directory = assets.export_root(settings.data_path)

    def digests():
        return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(directory.rglob("*")) if p.is_file()}

    before = digests()
    with dg.instance_for_test() as instance:
        assert dg.materialize(ALL, selection=[assets.KEYS["ha_export"]], resources=resources, instance=instance,
                              tags=RANGE).success
    assert digests() == before


def test_a_missing_events_day_and_an_unknown_home_are_refused_clearly(world):
    _, settings, resources, _ = world
    with dg.instance_for_test() as instance:
        with pytest.raises(assets.MissingEventsPartitionError) as missing:
            dg.materialize(ALL, selection=[assets.KEYS["ha_export"]], resources=resources, instance=instance,
                           partition_key="2024-03-07")
        assert "2024-03-07" in str(missing.value)
        assert ("dagster asset materialize -m synth_assets.definitions --select smart_home/events "
                "--partition 2024-03-07") in str(missing.value)
        bad = {**resources, "smart_home": SmartHomeSettings(homes=3, ha_export_homes=["home_09999"])}
        with pytest.raises(assets.UnknownHomeError, match="home_09999"):
            dg.materialize(ALL, selection=[assets.KEYS["ha_export"]], resources=bad, instance=instance,
                           partition_key=FIRST)


def test_description_backend_is_off_by_default_and_a_bad_endpoint_is_refused():
    assert SmartHomeSettings.from_env({}).openai_endpoint() is None
    with pytest.raises(ValueError, match="base URL"):
        SmartHomeSettings(description_backend="openai", description_openai_model="m")
    with pytest.raises(ValueError, match="model"):
        SmartHomeSettings(description_backend="openai", description_openai_base_url="https://example.invalid/v1")
    with pytest.raises(ValueError, match="unknown description backend"):
        SmartHomeSettings.from_env({"SYNTH_SMART_HOME_DESCRIPTIONS": "gpt"})


def test_table_checks_pass_and_catch_a_stray_automation_and_a_duplicate_description(world):
    _, settings, _, result = world
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert {c.name for table in TABLE_CHECKS.values() for c in table} <= set(checks) and all(checks.values())
    homes = pl.read_parquet(layout.table_path(settings.data_path, "homes"))
    rules = pl.read_parquet(layout.table_path(settings.data_path, "correlations"))
    automations = pl.read_parquet(layout.table_path(settings.data_path, "automations"))
    stray = pl.concat([automations, automations.head(1).with_columns(automation_id=pl.lit("not_a_rule"))])
    assert [r.passed for r in table_results("automations", stray, homes, rules)] == [True, False]
    descriptions = pl.read_parquet(layout.table_path(settings.data_path, "home_descriptions"))
    doubled = pl.concat([descriptions, descriptions.head(1)])
    assert [r.passed for r in table_results("home_descriptions", doubled, homes)] == [False, True]
