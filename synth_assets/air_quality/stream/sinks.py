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

# Validation, rows, table names and the retry policy every sink shares live in records.py.
from synth_assets.air_quality.stream.records import (
    DEAD_LETTERS,
    REALTIME,
    arrow_rows,
    realtime_ddl,
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
    """Tables ``air_quality.stream_realtime`` and ``air_quality.stream_dead_letters`` in the DuckDB file.

    Each batch goes in through the core target (:mod:`synth_assets.core.database`): one Arrow insert
    per table, valid rows and dead letters in one transaction.
    """

    def __init__(self, path: Path):
        from synth_assets.core.database import connect_duckdb

        self.name = f"duckdb:{path}"
        self.database = connect_duckdb(path)
        for statement in realtime_ddl("air_quality"):
            self.database.execute(statement)

    def write(self, records: list[dict]) -> int:
        good, bad = arrow_rows(validate(records))
        with_retries(lambda: self.database.append([(REALTIME, good), (DEAD_LETTERS, bad)]), f"insert into {self.name}")
        return bad.num_rows

    def close(self) -> None:
        self.database.close()


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
