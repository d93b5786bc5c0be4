"""Edge cases of the content generators and of the bulk load: DST days, repeated usernames, config errors, rollback."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import psycopg
import pytest
from pydantic import ValidationError

from synth_assets.content import load
from synth_assets.content.generation_jobs import generate_jobs
from synth_assets.content.items import generate_content
from synth_assets.content.models import ContentConfig
from synth_assets.content.seed import seed
from synth_assets.content.settings import ContentSettings
from synth_assets.content.timeline import eastern_day_bounds
from synth_assets.content.users import generate_users, usernames
from synth_assets.core.postgres import psycopg_conninfo
from synth_assets_tests.conftest import make_settings

DST = ContentConfig(seed=2, users=3_000, content_items=20_000, content_items_auto=5_000,
                    start=date(2025, 3, 8), end=date(2025, 3, 10))
FALL_BACK = ContentConfig(seed=2, users=3_000, content_items=20_000, content_items_auto=0,
                          start=date(2025, 11, 1), end=date(2025, 11, 3))


@pytest.mark.parametrize("config", [DST, FALL_BACK], ids=["spring_forward", "fall_back"])
def test_dst_days_keep_times_sorted_inside_their_day_and_creators_first(config):
    users = generate_users(config).frame
    assert users["created_at"].is_sorted()
    items = generate_content(config, "content_items").frame
    assert items["created_at"].is_sorted()
    for day in (config.start, config.end - (config.end - config.start) // 2, config.end):
        start, end = eastern_day_bounds(day)
        one_day = generate_content(config, "content_items", day, day).frame
        assert one_day.height > 0 and one_day["created_at"].is_between(start, end, closed="left").all()
    joined = items.join(users.select(pl.col("id").alias("creator_id"), pl.col("created_at").alias("born")),
                        on="creator_id")
    assert joined.height == items.height and (joined["born"] < joined["created_at"]).all()


def test_jobs_start_after_their_user_existed():
    users = generate_users(DST).frame.select(pl.col("id").alias("user_id"), pl.col("created_at").alias("born"))
    jobs = generate_jobs(DST)
    joined = jobs.join(users, on="user_id")
    assert joined.height == jobs.height and (joined["born"] < joined["created_at"]).all()


def test_a_name_space_smaller_than_the_users_is_numbered_from_two_and_stays_unique():
    """150,000 users: the initial+surname style (26 x ~1,000 names) wraps around, so it carries numerals."""
    config = ContentConfig(seed=4, users=150_000, content_items=0, content_items_auto=0)
    names = usernames(config, np.arange(config.users))
    assert names.n_unique() == config.users and names[0] == "admin"
    numbered = names.filter(names.str.contains(r"_\d+$"))
    assert numbered.len() > 0 and numbered.str.extract(r"_(\d+)$").cast(pl.Int64).min() == 2
    bare = numbered.str.replace(r"_\d+$", "")
    assert bare.is_in(names.implode()).all()  # "jdoe_2" exists because "jdoe" does


@pytest.mark.parametrize("kwargs, message", [
    ({"users": 1}, "at least one user besides the admin"),
    ({"domains": ("wildlife_photography", "knitting")}, "knitting"),
    ({"domains": ()}, "unknown or empty domains"),
])
def test_config_errors_surface_before_generation(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        ContentConfig(**kwargs)


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(psycopg_conninfo(url)) as con:
        return {t: con.execute(f"select count(*) from content.{t}").fetchone()[0]
                for t in ("users", "content_items", "content_items_auto", "generation_jobs")}


def test_bulk_path_reseeds_and_a_new_config_replaces_the_old_data(tmp_path, fresh_database, monkeypatch):
    monkeypatch.setattr(load, "BULK_ROWS", 100)  # exercise the drop-and-rebuild path on small tables
    settings = make_settings(tmp_path / "data")
    small = dict(users=500, content_items=300, content_items_auto=200, database_url=fresh_database)
    seed(ContentSettings(seed=1, **small), settings, echo=lambda *_: None)
    seed(ContentSettings(seed=1, **small), settings, echo=lambda *_: None)  # same again: replaced
    seed(ContentSettings(seed=2, **{**small, "users": 400}), settings, echo=lambda *_: None)  # another config
    assert _counts(fresh_database) == {"users": 400, "content_items": 300, "content_items_auto": 200,
                                       "generation_jobs": ContentConfig(users=400, content_items=300,
                                                                        content_items_auto=200).generation_jobs}
    with psycopg.connect(psycopg_conninfo(fresh_database)) as con:
        constraints = {r[0] for r in con.execute("select conname from pg_constraint where contype in ('f', 'u')")}
    assert {"fk_jobs_content", "fk_jobs_auto_content", "fk_content_items_creator", "uq_users_email",
            "uq_jobs_auto_content_id"} <= constraints  # rebuilt


def test_a_failing_check_rolls_the_load_back(tmp_path):
    from synth_assets.content.pipeline import load_and_check
    from synth_assets.content.timeline import eastern_day_bounds
    from synth_assets.core.database import open_database
    from synth_assets.core.resources import duckdb_resource

    settings = make_settings(tmp_path / "data")
    content = ContentSettings(seed=3, users=300, content_items=200, content_items_auto=100)
    seed(content, settings, echo=lambda *_: None)
    config = content.config(date(2025, 5, 1), date(2025, 9, 21), master_seed=42)  # content.seed=3 wins
    start, end = eastern_day_bounds(config.start)[0], eastern_day_bounds(config.end)[1]
    with open_database(None, duckdb_resource(settings)) as target:
        before = target.connection.execute("select id, prompt from content.content_items order by id").fetchall()
        target.connection.execute("delete from content.users where username <> 'admin'")  # orphan the items
        rows, results, _ = load_and_check("content_items", config, target, start, end)
        failed = {r.check_name for r in results if not r.passed}
        after = target.connection.execute("select id, prompt from content.content_items order by id").fetchall()
    assert "creator_fk" in failed and rows.height == 200
    assert after == before  # the failed load was rolled back


def test_bulk_statements_leave_the_table_ddl_intact():
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateTable

    from synth_assets.content.models import generation_jobs

    drop, restore = load.bulk_load_statements(generation_jobs)
    assert any("ADD CONSTRAINT fk_jobs_content FOREIGN KEY" in s for s in restore)
    assert any("ADD CONSTRAINT fk_jobs_auto_content FOREIGN KEY" in s for s in restore)
    ddl = str(CreateTable(generation_jobs).compile(dialect=postgresql.dialect()))
    assert "fk_jobs_content FOREIGN KEY" in ddl and "uq_jobs_content_id UNIQUE" in ddl
    assert "fk_jobs_auto_content FOREIGN KEY" in ddl and "ck_jobs_one_item_iff_completed" in ddl


def test_postgres_checks_trust_a_validated_constraint_and_query_without_it(tmp_path, fresh_database):
    """On PostgreSQL creator_fk is answered by fk_content_items_creator; with the constraint gone the
    query runs again and counts the orphaned items."""
    from synth_assets.content import checks as content_checks
    from synth_assets.content.pipeline import load_and_check
    from synth_assets.core.database import open_database

    settings = make_settings(tmp_path / "data")
    content = ContentSettings(seed=3, users=300, content_items=200, content_items_auto=100,
                              database_url=fresh_database)
    seed(content, settings, echo=lambda *_: None)
    config = content.config(date(2025, 5, 1), date(2025, 9, 21), master_seed=42)
    start, end = eastern_day_bounds(config.start)[0], eastern_day_bounds(config.end)[1]

    class Undo(Exception):
        pass

    with open_database(fresh_database, None) as target:
        _, results, _ = load_and_check("content_items", config, target, start, end)
        creator_fk = next(r for r in results if r.check_name == "creator_fk")
        assert creator_fk.passed and "fk_content_items_creator" in creator_fk.metadata["enforced_by"].value
        with pytest.raises(Undo), target.transaction():
            for constraint, table in [("fk_content_items_creator", "content_items"),
                                      ("fk_content_items_auto_creator", "content_items_auto"),
                                      ("fk_jobs_user", "generation_jobs")]:
                target.execute(f"ALTER TABLE content.{table} DROP CONSTRAINT {constraint}")
            target.execute("DELETE FROM content.users WHERE username <> 'admin'")  # orphan the items
            results = content_checks.sql_results(target, "content_items", start, end, config, end)
            raise Undo
    creator_fk = next(r for r in results if r.check_name == "creator_fk")
    assert not creator_fk.passed and "enforced_by" not in creator_fk.metadata


def test_a_database_of_the_previous_schema_is_upgraded_by_the_next_load(tmp_path, fresh_database):
    """Tables made before auto_content_id existed: DuckDB gets the column, PostgreSQL the column, its
    foreign key, unique key and CHECK, and loses the CHECK that allowed no content_items_auto job."""
    import duckdb

    settings = make_settings(tmp_path / "data")
    small = dict(seed=1, users=300, content_items=100, content_items_auto=60)
    seed(ContentSettings(**small, database_url=""), settings, echo=lambda *_: None)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute("ALTER TABLE content.generation_jobs DROP COLUMN auto_content_id")
    seed(ContentSettings(**small, database_url=""), settings, echo=lambda *_: None)
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert con.execute("select count(auto_content_id) from content.generation_jobs").fetchone()[0] == 60

    seed(ContentSettings(**small, database_url=fresh_database), settings, echo=lambda *_: None)
    with psycopg.connect(psycopg_conninfo(fresh_database)) as con:
        con.execute("ALTER TABLE content.generation_jobs DROP COLUMN auto_content_id")  # and its FK, key, CHECK
        con.execute("ALTER TABLE content.generation_jobs ADD CONSTRAINT ck_jobs_content_iff_completed "
                    "CHECK ((status = 'completed') = (content_id IS NOT NULL)) NOT VALID")
    seed(ContentSettings(**small, database_url=fresh_database), settings, echo=lambda *_: None)
    with psycopg.connect(psycopg_conninfo(fresh_database)) as con:
        names = {r[0] for r in con.execute("select conname from pg_constraint where conrelid = "
                                           "'content.generation_jobs'::regclass")}
        assert con.execute("select count(auto_content_id) from content.generation_jobs").fetchone()[0] == 60
    assert {"fk_jobs_auto_content", "uq_jobs_auto_content_id", "ck_jobs_one_item_iff_completed"} <= names
    assert "ck_jobs_content_iff_completed" not in names
