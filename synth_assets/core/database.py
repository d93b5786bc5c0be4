"""A database to load into: the embedded DuckDB file or a PostgreSQL database, behind one interface.

:class:`Database` wraps an open connection of either kind and offers what the content loads and the
stream sinks need, in one place:

* :meth:`~Database.transaction`: one transaction around everything done inside; on PostgreSQL a
  nested one becomes a savepoint, on DuckDB it joins the outer one;
* :meth:`~Database.insert`: an Arrow table into a table, in the current transaction, by column name:
  ``COPY ... FROM STDIN`` on PostgreSQL (:func:`synth_assets.core.postgres.copy_arrow`), one
  ``INSERT INTO t (...) SELECT ... FROM <registered Arrow table>`` on DuckDB;
* :meth:`~Database.append`: several inserts in one transaction;
* :meth:`~Database.replace_window`: delete the rows of a time window, insert the new ones and run
  the checks in one transaction, which commits only if every check passed (:class:`ChecksFailed`);
* :meth:`~Database.scalar`: one value of a query written once for both (``:name`` parameters, a
  ``{len}`` placeholder for array length).

:func:`open_database` opens PostgreSQL through the guard (only ``*_demo``/``*_test`` databases, judged
before connecting, see :mod:`synth_assets.core.database_guard`) or DuckDB from a path or from a
resource with ``get_connection()`` (the Dagster DuckDB resource; duck-typed, so this module does not
import dagster). The DDL of each family's tables stays in the family.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

_PARAM = re.compile(r":([a-z_]+)")
_INCOMING = "synth_incoming_rows"  # the name an Arrow table is registered under on DuckDB


class ChecksFailed(Exception):
    """Raised inside a load's transaction when a blocking check fails, so the load rolls back."""

    def __init__(self, names: list[str], results: list | None = None):
        super().__init__(f"blocking checks failed: {', '.join(names)}")
        self.names, self.results = names, results if results is not None else []


@dataclass(frozen=True)
class Window:
    """``start <= column < end``: the rows one partition owns."""

    column: str
    start: datetime
    end: datetime


def quoted(name: str) -> str:
    """``schema.table`` or ``table`` with each part quoted as an identifier."""
    parts = name.split(".")
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise ValueError(f"expected 'table' or 'schema.table', got {name!r}")
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


