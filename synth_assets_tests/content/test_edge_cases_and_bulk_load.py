"""Edge cases of the content generators and of the bulk load: DST days, repeated usernames, config errors, rollback."""

from __future__ import annotations

from datetime import date

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
from synth_assets.content.users import _make_unique, generate_users
from synth_assets.core.postgres import psycopg_conninfo
from synth_assets_tests.conftest import make_settings

DST = ContentConfig(seed=2, users=3_000, content_items=20_000, content_items_auto=0,
                    start=date(2025, 3, 8), end=date(2025, 3, 10))


def test_spring_forward_day_keeps_times_sorted_and_creators_first():
    users = generate_users(DST).frame
    assert users["created_at"].is_sorted()
    items = generate_content(DST, "content_items").frame
    joined = items.join(users.select(pl.col("id").alias("creator_id"), pl.col("created_at").alias("born")),
                        on="creator_id")
    assert (joined["born"] < joined["created_at"]).all()


def test_completed_jobs_start_after_their_user_and_carry_the_item_settings():
    users = generate_users(DST).frame.select(pl.col("id").alias("user_id"), pl.col("created_at").alias("born"))
    jobs = generate_jobs(DST).join(users, on="user_id")
    assert (jobs["born"] < jobs["created_at"]).all()
    done = generate_jobs(DST).filter(pl.col("status") == "completed")
    items = generate_content(DST, "content_items").frame.select(pl.col("id").alias("content_id"), "item_metadata")
    pairs = done.join(items, on="content_id")
    assert pairs.height == done.height and (pairs["parameters"] == pairs["item_metadata"]).all()


def test_repeated_usernames_are_numbered_from_two():
    names, resolved = _make_unique(pl.Series(["ann.lee", "ann.lee", "bo", "ann.lee"]))
    assert names.to_list() == ["ann.lee", "ann.lee_2", "bo", "ann.lee_3"] and resolved == 2


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
                                       "generation_jobs": ContentConfig(users=400, content_items=300).generation_jobs}
    with psycopg.connect(psycopg_conninfo(fresh_database)) as con:
        constraints = {r[0] for r in con.execute("select conname from pg_constraint where contype in ('f', 'u')")}
    assert {"fk_jobs_content", "fk_content_items_creator", "uq_users_email"} <= constraints  # rebuilt


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
    ddl = str(CreateTable(generation_jobs).compile(dialect=postgresql.dialect()))
    assert "fk_jobs_content FOREIGN KEY" in ddl and "uq_jobs_content_id UNIQUE" in ddl
