"""Load a partition of a content table into DuckDB (default) or PostgreSQL, replacing its window.

One transaction per partition and table (:meth:`synth_assets.core.database.Database.replace_window`):
delete the rows created in the window, insert the new ones, run the checks, commit. A failure rolls
back and leaves the previous rows. This module holds what is content's own: the DDL and the bulk-load
statements. PostgreSQL gets the full DDL (foreign keys are DEFERRABLE, so a parent can be deleted and
re-inserted inside the transaction) and COPY; DuckDB gets the same columns and types (its constraints
cannot be deferred, so the checks verify integrity there).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache

import polars as pl
from sqlalchemy import (
    ARRAY,
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKeyConstraint,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable, DropConstraint, DropIndex

from synth_assets.content.models import SCHEMA, TABLES, metadata
from synth_assets.core.database import ChecksFailed, Database, Window

__all__ = ["BULK_ROWS", "ChecksFailed", "bulk_load_statements", "clear_all", "duckdb_ddl", "duckdb_type",
           "key_statements", "postgres_ddl", "replace_window", "staged_table", "wal_note"]

_DUCKDB_TYPES = [(Uuid, "UUID"), (ARRAY, "VARCHAR[]"), (JSON, "JSON"), (DateTime, "TIMESTAMPTZ"),
                 (Boolean, "BOOLEAN"), (Float, "DOUBLE"), (Text, "VARCHAR"), (String, "VARCHAR")]


def duckdb_type(column_type) -> str:
    for sql_type, name in _DUCKDB_TYPES:
        if isinstance(column_type, sql_type):
            return name
    raise TypeError(f"no DuckDB type for {column_type!r}")


def duckdb_ddl(table: Table) -> str:
    columns = ", ".join(f'"{c.name}" {duckdb_type(c.type)}{"" if c.nullable else " NOT NULL"}'
                        for c in table.columns)
    return f'CREATE TABLE IF NOT EXISTS "{SCHEMA}"."{table.name}" ({columns})'


# Constraints of earlier schema versions that the current data would violate: dropped when found
RETIRED_CONSTRAINTS = {"generation_jobs": ("ck_jobs_content_iff_completed",)}  # before auto_content_id


def duckdb_upgrade(table: Table) -> list[str]:
    """Columns a table made by an earlier version lacks (e.g. generation_jobs.auto_content_id)."""
    return [f'ALTER TABLE "{SCHEMA}"."{table.name}" ADD COLUMN IF NOT EXISTS "{c.name}" {duckdb_type(c.type)}'
            for c in table.columns]


def postgres_ddl() -> list[str]:
    """The schema, created where missing; a table of an earlier version gets its missing columns and
    named constraints, and loses the constraints listed in RETIRED_CONSTRAINTS."""
    dialect = postgresql.dialect()
    compiler = dialect.ddl_compiler(dialect, None)
    statements = [f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"']
    for table in metadata.sorted_tables:
        qualified = f'"{SCHEMA}"."{table.name}"'
        statements.append(str(CreateTable(table, if_not_exists=True).compile(dialect=dialect)))
        statements += [f'ALTER TABLE {qualified} ADD COLUMN IF NOT EXISTS "{c.name}" {c.type.compile(dialect=dialect)}'
                       for c in table.columns if c.nullable]
        statements += [f'ALTER TABLE {qualified} DROP CONSTRAINT IF EXISTS "{name}"'
                       for name in RETIRED_CONSTRAINTS.get(table.name, ())]
        statements += [f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{c.name}' AND "
                       f"conrelid = '{qualified}'::regclass) THEN ALTER TABLE {qualified} ADD {compiler.process(c)}; "
                       f"END IF; END $$"
                       for c in sorted((c for c in table.constraints if c.name), key=lambda c: c.name)]
        statements += [str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect))
                       for index in sorted(table.indexes, key=lambda i: i.name)]
    return statements


BULK_ROWS = 50_000  # from this many rows on, constraints are rebuilt once instead of row by row
REBUILD_MEMORY = "256MB"  # maintenance_work_mem of a load: index builds sort in memory


def _bulk_constraints(table: Table) -> list:
    return [c for c in table.constraints if isinstance(c, (ForeignKeyConstraint, UniqueConstraint))]


def bulk_load_statements(table: Table) -> tuple[list[str], list[str]]:
    """DDL to drop the table's primary key, secondary indexes, unique and foreign keys (and the foreign
    keys of other tables that point at it) before a big COPY, and to rebuild them after it: an index
    built by one sort and one set-based validation instead of a trigger and index inserts per row.
    Both run inside the load's transaction, so readers never see the table without them.

    ``table`` is one of the schema's tables, or its copy in another schema (:func:`staged_table`)."""
    dialect = postgresql.dialect()
    indexes = sorted(table.indexes, key=lambda i: i.name)
    constraints = sorted(_bulk_constraints(table), key=lambda c: c.name)
    pointing_here = sorted((c for other in table.metadata.sorted_tables if other is not table
                            for c in other.foreign_key_constraints if c.referred_table is table), key=lambda c: c.name)
    qualified = f'"{table.schema}"."{table.name}"'
    drop = ([str(DropConstraint(c).compile(dialect=dialect)) for c in pointing_here + constraints]
            + [f'ALTER TABLE {qualified} DROP CONSTRAINT "{table.name}_pkey"']
            + [str(DropIndex(i).compile(dialect=dialect)) for i in indexes])
    keys, foreign_keys = key_statements(table)
    return drop, keys + foreign_keys + [_add_constraint(c) for c in pointing_here]