@dataclass
class Database:
    """An open connection to DuckDB (``kind="duckdb"``) or PostgreSQL (``kind="postgres"``)."""

    kind: str
    connection: object
    in_transaction: bool = False  # inside :meth:`transaction`: every load joins it

    @property
    def description(self) -> str:
        return "DuckDB" if self.kind == "duckdb" else "PostgreSQL"

    def close(self) -> None:
        self.connection.close()

    # --- queries -----------------------------------------------------------------------------------

    def scalar(self, sql: str, **params) -> object:
        return self.row(sql, **params)[0]

    def row(self, sql: str, **params) -> tuple:
        """The first row of a query with ``:name`` parameters (``{len}``: the array length function)."""
        sql = sql.replace("{len}", "len" if self.kind == "duckdb" else "cardinality")
        params = {name: params[name] for name in set(_PARAM.findall(sql))}
        if self.kind == "duckdb":
            return tuple(self.connection.execute(_PARAM.sub(r"$\1", sql), params).fetchall()[0])
        with self.connection.cursor() as cursor:
            cursor.execute(_PARAM.sub(r"%(\1)s", sql), params)
            return tuple(cursor.fetchone())

    def execute(self, sql: str, params: Sequence | None = None) -> None:
        """One statement with ``?`` (DuckDB) / ``%s`` (PostgreSQL) positional parameters."""
        if self.kind == "duckdb":
            self.connection.execute(sql, params or [])
        else:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params)

    # --- transactions ------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """One transaction around everything done inside: all of it commits at the end, or none of it.

        A kill, a lost server or a full disk leaves the previous data whole. Nested: PostgreSQL makes
        the inner one a savepoint; on DuckDB (no savepoints) it joins the outer one, whose end decides.
        """
        if self.kind == "postgres":
            outer, self.in_transaction = self.in_transaction, True
            try:
                with self.connection.transaction():
                    yield self
            finally:
                self.in_transaction = outer
            return
        if self.in_transaction:
            yield self
            return
        self.in_transaction = True
        try:
            with duckdb_transaction(self.connection):
                yield self
        finally:
            self.in_transaction = False

    # --- loading -----------------------------------------------------------------------------------

    def insert(self, table: str, rows: pa.Table, casts: dict[str, str] | None = None, freeze: bool = False) -> int:
        """Insert ``rows`` (columns matched by name) into ``table`` in the current transaction.

        PostgreSQL: one COPY (``freeze``: COPY FREEZE, for a table truncated in this subtransaction).
        DuckDB: the Arrow table is registered and inserted with one statement; ``casts`` maps a column to
        the SQL type its values are cast to on the way (DuckDB only).
        """
        if rows.num_rows == 0:
            return 0
        if self.kind == "postgres":
            from synth_assets.core import postgres  # looked up per call: tests replace copy_arrow

            with self.connection.cursor() as cursor:
                return postgres.copy_arrow(cursor, table, rows, freeze=freeze)
        casts = casts or {}
        names = ", ".join(quoted(c) for c in rows.column_names)
        values = ", ".join(f"CAST({quoted(c)} AS {casts[c]})" if c in casts else quoted(c) for c in rows.column_names)
        self.connection.register(_INCOMING, rows)
        try:
            self.connection.execute(f"INSERT INTO {quoted(table)} ({names}) SELECT {values} FROM {_INCOMING}")
        finally:
            self.connection.unregister(_INCOMING)
        return rows.num_rows

    def append(self, tables: Sequence[tuple[str, pa.Table]]) -> int:
        """Insert every ``(table, rows)`` pair in one transaction; returns the rows inserted."""
        with self.transaction():
            return sum(self.insert(table, rows) for table, rows in tables)

    def replace_window(self, table: str, rows: pa.Table, window: Window, *,
                       verify: Callable[[], list] | None = None, ddl: Sequence[str] = (),
                       before: Sequence[str] = (), after: Sequence[str] = (),
                       casts: dict[str, str] | None = None, freeze_when_empty: bool = False) -> list:
        """Delete ``window``'s rows of ``table``, insert ``rows`` and run ``verify`` in one transaction.

        Commits only if every result of ``verify()`` passed, else rolls back and raises
        :class:`ChecksFailed` (the previous rows stay). ``ddl`` creates the table if needed: on
        PostgreSQL in a transaction of its own under an advisory lock (concurrent loads do not race to
        create it), on DuckDB inside the load's transaction. ``before`` runs before the DELETE and
        ``after`` after the insert (e.g. dropping and rebuilding constraints around a big COPY).
        Inside an outer :meth:`transaction` (a whole re-seed) a failure propagates and the outer one
        rolls everything back.

        ``freeze_when_empty`` (PostgreSQL): when the table holds no row once the window is deleted (a
        re-seed, which emptied every table first), it is truncated in this subtransaction and loaded with
        COPY FREEZE (the table is locked first, so nothing is lost). No foreign key may point at the table
        then (drop them in ``before``), else the TRUNCATE fails.
        """
        if self.kind == "postgres" and ddl:
            with self.transaction():
                self.execute("SELECT pg_advisory_xact_lock(hashtext('synth_assets.ddl'))")
                for statement in ddl:
                    self.execute(statement)
        mark = "?" if self.kind == "duckdb" else "%s"
        with self.transaction():
            for statement in (*(ddl if self.kind == "duckdb" else ()), *before):
                self.execute(statement)
            self.execute(f"DELETE FROM {quoted(table)} WHERE {quoted(window.column)} >= {mark} "
                         f"AND {quoted(window.column)} < {mark}", [window.start, window.end])
            freeze = freeze_when_empty and self.kind == "postgres" and rows.num_rows > 0
            if freeze:  # locked first: no other session adds a row between the look and the TRUNCATE
                self.execute(f"LOCK TABLE {quoted(table)} IN ACCESS EXCLUSIVE MODE")
                freeze = not self.scalar(f"SELECT EXISTS (SELECT 1 FROM {quoted(table)})")
            if freeze:  # a new file for the table in this subtransaction: COPY FREEZE allowed
                self.execute(f"TRUNCATE {quoted(table)}")
            self.insert(table, rows, casts, freeze=freeze)
            for statement in after:
                self.execute(statement)
            return verify_or_abort(verify)


def verify_or_abort(verify: Callable[[], list] | None) -> list:
    """The results of ``verify()``; raises :class:`ChecksFailed` (carrying them) if any failed."""
    results = verify() if verify else []
    failed = [r.check_name for r in results if not r.passed]
    if failed:
        raise ChecksFailed(failed, results)
    return results


@contextmanager
def duckdb_transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN ... COMMIT, or ROLLBACK on any exception (the original error is the one raised).

    DuckDB may already have aborted the transaction itself (a full disk, an I/O error): the
    ROLLBACK's own complaint ("no transaction is active") must not hide the real cause.
    """
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


# --- opening ---------------------------------------------------------------------------------------

def connect_duckdb(path: str | Path, wait_seconds: float = 0.0) -> Database:
    """A DuckDB file (its directory is made); the caller closes it (:meth:`Database.close`).

    A file another process holds (DuckDB allows one writer) is tried again for up to ``wait_seconds``, then
    its ``IOException`` is raised (the CLI says "open in another process")."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline, delay = time.monotonic() + wait_seconds, 0.1
    while True:
        try:
            return Database("duckdb", duckdb.connect(str(path)))
        except duckdb.IOException:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def connect_postgres(url: str, **options) -> Database:
    """An autocommit connection (unless ``autocommit=False``) to a ``*_demo``/``*_test`` database.

    The URL is refused before anything connects, and the connected database is checked again.
    ``options`` are libpq parameters (the URL's own query parameters win) and psycopg's ``autocommit``.
    """
    from synth_assets.core.postgres import connect

    options.setdefault("autocommit", True)
    return Database("postgres", connect(url, **options))


@contextmanager
def open_duckdb(source: str | Path | object, wait_seconds: float = 0.0) -> Iterator[Database]:
    """A DuckDB file by path (held elsewhere: waited for up to ``wait_seconds``), or a resource's
    ``get_connection()`` (the Dagster DuckDB resource, which retries for about 100 s)."""
    if hasattr(source, "get_connection"):
        with source.get_connection() as connection:
            try:
                yield Database("duckdb", connection)
            finally:  # the Dagster resource does not close it when the body raises
                connection.close()
        return
    with closing(connect_duckdb(source, wait_seconds)) as database:
        yield database


@contextmanager
def open_postgres(url: str, **options) -> Iterator[Database]:
    """:func:`connect_postgres`, closed at the end of the block."""
    with closing(connect_postgres(url, **options)) as database:
        yield database


@contextmanager
def open_database(database_url: str | None, duckdb: str | Path | object,
                  duckdb_wait_seconds: float = 0.0) -> Iterator[Database]:
    """PostgreSQL if ``database_url`` is set (refused unless ``*_demo``/``*_test``), else DuckDB."""
    opened = open_postgres(database_url) if database_url else open_duckdb(duckdb, duckdb_wait_seconds)
    with opened as database:
        yield database
