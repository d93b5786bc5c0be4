"""Load a partition of a content table into DuckDB (default) or PostgreSQL, replacing its window.

One transaction per partition and table: delete the rows created in the window, insert the new ones,
commit. A failure rolls back and leaves the previous rows. PostgreSQL gets the full DDL (foreign
keys are DEFERRABLE, so a parent can be deleted and re-inserted inside the transaction) and COPY;
DuckDB gets the same columns and types (its constraints cannot be deferred, so the checks verify
integrity there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import duckdb
import polars as pl
from sqlalchemy import (
    ARRAY,
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable, DropConstraint, DropIndex

from synth_assets.content.models import SCHEMA, TABLES, metadata

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


def postgres_ddl() -> list[str]:
    dialect = postgresql.dialect()
    statements = [f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"']
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table, if_not_exists=True).compile(dialect=dialect)))
        statements += [str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect))
                       for index in sorted(table.indexes, key=lambda i: i.name)]
    return statements


BULK_ROWS = 50_000  # from this many rows on, constraints are rebuilt once instead of row by row


def _bulk_constraints(table: Table) -> list:
    return [c for c in table.constraints if isinstance(c, (ForeignKeyConstraint, UniqueConstraint))]


def bulk_load_statements(table: Table) -> tuple[list[str], list[str]]:
    """DDL to drop the table's secondary indexes, unique and foreign keys before a big COPY, and to
    rebuild them after it: one set-based validation instead of a trigger and an index insert per row.
    Both run inside the load's transaction, so readers never see the table without them."""
    dialect = postgresql.dialect()
    indexes = sorted(table.indexes, key=lambda i: i.name)
    constraints = sorted(_bulk_constraints(table), key=lambda c: c.name)
    drop = ([str(DropConstraint(c).compile(dialect=dialect)) for c in constraints]
            + [str(DropIndex(i).compile(dialect=dialect)) for i in indexes])
    # The constraint clause is rendered directly: sqlalchemy's AddConstraint() would mark the shared
    # constraint objects as "added separately" and drop them from every later CREATE TABLE.
    compiler = dialect.ddl_compiler(dialect, None)
    qualified = f'"{SCHEMA}"."{table.name}"'
    restore = ([str(CreateIndex(i).compile(dialect=dialect)) for i in indexes]
               + [f"ALTER TABLE {qualified} ADD {compiler.process(c)}" for c in constraints])
    return drop, restore


def _select_with_casts(table: Table) -> str:
    return ", ".join(f'CAST("{c.name}" AS {duckdb_type(c.type)})' for c in table.columns)


class ChecksFailed(Exception):
    """Raised inside a load's transaction when a blocking check fails, so the load rolls back."""

    def __init__(self, names: list[str]):
        super().__init__(f"blocking checks failed: {', '.join(names)}")
        self.names = names


def _verify_or_abort(verify: Callable[[], list] | None) -> list:
    results = verify() if verify else []
    failed = [r.check_name for r in results if not r.passed]
    if failed:
        error = ChecksFailed(failed)
        error.results = results
        raise error
    return results


def replace_window_duckdb(connection: duckdb.DuckDBPyConnection, table_name: str, frame: pl.DataFrame,
                          start: datetime, end: datetime, verify: Callable[[], list] | None = None,
                          in_transaction: bool = False) -> list:
    """Delete the window's rows of ``table_name``, insert ``frame`` and run ``verify`` (the checks) in
    one transaction; commit only if every check passed (else :class:`ChecksFailed`, rolled back).

    With ``in_transaction`` the caller owns an open transaction (a whole re-seed): nothing is
    committed or rolled back here, a failure propagates and the caller rolls everything back.
    """
    table = TABLES[table_name]
    arrow = frame.select([c.name for c in table.columns]).to_arrow()
    with duckdb_transaction(connection, own=not in_transaction):
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
        connection.execute(duckdb_ddl(table))
        connection.execute(f'DELETE FROM "{SCHEMA}"."{table_name}" WHERE created_at >= ? AND created_at < ?',
                           [start, end])
        connection.register("incoming_rows", arrow)
        try:
            connection.execute(f'INSERT INTO "{SCHEMA}"."{table_name}" SELECT {_select_with_casts(table)} '
                               f'FROM incoming_rows')
        finally:
            connection.unregister("incoming_rows")
        return _verify_or_abort(verify)


@contextmanager
def duckdb_transaction(connection: duckdb.DuckDBPyConnection, own: bool = True) -> Iterator[None]:
    """BEGIN ... COMMIT, or ROLLBACK on any exception (the original error is the one raised).

    DuckDB may already have aborted the transaction itself (a full disk, an I/O error): the
    ROLLBACK's own complaint ("no transaction is active") must not hide the real cause.
    ``own=False`` is a no-op: an outer transaction is in charge.
    """
    if not own:
        yield
        return
    connection.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        try:
            connection.execute("ROLLBACK")
        except duckdb.Error:
            pass  # already rolled back by DuckDB; keep the original exception
        raise
    connection.execute("COMMIT")


def replace_window_postgres(connection, table_name: str, frame: pl.DataFrame, start: datetime,
                            end: datetime, verify: Callable[[], list] | None = None) -> list:
    """The same for PostgreSQL (an autocommit psycopg connection), with COPY; checks run before COMMIT."""
    from synth_assets.core.postgres import copy_arrow

    table = TABLES[table_name]
    with connection.transaction():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('synth_assets.content.ddl'))")
            for statement in postgres_ddl():
                cursor.execute(statement)
    with connection.transaction():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            drop, restore = bulk_load_statements(table) if frame.height >= BULK_ROWS else ([], [])
            for statement in drop:  # before the DELETE: ALTER TABLE refuses pending FK trigger events
                cursor.execute(statement)
            cursor.execute(f'DELETE FROM "{SCHEMA}"."{table_name}" WHERE created_at >= %s AND created_at < %s',
                           (start, end))
            copy_arrow(cursor, f"{SCHEMA}.{table_name}", frame.select([c.name for c in table.columns]).to_arrow())
            if restore:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # settle the deferred checks first
            for statement in restore:
                cursor.execute(statement)
            cursor.execute(f'ANALYZE "{SCHEMA}"."{table_name}"')
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # foreign keys too, before the checks
            results = _verify_or_abort(verify)
    return results


def clear_all(target_kind: str, connection) -> None:
    """Empty every content table (children first): `synth seed` replaces the whole database.

    Runs in the caller's transaction (the seed's one transaction), so a seed that fails later
    rolls the emptying back too.
    """
    if target_kind == "postgres":
        exists = connection.execute("SELECT to_regclass('content.users') IS NOT NULL").fetchone()[0]
        if exists:
            tables = ", ".join(f'"{SCHEMA}"."{name}"' for name in reversed(list(TABLES)))
            connection.execute(f"TRUNCATE {tables}")
        return
    present = {row[0] for row in connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [SCHEMA]).fetchall()}
    for name in reversed(list(TABLES)):
        if name in present:
            connection.execute(f'DELETE FROM "{SCHEMA}"."{name}"')
