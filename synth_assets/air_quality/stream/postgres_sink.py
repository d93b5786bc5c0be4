"""The stream's PostgreSQL sink: one transaction per batch, reconnects, exactly once.

Each batch is the ledger row, then one COPY of the valid rows and one of the dead letters (Arrow
tables, through :meth:`synth_assets.core.database.Database.insert`), then COMMIT.

PostgreSQL and dropped connections
* A transient failure -- the server is not up yet or refuses connections, the session was
  terminated (``pg_terminate_backend``), the server restarts or shuts down, the network drops --
  closes the connection, reconnects and retries the batch, with exponential backoff (0.1 s doubling
  up to 5 s between attempts). This holds for the first connect too.
* **The limit**: one outage is retried for at most ``RETRY_SECONDS`` = 60 s (the ``retry_seconds``
  constructor argument), counted from the start of the first failed attempt. Then :class:`SinkError`
  names the cause, how long and how many times it tried, and how many messages (and batches) of this
  run were committed. Errors retrying cannot fix (a refused login, a missing database, a data or
  permission error) raise at once.
* Exactly once: each batch has an id (a uuid4 per sink instance + a sequence number) written to
  ``air_quality.stream_batches (batch_id, rows, committed_at)`` in the batch's own transaction, as
  its first statement. When the connection drops during COMMIT the outcome is unknown; the retry's
  ``INSERT ... ON CONFLICT DO NOTHING`` of the id finds an earlier commit (and then writes nothing)
  or waits for a stale attempt still open on the server to end. So a committed message is never
  lost nor written twice. The ledger has one row per batch; rows older than a few minutes may be
  deleted at any time.
* Dead peers are noticed by libpq TCP keepalives (about 25 s) and ``tcp_user_timeout`` (30 s); the
  session sets ``idle_in_transaction_session_timeout`` (30 s) so the server ends a transaction whose
  client vanished and releases its batch id. A stop request (Ctrl-C) waits for the retrying to end.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pyarrow as pa

from synth_assets.air_quality.stream.records import (
    BACKOFF_SECONDS,
    DEAD_LETTERS,
    REALTIME,
    SinkError,
    arrow_rows,
    realtime_ddl,
    validate,
)

RETRY_SECONDS = 60.0          # PostgresSink: how long one outage is retried before SinkError
MAX_BACKOFF_SECONDS = 5.0
IDLE_IN_TRANSACTION_SECONDS = 30
LOCK_SECONDS = 5  # a retry waits this long for the ledger row of a batch still held by a dead session
CLIENT_CHECK_SECONDS = 5  # the server checks this often that the client of a running statement is there
SERVER_KEEPALIVES = {"tcp_keepalives_idle": 10, "tcp_keepalives_interval": 5, "tcp_keepalives_count": 3}
LEDGER_TABLE = "air_quality.stream_batches"
LEDGER_DDL = (f"CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (batch_id TEXT PRIMARY KEY, rows INTEGER NOT NULL, "
              "committed_at TIMESTAMPTZ NOT NULL DEFAULT now())")
CONNECT_OPTIONS = {"connect_timeout": 5, "application_name": "synth stream", "keepalives": 1,
                   "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
                   "tcp_user_timeout": 30_000}  # defaults; the URL's own query parameters win
# connection exception, transaction rollback, insufficient resources, operator intervention, system error
RETRIED_SQLSTATE_CLASSES = ("08", "40", "53", "57", "58")
PERMANENT_CONNECT_ERRORS = ("does not exist", "authentication failed", "no pg_hba.conf entry", "permission denied",
                            "no password supplied")


class PostgresSink:
    """The same tables in PostgreSQL (a *_demo / *_test database), one transaction per batch.

    Survives dropped connections (see the module docstring): every batch gets an id, written to
    ``air_quality.stream_batches`` in the batch's own transaction, so a batch retried after a
    reconnect is inserted only if that id is not committed yet. ``retry_seconds`` bounds one outage.
    """

    def __init__(self, url: str, retry_seconds: float = RETRY_SECONDS):
        from synth_assets.core.postgres import check_database_url

        if retry_seconds < 0:
            raise ValueError(f"retry_seconds must be >= 0, got {retry_seconds}")
        check_database_url(url)  # an unsafe URL is refused at once, never retried
        self.name, self.url, self.shown, self.retry_seconds = "postgres", url, _masked(url), retry_seconds
        self.run_id = uuid.uuid4().hex  # batch ids: f"{run_id}-{sequence}", unique per sink instance
        self.sequence = self.committed_messages = self.committed_batches = 0
        self.reconnects = self.recovered_batches = 0  # recovered: found committed after a lost COMMIT reply
        self.connection = None
        self._connected_before, self._phase, self._outcome_unknown = False, "connect", False
        self._retrying(lambda: None, "connecting", batch=False)

    # --- one batch -------------------------------------------------------------------------------

    def write(self, records: list[dict]) -> int:
        good, bad = arrow_rows(validate(records))
        self.sequence += 1
        batch_id, rows = f"{self.run_id}-{self.sequence}", good.num_rows + bad.num_rows
        self._retrying(lambda: self._insert(batch_id, rows, good, bad), f"writing batch {batch_id} ({rows} messages)",
                       batch=True)
        self.committed_messages += rows
        self.committed_batches += 1
        return bad.num_rows

    def _insert(self, batch_id: str, rows: int, good: pa.Table, bad: pa.Table) -> None:
        from synth_assets.core.database import Database

        connection = self.connection
        self._phase = "insert"
        with connection.cursor() as cursor:
            # First, so that it also waits for (and then sees) a stale attempt of this batch still in flight.
            cursor.execute(f"INSERT INTO {LEDGER_TABLE} (batch_id, rows) VALUES (%s, %s) "
                           "ON CONFLICT (batch_id) DO NOTHING", (batch_id, rows))
            if cursor.rowcount == 0:  # an earlier attempt committed it; only its reply was lost
                connection.rollback()
                self.recovered_batches += 1
                self._outcome_unknown = False
                return
        self._outcome_unknown = False
        database = Database("postgres", connection)  # joins this batch's open transaction
        database.insert(REALTIME, good)  # one COPY per table and batch
        database.insert(DEAD_LETTERS, bad)
        self._phase = "commit"
        connection.commit()

    # --- connection and retries -------------------------------------------------------------------

    def _connect(self) -> None:
        from synth_assets.core.database import connect_postgres

        self._phase = "connect"
        given = _url_parameters(self.url)
        options = {k: v for k, v in CONNECT_OPTIONS.items() if k not in given}
        connection = connect_postgres(self.url, autocommit=False, **options).connection
        try:
            connection.execute(f"SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION_SECONDS}s'")
            # A retry may find its batch's ledger row locked by the old session of a dropped connection
            # that the server has not noticed yet (stuck mid-COPY, not idle): wait at most LOCK_SECONDS
            # (55P03, retried), and let the server notice a vanished client within seconds, not hours.
            connection.execute(f"SET lock_timeout = '{LOCK_SECONDS}s'")
            for name, value in SERVER_KEEPALIVES.items():
                connection.execute(f"SET {name} = {value}")
            if connection.info.server_version >= 140000:
                connection.execute(f"SET client_connection_check_interval = '{CLIENT_CHECK_SECONDS}s'")
            if not self._connected_before:
                for statement in realtime_ddl("air_quality", text_type="TEXT", float_type="DOUBLE PRECISION"):
                    connection.execute(statement)
                connection.execute(LEDGER_DDL)
            connection.commit()
        except BaseException:
            connection.close()
            raise
        self.reconnects += self._connected_before
        self.connection, self._connected_before = connection, True

    def _reset(self) -> None:
        """After a failed attempt: roll back a live connection, forget a broken one."""
        connection = self.connection
        if connection is None:
            return
        if not connection.closed and not connection.broken:
            try:
                connection.rollback()
                return
            except Exception:  # noqa: BLE001  (it broke meanwhile: reconnect)
                pass
        try:
            connection.close()
        except Exception:  # noqa: BLE001
            pass
        self.connection = None

    def _retrying(self, attempt: Callable[[], None], what: str, batch: bool) -> None:
        """``attempt`` on a live connection; transient failures reconnect and retry with backoff."""
        self._outcome_unknown = False
        first_failure, delay, tries = None, BACKOFF_SECONDS, 0
        while True:
            began, tries = time.monotonic(), tries + 1
            try:
                if self.connection is None or self.connection.closed:
                    self._connect()
                attempt()
                return
            except Exception as error:  # noqa: BLE001  (classified below; anything not transient is raised)
                phase = self._phase
                transient = _transient(error, phase)
                self._outcome_unknown = self._outcome_unknown or (phase == "commit" and transient)
                self._reset()
                if not transient:
                    raise SinkError(self._message(what, error, phase, None, tries, batch)) from error
                first_failure = began if first_failure is None else first_failure
                tried = time.monotonic() - first_failure
                if tried >= self.retry_seconds:
                    raise SinkError(self._message(what, error, phase, tried, tries, batch)) from error
                time.sleep(min(delay, self.retry_seconds - tried))
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)

    def _message(self, what: str, error: Exception, phase: str, tried: float | None, tries: int,
                 batch: bool) -> str:
        cause = _hide_password(f"{type(error).__name__}: {_first_line(error)}", self.url)
        where = {"connect": "while connecting", "insert": "while inserting",
                 "commit": "during COMMIT, outcome unknown"}.get(phase, "")
        if tried is None:
            head = (f"PostgreSQL sink {self.shown}: {what} failed ({where}) with an error that retrying cannot "
                    f"fix: {cause}")
        else:
            head = (f"PostgreSQL sink {self.shown}: gave up {what} after {tried:.1f} s of retrying and {tries} "
                    f"attempts (limit {self.retry_seconds:g} s); last error ({where}): {cause}")
        committed = (f" -- {self.committed_messages:,} messages of this run were committed "
                     f"({self.committed_batches:,} batches, ids {self.run_id}-N in {LEDGER_TABLE})")
        if batch and self._outcome_unknown:
            committed += (f"; the current batch may be committed too: it is if its id "
                          f"{self.run_id}-{self.sequence} is in {LEDGER_TABLE}")
        elif batch:
            committed += f"; the current batch {self.run_id}-{self.sequence} was not committed"
        return head + committed

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _transient(error: Exception, phase: str) -> bool:
    """Worth a reconnect and retry: transport failures, server shutdown/restart, lost races."""
    import psycopg

    if not isinstance(error, psycopg.Error):
        return False
    state = error.sqlstate
    if state is None:  # client-side: refused, reset, closed, timed out; a refused login also lands here
        low = str(error).lower()
        return isinstance(error, psycopg.OperationalError) and not (
            phase == "connect" and any(text in low for text in PERMANENT_CONNECT_ERRORS))
    return state[:2] in RETRIED_SQLSTATE_CLASSES or state == "55P03"


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else "(no message)"


def _url_parameters(url: str) -> set[str]:
    from sqlalchemy.engine import make_url

    return set(make_url(url).query)


def _masked(url: str) -> str:
    from synth_assets.core.postgres import mask_url

    return mask_url(url)


def _hide_password(text: str, url: str) -> str:
    from sqlalchemy.engine import make_url

    password = make_url(url).password
    return text.replace(password, "***") if password else text
