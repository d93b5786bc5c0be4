"""`synth seed`: load every content table for the whole range, in FK order, with a report.

Calls the same per-table step as the Dagster assets (generate, replace, check), once for the whole
range, and prints rows, seconds and rows/s per table.

A seed is one transaction from the first delete to the last check: the previous database stays whole
until the new one has loaded and passed every check, whatever stops the seed on the way (a failing
check, a killed process, a lost server, a full disk, a lock held by a reader).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from synth_assets.content.load import clear_all, wal_note
from synth_assets.content.pipeline import generate_tables, load_and_check
from synth_assets.content.settings import ContentSettings
from synth_assets.content.timeline import eastern_day_bounds
from synth_assets.core.concurrency import prefetched
from synth_assets.core.database import open_database
from synth_assets.core.resources import SynthSettings
from synth_assets.deployment import content_days


class SeedCheckFailed(RuntimeError):
    pass


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
    reports = []
    generated = generate_tables(config, start, end)
    with open_database(content.database_url, settings.duckdb_path, lock_timeout_seconds) as target, \
            prefetched(generated) as tables:  # each table is generated while the previous one loads
        with target.transaction():
            if target.kind == "postgres":
                target.execute(f"SET LOCAL lock_timeout = '{round(lock_timeout_seconds * 1000)}ms'")
                echo(wal_note(target))
            clear_all(target)  # a seed replaces the whole database, whatever the previous config was
            started = time.perf_counter()
            for table, rows_of_table in tables:
                rows, results, _ = load_and_check(table, config, target, start, end, rows_of_table)
                report = TableReport(table, rows.height, time.perf_counter() - started)
                failed = [r.check_name for r in results if not r.passed]
                echo(report.line() + (f"   FAILED CHECKS: {', '.join(failed)}" if failed else
                                      f"   {len(results)} checks passed"))
                reports.append(report)
                if failed:  # raising inside the transaction rolls the whole seed back
                    raise SeedCheckFailed(f"{table}: checks failed: {', '.join(failed)}; "
                                          f"nothing was changed, the previous data is still there")
                started = time.perf_counter()
            echo("  committing (the previous data stays until this succeeds)")
    echo(TableReport("total", sum(r.rows for r in reports), sum(r.seconds for r in reports)).line())
    return reports


def _where(content: ContentSettings, settings: SynthSettings) -> str:
    if content.database_url:
        from synth_assets.core.postgres import mask_url

        return mask_url(content.database_url)
    return str(settings.duckdb_path)
