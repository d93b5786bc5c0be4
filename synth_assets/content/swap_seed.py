"""`synth seed` into PostgreSQL: load new tables beside the live ones over two connections, then swap them in.

One transaction runs in one server process, so a seed loaded in place (TRUNCATE, COPY, rebuild, check,
COMMIT) keeps one core of a two-core machine idle for half of its time. Here:

1. The new tables are made in the staging schema ``content_seed``; the live tables are not touched.
2. Two loader connections (``LOADER_TABLES``) each take their tables as they are generated and, in a
   transaction of their own, create
   it, COPY it (FREEZE: the table is new in that transaction), ANALYZE it and build its keys and indexes.
   Once its parents are there, the table gets its foreign keys and then every check of the table, against
   the staging schema. A failing check stops the seed.
3. One transaction swaps: it locks the live tables (waiting at most the seed's lock timeout), drops them and
   moves the new ones into ``content``.

The live data changes only in step 3, a single transaction: a seed killed, cut off from its server or out
of disk at any moment leaves the previous tables whole or the new ones, never a mix. What a stopped seed
left in the staging schema is dropped by the next one. A session advisory lock keeps two seeds of one
database apart.

Swapping replaces the tables, so it is taken only when the live tables carry nothing but the schema's
own keys and indexes (:func:`swap_blockers`): a view, a grant, a trigger or an index of the user's own
would be lost, and the seed then loads in place in one transaction instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field

import polars as pl
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from synth_assets.content.load import REBUILD_MEMORY, RETIRED_CONSTRAINTS, key_statements, staged_table
from synth_assets.content.models import SCHEMA, TABLES, ContentConfig
from synth_assets.content.pipeline import rows_of, verifier
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


# --- what the live tables carry ----------------------------------------------------------------------------------

def _expected_names() -> tuple[set[str], set[str]]:
    """The names of the indexes and constraints the schema gives the content tables (NOT NULL aside)."""
    indexes = {f"{t.name}_pkey" for t in TABLES.values()} | {i.name for t in TABLES.values() for i in t.indexes}
    constraints = ({f"{t.name}_pkey" for t in TABLES.values()} | {c.name for t in TABLES.values() for c in t.constraints
                                                                 if c.name}
                   | {name for names in RETIRED_CONSTRAINTS.values() for name in names})  # an older version's
    unique = {c.name for t in TABLES.values() for c in t.constraints
              if c.name and type(c).__name__ == "UniqueConstraint"}
    return indexes | unique, constraints


def swap_blockers(target: Database) -> list[str]:
    """What the live content tables carry that a swap would drop with them (empty: swapping loses nothing).

    Anything that depends on a live table and is not one of the schema's own keys, indexes and check
    constraints (a view, a trigger, a policy, an index or a foreign key of the user's own), and what a
    table holds itself: grants, comments, a tablespace, an owner other than this session's role, row
    security, storage options."""
    indexes, constraints = _expected_names()
    names = list(TABLES)
    params = {"schema": SCHEMA, "tables": names, "indexes": sorted(indexes), "constraints": sorted(constraints)}
    ours = ("SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %(schema)s AND c.relname = ANY(%(tables)s)")
    queries = [
        # objects depending on a live table, other than its own row type, TOAST table, expected indexes,
        # expected constraints (a foreign key between two live tables is one of them) and column defaults
        f"SELECT CASE WHEN d.classid = 'pg_rewrite'::regclass THEN (SELECT format('view %%I.%%I', n.nspname, "
        f"v.relname) FROM pg_rewrite r JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace n ON "
        f"n.oid = v.relnamespace WHERE r.oid = d.objid) ELSE pg_describe_object(d.classid, d.objid, d.objsubid) "
        f"END FROM pg_depend d "
        f"WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid IN ({ours}) AND d.deptype <> 'i' AND NOT ("
        f"(d.classid = 'pg_class'::regclass AND EXISTS (SELECT 1 FROM pg_class x WHERE x.oid = d.objid AND "
        f"(x.relkind = 't' OR (x.relkind = 'i' AND x.relname = ANY(%(indexes)s))))) "
        f"OR (d.classid = 'pg_constraint'::regclass AND EXISTS (SELECT 1 FROM pg_constraint k WHERE "
        f"k.oid = d.objid AND k.conname = ANY(%(constraints)s) AND k.conrelid IN ({ours}))) "
        f"OR d.classid IN ('pg_type'::regclass, 'pg_attrdef'::regclass))",
        # constraints and indexes of the live tables that the schema does not make (NOT NULL aside)
        f"SELECT format('constraint %%s on %%s', k.conname, k.conrelid::regclass) FROM pg_constraint k "
        f"WHERE k.conrelid IN ({ours}) AND k.contype <> 'n' AND NOT k.conname = ANY(%(constraints)s)",
        f"SELECT format('index %%s', i.indexrelid::regclass) FROM pg_index i JOIN pg_class x ON "
        f"x.oid = i.indexrelid WHERE i.indrelid IN ({ours}) AND NOT x.relname = ANY(%(indexes)s)",
        # what a table holds itself
        f"SELECT format('%%s: %%s', c.oid::regclass, concat_ws(', ', "
        f"CASE WHEN c.relacl IS NOT NULL THEN 'grants' END, "
        f"CASE WHEN c.reltablespace <> 0 THEN 'a tablespace of its own' END, "
        f"CASE WHEN c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) "
        f"THEN 'owned by ' || pg_get_userbyid(c.relowner) END, "
        f"CASE WHEN c.relrowsecurity THEN 'row security' END, "
        f"CASE WHEN c.reloptions IS NOT NULL THEN 'storage options' END, "
        f"CASE WHEN c.relpersistence <> 'p' THEN 'not a logged table' END, "
        f"CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attacl IS NOT NULL) "
        f"THEN 'column grants' END, "
        f"CASE WHEN EXISTS (SELECT 1 FROM pg_description e WHERE e.objoid = c.oid "
        f"AND e.classoid = 'pg_class'::regclass) THEN 'comments' END, "
        f"CASE WHEN EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = c.oid OR h.inhparent = c.oid) "
        f"THEN 'inheritance or partitions' END)) FROM pg_class c WHERE c.oid IN ({ours}) AND (c.relacl IS NOT NULL "
        f"OR c.reltablespace <> 0 OR c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) "
        f"OR c.relrowsecurity OR c.reloptions IS NOT NULL OR c.relpersistence <> 'p' "
        f"OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attacl IS NOT NULL) "
        f"OR EXISTS (SELECT 1 FROM pg_description e WHERE e.objoid = c.oid AND e.classoid = 'pg_class'::regclass) "
        f"OR EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = c.oid OR h.inhparent = c.oid))",
    ]
    found: list[str] = []
    with target.connection.cursor() as cursor:
        for query in queries:
            cursor.execute(query, params)
            found += [row[0] for row in cursor.fetchall()]
    return sorted(set(found))


# --- the seed ----------------------------------------------------------------------------------------------------

def _settings(lock_timeout_ms: int | None) -> list[str]:
    """Session settings of a loader: sorts in memory; no JIT (each big check query would compile for ~0.2 CPU-s);
    no hash joins: the checks that a parent existed first merge the covering indexes of both tables, read
    in key order, instead of probing a hash table of every user (~0.3 instead of 1.5 CPU-s per 1M rows)."""
    return ["SET synchronous_commit TO OFF", f"SET maintenance_work_mem = '{REBUILD_MEMORY}'",
            f"SET work_mem = '{REBUILD_MEMORY}'", "SET jit = off", "SET enable_hashjoin = off",
            *([f"SET lock_timeout = '{lock_timeout_ms}ms'"] if lock_timeout_ms is not None else [])]


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
            if self.failed.is_set():
                raise _Stopped
            try:
                return self.tables[table].result(timeout=0.05)
            except TimeoutError:
                continue

    def wait_for(self, tables: list[str]) -> None:
        for table in tables:
            while not self.ready[table].wait(0.05):
                if self.failed.is_set():
                    raise _Stopped

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
    with db.transaction():  # a table new in this transaction: COPY FREEZE writes its pages frozen, all-visible
        for statement in _create_bare(staged):
            db.execute(statement)
        db.insert(f"{STAGING}.{table}", arrow, freeze=True)
        # ANALYZE first: the keys built next are then validated by merging index-only scans
        for statement in [f'ANALYZE "{STAGING}"."{table}"', *keys]:
            db.execute(statement)
    shared.ready[table].set()  # committed: a child can point its foreign keys here
    shared.wait_for(_parents(table))
    with db.transaction():
        for statement in foreign_keys:
            db.execute(statement)
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
    unique = sorted(c.name for c in staged.constraints if type(c).__name__ == "UniqueConstraint")
    drops = ", ".join(f'DROP CONSTRAINT "{name}"' for name in [f"{staged.name}_pkey", *unique])
    return [str(CreateTable(staged, include_foreign_key_constraints=[]).compile(dialect=dialect)),
            f'ALTER TABLE "{staged.schema}"."{staged.name}" {drops}']


def _loader(url: str, shared: _Shared, tables: tuple[str, ...], config: ContentConfig, window, report) -> None:
    try:
        db = connect_postgres(url)
        shared.connections.append(db)
        try:
            for statement in _settings(None):
                db.execute(statement)
            for table in tables:
                _load(db, shared, table, shared.generated(table), config, window, report)
        finally:
            db.close()
    except BaseException as error:  # noqa: BLE001 - handed to the main thread, which raises the first
        shared.fail(error)


def seed_by_swap(target: Database, url: str, config: ContentConfig, tables: Mapping[str, Future],
                 window: tuple, lock_timeout_ms: int, report: Callable[[Loaded], None],
                 echo: Callable[[str], None]) -> list[Loaded]:
    """Steps 1-3 of the module's docstring; ``tables``: ``(table, generated)`` in load order. Returns what was
    loaded, in load order. ``target``: the seed's own autocommit connection. The new tables have the current
    schema whatever version the live ones have (a swap upgrades them)."""
    if not target.scalar(_SEED_LOCK):
        raise SeedBusy("another `synth seed` is loading this database; nothing was changed")
    try:
        _drop_staging(target)
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
    finally:
        _release(target)


def _swap(target: Database, lock_timeout_ms: int) -> None:
    """Drop the live tables (of whichever schema version) and move the new ones into their place."""
    with target.transaction():
        target.execute(f"SET LOCAL lock_timeout = '{lock_timeout_ms}ms'")
        target.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
        live = target.scalar("SELECT coalesce(string_agg(q, ', ' ORDER BY k), '') FROM (SELECT k, "
                             "quote_ident(:schema) || '.' || quote_ident(name) AS q FROM "
                             "unnest(CAST(:tables AS text[])) WITH ORDINALITY AS t(name, k)) s "
                             "WHERE to_regclass(q) IS NOT NULL", schema=SCHEMA, tables=list(reversed(list(TABLES))))
        if live:  # children first
            target.execute(f"LOCK TABLE {live} IN ACCESS EXCLUSIVE MODE")
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


def _release(target: Database) -> None:
    try:
        target.execute(_SEED_UNLOCK)
    except Exception:  # noqa: BLE001 - the lock ends with the session anyway
        pass

