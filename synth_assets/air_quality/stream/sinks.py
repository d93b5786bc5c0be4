"""Where the stream goes: JSON lines (stdout or a file), DuckDB, PostgreSQL, or Kinesis + DynamoDB.

Database sinks validate every message against :class:`StreamMessage` and put the valid ones into a
realtime table and the rest, with the validation error, into a dead-letter table. Writes are retried
with exponential backoff; a write that still fails raises :class:`SinkError` (nothing is dropped
silently).

PostgreSQL and dropped connections (:class:`PostgresSink`):

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

import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TextIO

import pyarrow as pa
from pydantic import ValidationError

from synth_assets.air_quality.stream.config import StreamMessage

RETRIES = 5
BACKOFF_SECONDS = 0.1
RETRY_SECONDS = 60.0          # PostgresSink: how long one outage is retried before SinkError
MAX_BACKOFF_SECONDS = 5.0
IDLE_IN_TRANSACTION_SECONDS = 30
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
KINESIS_STREAM, REALTIME_TABLE, DLQ_TABLE = "air-quality-measurements", "air-quality-realtime", "air-quality-dlq"


class SinkError(RuntimeError):
    """A write that failed after every retry."""


def with_retries(operation: Callable[[], None], what: str, retries: int = RETRIES) -> None:
    for attempt in range(retries):
        try:
            operation()
            return
        except Exception as exc:  # noqa: BLE001  (any transport error is retried, then reported)
            if attempt == retries - 1:
                raise SinkError(f"{what} failed after {retries} attempts: {exc}") from exc
            time.sleep(BACKOFF_SECONDS * 2**attempt)


def to_json(record: dict) -> str:
    return json.dumps(record, default=_json_default, separators=(",", ":"), ensure_ascii=False)


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


@dataclass
class Validated:
    valid: list[dict] = field(default_factory=list)
    invalid: list[tuple[dict, str]] = field(default_factory=list)


def validate(records: list[dict]) -> Validated:
    """Split records into contract-valid ones (normalised by the model) and dead letters with reasons."""
    out = Validated()
    for record in records:
        try:
            out.valid.append(StreamMessage.model_validate(record).model_dump())
        except ValidationError as exc:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            out.invalid.append((record, reasons))
    return out


class JsonLinesSink:
    """Every message as one JSON line, unvalidated (consumers validate)."""

    def __init__(self, handle: TextIO, name: str):
        self.handle, self.name = handle, name

    def write(self, records: list[dict]) -> int:
        with_retries(lambda: self.handle.write("".join(to_json(r) + "\n" for r in records)), f"write to {self.name}")
        return 0

    def close(self) -> None:
        self.handle.flush()
        if self.handle is not sys.stdout:
            self.handle.close()


REALTIME_COLUMNS = ("message_id", "sensor_id", "is_duplicate", "city_id", "city_name", "country_name",
                    "country_code", "latitude", "longitude", "timestamp", "pm25", "pm10", "no2", "so2", "co",
                    "o3", "temperature_c", "humidity_pct", "wind_speed_kmh", "is_raining")
_TYPES = {"message_id": "UUID", "sensor_id": "VARCHAR", "is_duplicate": "BOOLEAN", "city_id": "INTEGER",
          "city_name": "VARCHAR", "country_name": "VARCHAR", "country_code": "VARCHAR", "timestamp": "TIMESTAMPTZ",
          "is_raining": "BOOLEAN"}


def realtime_ddl(schema: str, text_type: str = "VARCHAR", float_type: str = "DOUBLE") -> list[str]:
    columns = ", ".join(f"{c} {_TYPES.get(c, float_type).replace('VARCHAR', text_type)} NOT NULL"
                        for c in REALTIME_COLUMNS)
    return [f"CREATE SCHEMA IF NOT EXISTS {schema}",
            f"CREATE TABLE IF NOT EXISTS {schema}.stream_realtime ({columns}, received_at TIMESTAMPTZ NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {schema}.stream_dead_letters (received_at TIMESTAMPTZ NOT NULL, "
            f"payload {text_type} NOT NULL, error {text_type} NOT NULL)"]


def _rows(validated: Validated) -> tuple[list[tuple], list[tuple]]:
    now = datetime.now(timezone.utc)
    good = [tuple(str(r[c]) if c == "message_id" else r[c] for c in REALTIME_COLUMNS) + (now,) for r in validated.valid]
    bad = [(now, to_json(record), error) for record, error in validated.invalid]
    return good, bad


class DuckDBSink:
    """Tables ``air_quality.stream_realtime`` and ``air_quality.stream_dead_letters`` in the DuckDB file."""

    def __init__(self, path: Path):
        import duckdb

        self.name = f"duckdb:{path}"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = duckdb.connect(str(path))
        for statement in realtime_ddl("air_quality"):
            self.connection.execute(statement)

    def write(self, records: list[dict]) -> int:
        validated = validate(records)
        good, bad = _rows(validated)

        good_table = pa.Table.from_pylist([dict(zip((*REALTIME_COLUMNS, "received_at"), row)) for row in good])
        bad_table = pa.Table.from_pylist([dict(zip(("received_at", "payload", "error"), row)) for row in bad])

        def insert() -> None:
            self.connection.execute("BEGIN TRANSACTION")
            try:
                for table, rows in (("stream_realtime", good_table), ("stream_dead_letters", bad_table)):
                    if rows.num_rows:
                        self.connection.register("incoming", rows)
                        self.connection.execute(f"INSERT INTO air_quality.{table} BY NAME SELECT * FROM incoming")
                        self.connection.unregister("incoming")
                self.connection.execute("COMMIT")
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise

        with_retries(insert, f"insert into {self.name}")
        return len(bad)

    def close(self) -> None:
        self.connection.close()


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
        validated = validate(records)
        good, bad = _rows(validated)
        self.sequence += 1
        batch_id, rows = f"{self.run_id}-{self.sequence}", len(good) + len(bad)
        self._retrying(lambda: self._insert(batch_id, rows, good, bad), f"writing batch {batch_id} ({rows} messages)",
                       batch=True)
        self.committed_messages += rows
        self.committed_batches += 1
        return len(bad)

    def _insert(self, batch_id: str, rows: int, good: list[tuple], bad: list[tuple]) -> None:
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
            if good:
                with cursor.copy(f"COPY air_quality.stream_realtime ({', '.join(REALTIME_COLUMNS)}, received_at) "
                                 "FROM STDIN") as copy:
                    for row in good:
                        copy.write_row(row)
            if bad:
                cursor.executemany("INSERT INTO air_quality.stream_dead_letters VALUES (%s, %s, %s)", bad)
        self._phase = "commit"
        connection.commit()

    # --- connection and retries -------------------------------------------------------------------

    def _connect(self) -> None:
        from synth_assets.core.postgres import connect

        self._phase = "connect"
        given = _url_parameters(self.url)
        options = {k: v for k, v in CONNECT_OPTIONS.items() if k not in given}
        connection = connect(self.url, autocommit=False, **options)
        try:
            connection.execute(f"SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION_SECONDS}s'")
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


def make_sink(spec: str, duckdb_path: Path, database_url: str | None, aws: dict | None = None):
    """``stdout`` | ``file:PATH`` | ``duckdb`` | ``postgres`` | ``kinesis``."""
    if spec == "stdout":
        return JsonLinesSink(sys.stdout, "stdout")
    if spec.startswith("file:") and len(spec) > 5:
        path = Path(spec[5:])
        path.parent.mkdir(parents=True, exist_ok=True)
        return JsonLinesSink(open(path, "a", encoding="utf-8"), str(path))
    if spec == "duckdb":
        return DuckDBSink(duckdb_path)
    if spec == "postgres":
        if not database_url:
            raise ValueError("--sink postgres needs --database-url (or DATABASE_URL) naming a *_demo/*_test database")
        return PostgresSink(database_url)
    if spec == "kinesis":
        from synth_assets.air_quality.stream.kinesis import KinesisSink

        return KinesisSink(**(aws or {}))
    raise ValueError(f"unknown sink {spec!r}; valid: stdout, file:PATH, duckdb, postgres, kinesis")
