"""A value in run config overrides that value only; everything else keeps coming from the environment."""

from __future__ import annotations

from datetime import timezone

import dagster as dg
import polars as pl
import psycopg
import pytest

from synth_assets.content import assets
from synth_assets.content.settings import ContentSettings
from synth_assets.content.users import generate_users
from synth_assets.core.resources import SynthSettings, duckdb_resource

USERS = assets.KEYS["users"]
FIRST_DAY = assets.partitions.get_first_partition_key()


@dg.asset
def settings_probe(settings: SynthSettings) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"seed": settings.seed, "data_dir": settings.data_dir,
                                          "mode": settings.air_quality_mode})


def test_partial_content_config_keeps_database_url_and_seed_from_the_environment(
        tmp_path, fresh_database, instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", fresh_database)
    monkeypatch.setenv("SYNTH_SEED", "5")
    monkeypatch.setenv("SYNTH_CONTENT_ITEMS", "0")
    settings = SynthSettings(data_dir=str(tmp_path / "data"))
    # as definitions.py builds them: nothing fixed at import, everything resolved when the run starts
    resources = {"content": ContentSettings(), "duckdb": duckdb_resource(settings), "settings": settings}

    result = dg.materialize([assets.users], partition_key=FIRST_DAY, resources=resources, instance=instance,
                            run_config={"resources": {"content": {"config": {"users": 100}}}})

    assert result.success
    metadata = result.asset_materializations_for_node("content__users")[0].metadata
    assert metadata["database"].value == "PostgreSQL"
    with psycopg.connect(fresh_database) as connection:
        in_postgres = connection.execute("SELECT count(*) FROM content.users").fetchone()[0]
    assert in_postgres == metadata["dagster/row_count"].value > 0
    assert not settings.duckdb_path.exists()  # nothing went to DuckDB instead
    # seed 5 (SYNTH_SEED) and 100 users (run config): exactly the rows an explicit config generates
    explicit = ContentSettings(seed=5, users=100, content_items=0, content_items_auto=10_000, database_url="")
    window = assets.partitions.time_window_for_partition_key(FIRST_DAY)
    expected = generate_users(explicit.config(assets.FIRST_DAY, assets.LAST_DAY, master_seed=0)).frame.filter(
        (pl.col("created_at") >= window.start.astimezone(timezone.utc))
        & (pl.col("created_at") < window.end.astimezone(timezone.utc)))
    with psycopg.connect(fresh_database) as connection:
        loaded = {str(row[0]) for row in connection.execute("SELECT id FROM content.users")}
    assert loaded == {str(u) for u in expected["id"].to_list()}


def test_partial_settings_config_keeps_the_other_values_from_the_environment(tmp_path, instance, monkeypatch):
    monkeypatch.setenv("SYNTH_SEED", "11")
    monkeypatch.setenv("SYNTH_DATA_DIR", str(tmp_path / "from_env"))
    result = dg.materialize([settings_probe], resources={"settings": SynthSettings()}, instance=instance,
                            run_config={"resources": {"settings": {"config": {"air_quality_mode": "full"}}}})
    metadata = result.asset_materializations_for_node("settings_probe")[0].metadata
    assert metadata["seed"].value == 11
    assert metadata["data_dir"].value == str(tmp_path / "from_env")
    assert metadata["mode"].value == "full"


def test_the_environment_is_read_when_the_run_starts_not_at_import(tmp_path, instance, monkeypatch):
    resources = {"settings": SynthSettings()}  # built first, like the code location at import
    monkeypatch.setenv("SYNTH_SEED", "23")
    result = dg.materialize([settings_probe], resources=resources, instance=instance)
    assert result.asset_materializations_for_node("settings_probe")[0].metadata["seed"].value == 23


@pytest.mark.parametrize("variable, value", [("SYNTH_SEED", "forty-two"), ("SYNTH_AIR_QUALITY_MODE", "huge"),
                                             ("SYNTH_CONTENT_USERS", "many")])
def test_a_bad_environment_value_is_one_clear_error_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(Exception) as caught:
        SynthSettings() if not variable.startswith("SYNTH_CONTENT") else ContentSettings()
    assert variable in str(caught.value) and repr(value) in str(caught.value)


def test_an_error_about_a_setting_never_echoes_a_database_password(monkeypatch):
    monkeypatch.setenv("SYNTH_CONTENT_USERS", "abc")
    with pytest.raises(Exception) as caught:
        ContentSettings(database_url="postgresql://u:hunter22@db/app_test")
    assert "SYNTH_CONTENT_USERS" in str(caught.value) and "hunter22" not in str(caught.value)


def test_generate_data_config_json_settings_drive_the_runs_and_the_report(tmp_path):
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from synth_assets.air_quality import layout

    repo = Path(__file__).resolve().parents[2]
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(repo / "dagster.yaml", home / "dagster.yaml")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SYNTH_")}, "DAGSTER_HOME": str(home),
           "SYNTH_DATA_DIR": str(tmp_path / "env_data"), "SYNTH_SEED": "42"}
    config = {"resources": {"settings": {"config": {"data_dir": str(tmp_path / "cfg_data"), "seed": 7}}}}
    done = subprocess.run([str(Path(sys.executable).with_name("synth")), "generate-data", "--start", "2021-03-01",
                           "--end", "2021-03-02", "--config-json", __import__("json").dumps(config)],
                          env=env, capture_output=True, text=True, timeout=180, cwd=repo)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"seed 7, into {tmp_path / 'cfg_data'}" in done.stdout
    assert "480 rows in 2 files" in done.stdout
    assert layout.daily_path(tmp_path / "cfg_data", "sample", __import__("datetime").date(2021, 3, 2)).exists()
    assert not (tmp_path / "env_data" / "air_quality").exists()


