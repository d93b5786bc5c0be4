"""The four smart-home dimension assets through Dagster: files, DuckDB views, checks, identities, bad input."""

from __future__ import annotations

from datetime import date

import dagster as dg
import duckdb
import polars as pl
import pytest

from synth_assets.core.storage import CorruptFileError
from synth_assets.smart_home import assets, layout
from synth_assets.smart_home.checks import CHECKS
from synth_assets.smart_home.demo import (
    DEMO_ANALYSIS_DAY,
    DEMO_EVENT_DAYS,
    DEMO_HOMES,
    PATTERN_TABLES,
    run_demo,
)
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets_tests.conftest import make_resources, make_settings, sha256_tree


@pytest.fixture(autouse=True)
def _no_smart_home_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNTH_SMART_HOME_HOMES", raising=False)


def build(tmp_path, instance, seed=7, **smart_home):
    settings = make_settings(tmp_path / "data", seed=seed)
    resources = {**make_resources(settings), "smart_home": SmartHomeSettings(**{"homes": 12, **smart_home})}
    result = dg.materialize(assets.DIMENSION_ASSETS, resources=resources, instance=instance)
    return result, settings


def test_all_four_tables_are_written_viewed_and_pass_every_check(tmp_path, instance):
    result, settings = build(tmp_path, instance)
    assert result.success
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {check.name for checks in CHECKS.values() for check in checks}
    assert all(evaluations.values()), evaluations
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        counts = {t: con.execute(f"select count(*) from smart_home.{t}").fetchone()[0]
                  for t in layout.DIMENSION_TABLES}
        orphans = con.execute("""select count(*) from smart_home.entities e left join smart_home.devices d
                                 using (device_id) where e.device_id is not null and d.device_id is null""").fetchone()
    assert counts["homes"] == 12 and counts["entities"] > counts["devices"] > counts["areas"] > 12
    assert orphans == (0,)
    entity_meta = next(m for m in result.get_asset_materialization_events()
                       if m.asset_key == assets.KEYS["entities"]).materialization.metadata
    assert entity_meta["dagster/row_count"].value == counts["entities"]
    assert "median" in entity_meta["entities_per_home_by_type"].value


def test_same_seed_gives_identical_bytes_and_another_seed_other_bytes(tmp_path, instance):
    build(tmp_path / "a", instance)
    build(tmp_path / "b", instance)
    build(tmp_path / "c", instance, seed=8)
    first, second, third = (sha256_tree(tmp_path / x / "data" / "smart_home") for x in "abc")
    assert len(first) == 4 and first == second
    assert all(first[name] != third[name] for name in first)


def test_a_table_made_with_other_settings_is_refused_by_its_children(tmp_path, instance):
    _, settings = build(tmp_path, instance, homes=5)
    resources = {**make_resources(settings), "smart_home": SmartHomeSettings(homes=6)}
    with pytest.raises(CorruptFileError, match="smart_home.homes.*materialize smart_home/homes"):
        dg.materialize(assets.DIMENSION_ASSETS, selection=[assets.KEYS["areas"]], resources=resources,
                       instance=instance)


@pytest.mark.parametrize("bad", [{"homes": 0}, {"homes": -3}, {"home_types": ["castle"]}, {"home_types": []}])
def test_bad_settings_are_refused_before_anything_is_written(tmp_path, instance, bad):
    settings = make_settings(tmp_path / "data")
    with pytest.raises(Exception, match="homes|home type|home_types"):
        resources = {**make_resources(settings), "smart_home": SmartHomeSettings(**bad)}
        dg.materialize(assets.DIMENSION_ASSETS, resources=resources, instance=instance)
    assert not layout.family_path(settings.data_path).exists()


def test_bad_run_config_is_refused_by_the_code_location_before_anything_is_written(tmp_path, instance):
    from synth_assets.definitions import defs

    data = tmp_path / "data"
    job = defs.resolve_implicit_global_asset_job_def()
    run_config = {"resources": {"smart_home": {"config": {"home_types": ["villa"]}},
                                "settings": {"config": {"data_dir": str(data)}}}}
    with pytest.raises(dg.DagsterResourceFunctionError) as raised:
        job.get_subset(asset_selection={assets.KEYS["homes"]}).execute_in_process(run_config=run_config,
                                                                                  instance=instance)
    assert "unknown home type(s) ['villa']" in str(raised.value.__cause__)
    assert not (data / "smart_home").exists()


def test_home_type_subset_is_respected(tmp_path, instance):
    _, settings = build(tmp_path, instance, homes=8, home_types=["apartment"])
    homes = pl.read_parquet(layout.table_path(settings.data_path, "homes"))
    assert homes["home_type"].unique().to_list() == ["apartment"]


def test_settings_come_from_the_environment_and_a_bad_value_names_the_variable():
    assert SmartHomeSettings.from_env({}).homes == 20
    assert SmartHomeSettings.from_env({"SYNTH_SMART_HOME_HOMES": "250"}).config(3).homes == 250
    with pytest.raises(ValueError, match="SYNTH_SMART_HOME_HOMES='many' is not an integer"):
        SmartHomeSettings.from_env({"SYNTH_SMART_HOME_HOMES": "many"})
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        SmartHomeSettings.from_env({"SYNTH_SMART_HOME_HOMES": "0"})


def test_the_demo_makes_every_table_it_names_through_the_code_location(tmp_path, monkeypatch):
    """``make demo``'s smart-home part, as the CLI runs it: every view it lists holds the demo's homes, every
    events day is there, the analysis day has patterns, suggestions and prompt pairs, and the model is saved."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings = make_settings(tmp_path / "data", seed=5)
    lines = run_demo(settings, tmp_path / "logs")
    assert f"{DEMO_HOMES} homes" in lines[0] and "smart_home.entities" in lines[1]
    first, last = (date.fromisoformat(day) for day in DEMO_EVENT_DAYS)
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        entity_rows, per_home = con.execute(
            "select count(*), count(distinct home_id) from smart_home.entities").fetchone()
        assert con.execute("select count(*) from smart_home.homes").fetchone() == (DEMO_HOMES,)
        for table in ("entities", "correlations", "events", "automations", "home_descriptions"):
            homes = con.execute(f"select count(distinct home_id) from smart_home.{table}").fetchone()[0]
            assert homes == DEMO_HOMES, f"smart_home.{table} holds {homes} of the {DEMO_HOMES} demo homes"
        event_days = con.execute("select count(distinct cast(timestamp as date)) from smart_home.events").fetchone()[0]
        assert event_days >= (last - first).days + 1
        # anomalies: a view over the day's file, which may rightly be empty (a few planted in 560 home-days)
        con.execute("select count(*) from smart_home.anomalies where analysis_day = ?", [DEMO_ANALYSIS_DAY])
        for table in (*PATTERN_TABLES, "automation_suggestions", "prompt_automation_pairs"):
            rows = con.execute(f"select count(*) from smart_home.{table} where analysis_day = ?",
                               [DEMO_ANALYSIS_DAY]).fetchone()[0]
            assert rows > 0, f"smart_home.{table} is empty on the demo's analysis day"
    assert per_home == DEMO_HOMES and entity_rows > DEMO_HOMES * 15
    assert "accuracy" in lines[4] and (layout.family_path(settings.data_path) / "ha" / "home_00001").is_dir()
