"""One step per content table: generate, replace the window in the target, check the result.

The Dagster assets and `synth seed` both call :func:`load_and_check`, so the shell verb and the UI
produce and verify exactly the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl

from synth_assets.content import checks as cc
from synth_assets.content.generation_jobs import generate_jobs
from synth_assets.content.items import generate_content
from synth_assets.content.load import ChecksFailed, replace_window
from synth_assets.content.models import CONTENT_TABLES, LOAD_ORDER, SCHEMA, TIMEZONE, ContentConfig
from synth_assets.content.tags import tag_pool
from synth_assets.content.timeline import eastern_day_bounds
from synth_assets.content.users import generate_users
from synth_assets.core import checks
from synth_assets.core.database import Database


def check_specs(table: str, asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return checks.specs(asset_key, cc.table_checks(table))


def generate_table(config: ContentConfig, table: str, start: datetime | None = None,
                   end: datetime | None = None, items: Mapping[str, pl.DataFrame] | None = None) -> object:
    """The rows of ``table`` created in ``start <= created_at < end`` (default: the whole range), generated
    day by day for the Eastern days the window touches; pure, so it can run ahead in another thread.
    ``items``: both content tables of the same window, if at hand (generation_jobs reuses their texts)."""
    first, last = eastern_days(start, end) if start is not None and end is not None else (None, None)
    if table == "users":
        return generate_users(config, first, last)
    if table == "generation_jobs":
        return generate_jobs(config, first, last, items)
    return generate_content(config, table, first, last)


def generate_tables(config: ContentConfig, start: datetime, end: datetime) -> Iterator[tuple[str, object]]:
    """``(table, generated)`` for every table in load order; the jobs reuse the items just generated."""
    items = {}
    for table in LOAD_ORDER:
        generated = generate_table(config, table, start, end, items if table == "generation_jobs" else None)
        if table in CONTENT_TABLES:
            items[table] = generated.frame
        yield table, generated


@contextmanager
def generated_side_by_side(config: ContentConfig, start: datetime, end: datetime,
                           workers: int = 2) -> Iterator[dict[str, Future]]:
    """Each table's generator output as a future, generated in ``workers`` threads as soon as it can be: the
    users and both content tables depend on the config alone, generation_jobs waits for both content tables
    (it reuses their texts). Leaving the block early drops what has not started and waits for what has."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="generate") as pool:
        futures = {table: pool.submit(generate_table, config, table, start, end) for table in LOAD_ORDER
                   if table != "generation_jobs"}

        def jobs() -> object:
            items = {table: futures[table].result().frame for table in CONTENT_TABLES}
            return generate_table(config, "generation_jobs", start, end, items)

        futures["generation_jobs"] = pool.submit(jobs)
        try:
            yield futures
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def eastern_days(start: datetime, end: datetime) -> tuple[date, date]:
    """The first and last Eastern day that ``start <= t < end`` touches."""
    zone = ZoneInfo(TIMEZONE)
    return start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()


def load_and_check(table: str, config: ContentConfig, target: Database, start: datetime, end: datetime,
                   generated: object | None = None) -> tuple[pl.DataFrame, list[dg.AssetCheckResult], dict]:
    """Replace ``start <= created_at < end`` of ``table``; return the rows, check results and metadata.

    ``generated`` is the table's generator output if the caller already has it.
    """
    generated = generated if generated is not None else generate_table(config, table, start, end)
    rows, stats, extra = rows_of(table, generated, start, end)
    verify = verifier(table, config, target, start, end, rows, stats)  # run inside the load's transaction
    try:
        results = replace_window(target, table, rows, start, end, verify)
    except ChecksFailed as failure:  # rolled back: the previous rows are still there
        results = failure.results
    if table == "generation_jobs":
        extra["status_counts"] = dg.MetadataValue.json(dict(rows.group_by("status").len().iter_rows()))
    return rows, results, extra


def rows_of(table: str, generated: object, start: datetime,
            end: datetime) -> tuple[pl.DataFrame, pl.DataFrame | None, dict[str, object]]:
    """The rows of ``table``'s generator output created in ``start <= created_at < end``, the prompt statistics
    of those rows (content tables) and the table's extra metadata."""
    extra: dict[str, object] = {}
    stats = None
    if table == "users":
        frame, extra["usernames_numbered"] = generated.frame, generated.numbered
    elif table == "generation_jobs":
        frame = generated
    else:
        frame, stats = generated.frame, generated.prompt_stats
    in_window = (frame["created_at"] >= start) & (frame["created_at"] < end)
    if in_window.all():  # a seed's window holds every row: no copy
        return frame, stats, extra
    return frame.filter(in_window), stats.filter(in_window) if stats is not None else None, extra


def verifier(table: str, config: ContentConfig, target: Database, start: datetime, end: datetime,
             rows: pl.DataFrame, stats: pl.DataFrame | None,
             schema: str = SCHEMA) -> Callable[[], list[dg.AssetCheckResult]]:
    """Every check of ``table`` (its window's ``rows`` as generated, and their prompt statistics) against the
    table in ``schema`` of ``target``: called inside the transaction that loaded it, before COMMIT."""
    range_end = eastern_day_bounds(config.end)[1]

    def verify() -> list[dg.AssetCheckResult]:
        per_key: dict[str, int] = {}
        results = cc.sql_results(target, table, start, end, config, range_end, schema, per_key)
        if stats is not None:
            results += cc.generated_results(stats, rows["tags"], set(tag_pool(config.tag_pool_size)))
            results.append(cc.admin_complete_result(target, table, config, schema))
        if table == "generation_jobs":
            results += cc.completed_results(target, config, schema)
        results.append(cc.matches_generator(target, table, rows, per_key))
        return results
    return verify