def key_statements(table: Table) -> tuple[list[str], list[str]]:
    """DDL that builds ``table``'s primary key, indexes and unique keys, and then its own foreign keys."""
    dialect = postgresql.dialect()
    key = _column_list(c.name for c in table.primary_key.columns)
    include = table.primary_key.dialect_options["postgresql"]["include"]  # a covering key: PRIMARY KEY ... INCLUDE
    covering = f" INCLUDE {_column_list(include)}" if include else ""
    constraints = sorted(_bulk_constraints(table), key=lambda c: c.name)
    # unique keys before foreign keys: a foreign key on a column with an index (uq_jobs_content_id) is then
    # validated by merging two index-only scans (after COPY FREEZE and ANALYZE) instead of a hash join
    keys = ([f'ALTER TABLE "{table.schema}"."{table.name}" ADD PRIMARY KEY {key}{covering}']
            + [str(CreateIndex(i).compile(dialect=dialect)) for i in sorted(table.indexes, key=lambda i: i.name)]
            + [_add_constraint(c) for c in constraints if not isinstance(c, ForeignKeyConstraint)])
    return keys, [_add_constraint(c) for c in constraints if isinstance(c, ForeignKeyConstraint)]


def _column_list(names) -> str:
    return "(" + ", ".join(f'"{name}"' for name in names) + ")"


def _add_constraint(constraint) -> str:
    # The constraint clause is rendered directly: sqlalchemy's AddConstraint() would mark the shared
    # constraint objects as "added separately" and drop them from every later CREATE TABLE.
    dialect = postgresql.dialect()
    table = constraint.table
    return f'ALTER TABLE "{table.schema}"."{table.name}" ADD {dialect.ddl_compiler(dialect, None).process(constraint)}'


@cache
def staged_table(name: str, schema: str) -> Table:
    """The content table ``name`` as a copy in ``schema`` (its foreign keys point at the copies there)."""
    copies = MetaData()
    for table in metadata.sorted_tables:  # parents first: a copy's foreign keys find their parent's copy
        table.to_metadata(copies, schema=schema)
    return copies.tables[f"{schema}.{name}"]


def _casts(table: Table) -> dict[str, str]:
    return {c.name: duckdb_type(c.type) for c in table.columns}


