"""Content checks, run on the loaded database (DuckDB or PostgreSQL) after each partition load.

Window-scoped checks look at the rows just loaded and their parents; global ones (uniqueness, the
admin's 50, the completed share) look at the whole table. Expected values come from the pure
generator, so a check compares what is in the database with what should be there.
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg
import polars as pl

from synth_assets.content.models import (
    ADMIN_ITEMS_PER_TABLE,
    COMPLETED_SHARE,
    DOMAIN_PHRASES,
    GENERAL_PHRASES,
    SCHEMA,
    TAGS_PER_ITEM,
    ContentConfig,
)
from synth_assets.content.target import Target
from synth_assets.core import checks

S = SCHEMA
IN_WINDOW = "{a}.created_at >= :start AND {a}.created_at < :end"

USER_CHECKS = {
    "unique_username": (f"SELECT count(*) - count(DISTINCT username) FROM {S}.users", "usernames are unique"),
    "unique_email": (f"SELECT count(*) - count(DISTINCT email) FROM {S}.users", "emails are unique"),
    "timestamps_in_range": (f"SELECT count(*) FROM {S}.users u WHERE {IN_WINDOW.format(a='u')} AND "
                            f"(u.updated_at < u.created_at OR u.updated_at >= :range_end)",
                            "created_at in the window, created <= updated < end of range"),
}


def content_checks(table: str) -> dict[str, tuple[str, str]]:
    window = IN_WINDOW.format(a="t")
    return {
        "creator_fk": (f"SELECT count(*) FROM {S}.{table} t LEFT JOIN {S}.users u ON u.id = t.creator_id "
                       f"WHERE {window} AND u.id IS NULL", "every creator_id is a user"),
        "creator_existed_first": (f"SELECT count(*) FROM {S}.{table} t JOIN {S}.users u ON u.id = t.creator_id "
                                  f"WHERE {window} AND u.created_at >= t.created_at",
                                  "an item's creator existed before the item"),
        "unique_id": (f"SELECT count(*) - count(DISTINCT id) FROM {S}.{table}", "ids are unique"),
        "admin_items_total": (f"SELECT greatest(count(*) - {ADMIN_ITEMS_PER_TABLE}, 0) FROM {S}.{table} "
                              f"WHERE creator_id = CAST(:admin AS UUID)",
                              f"the admin owns at most {ADMIN_ITEMS_PER_TABLE} items (exactly, once loaded in full)"),
        "tag_count_in_range": (f"SELECT count(*) FROM {S}.{table} t WHERE {window} AND "
                               f"coalesce({{len}}(t.tags), 0) > {TAGS_PER_ITEM[1]}",
                               f"{TAGS_PER_ITEM[0]}-{TAGS_PER_ITEM[1]} tags per item"),
        "timestamps_in_range": (f"SELECT count(*) FROM {S}.{table} t WHERE {window} AND "
                                f"(t.updated_at < t.created_at OR t.updated_at >= :range_end)",
                                "created <= updated < end of range"),
    }


JOB_CHECKS = {
    "user_fk": (f"SELECT count(*) FROM {S}.generation_jobs t LEFT JOIN {S}.users u ON u.id = t.user_id "
                f"WHERE {IN_WINDOW.format(a='t')} AND u.id IS NULL", "every user_id is a user"),
    "content_fk": (f"SELECT count(*) FROM {S}.generation_jobs t LEFT JOIN {S}.content_items i ON i.id = t.content_id "
                   f"WHERE {IN_WINDOW.format(a='t')} AND t.content_id IS NOT NULL AND i.id IS NULL",
                   "every content_id is a content item"),
    "every_item_has_completed_job": (
        f"SELECT count(*) FROM {S}.content_items i LEFT JOIN {S}.generation_jobs j ON j.content_id = i.id "
        f"AND j.status = 'completed' WHERE {IN_WINDOW.format(a='i')} AND j.id IS NULL",
        "every content item created in the window has its completed job"),
    "prompt_and_time_match_item": (
        f"SELECT count(*) FROM {S}.generation_jobs t JOIN {S}.content_items i ON i.id = t.content_id "
        f"WHERE {IN_WINDOW.format(a='t')} AND (t.prompt <> i.prompt OR t.completed_at <> i.created_at "
        f"OR t.user_id <> i.creator_id)", "a completed job has its item's prompt, creator and creation time"),
    "timestamps_ordered": (
        f"SELECT count(*) FROM {S}.generation_jobs t WHERE {IN_WINDOW.format(a='t')} AND "
        f"(t.started_at < t.created_at OR t.completed_at < t.started_at OR t.completed_at >= :range_end "
        f"OR (t.status IN ('completed', 'failed') AND (t.started_at IS NULL OR t.completed_at IS NULL)) "
        f"OR (t.status = 'running' AND (t.started_at IS NULL OR t.completed_at IS NOT NULL)) "
        f"OR (t.status IN ('pending', 'cancelled') AND t.completed_at IS NOT NULL) "
        f"OR (t.status = 'pending' AND t.started_at IS NOT NULL))",
        "created <= started <= completed inside the range; which times are set follows the status"),
    "user_existed_first": (
        f"SELECT count(*) FROM {S}.generation_jobs t JOIN {S}.users u ON u.id = t.user_id "
        f"WHERE {IN_WINDOW.format(a='t')} AND u.created_at >= t.created_at", "a job's user existed before the job"),
    "status_consistency": (
        f"SELECT count(*) FROM {S}.generation_jobs t WHERE {IN_WINDOW.format(a='t')} AND NOT ("
        f"(t.status = 'completed') = (t.content_id IS NOT NULL) AND "
        f"(t.status = 'failed') = (t.error_message IS NOT NULL) AND "
        f"t.status IN ('pending', 'running', 'completed', 'failed', 'cancelled'))",
        "content only for completed jobs, an error message exactly for failed ones"),
    "unique_content_id": (f"SELECT count(content_id) - count(DISTINCT content_id) FROM {S}.generation_jobs",
                          "one job per content item"),
}


def specs(asset_key: dg.AssetKey, queries: dict[str, tuple[str, str]],
          extra: dict[str, str]) -> list[dg.AssetCheckSpec]:
    rules = {name: rule for name, (_, rule) in queries.items()} | extra
    return [dg.AssetCheckSpec(name, asset=asset_key, description=rule, blocking=True) for name, rule in rules.items()]


def sql_results(target: Target, queries: dict[str, tuple[str, str]], start: datetime, end: datetime,
                config: ContentConfig, range_end: datetime) -> list[dg.AssetCheckResult]:
    results = []
    for name, (sql, rule) in queries.items():
        violations = int(target.scalar(sql, start=start, end=end, range_end=range_end,
                                       admin=str(config.admin_user_id)) or 0)
        results.append(checks.violations_result(name, {"rows": violations}, rule=rule, database=target.description))
    return results


def matches_generator(name: str, target: Target, table: str, expected: pl.DataFrame, start: datetime,
                      end: datetime, key: str, rule: str) -> dg.AssetCheckResult:
    """The window's counts per ``key`` value in the database equal the generator's."""
    observed = {}
    for value in expected[key].unique().to_list():
        observed[value] = int(target.scalar(
            f"SELECT count(*) FROM {S}.{table} t WHERE {IN_WINDOW.format(a='t')} AND CAST(t.{key} AS VARCHAR) = :value",
            start=start, end=end, value=str(value).lower() if isinstance(value, bool) else str(value)))
    wanted = dict(expected.group_by(key).len().iter_rows())
    differences = {str(k): abs(observed.get(k, 0) - wanted.get(k, 0)) for k in wanted}
    return checks.violations_result(name, differences, rule=rule, database=target.description)


def admin_complete_result(target: Target, table: str, config: ContentConfig) -> dg.AssetCheckResult:
    total = int(target.scalar(f"SELECT count(*) FROM {S}.{table}"))
    admin = int(target.scalar(f"SELECT count(*) FROM {S}.{table} WHERE creator_id = CAST(:admin AS UUID)",
                              admin=str(config.admin_user_id)))
    complete = total == getattr(config, table)
    wrong = complete and admin != min(ADMIN_ITEMS_PER_TABLE, total)
    return checks.violations_result(
        "admin_items_exact", {"wrong_admin_count": int(wrong)}, database=target.description,
        rule=f"once all partitions are loaded the admin owns exactly {ADMIN_ITEMS_PER_TABLE} items",
        admin_items=admin, rows=total, fully_loaded=complete)


def completed_share_result(target: Target, config: ContentConfig) -> dg.AssetCheckResult:
    total = int(target.scalar(f"SELECT count(*) FROM {S}.generation_jobs"))
    done = int(target.scalar(f"SELECT count(*) FROM {S}.generation_jobs WHERE status = 'completed'"))
    share = done / total if total else None
    complete = total == config.generation_jobs
    return checks.ratio_result("completed_share", observed=share if complete else None,
                               expected=COMPLETED_SHARE, tolerance=0.005 / COMPLETED_SHARE,
                               what="share of completed jobs once all partitions are loaded",
                               jobs=total, completed=done)


def generated_results(stats: pl.DataFrame, tags: pl.Series, pool: set[str]) -> list[dg.AssetCheckResult]:
    """Phrase counts and tags of the rows just generated (the database does not keep phrase counts)."""
    bad_general = stats.filter(~pl.col("general_phrases").is_between(*GENERAL_PHRASES)).height
    bad_domain = stats.filter(~pl.col("domain_phrases").is_between(*DOMAIN_PHRASES)).height
    exploded = tags.explode().drop_nulls()
    unknown = int((~exploded.is_in(pl.Series(sorted(pool)).implode())).sum()) if exploded.len() else 0
    return [
        checks.violations_result("phrase_counts", {"general": bad_general, "domain": bad_domain},
                                 rule=f"{GENERAL_PHRASES[0]}-{GENERAL_PHRASES[1]} general and "
                                      f"{DOMAIN_PHRASES[0]}-{DOMAIN_PHRASES[1]} domain phrases per prompt"),
        checks.violations_result("tags_from_pool", {"unknown_tags": unknown}, rule="every tag is from the global pool"),
    ]
