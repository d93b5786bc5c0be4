"""Where the stream goes: JSON lines (stdout or a file), DuckDB, PostgreSQL, or Kinesis + DynamoDB.

Database sinks validate every message against :class:`StreamMessage` and put the valid ones into a
realtime table and the rest, with the validation error, into a dead-letter table. Writes are retried
with exponential backoff; a write that still fails raises :class:`SinkError` (nothing is dropped
silently). The validation, rows, names and retry policy every sink shares are in
:mod:`synth_assets.air_quality.stream.records`.

PostgreSQL and dropped connections: see :mod:`synth_assets.air_quality.stream.postgres_sink`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import pyarrow as pa

# The names every sink shares live in records.py; re-exported here for callers of the old place.
from synth_assets.air_quality.stream.records import (  # noqa: F401
    DLQ_TABLE,
    KINESIS_STREAM,
    REALTIME_COLUMNS,
    REALTIME_TABLE,
    SinkError,
    Validated,
    realtime_ddl,
    table_rows,
    to_json,
    validate,
    with_retries,
)


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
        good, bad = table_rows(validated)

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
