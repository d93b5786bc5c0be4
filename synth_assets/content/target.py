"""Where content is loaded: the embedded DuckDB file or a PostgreSQL database, behind one interface.

Queries are written once with ``:name`` parameters and a ``{len}`` placeholder for array length,
the only dialect difference the checks need.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from synth_assets.content import load

_PARAM = re.compile(r":([a-z_]+)")


@dataclass
class Target:
    """An open connection to DuckDB or PostgreSQL that can replace windows and answer checks."""

    kind: str  # "duckdb" | "postgres"
    connection: object
    conninfo: str | None = None
    in_transaction: bool = False  # inside :meth:`transaction`: every load joins it

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
            return load.replace_window_duckdb(self.connection, table, frame, start, end, verify,
                                              in_transaction=self.in_transaction)
        # PostgreSQL nests: inside an outer transaction the load's own block becomes a savepoint
        return load.replace_window_postgres(self.connection, table, frame, start, end, verify)

    @contextmanager
    def transaction(self) -> Iterator[Target]:
        """One transaction around everything done inside (a whole re-seed): all of it commits at the
        end, or none of it does. A kill, a lost server or a full disk leaves the previous data whole."""
        if self.in_transaction:
            raise RuntimeError("a transaction is already open on this target")
        self.in_transaction = True
        try:
            if self.kind == "duckdb":
                with load.duckdb_transaction(self.connection):
                    yield self
            else:
                with self.connection.transaction():
                    yield self
        finally:
            self.in_transaction = False

    def clear_all(self) -> None:
        load.clear_all(self.kind, self.connection)

    @property
    def description(self) -> str:
        return "DuckDB" if self.kind == "duckdb" else "PostgreSQL"


@contextmanager
def open_target(database_url: str | None, duckdb_resource) -> Iterator[Target]:
    """PostgreSQL if ``database_url`` is set (refused unless *_demo/*_test), else the DuckDB resource."""
    if database_url:
        from synth_assets.core.postgres import connect

        # refuses an unsafe URL before any connection, and checks current_database() once connected
        with connect(database_url, autocommit=True) as connection:
            yield Target("postgres", connection)
    else:
        with duckdb_resource.get_connection() as connection:
            try:
                yield Target("duckdb", connection)
            finally:  # the resource does not close it when the body raises
                connection.close()
