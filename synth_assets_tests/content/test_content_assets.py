"""The content assets through Dagster, loading real DuckDB files and a real PostgreSQL server."""

from __future__ import annotations

from datetime import date

import dagster as dg
import duckdb
import polars as pl
import psycopg
import pytest

import synth_assets.core.postgres as pg
from synth_assets.content import assets
from synth_assets.content.models import LOAD_ORDER, TIMEZONE, ContentConfig
from synth_assets.content.settings import ContentSettings
from synth_assets.core.postgres import UnsafeDatabaseError, psycopg_conninfo
from synth_assets.core.resources import duckdb_resource
from synth_assets_tests.conftest import make_settings

SMALL = dict(seed=9, users=400, content_items=300, content_items_auto=200)
EVERYTHING = [assets.users, assets.content_items, assets.content_items_auto, assets.generation_jobs]
ALL_DAYS = (assets.partitions.get_first_partition_key(), assets.partitions.get_last_partition_key())


def resources_for(tmp_path, database_url=None, **overrides):
    settings = make_settings(tmp_path / "data")
    return {"content": ContentSettings(**{**SMALL, **overrides}, database_url=database_url),
            "duckdb": duckdb_resource(settings), "settings": settings}, settings


def seed(resources, instance, first=ALL_DAYS[0], last=ALL_DAYS[1], tables=LOAD_ORDER):
    outcomes = {}
    for table in tables:
        result = dg.materialize(EVERYTHING, selection=[assets.KEYS[table]], resources=resources, instance=instance,
                                tags={"dagster/asset_partition_range_start": first,
                                      "dagster/asset_partition_range_end": last})
        outcomes[table] = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    return outcomes


def duck_counts(path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: con.execute(f"select count(*) from content.{t}").fetchone()[0] for t in LOAD_ORDER}


def duck_table(path, table) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return pl.from_arrow(con.sql(f"select * from content.{table} order by id").to_arrow_table())


def test_full_range_into_duckdb_has_the_configured_totals_and_passes_every_check(tmp_path, instance):
    resources, settings = resources_for(tmp_path)
    outcomes = seed(resources, instance)
    config = ContentConfig(**SMALL)
    assert duck_counts(settings.duckdb_path) == {"users": 400, "content_items": 300, "content_items_auto": 200,
                                                 "generation_jobs": config.generation_jobs}
    for table, checks in outcomes.items():
        assert checks and all(checks.values()), (table, checks)
    assert {"admin_items_exact", "creator_fk", "tags_from_pool"} <= set(outcomes["content_items"])
    assert {"every_item_has_completed_job", "completed_share", "completed_jobs_exact", "content_fk",
            "auto_content_fk", "unique_auto_content_id"} <= set(outcomes["generation_jobs"])


def test_reseeding_replaces_rows_and_never_duplicates(tmp_path, instance):
    resources, settings = resources_for(tmp_path)
    seed(resources, instance)
    before = {t: duck_table(settings.duckdb_path, t) for t in LOAD_ORDER}
    seed(resources, instance)
    for table in LOAD_ORDER:
        assert duck_table(settings.duckdb_path, table).equals(before[table]), table


def test_one_run_over_days_equals_one_run_per_day(tmp_path, instance):
    """Days 06-06..06-08 of every table: one range run, against one run per day (latest day first).

    Both databases first get the users of the days before (creators may be older than the window): in
    one run for the range database, day by day for the other's days in the window."""
    days = ["2025-06-06", "2025-06-07", "2025-06-08"]
    ranged, ranged_settings = resources_for(tmp_path / "ranged")
    per_day, per_day_settings = resources_for(tmp_path / "per_day")
    for resources in (ranged, per_day):
        seed(resources, instance, ALL_DAYS[0], "2025-06-05", tables=["users"])
    seed(ranged, instance, days[0], days[-1])
    for day in reversed(days):
        seed(per_day, instance, day, day, tables=["users"])
    for day in reversed(days):
        outcomes = seed(per_day, instance, day, day, tables=LOAD_ORDER[1:])
        assert all(all(checks.values()) for checks in outcomes.values()), outcomes
    for table in LOAD_ORDER:
        a, b = duck_table(ranged_settings.duckdb_path, table), duck_table(per_day_settings.duckdb_path, table)
        assert a.height > 0 and a.equals(b), table


