"""The export loaded by Home Assistant 2024.3's own code, in its tool environment (ha_tool_env.py)."""

from __future__ import annotations

import polars as pl
import pytest

from synth_assets.smart_home.export.checks import recorded_rows
from synth_assets.smart_home.export.home_export import export_home
from synth_assets.smart_home.export.recorder import SCHEMA_VERSION, schema_sql
from synth_assets_tests.smart_home.export_frames import DAYS, dimensions, home_tables
from synth_assets_tests.smart_home.ha_tool_env import ha_python, run_ha_script  # noqa: F401 - fixture

pytestmark = pytest.mark.xdist_group(name="ha_export_files")  # module fixtures: keep the module on one worker


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tables = home_tables(dimensions(), position=2)  # home_00003: a townhouse with whole-home energy meters
    export = export_home(tmp_path_factory.mktemp("ha"), 7, DAYS, tables)
    return tables, export


@pytest.fixture(scope="module")
def validated(exported, ha_python, tmp_path_factory):  # noqa: F811
    _, export = exported
    return run_ha_script(ha_python, "validate_export.py", export.directory, tmp_path_factory.mktemp("scratch"))


def test_registries_load_and_reference_only_existing_ids(exported, validated):
    tables, export = exported
    found = validated["registries"]
    assert found["dangling"] == []
    automations = export.automations.height
    assert found["entities"] == tables.entities.height + automations
    registered = [e for e in found["entity_ids"] if not e.startswith("automation.")]
    assert sorted(registered) == sorted(tables.entities["entity_id"].to_list())
    assert len(found["entity_ids"]) - len(registered) == automations
    assert sorted(found["device_ids"]) == sorted(tables.devices["device_id"].to_list())
    assert sorted(found["area_ids"]) == sorted(tables.areas["area_id"].to_list())
    assert sorted(found["user_ids"]) == sorted(tables.people["user_id"].to_list())
    assert found["persons"] == tables.people.height
    assert found["config_entries"] == tables.devices["integration"].n_unique()


def test_configuration_and_automations_pass_home_assistants_validators(exported, validated):
    tables, export = exported
    assert validated["automations"]["errors"] == []
    assert validated["automations"]["valid"] == export.automations["automation_id"].to_list()
    config = validated["configuration"]
    assert config["errors"] == []
    assert config["time_zone"] == tables.home["timezone"]
    assert config["country"] == tables.home["country_code"]
    assert config["purge_keep_days"] >= len(DAYS) and config["auto_purge"] is False
    assert config["automations"] == export.automations.height


def test_energy_preferences_pass_the_energy_schemas_and_name_recorded_statistics(exported, validated):
    tables, export = exported
    found = validated["energy"]
    energy_sensors = tables.entities.filter(pl.col("device_class") == "energy").height
    assert found["errors"] == [] and found["missing_statistics"] == []
    assert found["statistics"] == energy_sensors > 0
    prefs = export.storage["energy"]["data"]
    assert prefs["energy_sources"] and prefs["energy_sources"][0]["type"] == "grid"


def test_recorder_opens_without_migration_and_reads_back(exported, validated):
    tables, export = exported
    recorder = validated["recorder"]
    assert recorder["setup"] and recorder["ready"]
    assert recorder["schema_version"] == SCHEMA_VERSION
    assert recorder["schema_changes"] == [SCHEMA_VERSION]          # nothing was migrated or added
    assert recorder["missing_tables"] == [] and recorder["column_differences"] == {}
    assert validated["warnings"] == []
    assert recorder["states_read"] == recorder["states_in_file"] == recorded_rows(tables.events).height
    assert recorder["history"] == {"repeated_states": 0, "last_changed_not_last_change": 0}
    assert recorder["entities_read"] == tables.events["entity_id"].n_unique()
    assert recorder["statistics_read"] == recorder["statistics_in_file"] == export.recorder_rows["statistics"] > 0


def test_contexts_decode_to_the_events_ids(exported, validated):
    tables, _ = exported
    decoded = validated["recorder"]["contexts"]
    expected = {row["context_id"]: [row["context_user_id"], row["context_parent_id"]]
                for row in recorded_rows(tables.events).iter_rows(named=True)}
    assert decoded == expected
    assert tables.events["context_user_id"].is_not_null().any()
    assert tables.events["context_parent_id"].is_not_null().any()


def test_schema_file_is_what_home_assistant_prints(ha_python, tmp_path):  # noqa: F811
    import subprocess

    from synth_assets_tests.smart_home.ha_tool_env import SCRIPTS
    printed = subprocess.run([str(ha_python), str(SCRIPTS / "dump_recorder_ddl.py")], capture_output=True,
                             text=True, check=True, timeout=120).stdout
    assert printed == schema_sql()

