"""`synth seed`: load every content table for the whole range, in FK order, with a report.

Calls the same per-table step as the Dagster assets (generate, replace, check), once for the whole
range, and prints rows, seconds and rows/s per table.

The previous database stays whole until the new one has loaded and passed every check, whatever stops
the seed on the way (a failing check, a killed process, a lost server, a full disk, a lock held by a
reader). On PostgreSQL the new tables are loaded beside the live ones over two connections and swapped in
by one transaction (:mod:`synth_assets.content.swap_seed`); where the live tables carry objects of a
user's own that a swap would drop, and on DuckDB, the seed is one transaction from the first delete to
the last check.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime

from synth_assets.content.load import clear_all, wal_note
from synth_assets.content.models import ContentConfig
from synth_assets.content.pipeline import generate_tables, generated_side_by_side, load_and_check
from synth_assets.content.settings import ContentSettings
from synth_assets.content.swap_blockers import swap_blockers
from synth_assets.content.swap_seed import SeedCheckFailed, seed_by_swap, seed_lock
from synth_assets.content.timeline import eastern_day_bounds
from synth_assets.core.concurrency import prefetched
from synth_assets.core.database import Database, open_database
from synth_assets.core.resources import SynthSettings
from synth_assets.deployment import content_days

__all__ = ["LOCK_TIMEOUT_SECONDS", "SeedCheckFailed", "TableReport", "seed"]


@dataclass(frozen=True)
class TableReport:
    table: str
    rows: int
    seconds: float

    def line(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        return f"  {self.table:<22} {self.rows:>12,} rows {self.seconds:>8.2f} s {rate:>14,.0f} rows/s"


LOCK_TIMEOUT_SECONDS = 30.0  # how long the seed waits for a table (PostgreSQL) or file (DuckDB) held elsewhere


def seed(content: ContentSettings, settings: SynthSettings, echo=print,
         lock_timeout_seconds: float = LOCK_TIMEOUT_SECONDS,
         days: tuple[date, date] | None = None) -> list[TableReport]:
    """Load every content table; stops at the first table whose checks fail.

    On PostgreSQL a table held by another session (an open transaction reading it), and on DuckDB a file
    another process has open, is waited for at most ``lock_timeout_seconds``; then the seed stops with
    nothing changed."""
    first, last = days or content_days()  # the partitions' range unless the caller narrows it
    config = content.config(first, last, settings.seed)  # validated before anything is written
    start, end = eastern_day_bounds(first)[0], eastern_day_bounds(last)[1]
    echo(f"seeding {_where(content, settings)} with seed {config.seed}: "
         f"{config.users:,} users, {config.content_items:,} + {config.content_items_auto:,} items, "
         f"{config.generation_jobs:,} jobs over {first}..{last} (US-Eastern)")
    lock_timeout_ms = round(lock_timeout_seconds * 1000)
    started = time.perf_counter()
    with open_database(content.database_url, settings.duckdb_path, lock_timeout_seconds) as target, \
            (seed_lock(target, lock_timeout_ms) if target.kind == "postgres" else nullcontext()):
        if target.kind == "postgres":
            echo(wal_note(target))
            blockers = swap_blockers(target)
            if not blockers:  # two loaders: the tables are generated side by side as well
                with generated_side_by_side(config, start, end) as tables:
                    loaded = seed_by_swap(target, content.database_url, config, tables, (start, end),
                                          lock_timeout_ms, lambda done: echo(_report_line(
                                              done.table, done.rows, done.seconds, done.results)), echo)
                return _total([TableReport(done.table, done.rows, done.seconds) for done in loaded], started, echo)
            echo(f"  loading in place, in one transaction: swapping new tables in would drop what the live ones "
                 f"carry ({'; '.join(blockers)})")
        with prefetched(generate_tables(config, start, end)) as tables:  # the next table is generated meanwhile
            reports = _seed_in_place(target, config, tables, start, end, lock_timeout_ms, echo)
        return _total(reports, started, echo)


def _seed_in_place(target: Database, config: ContentConfig, tables, start: datetime, end: datetime,
                   lock_timeout_ms: int, echo) -> list[TableReport]:
    """The whole seed as one transaction: empty every table, then load and check each in turn."""
    reports = []
    with target.transaction():
        if target.kind == "postgres":
            target.execute(f"SET LOCAL lock_timeout = '{lock_timeout_ms}ms'")
        clear_all(target)  # a seed replaces the whole database, whatever the previous config was
        started = time.perf_counter()
        for table, rows_of_table in tables:
            rows, results, _ = load_and_check(table, config, target, start, end, rows_of_table)
            reports.append(TableReport(table, rows.height, time.perf_counter() - started))
            echo(_report_line(table, rows.height, reports[-1].seconds, results))
            failed = [r.check_name for r in results if not r.passed]
            if failed:  # raising inside the transaction rolls the whole seed back
                raise SeedCheckFailed(f"{table}: checks failed: {', '.join(failed)}; "
                                      f"nothing was changed, the previous data is still there")
            started = time.perf_counter()
        echo("  committing (the previous data stays until this succeeds)")
    return reports


def _report_line(table: str, rows: int, seconds: float, results: list) -> str:
    failed = [r.check_name for r in results if not r.passed]
    return TableReport(table, rows, seconds).line() + (f"   FAILED CHECKS: {', '.join(failed)}" if failed else
                                                       f"   {len(results)} checks passed")


def _total(reports: list[TableReport], started: float, echo) -> list[TableReport]:
    """The total line: every row, and the seconds from the first connection to the commit (tables loaded side
    by side overlap, so their seconds do not add up to it)."""
    echo(TableReport("total", sum(r.rows for r in reports), time.perf_counter() - started).line())
    return reports


def _where(content: ContentSettings, settings: SynthSettings) -> str:
    if content.database_url:
        from synth_assets.core.postgres import mask_url

        return mask_url(content.database_url)
    return str(settings.duckdb_path)