def test_a_day_is_the_same_whichever_days_ran_before(tmp_path, instance):
    """One day of items and jobs, loaded alone into a database holding only the users, equals that day
    inside a full load: a day needs no other day's items."""
    day = "2025-07-15"
    alone, alone_settings = resources_for(tmp_path / "alone")
    full, full_settings = resources_for(tmp_path / "full")
    seed(full, instance)
    seed(alone, instance, tables=["users"])
    seed(alone, instance, day, day, tables=LOAD_ORDER[1:])
    for table in LOAD_ORDER[1:]:
        a = duck_table(alone_settings.duckdb_path, table)
        b = duck_table(full_settings.duckdb_path, table).filter(
            pl.col("created_at").dt.convert_time_zone(TIMEZONE).dt.date() == date.fromisoformat(day))
        assert a.height > 0 and a.equals(b), table


def test_a_database_that_is_not_demo_or_test_is_refused_before_connecting(tmp_path, instance):
    resources, _ = resources_for(tmp_path, database_url="postgresql://postgres@10.255.255.1:5432/production")
    with pytest.raises(Exception) as failure:
        seed(resources, instance, "2025-06-01", "2025-06-01", tables=["users"])
    cause = failure.value.__cause__ if not isinstance(failure.value, UnsafeDatabaseError) else failure.value
    assert isinstance(cause, UnsafeDatabaseError)
    assert "production" in str(cause) and "_demo" in str(cause) and "_test" in str(cause)


def test_invalid_config_fails_before_any_write(tmp_path, instance):
    resources, settings = resources_for(tmp_path, content_items=10)
    with pytest.raises(Exception) as failure:
        seed(resources, instance, tables=["users"])
    assert "admin user alone owns 50" in f"{failure.value} {failure.value.__cause__}"
    assert not settings.duckdb_path.exists() or "content" not in duckdb.connect(
        str(settings.duckdb_path), read_only=True).execute("select schema_name from information_schema.schemata").df()[
        "schema_name"].to_list()


def _pg(url: str, sql: str):
    with psycopg.connect(psycopg_conninfo(url)) as con:  # commits on exit: deferred FKs are checked there
        cursor = con.execute(sql)
        return cursor.fetchall() if cursor.description else None


def test_postgres_load_is_complete_checked_idempotent_and_enforces_foreign_keys(tmp_path, instance, fresh_database):
    resources, _ = resources_for(tmp_path, database_url=fresh_database)
    outcomes = seed(resources, instance)
    for table, checks in outcomes.items():
        assert all(checks.values()), (table, checks)
    counts = {t: _pg(fresh_database, f"select count(*) from content.{t}")[0][0] for t in LOAD_ORDER}
    assert counts["users"] == 400 and counts["generation_jobs"] == ContentConfig(**SMALL).generation_jobs
    seed(resources, instance)  # again: replaces, never doubles
    assert {t: _pg(fresh_database, f"select count(*) from content.{t}")[0][0] for t in LOAD_ORDER} == counts
    constraints = {r[0] for r in _pg(fresh_database, "select conname from pg_constraint where contype in ('f', 'u')")}
    assert {"fk_jobs_content", "fk_jobs_auto_content", "fk_jobs_user", "fk_content_items_creator",
            "uq_users_username", "uq_jobs_auto_content_id"} <= constraints
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        _pg(fresh_database, "insert into content.generation_jobs (id, user_id, job_type, prompt, parameters, status, "
                            "created_at) values (gen_random_uuid(), gen_random_uuid(), 'image_generation', 'x', "
                            "'{}', 'pending', now())")


def test_a_load_that_dies_mid_copy_leaves_the_previous_rows(tmp_path, instance, fresh_database, monkeypatch):
    resources, _ = resources_for(tmp_path, database_url=fresh_database)
    seed(resources, instance)
    before = _pg(fresh_database, "select id, username, created_at from content.users order by id")

    def copy_then_die(cursor, table, arrow, **kwargs):
        pg_copy(cursor, table, arrow.slice(0, arrow.num_rows // 2))  # half the rows reach the server
        raise ConnectionResetError("load killed")

    pg_copy = pg.copy_arrow
    monkeypatch.setattr(pg, "copy_arrow", copy_then_die)
    with pytest.raises(Exception) as failure:
        seed(resources_for(tmp_path, database_url=fresh_database, seed=10)[0], instance, tables=["users"])
    assert "load killed" in f"{failure.value} {failure.value.__cause__}"
    assert _pg(fresh_database, "select id, username, created_at from content.users order by id") == before