def test_one_seed_in_run_config_changes_every_family(tmp_path, instance):
    """The master seed of resource `settings` drives air quality and content alike."""
    import duckdb

    from synth_assets.air_quality import assets as aq
    from synth_assets_tests.air_quality.helpers import ALL_ASSETS

    outcomes = {}
    for seed in (1, 2, 1):
        settings = SynthSettings(data_dir=str(tmp_path / f"data{seed}"), air_quality_mode="sample")
        resources = {"settings": SynthSettings(data_dir=settings.data_dir, air_quality_mode="sample"),
                     "duckdb": duckdb_resource(settings), "content": ContentSettings(users=3000, content_items=0,
                                                                                     content_items_auto=0)}
        # run config replaces a resource's config: what it does not name comes from the environment
        run_config = {"resources": {"settings": {"config": {"seed": seed, "data_dir": settings.data_dir}}}}
        dg.materialize(ALL_ASSETS, selection=[aq.CITY_PROFILES], resources=resources, instance=instance,
                       run_config=run_config)
        dg.materialize(ALL_ASSETS, selection=[aq.HOURLY], partition_key="2021-06-01", resources=resources,
                       instance=instance, run_config=run_config)
        dg.materialize([assets.users], partition_key="2025-07-01", resources=resources, instance=instance,
                       run_config=run_config)
        hourly = pl.read_parquet(tmp_path / f"data{seed}" / "air_quality" / "sample" / "hourly" / "2021"
                                 / "2021-06-01.parquet")["pm25"].to_list()
        with duckdb.connect(str(settings.duckdb_path), read_only=True) as connection:
            users = [r[0] for r in connection.execute("select username from content.users order by id").fetchall()]
        outcomes.setdefault(seed, []).append((hourly, users))
    (first, again), [(other_hourly, other_users)] = outcomes[1], outcomes[2]
    assert len(first[1]) > 5  # the day has users to compare
    assert first == again  # the same seed gives the same data in both families
    assert first[0] != other_hourly and first[1] != other_users  # another seed changes both


def test_synth_stream_follows_synth_seed(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    synth = str(Path(sys.executable).with_name("synth"))

    def stream(env_seed: str | None, *flags: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNTH_")}
        env["SYNTH_DATA_DIR"] = str(tmp_path / "data")
        if env_seed is not None:
            env["SYNTH_SEED"] = env_seed
        done = subprocess.run([synth, "stream", "--count", "20", "--start", "2024-01-01T00:00:00Z", "--speedup",
                               "100000", *flags], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    seeded_3 = stream("3")
    assert seeded_3 == stream(None, "--seed", "3")  # SYNTH_SEED=3 is --seed 3
    assert seeded_3 != stream("4")
    assert stream("4", "--seed", "3") == seeded_3  # the flag wins over the environment


def test_the_duckdb_file_follows_the_run_config_data_dir(tmp_path, instance, monkeypatch):
    """Views and content tables go to <data_dir>/synth.duckdb of the run, not of the environment."""
    import duckdb

    from synth_assets.definitions import defs

    monkeypatch.setenv("SYNTH_DATA_DIR", str(tmp_path / "env_data"))
    run_dir = tmp_path / "run_data"
    job = defs.resolve_implicit_job_def_def_for_assets([assets.KEYS["users"]])
    result = job.execute_in_process(
        instance=instance, partition_key="2025-07-01", asset_selection=[assets.KEYS["users"]],
        run_config={"resources": {"settings": {"config": {"data_dir": str(run_dir)}},
                                  "content": {"config": {"users": 3000, "database_url": ""}}}})
    assert result.success
    with duckdb.connect(str(run_dir / "synth.duckdb"), read_only=True) as connection:
        assert connection.execute("select count(*) from content.users").fetchone()[0] > 0
    assert not (tmp_path / "env_data" / "synth.duckdb").exists()
