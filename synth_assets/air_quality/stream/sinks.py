"""Where the stream goes: JSON lines (stdout, a file, or objects on S3), DuckDB, PostgreSQL, or Kinesis + DynamoDB.

``file:s3://bucket/prefix/NAME.jsonl`` cannot append (an object is written whole or not at all), so the
messages are buffered and each batch becomes one object ``NAME-<run>-<offset>.jsonl`` beside that name
(:class:`ObjectBatchSink`); the landing asset lists and reads them as it reads local ``*.jsonl`` files.

Database sinks validate every message against :class:`StreamMessage` and put the valid ones into a
realtime table and the rest, with the validation error, into a dead-letter table. Writes are retried
with exponential backoff; a write that still fails raises :class:`SinkError` (nothing is dropped
silently). The validation, rows, names and retry policy every sink shares are in
:mod:`synth_assets.air_quality.stream.records`.

PostgreSQL and dropped connections: see :mod:`synth_assets.air_quality.stream.postgres_sink`.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
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

OBJECT_BATCH_MESSAGES = 50_000
"""Messages per landing object at most (about 20 MB of JSON). Our choice: few objects to list and read."""
OBJECT_BATCH_SECONDS = 60.0
"""Wall seconds a message waits at most before its batch is written (real-time streams land every minute;
a killed process loses at most this much). Our choice, like the batch size."""


def json_lines(records: list[dict]) -> str:
    return "".join(to_json(r) + "\n" for r in records)


def run_label(start: datetime, seed: int) -> str:
    """Names one simulator run's objects: its (simulated or real) UTC start and its seed."""
    return f"{start.astimezone(timezone.utc):%Y%m%dT%H%M%S}Z-seed{seed}"


class JsonLinesSink:
    """Every message as one JSON line, unvalidated (consumers validate)."""

    def __init__(self, handle: TextIO, name: str):
        self.handle, self.name = handle, name

    def write(self, records: list[dict]) -> int:
        with_retries(lambda: self.handle.write(json_lines(records)), f"write to {self.name}")
        return 0

    def close(self) -> None:
        self.handle.flush()
        if self.handle is not sys.stdout:
            self.handle.close()


class ObjectBatchSink:
    """JSON lines as objects ``<stem>-<run>-<offset>.jsonl`` beside ``target`` (an ``S3Path``), each written
    whole: ``offset`` is the number of messages of this run before the object's first (zero-padded, so the
    names sort in stream order), and the objects of a run, concatenated in name order, are the bytes
    ``file:LOCAL`` would have written. A batch is written when it holds :data:`OBJECT_BATCH_MESSAGES`, when
    its oldest message waited :data:`OBJECT_BATCH_SECONDS` (looked at as messages arrive), and on close."""

    def __init__(self, target, run: str, batch_messages: int = OBJECT_BATCH_MESSAGES,
                 batch_seconds: float = OBJECT_BATCH_SECONDS):
        from synth_assets.core.files import glob_files
        from synth_assets.core.object_store import check_reachable

        check_reachable(target, what="the stream sink")  # no credentials, endpoint or bucket: refused at start
        self.target, self.run, self.name = target, run, f"{target.parent}/{target.stem}-{run}-*.jsonl"
        earlier = glob_files(target.parent, f"{target.stem}-{run}-*.jsonl")
        if earlier:   # an object cannot be appended to: a second run with this label would overwrite the first's
            raise FileExistsError(
                f"{len(earlier)} object(s) {self.name} of a run with the same start and seed are already there "
                f"(e.g. {earlier[0]}); this run would overwrite them. Fix: give another --start (or --seed), "
                f"another file name, or remove those objects")
        self.batch_messages, self.batch_seconds = batch_messages, batch_seconds
        self.buffer: list[dict] = []
        self.written = 0
        self.oldest = 0.0
        self.failed = False

    def write(self, records: list[dict]) -> int:
        if not self.buffer:
            self.oldest = time.monotonic()
        self.buffer += records
        if len(self.buffer) >= self.batch_messages or time.monotonic() - self.oldest >= self.batch_seconds:
            self.flush()
        return 0

    def flush(self) -> None:
        from synth_assets.core.storage import write_text_atomic

        if not self.buffer:
            return
        path = self.target.with_name(f"{self.target.stem}-{self.run}-{self.written:012d}.jsonl")
        text = json_lines(self.buffer)
        try:
            with_retries(lambda: write_text_atomic(path, text), f"write to {path}")
        except Exception:
            self.failed = True   # the run stops on this error: closing must not retry it and hide it
            raise
        self.written += len(self.buffer)
        self.buffer = []

    def close(self) -> None:
        if not self.failed:
            self.flush()


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


def make_sink(spec: str, duckdb_path: Path, database_url: str | None, aws: dict | None = None,
              run: str | None = None):
    """``stdout`` | ``file:PATH`` (``file:s3://...``: objects named with ``run``, see :func:`run_label`) |
    ``duckdb`` | ``postgres`` | ``kinesis``."""
    if spec == "stdout":
        return JsonLinesSink(sys.stdout, "stdout")
    if spec.startswith("file:s3://"):
        from synth_assets.core.object_store import parse_s3_url

        target = parse_s3_url(spec[5:])
        if not target.key:
            raise ValueError(f"--sink {spec}: name the objects, as file:s3://bucket/prefix/NAME.jsonl")
        if not run:
            raise ValueError(f"--sink {spec} needs the run's label to name its objects (sinks.run_label)")
        return ObjectBatchSink(target, run)
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
