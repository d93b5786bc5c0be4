"""What every stream sink shares: the message JSON, validation into valid rows and dead letters, the
realtime table's columns and DDL, the rows of a batch as Arrow tables (:func:`arrow_rows`), the AWS
resource names, and the one retry policy (:func:`with_retries`).

The sinks (:mod:`.sinks`, :mod:`.postgres_sink`, :mod:`.kinesis`) import from here and not from
each other, so no sink module imports another.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

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


def table_rows(validated: Validated) -> tuple[list[tuple], list[tuple]]:
    """Rows for ``stream_realtime`` (``REALTIME_COLUMNS`` + received_at) and ``stream_dead_letters``."""
    now = datetime.now(timezone.utc)
    good = [tuple(str(r[c]) if c == "message_id" else r[c] for c in REALTIME_COLUMNS) + (now,) for r in validated.valid]
    bad = [(now, to_json(record), error) for record, error in validated.invalid]
    return good, bad


REALTIME = "air_quality.stream_realtime"
DEAD_LETTERS = "air_quality.stream_dead_letters"
_AT = pa.timestamp("us", tz="UTC")
_ARROW_TYPES = {"message_id": pa.string(), "sensor_id": pa.string(), "is_duplicate": pa.bool_(),
                "city_id": pa.int64(), "city_name": pa.string(), "country_name": pa.string(),
                "country_code": pa.string(), "timestamp": _AT, "is_raining": pa.bool_()}
REALTIME_SCHEMA = pa.schema([(c, _ARROW_TYPES.get(c, pa.float64())) for c in REALTIME_COLUMNS] + [("received_at", _AT)])
DEAD_LETTER_SCHEMA = pa.schema([("received_at", _AT), ("payload", pa.string()), ("error", pa.string())])


def arrow_rows(validated: Validated) -> tuple[pa.Table, pa.Table]:
    """The rows of :func:`table_rows` as Arrow tables (``REALTIME_SCHEMA``, ``DEAD_LETTER_SCHEMA``),
    built column by column: one COPY or one insert per batch and table."""
    now = datetime.now(timezone.utc)
    valid, invalid = validated.valid, validated.invalid
    columns = [[str(r[c]) for r in valid] if c == "message_id" else [r[c] for r in valid] for c in REALTIME_COLUMNS]
    received = pa.repeat(pa.scalar(now, _AT), len(valid))
    good = pa.Table.from_arrays([*(pa.array(values, type=t) for values, t in zip(columns, REALTIME_SCHEMA.types)),
                                 received], schema=REALTIME_SCHEMA)
    bad = pa.Table.from_arrays([pa.repeat(pa.scalar(now, _AT), len(invalid)),
                                pa.array([to_json(record) for record, _ in invalid], pa.string()),
                                pa.array([error for _, error in invalid], pa.string())], schema=DEAD_LETTER_SCHEMA)
    return good, bad
