"""The re-seed's fast paths on PostgreSQL: COPY FREEZE only into a table the seed emptied, checks counted
together (one scan, one join) that agree with their own queries, and the server's wal_level reported."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from synth_assets.content import checks as content_checks
from synth_assets.content import load
from synth_assets.content.pipeline import load_and_check
from synth_assets.content.seed import seed
from synth_assets.content.settings import ContentSettings
from synth_assets.content.timeline import eastern_day_bounds
from synth_assets.core.database import open_database, open_duckdb
from synth_assets.core.postgres import psycopg_conninfo
from synth_assets.core.resources import duckdb_resource
from synth_assets_tests.conftest import make_settings

SMALL = dict(seed=1, users=500, content_items=300, content_items_auto=200)
FIRST, LAST = date(2025, 5, 1), date(2025, 9, 21)


def _all_visible(url: str) -> dict[str, bool]:
    with psycopg.connect(psycopg_conninfo(url)) as con:
        return dict(con.execute("SELECT relname, relpages > 0 AND relallvisible = relpages FROM pg_class "
                                "WHERE relnamespace = 'content'::regnamespace AND relkind = 'r'").fetchall())


def _ids(url: str, table: str) -> list:
    with psycopg.connect(psycopg_conninfo(url)) as con:
        return con.execute(f"SELECT id FROM content.{table} ORDER BY id").fetchall()


def test_a_reseed_writes_frozen_pages_and_a_partition_load_keeps_the_other_days(tmp_path, fresh_database,
                                                                                 monkeypatch):
    monkeypatch.setattr(load, "BULK_ROWS", 1)  # every load takes the bulk path
    settings = make_settings(tmp_path / "data")
    content = ContentSettings(**SMALL, database_url=fresh_database)
    lines: list[str] = []
    seed(content, settings, echo=lines.append)
    assert any("wal_level=minimal" in line for line in lines), lines  # the test server's setting, reported
    assert _all_visible(fresh_database) == dict.fromkeys(
        ("users", "content_items", "content_items_auto", "generation_jobs"), True)  # COPY FREEZE + ANALYZE

    before = _ids(fresh_database, "content_items")
    config = content.config(FIRST, LAST, master_seed=42)
    start, end = eastern_day_bounds(date(2025, 7, 1))
    with open_database(fresh_database, None) as target:  # one day into a table holding every other day
        rows, results, _ = load_and_check("content_items", config, target, start, end)
    assert rows.height > 0 and all(r.passed for r in results), [r.check_name for r in results if not r.passed]
    assert _ids(fresh_database, "content_items") == before  # the window replaced, nothing truncated
    assert not _all_visible(fresh_database)["content_items"]  # a plain COPY this time


def _damage(target) -> None:
    """One violation for each rule that is counted together with others."""
    jobs = "content.generation_jobs"
    target.execute(f"UPDATE {jobs} SET prompt = prompt || ' changed' WHERE id = "
                   f"(SELECT id FROM {jobs} WHERE content_id IS NOT NULL ORDER BY id LIMIT 1)")
    target.execute(f"DELETE FROM {jobs} WHERE id = "
                   f"(SELECT id FROM {jobs} WHERE auto_content_id IS NOT NULL ORDER BY id LIMIT 1)")
    target.execute(f"UPDATE {jobs} SET completed_at = completed_at + INTERVAL '400 days' WHERE id = "
                   f"(SELECT id FROM {jobs} WHERE status = 'failed' ORDER BY id LIMIT 1)")
    target.execute("UPDATE content.content_items SET updated_at = created_at - INTERVAL '1 day' WHERE id = "
                   "(SELECT id FROM content.content_items ORDER BY id LIMIT 1)")


def _violations(results) -> dict[str, int]:
    return {r.check_name: r.metadata["violations"].value for r in results}


class Undo(Exception):
    pass


def _seeded(tmp_path, fresh_database: str, where: str):
    """The small seed loaded into ``where``; its config, its whole window and the database, to be opened."""
    settings = make_settings(tmp_path / "data")
    url = fresh_database if where == "postgres" else ""
    content = ContentSettings(**SMALL, database_url=url)
    seed(content, settings, echo=lambda *_: None)
    opened = open_database(url, None) if url else open_duckdb(duckdb_resource(settings))
    return content.config(FIRST, LAST, master_seed=42), eastern_day_bounds(FIRST)[0], eastern_day_bounds(LAST)[1], \
        opened


@pytest.mark.parametrize("where", ["postgres", "duckdb"])
def test_checks_counted_together_agree_with_their_own_queries(tmp_path, fresh_database, where):
    config, start, range_end, opened = _seeded(tmp_path, fresh_database, where)
    params = {"start": start, "end": range_end, "range_end": range_end, "admin": str(config.admin_user_id)}
    with opened as target, pytest.raises(Undo), target.transaction():
        _damage(target)
        for table in ("users", "content_items", "generation_jobs"):
            together = _violations(content_checks.sql_results(target, table, start, range_end, config, range_end))
            alone = {check.name: int(target.scalar(check.query, **params) or 0)
                     for check in content_checks.sql_checks(table)}
            assert together == alone, table
            if table == "generation_jobs":
                assert together["prompt_and_time_match_item"] == 1
                assert together["every_item_has_completed_job"] == 1
                assert together["timestamps_ordered"] == 1
            if table == "content_items":
                assert together["timestamps_in_range"] == 1
        raise Undo


JOB_DAMAGE = {  # one completed job made to differ from its item in one field the fingerprint covers
    "prompt": "prompt = prompt || ' '",
    "parameters": "parameters = parameters || '{\"steps\": 999}'",
    "completed_at": "completed_at = completed_at + INTERVAL '1 microsecond'",
    "user_id": "user_id = CAST(:admin AS UUID)",
    "item": "content_id = NULL, auto_content_id = content_id",
}


@pytest.mark.parametrize("field", list(JOB_DAMAGE))
def test_item_and_job_fingerprints_differ_when_one_field_of_one_job_does(tmp_path, fresh_database, field):
    """On PostgreSQL a seed's item/job checks compare per-table fingerprint sums and join only when they differ:
    every field they cover changes the sum, and the undamaged seed matches (the join is then not run)."""
    content = ContentSettings(**SMALL, database_url=fresh_database)
    seed(content, make_settings(tmp_path / "data"), echo=lambda *_: None)
    config = content.config(FIRST, LAST, master_seed=42)
    start, range_end = eastern_day_bounds(FIRST)[0], eastern_day_bounds(LAST)[1]
    params = {"start": start, "end": range_end, "admin": str(config.admin_user_id)}
    with open_database(fresh_database, None) as target, pytest.raises(Undo), target.transaction():
        assert content_checks._fingerprints_match(target, params)
        target.connection.execute(  # not the admin's own job: user_id would not change
            f"UPDATE content.generation_jobs SET {JOB_DAMAGE[field].replace(':admin', '%(admin)s')} WHERE id = "
            f"(SELECT id FROM content.generation_jobs WHERE content_id IS NOT NULL AND "
            f"user_id <> CAST(%(admin)s AS UUID) ORDER BY id LIMIT 1)", params)
        assert not content_checks._fingerprints_match(target, params)
        counted = content_checks._item_job_counts(target, params)  # the join counts what differs
        assert counted["prompt_and_time_match_item"] + counted["every_item_has_completed_job"] >= 1, counted
        raise Undo


@pytest.mark.parametrize("where", ["duckdb", "postgres"])
def test_rows_per_key_come_from_the_row_rules_scan_and_catch_a_changed_row(tmp_path, fresh_database, where):
    """rows_match_generator reads the counts per key that the scan of the row rules made: they equal a GROUP BY
    of their own, and one row whose key changed makes the check fail by one on each side."""
    from synth_assets.content.pipeline import generate_table, rows_of, verifier

    config, start, end, opened = _seeded(tmp_path, fresh_database, where)
    with opened as target, pytest.raises(Undo), target.transaction():
        for table, key in content_checks.MATCH_KEY.items():
            rows, stats, _ = rows_of(table, generate_table(config, table), start, end)
            per_key: dict[str, int] = {}
            content_checks.sql_results(target, table, start, end, config, end, rows_per_key=per_key)
            grouped = dict(target.connection.execute(
                f"SELECT CAST({key} AS VARCHAR), count(*) FROM content.{table} GROUP BY 1").fetchall())
            assert per_key == grouped and sum(per_key.values()) == rows.height, table
            assert {r.check_name: r.passed for r in verifier(table, config, target, start, end, rows, stats)()}[
                "rows_match_generator"], table
        target.execute("UPDATE content.users SET is_active = NOT is_active WHERE username <> 'admin' AND id IN "
                       "(SELECT id FROM content.users WHERE username <> 'admin' ORDER BY id LIMIT 1)")
        rows, stats, _ = rows_of("users", generate_table(config, "users"), start, end)
        result = {r.check_name: r for r in verifier("users", config, target, start, end, rows, stats)()}
        assert not result["rows_match_generator"].passed
        assert result["timestamps_in_range"].passed  # the rule counted in the same scan still sums to zero
        raise Undo