def replace_window(target: Database, table_name: str, frame: pl.DataFrame, start: datetime, end: datetime,
                   verify: Callable[[], list] | None = None) -> list:
    """Delete the window's rows of ``table_name``, insert ``frame`` and run ``verify`` (the checks) in
    one transaction; commit only if every check passed (else :class:`ChecksFailed`, rolled back).

    Inside the target's own open transaction (a whole re-seed) nothing is committed here: DuckDB
    joins it, PostgreSQL makes the load a savepoint, and a failure rolls everything back.
    PostgreSQL gets COPY, with the table's constraints and indexes rebuilt once after a big load.
    """
    table = TABLES[table_name]
    frame = frame.select([c.name for c in table.columns])
    window = Window("created_at", start, end)
    name = f"{SCHEMA}.{table_name}"
    if target.kind == "duckdb":
        ddl = [f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"', duckdb_ddl(table), *duckdb_upgrade(table)]
        return target.replace_window(name, frame.to_arrow(), window, verify=verify, ddl=ddl, casts=_casts(table))
    # Polars' own string layout (string_view), without a copy: the COPY's render thread converts it, so the
    # server is not kept waiting while this thread copies every string (~1.5 s on the 1M-row seed)
    arrow = frame.to_arrow(compat_level=pl.CompatLevel.newest())
    drop, restore = bulk_load_statements(table) if frame.height >= BULK_ROWS else ([], [])
    # drop before the DELETE: ALTER TABLE refuses pending FK trigger events. No JIT: compiling the plan of each
    # big check query costs ~0.2 CPU-s (measured on the 1M seed), more than it saves on these simple scans.
    before = ["SET LOCAL synchronous_commit TO OFF", f"SET LOCAL maintenance_work_mem = '{REBUILD_MEMORY}'",
              f"SET LOCAL work_mem = '{REBUILD_MEMORY}'", "SET LOCAL jit = off", *drop]
    settle = ["SET CONSTRAINTS ALL IMMEDIATE"] if restore else []  # the deferred checks, before the rebuild
    # ANALYZE first: it records the pages a COPY FREEZE marked all-visible, so the foreign keys rebuilt next
    # are validated by a merge of two index-only scans instead of a hash join over the whole tables.
    after = [f'ANALYZE "{SCHEMA}"."{table_name}"', *settle, *restore,
             "SET CONSTRAINTS ALL IMMEDIATE"]  # foreign keys too, before the checks
    return target.replace_window(name, arrow, window, verify=verify, ddl=postgres_ddl(), before=before, after=after,
                                 freeze_when_empty=bool(drop))


def wal_note(target: Database) -> str:
    """What the PostgreSQL server's ``wal_level`` (its own setting, never changed here) means for a re-seed."""
    level = target.scalar("SELECT current_setting('wal_level')")
    if level == "minimal":
        return "  wal_level=minimal: the tables a re-seed empties and reloads skip the write-ahead log"
    return (f"  wal_level={level}: every loaded row is also written to the write-ahead log (a server without "
            f"replicas or archiving can run with wal_level=minimal: COPY then costs it ~15 % less CPU, measured "
            f"on the 1M-row seed)")


def clear_all(target: Database) -> None:
    """Empty every content table (children first): `synth seed` replaces the whole database.

    Runs in the caller's transaction (the seed's one transaction), so a seed that fails later
    rolls the emptying back too.
    """
    if target.kind == "postgres":
        if target.scalar(f"SELECT to_regclass('{SCHEMA}.users') IS NOT NULL"):
            tables = ", ".join(f'"{SCHEMA}"."{name}"' for name in reversed(list(TABLES)))
            target.execute(f"TRUNCATE {tables}")
        return
    present = {row[0] for row in target.connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [SCHEMA]).fetchall()}
    for name in reversed(list(TABLES)):
        if name in present:
            target.execute(f'DELETE FROM "{SCHEMA}"."{name}"')
