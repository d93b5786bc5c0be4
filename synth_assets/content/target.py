"""Where content is loaded: the embedded DuckDB file or a PostgreSQL database, behind one interface.

Queries are written once with ``:name`` parameters and a ``{len}`` placeholder for array length,
the only dialect difference the checks need.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator

import polars as pl

from synth_assets.content import load

_PARAM = re.compile(r":([a-z_]+)")


@dataclass
class Target:
    """An open connection to DuckDB or PostgreSQL that can replace windows and answer checks."""

    kind: str  # "duckdb" | "postgres"
    connection: object
    conninfo: str | None = None

    def scalar(self, sql: str, **params) -> object:
        sql = sql.replace("{len}", "len" if self.kind == "duckdb" else "cardinality")
        params = {name: params[name] for name in set(_PARAM.findall(sql))}
        if self.kind == "duckdb":
            return self.connection.execute(_PARAM.sub(r"$\1", sql), params).fetchall()[0][0]
        with self.connection.cursor() as cursor:
            cursor.execute(_PARAM.sub(r"%(\1)s", sql), params)
            return cursor.fetchone()[0]

    def replace_window(self, table: str, frame: pl.DataFrame, start: datetime, end: datetime,
                       verify: Callable[[], list] | None = None) -> list:
        """Replace the window in one transaction that commits only if ``verify()``'s checks pass."""
        if self.kind == "duckdb":
            return load.replace_window_duckdb(self.connection, table, frame, start, end, verify)
        return load.replace_window_postgres(self.connection, table, frame, start, end, verify)

    def clear_all(self) -> None:
        load.clear_all(self.kind, self.connection)

    @property
    def description(self) -> str:
        return "DuckDB" if self.kind == "duckdb" else "PostgreSQL"


@contextmanager
def open_target(database_url: str | None, duckdb_resource) -> Iterator[Target]:
    """PostgreSQL if ``database_url`` is set (refused unless *_demo/*_test), else the DuckDB resource."""
    if database_url:
        import psycopg

        from synth_assets.core.postgres import check_database_url, psycopg_conninfo

        check_database_url(database_url)  # refuses before any connection
        conninfo = psycopg_conninfo(database_url)
        with psycopg.connect(conninfo, autocommit=True) as connection:
            yield Target("postgres", connection, conninfo)
    else:
        with duckdb_resource.get_connection() as connection:
            try:
                yield Target("duckdb", connection)
            finally:  # the resource does not close it when the body raises
                connection.close()
