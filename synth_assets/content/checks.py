"""Content checks, run on the loaded database (DuckDB or PostgreSQL) after each partition load.

Window-scoped checks look at the rows just loaded and their parents; global ones (uniqueness, the
admin's 50, the completed share) look at the whole table. Expected values come from the pure
generator, so a check compares what is in the database with what should be there.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

import dagster as dg
import polars as pl

from synth_assets.content.models import (
    ADMIN_ITEMS_PER_TABLE,
    COMPLETED_SHARE,
    CONTENT_TABLES,
    DOMAIN_PHRASES,
    GENERAL_PHRASES,
    ITEM_REFERENCE,
    ONE_ITEM_IFF_COMPLETED,
    SCHEMA,
    TAGS_PER_ITEM,
    ContentConfig,
)
from synth_assets.content.timeline import eastern_day_bounds
from synth_assets.core import checks
from synth_assets.core.database import Database as Target

IN_WINDOW = "{a}.created_at >= :start AND {a}.created_at < :end"
WINDOW = IN_WINDOW.format(a="t")


# relation -> {check: the condition a violating row of the window meets}; filled by row_rule
ROW_RULES: dict[str, dict[str, str]] = {}


def row_rule(name: str, relation: str, condition: str, rule: str) -> checks.SqlCount:
    """A check counting the window's rows of ``relation`` that meet ``condition``. The rules of one table
    are counted together in one scan (:func:`sql_results`); each also stands alone as its own query."""
    ROW_RULES.setdefault(relation, {})[name] = condition
    return checks.sql_count(name, f"SELECT count(*) FROM {relation} t WHERE {WINDOW} AND ({condition})", rule)


def user_checks(schema: str) -> list[checks.SqlCount]:
    users = f"{schema}.users"
    return [
        checks.in_database(checks.unique_key("unique_username", ["username"], "usernames are unique"), users),
        checks.in_database(checks.unique_key("unique_email", ["email"], "emails are unique"), users),
        row_rule("timestamps_in_range", users, "t.updated_at < t.created_at OR t.updated_at >= :range_end",
                 "created_at in the window, created <= updated < end of range"),
    ]


def content_checks(table: str, schema: str) -> list[checks.SqlCount]:
    relation, users = f"{schema}.{table}", f"{schema}.users"
    return [
        checks.in_database(checks.foreign_key("creator_fk", "creator_id", users, rule="every creator_id is a user"),
                           relation, WINDOW),
        checks.sql_count("creator_existed_first", f"SELECT count(*) FROM {relation} t JOIN {users} u ON "
                         f"u.id = t.creator_id WHERE {WINDOW} AND u.created_at >= t.created_at",
                         "an item's creator existed before the item"),
        checks.in_database(checks.unique_key("unique_id", ["id"], "ids are unique"), relation),
        checks.sql_count("admin_items_total", f"SELECT greatest(count(*) - {ADMIN_ITEMS_PER_TABLE}, 0) FROM "
                         f"{relation} WHERE creator_id = CAST(:admin AS UUID)",
                         f"the admin owns at most {ADMIN_ITEMS_PER_TABLE} items (exactly, once loaded in full)"),
        row_rule("tag_count_in_range", relation, f"coalesce({{len}}(t.tags), 0) > {TAGS_PER_ITEM[1]}",
                 f"{TAGS_PER_ITEM[0]}-{TAGS_PER_ITEM[1]} tags per item"),
        row_rule("timestamps_in_range", relation, "t.updated_at < t.created_at OR t.updated_at >= :range_end",
                 "created <= updated < end of range"),
    ]


def _per_content_table(query: str, schema: str) -> str:
    """One count over both content tables: ``query`` formatted with {items} and {ref} (the job's column)."""
    parts = [f"({query.format(items=f'{schema}.{table}', ref=ITEM_REFERENCE[table])})" for table in CONTENT_TABLES]
    return "SELECT " + " + ".join(parts)


# a completed job (t) differs from its item (i)
ITEM_MISMATCH = ("t.prompt <> i.prompt OR t.completed_at <> i.created_at OR t.user_id <> i.creator_id "
                 "OR t.parameters <> i.item_metadata")


def job_checks(schema: str) -> list[checks.SqlCount]:
    users, jobs = f"{schema}.users", f"{schema}.generation_jobs"
    return [
        checks.in_database(checks.foreign_key("user_fk", "user_id", users, rule="every user_id is a user"),
                           jobs, WINDOW),
        checks.in_database(checks.foreign_key("content_fk", "content_id", f"{schema}.content_items",
                                              rule="every content_id is a content_items row"), jobs, WINDOW),
        checks.in_database(checks.foreign_key("auto_content_fk", "auto_content_id", f"{schema}.content_items_auto",
                                              rule="every auto_content_id is a content_items_auto row"), jobs, WINDOW),
        checks.sql_count(
            "every_item_has_completed_job",
            _per_content_table(f"SELECT count(*) FROM {{items}} i LEFT JOIN {jobs} j ON j.{{ref}} = i.id "
                               f"AND j.status = 'completed' WHERE {IN_WINDOW.format(a='i')} AND j.id IS NULL", schema),
            "every item of either content table created in the window has its completed job"),
        checks.sql_count(
            "prompt_and_time_match_item",
            _per_content_table(f"SELECT count(*) FROM {jobs} t JOIN {{items}} i ON i.id = t.{{ref}} "
                               f"WHERE {WINDOW} AND ({ITEM_MISMATCH})", schema),
            "a completed job has its item's prompt, settings, creator and creation time"),
        row_rule(
            "timestamps_ordered", jobs,
            "t.started_at < t.created_at OR t.completed_at < t.started_at OR t.completed_at >= :range_end "
            "OR (t.status IN ('completed', 'failed') AND (t.started_at IS NULL OR t.completed_at IS NULL)) "
            "OR (t.status = 'running' AND (t.started_at IS NULL OR t.completed_at IS NOT NULL)) "
            "OR (t.status IN ('pending', 'cancelled') AND t.completed_at IS NOT NULL) "
            "OR (t.status = 'pending' AND t.started_at IS NOT NULL)",
            "created <= started <= completed inside the range; which times are set follows the status"),
        checks.sql_count(
            "user_existed_first",
            f"SELECT count(*) FROM {jobs} t JOIN {users} u ON u.id = t.user_id "
            f"WHERE {WINDOW} AND u.created_at >= t.created_at", "a job's user existed before the job"),
        row_rule(
            "status_consistency", jobs,
            f"NOT (({ONE_ITEM_IFF_COMPLETED}) AND (t.status = 'failed') = (t.error_message IS NOT NULL) AND "
            f"t.status IN ('pending', 'running', 'completed', 'failed', 'cancelled'))",
            "exactly one item (of either table) for a completed job, none for others; an error message exactly "
            "for failed jobs"),
        checks.in_database(checks.unique_key("unique_content_id", ["content_id"], "one job per content_items row"),
                           jobs),
        checks.in_database(checks.unique_key("unique_auto_content_id", ["auto_content_id"],
                                             "one job per content_items_auto row"), jobs),
    ]


MATCH_KEY = {"users": "is_active", "content_items": "is_private", "content_items_auto": "is_private",
             "generation_jobs": "status"}
ADMIN_EXACT = checks.Check("admin_items_exact",
                           f"once all partitions are loaded the admin owns exactly {ADMIN_ITEMS_PER_TABLE} items")
PHRASE_COUNTS = checks.Check("phrase_counts", f"{GENERAL_PHRASES[0]}-{GENERAL_PHRASES[1]} general and "
                                              f"{DOMAIN_PHRASES[0]}-{DOMAIN_PHRASES[1]} domain phrases per prompt")
TAGS_FROM_POOL = checks.Check("tags_from_pool", "every tag is from the global pool")
COMPLETED_EXACT = checks.Check(
    "completed_jobs_exact", "once all partitions are loaded there is one completed job per item of both content "
                            "tables and exactly as many jobs as the nearest share to "
                            f"{COMPLETED_SHARE:.0%} completed asks for")
COMPLETED_SHARE_CHECK = checks.share_within(
    "completed_share", COMPLETED_SHARE, 0.005 / COMPLETED_SHARE,
    f"{COMPLETED_SHARE:.0%} of jobs completed (within 0.5 points) once all partitions are loaded")


def rows_match(table: str) -> checks.Check:
    return checks.Check("rows_match_generator",
                        f"the window's rows per {MATCH_KEY[table]} in the database equal the generator's")


@cache
def sql_checks(table: str, schema: str = SCHEMA) -> list[checks.SqlCount]:
    """The SQL checks of ``table`` in ``schema`` (a seed checks its tables in a staging schema before they
    replace the live ones)."""
    if table == "users":
        return user_checks(schema)
    if table == "generation_jobs":
        return job_checks(schema)
    return content_checks(table, schema)


def table_checks(table: str) -> list[checks.Check]:
    """Every check of ``table``, in the order its results are reported."""
    extra = {"users": [], "generation_jobs": [COMPLETED_SHARE_CHECK, COMPLETED_EXACT]}.get(
        table, [PHRASE_COUNTS, TAGS_FROM_POOL, ADMIN_EXACT])
    return [*sql_checks(table), *extra, rows_match(table)]


# Checks that a constraint of the PostgreSQL schema (models.py) enforces on every row, by constraint name
ENFORCED_BY = {
    "users": {"unique_username": "uq_users_username", "unique_email": "uq_users_email"},
    **{table: {"creator_fk": f"fk_{table}_creator", "unique_id": f"{table}_pkey"} for table in CONTENT_TABLES},
    "generation_jobs": {"user_fk": "fk_jobs_user", "content_fk": "fk_jobs_content",
                        "auto_content_fk": "fk_jobs_auto_content", "unique_content_id": "uq_jobs_content_id",
                        "unique_auto_content_id": "uq_jobs_auto_content_id"},
}


def validated_constraints(target: Target, table: str, schema: str = SCHEMA) -> set[str]:
    """Names of the validated constraints of ``table`` in the PostgreSQL target (empty on DuckDB)."""
    if target.kind != "postgres":
        return set()
    names = target.scalar(
        "SELECT coalesce(string_agg(c.conname, ','), '') FROM pg_constraint c "
        "JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace "
        "WHERE n.nspname = :schema AND r.relname = :table AND c.convalidated", schema=schema, table=table)
    return set(filter(None, names.split(",")))


def sql_results(target: Target, table: str, start: datetime, end: datetime,
                config: ContentConfig, range_end: datetime, schema: str = SCHEMA,
                rows_per_key: dict[str, int] | None = None) -> list[dg.AssetCheckResult]:
    """Every SQL check of ``table``. On PostgreSQL a check that a validated constraint enforces (the
    foreign keys are checked before the checks run: the load sets them IMMEDIATE) is answered by the
    constraint instead of a second scan; without the constraint the query runs."""
    params = {"start": start, "end": end, "range_end": range_end, "admin": str(config.admin_user_id)}
    present = validated_constraints(target, table, schema)
    enforced = {name: constraint for name, constraint in ENFORCED_BY.get(table, {}).items() if constraint in present}
    by_constraint = {check.name: check.result(0, database=target.description,
                                              enforced_by=f"PostgreSQL constraint {enforced[check.name]} (validated)")
                     for check in sql_checks(table, schema) if check.name in enforced}
    relation = f"{schema}.{table}"
    counted, per_key = _row_counts(target, relation, [c.name for c in sql_checks(table, schema) if c.name in
                                                      ROW_RULES.get(relation, {}) and c.name not in enforced],
                                   MATCH_KEY[table], params)
    if rows_per_key is not None:  # the same scan counted the rows per value of the table's key: rows_match's
        rows_per_key.update(per_key)
    if table == "generation_jobs" and start <= eastern_day_bounds(config.start)[0] and end >= range_end:
        counted |= _item_job_counts(target, params, schema)
    by_count = {check.name: check.result(counted[check.name], database=target.description)
                for check in sql_checks(table, schema) if check.name in counted}
    remaining = [c for c in sql_checks(table, schema) if c.name not in enforced and c.name not in counted]
    queried = iter(checks.database_results(target.scalar, remaining, params, database=target.description))
    return [by_constraint[c.name] if c.name in by_constraint else by_count[c.name] if c.name in by_count
            else next(queried) for c in sql_checks(table, schema)]


def _row_counts(target: Target, relation: str, names: list[str], key: str,
                params: dict) -> tuple[dict[str, int], dict[str, int]]:
    """The counts of the row rules ``names`` of ``relation``, and the rows per value of ``key``, in one scan of
    the window."""
    rules = ROW_RULES.get(relation, {})
    counts = "".join(f" || ',' || CAST(count(*) FILTER (WHERE {rules[name]}) AS VARCHAR)" for name in names)
    text = target.scalar(  # "value=rows,rule,rule;value=rows,rule,rule"
        f"SELECT coalesce(string_agg(k || '=' || n, ';'), '') FROM (SELECT coalesce(CAST(t.{key} AS VARCHAR), "
        f"'NULL') AS k, "
        f"CAST(count(*) AS VARCHAR){counts} AS n FROM {relation} t WHERE {WINDOW} GROUP BY 1) s", **params)
    totals, per_key = dict.fromkeys(names, 0), {}
    for group in filter(None, text.split(";")):
        value, numbers = group.rsplit("=", 1)  # the counts hold no "="
        rows, *broken = (int(n) for n in numbers.split(","))
        per_key[value] = rows
        for name, count in zip(names, broken, strict=True):
            totals[name] += count
    return totals, per_key


def _fingerprint(prompt: str, item: str, user: str, instant: str, settings: str) -> str:
    """A 64-bit hash of the fields a completed job shares with its item: PostgreSQL's own hash of each field
    (each with its own seed; the instant in UTC, whatever the session's time zone), combined and hashed once
    more, so that fields swapped between two rows do not cancel out in a sum."""
    fields = (f"hashtextextended({prompt}, 1) # uuid_hash_extended({item}, 2) # uuid_hash_extended({user}, 3) "
              f"# timestamp_hash_extended({instant} AT TIME ZONE 'UTC', 4) # jsonb_hash_extended({settings}, 5)")
    return f"hashint8extended({fields}, 6)"


def _fingerprints_match(target: Target, params: dict, schema: str = SCHEMA) -> bool:
    """Whether, per content table, the window's items and the window's completed jobs of that table are the same
    multiset of (item id, prompt, creator, instant, settings): the count of rows and the sum of their
    fingerprints agree. One parallel scan per table instead of a full join of 1 GB-tables; equal sums from
    different rows need the sums of independent 64-bit hashes to collide. PostgreSQL only (DuckDB joins)."""
    items = {table: target.row(
        f"SELECT count(f), sum(CAST(f AS NUMERIC)) FROM (SELECT "
        f"{_fingerprint('i.prompt', 'i.id', 'i.creator_id', 'i.created_at', 'i.item_metadata')} AS f "
        f"FROM {schema}.{table} i WHERE {IN_WINDOW.format(a='i')}) s", **params) for table in CONTENT_TABLES}
    sums = ", ".join(f"count(f_{ref}), sum(CAST(f_{ref} AS NUMERIC))" for ref in ITEM_REFERENCE.values())
    fingerprints = ", ".join(f"CASE WHEN t.{ref} IS NOT NULL THEN "
                             f"{_fingerprint('t.prompt', f't.{ref}', 't.user_id', 't.completed_at', 't.parameters')} "
                             f"END AS f_{ref}" for ref in ITEM_REFERENCE.values())
    found = target.row(f"SELECT {sums} FROM (SELECT {fingerprints} FROM {schema}.generation_jobs t "
                       f"WHERE t.status = 'completed' AND {WINDOW}) s", **params)
    jobs = {table: found[2 * k:2 * k + 2] for k, table in enumerate(ITEM_REFERENCE)}  # in the SELECT's order
    return all(items[table] == jobs[table] for table in CONTENT_TABLES)


def _item_job_counts(target: Target, params: dict, schema: str = SCHEMA) -> dict[str, int]:
    """every_item_has_completed_job and prompt_and_time_match_item for a window that holds the whole range
    (a seed). On PostgreSQL equal fingerprints (:func:`_fingerprints_match`) prove both counts zero;
    otherwise one join per content table counts them: the completed jobs with an item and every item, each
    join once. (A partition's window keeps the two queries, which read only the window's rows.)"""
    if target.kind == "postgres" and _fingerprints_match(target, params, schema):
        return {"every_item_has_completed_job": 0, "prompt_and_time_match_item": 0}
    parts = [f"SELECT count(*) FILTER (WHERE {IN_WINDOW.format(a='i')} AND t.id IS NULL) AS missing, "
             f"count(*) FILTER (WHERE {WINDOW} AND i.id IS NOT NULL AND ({ITEM_MISMATCH})) AS differing "
             f"FROM {schema}.{table} i FULL JOIN (SELECT * FROM {schema}.generation_jobs WHERE status = 'completed' "
             f"AND {ref} IS NOT NULL) t ON t.{ref} = i.id" for table, ref in ITEM_REFERENCE.items()]
    text = target.scalar("SELECT CAST(sum(missing) AS VARCHAR) || ',' || CAST(sum(differing) AS VARCHAR) FROM ("
                         + " UNION ALL ".join(parts) + ") s", **params)
    missing, differing = (int(n) for n in text.split(","))
    return {"every_item_has_completed_job": missing, "prompt_and_time_match_item": differing}


def matches_generator(target: Target, table: str, expected: pl.DataFrame,
                      observed: dict[str, int]) -> dg.AssetCheckResult:
    """The window's counts per ``key`` value in the database (``observed``, counted by :func:`sql_results` in
    the scan of its row rules) equal the generator's (``expected``: the window's rows as generated)."""
    key = MATCH_KEY[table]
    wanted = {str(k).lower() if isinstance(k, bool) else str(k): n
              for k, n in expected.group_by(key).len().iter_rows()}
    differences = {k: abs(observed.get(k, 0) - wanted.get(k, 0)) for k in {*wanted, *observed}}
    return rows_match(table).result(differences, database=target.description)


def _counts(target: Target, relation: str, condition: str, **params) -> tuple[int, int]:
    """All rows of ``relation`` and those meeting ``condition``, in one scan."""
    text = target.scalar(f"SELECT CAST(count(*) AS VARCHAR) || ',' || CAST(count(*) FILTER (WHERE {condition}) "
                         f"AS VARCHAR) FROM {relation}", **params)
    total, meeting = text.split(",")
    return int(total), int(meeting)


def admin_complete_result(target: Target, table: str, config: ContentConfig,
                          schema: str = SCHEMA) -> dg.AssetCheckResult:
    total, admin = _counts(target, f"{schema}.{table}", "creator_id = CAST(:admin AS UUID)",
                           admin=str(config.admin_user_id))
    complete = total == getattr(config, table)
    wrong = complete and admin != min(ADMIN_ITEMS_PER_TABLE, total)
    return ADMIN_EXACT.result({"wrong_admin_count": int(wrong)}, database=target.description,
                              admin_items=admin, rows=total, fully_loaded=complete)


def completed_results(target: Target, config: ContentConfig, schema: str = SCHEMA) -> list[dg.AssetCheckResult]:
    """The completed share and the exact job counts, judged once every partition is loaded."""
    total, done = _counts(target, f"{schema}.generation_jobs", "status = 'completed'")
    share = done / total if total else None
    complete = total == config.generation_jobs
    wrong = {"wrong_completed": abs(done - config.completed_jobs) if complete else 0}
    return [COMPLETED_SHARE_CHECK.result(share if complete else None, jobs=total, completed=done),
            COMPLETED_EXACT.result(wrong, database=target.description, jobs=total, completed=done,
                                   fully_loaded=complete)]


def generated_results(stats: pl.DataFrame, tags: pl.Series, pool: set[str]) -> list[dg.AssetCheckResult]:
    """Phrase counts and tags of the rows just generated (the database does not keep phrase counts)."""
    bad_general = stats.filter(~pl.col("general_phrases").is_between(*GENERAL_PHRASES)).height
    bad_domain = stats.filter(~pl.col("domain_phrases").is_between(*DOMAIN_PHRASES)).height
    exploded = tags.explode().drop_nulls()
    unknown = int((~exploded.is_in(pl.Series(sorted(pool)).implode())).sum()) if exploded.len() else 0
    return [
        PHRASE_COUNTS.result({"general": bad_general, "domain": bad_domain}),
        TAGS_FROM_POOL.result({"unknown_tags": unknown}),
    ]
