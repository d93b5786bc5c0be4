"""Load a partition of a content table into DuckDB (default) or PostgreSQL, replacing its window.

One transaction per partition and table: delete the rows created in the window, insert the new ones,
commit. A failure rolls back and leaves the previous rows. PostgreSQL gets the full DDL (foreign
keys are DEFERRABLE, so a parent can be deleted and re-inserted inside the transaction) and COPY;
DuckDB gets the same columns and types (its constraints cannot be deferred, so the checks verify
integrity there).
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl
from sqlalchemy import ARRAY, JSON, Boolean, DateTime, Float, String, Table, Text, Uuid
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

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


def _select_with_casts(table: Table) -> str:
    return ", ".join(f'CAST("{c.name}" AS {duckdb_type(c.type)})' for c in table.columns)


def replace_window_duckdb(connection: duckdb.DuckDBPyConnection, table_name: str, frame: pl.DataFrame,
                          start: datetime, end: datetime) -> int:
    """Delete the window's rows of ``table_name`` and insert ``frame``, in one transaction."""
    table = TABLES[table_name]
    connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
    connection.execute(duckdb_ddl(table))
    arrow = frame.select([c.name for c in table.columns]).to_arrow()  # noqa: F841  (read by DuckDB below)
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(f'DELETE FROM "{SCHEMA}"."{table_name}" WHERE created_at >= ? AND created_at < ?',
                           [start, end])
        connection.register("incoming_rows", arrow)
        connection.execute(f'INSERT INTO "{SCHEMA}"."{table_name}" SELECT {_select_with_casts(table)} FROM incoming_rows')
        connection.unregister("incoming_rows")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return frame.height


def replace_window_postgres(conninfo: str, table_name: str, frame: pl.DataFrame, start: datetime,
                            end: datetime) -> int:
    """The same for PostgreSQL, with COPY; the transaction commits only if everything succeeded."""
    import psycopg

    from synth_assets.core.postgres import copy_arrow

    table = TABLES[table_name]
    with psycopg.connect(conninfo) as connection:
        with connection.transaction():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('synth_assets.content.ddl'))")
                for statement in postgres_ddl():
                    cursor.execute(statement)
        with connection.transaction():
            with connection.cursor() as cursor:
                cursor.execute(f'DELETE FROM "{SCHEMA}"."{table_name}" WHERE created_at >= %s AND created_at < %s',
                               (start, end))
                copy_arrow(cursor, f"{SCHEMA}.{table_name}", frame.select([c.name for c in table.columns]).to_arrow())
    return frame.height
