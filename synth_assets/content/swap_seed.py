"""`synth seed` into PostgreSQL: load new tables beside the live ones over two connections, then swap them in.

One transaction runs in one server process, so a seed loaded in place (TRUNCATE, COPY, rebuild, check,
COMMIT) keeps one core of a two-core machine idle for half of its time. Here:

1. The new tables are made in the staging schema ``content_seed``; the live tables are not touched.
2. Two loader connections (``LOADER_TABLES``) each take their tables as they are generated and, in a
   transaction of their own, create each, COPY it (FREEZE: the table is new in that transaction), ANALYZE
   it and build its keys and indexes. Once its parents are there, the table gets its foreign keys and then
   every check of the table, against the staging schema. A failing check stops the seed.
3. One transaction swaps: it locks the live tables (waiting at most the seed's lock timeout), drops them and
   moves the new ones into ``content``.

The live data changes only in step 3, a single transaction: a seed killed, cut off from its server or out
of disk at any moment leaves the previous tables whole or the new ones, never a mix. What a stopped seed
left in the staging schema is dropped by the next one. A session advisory lock (:func:`seed_lock`, held by
either kind of seed) keeps two seeds of one database apart.

Swapping replaces the tables, so it is taken only when the live tables carry nothing but the schema's
own objects (:func:`synth_assets.content.swap_blockers.swap_blockers`): a view, a grant, a trigger or an
index of the user's own would be lost, and the seed then loads in place in one transaction instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field

import polars as pl
from sqlalchemy import UniqueConstraint
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from synth_assets.content.load import REBUILD_MEMORY, key_statements, staged_table
from synth_assets.content.models import SCHEMA, TABLES, ContentConfig
from synth_assets.content.pipeline import rows_of, verifier
from synth_assets.content.swap_blockers import swap_blockers
from synth_assets.core.database import Database, connect_postgres

STAGING = f"{SCHEMA}_seed"
# What each loader connection loads, in order. The jobs are the longest chain (generated last, from both
# content tables, then the biggest COPY, then the most keys and checks): their loader has nothing else to do
# but the users at the start, so that the jobs' generation competes with one COPY instead of two.
LOADER_TABLES = (("users", "generation_jobs"), ("content_items", "content_items_auto"))
_SEED_LOCK = "SELECT pg_try_advisory_lock(hashtext('synth_assets.content.seed'))"
_SEED_UNLOCK = "SELECT pg_advisory_unlock(hashtext('synth_assets.content.seed'))"


class SeedCheckFailed(RuntimeError):
    pass


class SeedBusy(RuntimeError):
    pass


class SwapRefused(RuntimeError):
    pass


@dataclass
class Loaded:
    table: str
    rows: int
    seconds: float
    results: list


# --- the seed ----------------------------------------------------------------------------------------------------

def _settings() -> list[str]:
    """Session settings of a loader: sorts in memory; no JIT (each big check query would compile for ~0.2 CPU-s);
    no hash joins: the checks that a parent existed first merge the covering indexes of both tables, read
    in key order, instead of probing a hash table of every user (~0.3 instead of 1.5 CPU-s per 1M rows)."""
    return ["SET synchronous_commit TO OFF", f"SET maintenance_work_mem = '{REBUILD_MEMORY}'",
            f"SET work_mem = '{REBUILD_MEMORY}'", "SET jit = off", "SET enable_hashjoin = off"]


@dataclass
class _Shared:
    """What the loader threads share: the tables being generated, who has loaded what, the first failure."""

    tables: Mapping[str, Future]
    ready: dict[str, threading.Event] = field(default_factory=lambda: {t: threading.Event() for t in TABLES})
    lock: threading.Lock = field(default_factory=threading.Lock)
    failed: threading.Event = field(default_factory=threading.Event)
    errors: list[BaseException] = field(default_factory=list)
    loaded: list[Loaded] = field(default_factory=list)
    connections: list[Database] = field(default_factory=list)

    def generated(self, table: str) -> object:
        """The generator output of ``table``, once it is there (:class:`_Stopped` if a loader failed meanwhile)."""
        while True:
            self.stop_if_failed()
            try:
                return self.tables[table].result(timeout=0.05)
            except TimeoutError:
                continue

    def stop_if_failed(self) -> None:
        if self.failed.is_set():
            raise _Stopped

    def wait_for(self, tables: list[str]) -> None:
        for table in tables:
            while not self.ready[table].wait(0.05):
                self.stop_if_failed()

    def fail(self, error: BaseException) -> None:
        with self.lock:
            first = not self.failed.is_set()
            if first and not isinstance(error, _Stopped):
                self.errors.append(error)
            self.failed.set()
        if first:
            for other in self.connections:  # stop what the other loaders' server processes are doing
                try:
                    other.connection.cancel_safe()
                except Exception:  # noqa: BLE001 - a lost connection has nothing left to cancel
                    pass


class _Stopped(Exception):
    """Another loader failed: this one stops."""


def _parents(table: str) -> list[str]:
    return sorted({fk.referred_table.name for fk in TABLES[table].foreign_key_constraints} - {table})


def _load(db: Database, shared: _Shared, table: str, generated: object, config: ContentConfig, window,
          report: Callable[[Loaded], None]) -> None:
    started = time.perf_counter()
    start, end = window
    rows, stats, _ = rows_of(table, generated, start, end)
    staged = staged_table(table, STAGING)
    keys, foreign_keys = key_statements(staged)
    arrow = rows.select([c.name for c in staged.columns]).to_arrow(compat_level=pl.CompatLevel.newest())

    def run(statement: str) -> None:  # a loader that another one's failure has stopped runs nothing more
        shared.stop_if_failed()
        db.execute(statement)

    with db.transaction():  # a table new in this transaction: COPY FREEZE writes its pages frozen, all-visible
        for statement in _create_bare(staged):
            run(statement)
        shared.stop_if_failed()
        db.insert(f"{STAGING}.{table}", arrow, freeze=True)
        # ANALYZE first: the keys built next are then validated by merging index-only scans
        for statement in [f'ANALYZE "{STAGING}"."{table}"', *keys]:
            run(statement)
    shared.ready[table].set()  # committed: a child can point its foreign keys here
    shared.wait_for(_parents(table))
    with db.transaction():
        for statement in foreign_keys:
            run(statement)
    shared.stop_if_failed()
    results = verifier(table, config, db, start, end, rows, stats, STAGING)()
    loaded = Loaded(table, rows.height, time.perf_counter() - started, results)
    shared.loaded.append(loaded)
    report(loaded)
    failed = [r.check_name for r in results if not r.passed]
    if failed:
        raise SeedCheckFailed(f"{table}: checks failed: {', '.join(failed)}; nothing was changed, the previous "
                              f"data is still there")


def _create_bare(staged) -> list[str]:
    """The table as the schema defines it (columns, NOT NULL, CHECKs), without the keys and indexes that
    :func:`key_statements` builds once it is loaded (created with it, they would be updated row by row)."""
    dialect = postgresql.dialect()
    unique = sorted(c.name for c in staged.constraints if isinstance(c, UniqueConstraint))
    drops = ", ".join(f'DROP CONSTRAINT "{name}"' for name in [f"{staged.name}_pkey", *unique])
    return [str(CreateTable(staged, include_foreign_key_constraints=[]).compile(dialect=dialect)),
            f'ALTER TABLE "{staged.schema}"."{staged.name}" {drops}']


def _loader(url: str, shared: _Shared, tables: tuple[str, ...], config: ContentConfig, window, report) -> None:
    try:
        db = connect_postgres(url)
        shared.connections.append(db)
        try:
            for statement in _settings():
                db.execute(statement)
            for table in tables:
                _load(db, shared, table, shared.generated(table), config, window, report)
        finally:
            db.close()
    except BaseException as error:  # noqa: BLE001 - handed to the main thread, which raises the first
        shared.fail(error)


@contextmanager
def seed_lock(target: Database, lock_timeout_ms: int) -> Iterator[None]:
    """Held for a whole PostgreSQL seed (either path): a second seed of the database is refused at once
    (:class:`SeedBusy`). Inside it, what a stopped seed left in the staging schema is dropped, and the
    session waits at most ``lock_timeout_ms`` for any lock."""
    target.execute(f"SET lock_timeout = '{lock_timeout_ms}ms'")
    if not target.scalar(_SEED_LOCK):
        raise SeedBusy("another `synth seed` is loading this database; nothing was changed")
    try:
        _drop_staging(target)
        yield
    finally:
        try:
            target.execute(_SEED_UNLOCK)
        except Exception:  # noqa: BLE001 - the lock ends with the session anyway
            pass


def seed_by_swap(target: Database, url: str, config: ContentConfig, tables: Mapping[str, Future],
                 window: tuple, lock_timeout_ms: int, report: Callable[[Loaded], None],
                 echo: Callable[[str], None]) -> list[Loaded]:
    """Steps 1-3 of the module's docstring, inside :func:`seed_lock`; ``tables``: each table's generator output
    as a future. Returns what was loaded, in load order. ``target``: the seed's own autocommit connection. The
    new tables have the current schema whatever version the live ones have (a swap upgrades them)."""
    _live_tables_free(target, lock_timeout_ms)  # a session holding one fails the seed now, not after the load
    try:
        target.execute(f'CREATE SCHEMA "{STAGING}"')
        shared = _Shared(tables)
        threads = [threading.Thread(target=_loader, args=(url, shared, mine, config, window, report),
                                    name=f"seed-loader-{k}") for k, mine in enumerate(LOADER_TABLES)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        except BaseException:  # e.g. Ctrl-C while waiting: stop the loaders before cleaning up after them
            shared.fail(_Stopped())
            for thread in threads:
                if thread.ident is not None:  # started
                    thread.join()
            raise
        if shared.errors or shared.failed.is_set():
            raise shared.errors[0] if shared.errors else RuntimeError("a seed loader stopped without a reason")
        echo("  swapping the new tables in (the previous data stays until this succeeds)")
        _swap(target, lock_timeout_ms)
        return sorted(shared.loaded, key=lambda loaded: list(TABLES).index(loaded.table))
    except BaseException:
        _drop_staging(target, quietly=True)
        raise


def _live(target: Database) -> str:
    """The live tables that exist, quoted and children first ('' if none)."""
    return target.scalar("SELECT coalesce(string_agg(q, ', ' ORDER BY k), '') FROM (SELECT k, "
                         "quote_ident(:schema) || '.' || quote_ident(name) AS q FROM "
                         "unnest(CAST(:tables AS text[])) WITH ORDINALITY AS t(name, k)) s "
                         "WHERE to_regclass(q) IS NOT NULL", schema=SCHEMA, tables=list(reversed(list(TABLES))))


def _lock_live(target: Database, lock_timeout_ms: int) -> str:
    """In the caller's transaction: lock the live tables that exist for the swap (LockNotAvailable after
    ``lock_timeout_ms``); returns them, quoted and children first ('' if none)."""
    target.execute(f"SET LOCAL lock_timeout = '{lock_timeout_ms}ms'")
    live = _live(target)
    if live:
        target.execute(f"LOCK TABLE {live} IN ACCESS EXCLUSIVE MODE")
    return live


def _live_tables_free(target: Database, lock_timeout_ms: int) -> None:
    """Take and at once release the lock the swap will need."""
    with target.transaction():
        _lock_live(target, lock_timeout_ms)


def _swap(target: Database, lock_timeout_ms: int) -> None:
    """Drop the live tables (of whichever schema version) and move the new ones into their place."""
    with target.transaction():
        target.execute(f"SET LOCAL lock_timeout = '{lock_timeout_ms}ms'")
        # the lock every load takes around its DDL: no partition load creates the live tables meanwhile
        target.execute("SELECT pg_advisory_xact_lock(hashtext('synth_assets.ddl'))")
        target.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
        live = _lock_live(target, lock_timeout_ms)
        blockers = swap_blockers(target)  # under the lock: nothing of a user's own arrived since the seed began
        if blockers:
            raise SwapRefused("the content tables gained objects of their own while the seed ran ("
                              + "; ".join(blockers) + "); nothing was changed, run the seed again")
        if live:
            target.execute(f"DROP TABLE {live}")
        for table in TABLES:
            target.execute(f'ALTER TABLE "{STAGING}"."{table}" SET SCHEMA "{SCHEMA}"')
        target.execute(f'DROP SCHEMA "{STAGING}"')


def _drop_staging(target: Database, quietly: bool = False) -> None:
    """Drop the staging schema (what a stopped seed left); ``quietly``: on the way out of a failed seed,
    where the server may be gone and the original error is the one to report."""
    try:
        target.execute(f'DROP SCHEMA IF EXISTS "{STAGING}" CASCADE')
    except Exception:
        if not quietly:
            raise
