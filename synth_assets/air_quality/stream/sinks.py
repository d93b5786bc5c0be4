"""Where the stream goes: JSON lines (stdout or a file), DuckDB, PostgreSQL, or Kinesis + DynamoDB.

Database sinks validate every message against :class:`StreamMessage` and put the valid ones into a
realtime table and the rest, with the validation error, into a dead-letter table. Writes are retried
with exponential backoff; a write that still fails raises :class:`SinkError` (nothing is dropped
silently).

PostgreSQL and dropped connections: see :mod:`synth_assets.air_quality.stream.postgres_sink`.
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


def _ends_with_newline(handle) -> bool:
    handle.seek(-1, 2)
    return handle.read(1) == b"\n"


def make_sink(spec: str, duckdb_path: Path, database_url: str | None, aws: dict | None = None):
    """``stdout`` | ``file:PATH`` | ``duckdb`` | ``postgres`` | ``kinesis``."""
    if spec == "stdout":
        return JsonLinesSink(sys.stdout, "stdout")
    if spec.startswith("file:") and len(spec) > 5:
        path = Path(spec[5:])
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+b")
        if handle.tell() and not _ends_with_newline(handle):
            handle.write(b"\n")  # a killed writer cut its last line: start ours on a line of its own
        handle.close()
        return JsonLinesSink(open(path, "a", encoding="utf-8"), str(path))
    if spec == "duckdb":
        return DuckDBSink(duckdb_path)
    if spec == "postgres":
        if not database_url:
            raise ValueError("--sink postgres needs --database-url (or DATABASE_URL) naming a *_demo/*_test database")
        from synth_assets.air_quality.stream.postgres_sink import PostgresSink

        return PostgresSink(database_url)
    if spec == "kinesis":
        from synth_assets.air_quality.stream.kinesis import KinesisSink

        return KinesisSink(**(aws or {}))
    raise ValueError(f"unknown sink {spec!r}; valid: stdout, file:PATH, duckdb, postgres, kinesis")
