"""A home's ``home-assistant_v2.db``: the recorder's SQLite database in Home Assistant 2024.3's schema (42).

The tables are created from ``recorder_schema.sql``, printed from the release's own
``db_schema.Base.metadata`` (see the file's header). The rows follow how the recorder writes them
(``db_schema.States.from_event``, ``StateAttributes``, ``StatesMeta``):

- ``states_meta``: one row per entity with states, in order of its first state;
- ``state_attributes``: de-duplicated ``shared_attrs`` (compact JSON of the state's attributes in the
  entity's order: ``state_class``, the attributes that vary, the entity's extra ones (a person's
  ``editable``, ``id``, ``source``, ``user_id``; ``device_trackers`` is unrecorded), ``unit_of_measurement``,
  ``device_class``, ``friendly_name``) with their FNV-1a hash;
- ``states``: one row per state write in time order; ``old_state_id`` is the entity's previous row;
  ``last_updated_ts``; ``last_changed_ts`` null when equal to ``last_updated_ts``; ``context_id_bin``,
  ``context_parent_id_bin`` (ULID bytes) and ``context_user_id_bin`` (uuid bytes); ``origin_idx`` 0 (local);
- ``event_types``, ``event_data``, ``events``: one ``automation_triggered`` event per automation run
  (automation_events.py);
- ``statistics_meta``, ``statistics``, ``statistics_short_term``, ``statistics_runs`` (one per compiled
  5-minute period), ``recorder_runs`` (one run over the span) and ``schema_changes`` (version 42).

Columns are built as Arrow/numpy arrays and bulk-loaded with ADBC's SQLite driver (``adbc_ingest`` binds
the Arrow columns in C: about 3x faster than ``sqlite3.executemany`` over column tuples, measured in
bench/smart_home_export.py), indexes created after the rows, in one transaction; the file is written
under a temporary name and renamed. Pure: no Dagster.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
from adbc_driver_sqlite import dbapi as adbc_sqlite

from synth_assets.smart_home.export import statistics as stats
from synth_assets.smart_home.export.encoding import compact_json, fnv1a_32, ulid_bytes, uuid_hex_bytes

SCHEMA_VERSION = 42  # homeassistant/components/recorder/db_schema.py SCHEMA_VERSION in 2024.3
DATABASE_NAME = "home-assistant_v2.db"
ORIGIN_LOCAL = 0     # db_schema.EVENT_ORIGIN_TO_IDX["local"]
STATE_MAX_LENGTH = 255  # db_schema.MAX_LENGTH_STATE_STATE
AUTOMATION_TRIGGERED = "automation_triggered"  # components/automation EVENT_AUTOMATION_TRIGGERED


def schema_sql() -> str:
    return resources.files("synth_assets.smart_home.export").joinpath("recorder_schema.sql").read_text("utf-8")


def _sqlite_datetime(epoch_seconds: float) -> str:
    """A DATETIME as SQLAlchemy stores it in SQLite (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC)."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _normalised_attributes(attributes: pl.Series) -> pl.Series:
    """Each distinct varying-attributes JSON object, re-encoded compactly, without its braces ('' if none)."""
    distinct = attributes.drop_nulls().unique().to_list()
    inner = {}
    for text in distinct:  # distinct values only: a few hundred per home-day at most
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError(f"an event's attributes must be a JSON object, got {text[:80]!r}")
        inner[text] = compact_json(value)[1:-1]
    return attributes.replace_strict(inner, default="", return_dtype=pl.String).fill_null("")


def shared_attributes(events: pl.DataFrame, entities: pl.DataFrame) -> pl.Series:
    """The recorder's ``shared_attrs`` of every event: static attributes from ``entities`` (with a
    ``friendly_name`` column and optionally ``extra_attrs``, an entity's own extra attributes as a JSON
    object's inside) around the event's varying ones, in Home Assistant's attribute order."""
    def pair(key: str, column: str) -> pl.Expr:
        return pl.when(pl.col(column).is_not_null()).then(
            pl.lit(f'"{key}":') + pl.col(column).map_elements(compact_json, return_dtype=pl.String,
                                                                skip_nulls=True))

    if "extra_attrs" not in entities.columns:
        entities = entities.with_columns(extra_attrs=pl.lit(None, pl.String))
    static = entities.select(
        "entity_id", "extra_attrs",
        prefix=pair("state_class", "state_class"),
        suffix=pl.concat_str([pair("unit_of_measurement", "unit_of_measurement"),
                              pair("device_class", "device_class"), pair("friendly_name", "friendly_name")],
                             separator=",", ignore_nulls=True))
    parts = (events.select("entity_id").with_columns(varying=_normalised_attributes(events["attributes"]))
             .join(static, on="entity_id", how="left", maintain_order="left"))
    return parts.select(pl.lit("{") + pl.concat_str(
        [pl.col("prefix"), pl.when(pl.col("varying") != "").then(pl.col("varying")), pl.col("extra_attrs"),
         pl.col("suffix")],
        separator=",", ignore_nulls=True) + pl.lit("}"))[:, 0].alias("shared_attrs")


def _epoch(column: str) -> pl.Expr:
    return pl.col(column).dt.epoch("us") / 1e6


def state_rows(events: pl.DataFrame, entities: pl.DataFrame) -> dict[str, pa.Table]:
    """``states_meta``, ``state_attributes`` and ``states`` of a home's events (sorted by time)."""
    events = events.sort("timestamp", "entity_id", maintain_order=True)
    n = events.height
    meta = events.select("entity_id").unique(maintain_order=True).with_row_index("metadata_id", offset=1)
    shared = shared_attributes(events, entities)
    distinct = shared.unique(maintain_order=True)
    attributes_id = shared.replace_strict(distinct, pl.int_range(1, distinct.len() + 1, eager=True),
                                          return_dtype=pl.Int64)
    frame = (events.with_columns(state_id=pl.int_range(1, n + 1, dtype=pl.Int64), attributes_id=attributes_id)
             .join(meta, on="entity_id", how="left", maintain_order="left")
             .with_columns(old_state_id=pl.col("state_id").shift(1).over("entity_id"),
                           last_updated_ts=_epoch("timestamp"), last_changed_ts=_epoch("last_changed")))
    too_long = frame.filter(pl.col("state").str.len_chars() > STATE_MAX_LENGTH)
    if too_long.height:
        raise ValueError(f"a state of {too_long['entity_id'][0]} is longer than the recorder's "
                         f"{STATE_MAX_LENGTH} characters")
    states = pa.table({
        "state_id": frame["state_id"].to_arrow(), "state": frame["state"].to_arrow(),
        "last_changed_ts": frame.select(pl.when(pl.col("last_changed_ts") != pl.col("last_updated_ts"))
                                        .then(pl.col("last_changed_ts")))[:, 0].to_arrow(),
        "last_updated_ts": frame["last_updated_ts"].to_arrow(),
        "old_state_id": frame["old_state_id"].to_arrow(), "attributes_id": frame["attributes_id"].to_arrow(),
        "origin_idx": pa.array(np.full(n, ORIGIN_LOCAL, dtype=np.int64)),
        "context_id_bin": ulid_bytes(frame["context_id"].to_arrow()),
        "context_user_id_bin": uuid_hex_bytes(frame["context_user_id"].to_arrow()),
        "context_parent_id_bin": ulid_bytes(frame["context_parent_id"].to_arrow()),
        "metadata_id": frame["metadata_id"].cast(pl.Int64).to_arrow(),
    })
    attributes = pa.table({"attributes_id": pa.array(np.arange(1, distinct.len() + 1, dtype=np.int64)),
                           "hash": pa.array(fnv1a_32(distinct.to_arrow()).astype(np.int64)),
                           "shared_attrs": distinct.to_arrow()})
    return {"states_meta": meta.select(pl.col("metadata_id").cast(pl.Int64), "entity_id").to_arrow(),
            "state_attributes": attributes, "states": states}


def event_rows(runs: pl.DataFrame) -> dict[str, pa.Table]:
    """``event_types``, ``event_data`` (de-duplicated, FNV-1a hashed) and ``events`` of the automation runs
    (automation_events.automation_runs), as ``db_schema.Events.from_event`` / ``EventData`` store them."""
    if runs.is_empty():
        return {}
    data = runs.select(shared_data=pl.concat_str(
        [pl.lit('{"name":'), pl.col("name").map_elements(compact_json, return_dtype=pl.String),
         pl.lit(',"entity_id":'), pl.col("entity_id").map_elements(compact_json, return_dtype=pl.String),
         pl.lit(',"source":'), pl.col("source").map_elements(compact_json, return_dtype=pl.String), pl.lit("}")]))
    distinct = data["shared_data"].unique(maintain_order=True)
    data_id = data["shared_data"].replace_strict(distinct, pl.int_range(1, distinct.len() + 1, eager=True),
                                                 return_dtype=pl.Int64)
    n = runs.height
    return {
        "event_types": pa.table({"event_type_id": pa.array([1], pa.int64()),
                                 "event_type": pa.array([AUTOMATION_TRIGGERED], pa.string())}),
        "event_data": pa.table({"data_id": pa.array(np.arange(1, distinct.len() + 1, dtype=np.int64)),
                                "hash": pa.array(fnv1a_32(distinct.to_arrow()).astype(np.int64)),
                                "shared_data": distinct.to_arrow()}),
        "events": pa.table({
            "event_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "origin_idx": pa.array(np.full(n, ORIGIN_LOCAL, dtype=np.int64)),
            "time_fired_ts": runs.select(_epoch("timestamp"))[:, 0].to_arrow(),
            "data_id": data_id.to_arrow(),
            "context_id_bin": ulid_bytes(runs["context_id"].to_arrow()),
            "context_user_id_bin": pa.nulls(n, pa.binary()),
            "context_parent_id_bin": ulid_bytes(runs["context_parent_id"].to_arrow()),
            "event_type_id": pa.array(np.ones(n, dtype=np.int64))}),
    }


def statistics_rows(events: pl.DataFrame, entities: pl.DataFrame, span_start: float,
                    span_end: float) -> dict[str, pa.Table]:
    meta = stats.statistics_meta(entities).with_row_index("id", offset=1).with_columns(pl.col("id").cast(pl.Int64))
    short = stats.short_term_statistics(events, entities, span_start, span_end)
    hourly = stats.hourly_statistics(short)
    ids = meta.select(pl.col("statistic_id"), pl.col("id").alias("metadata_id"))

    def numbered(rows: pl.DataFrame) -> pa.Table:
        rows = rows.join(ids, on="statistic_id", maintain_order="left").sort("start_ts", "metadata_id")
        return rows.select(pl.int_range(1, rows.height + 1, dtype=pl.Int64).alias("id"), "created_ts", "metadata_id",
                           "start_ts", "mean", "min", "max", "state", "sum").to_arrow()

    periods = np.arange(span_start, span_end, stats.SHORT_TERM_SECONDS, dtype=np.float64)
    return {"statistics_meta": meta.select("id", "statistic_id", "source", "unit_of_measurement", "has_mean",
                                           "has_sum", "name").to_arrow(),
            "statistics": numbered(hourly), "statistics_short_term": numbered(short),
            "statistics_runs": pa.table({"run_id": pa.array(np.arange(1, len(periods) + 1, dtype=np.int64)),
                                         "start": pa.array([_sqlite_datetime(p) for p in periods], pa.string())})}


def _statements(kind: str) -> list[str]:
    """The schema file's ``CREATE TABLE`` or ``CREATE [UNIQUE] INDEX`` statements, in file order."""
    statements = [part.strip() for part in schema_sql().split(";\n") if "CREATE" in part]
    return [s for s in statements if ("CREATE TABLE" in s) == (kind == "table")]


def write_recorder_database(path: Path, events: pl.DataFrame, entities: pl.DataFrame, span_start: float,
                            span_end: float, runs: pl.DataFrame | None = None) -> dict[str, int]:
    """Write the home's recorder database to ``path`` atomically; returns the row count of each table.

    ``events``: the home's rows of ``smart_home.events`` over the span; ``entities``: its entities with a
    ``friendly_name`` column; the span is ``[span_start, span_end)`` in epoch seconds (5-minute aligned);
    ``runs``: the automation runs to record as ``automation_triggered`` events (none if not given).
    """
    tables = {**state_rows(events, entities), **statistics_rows(events, entities, span_start, span_end),
              **event_rows(runs if runs is not None else pl.DataFrame())}
    tables["recorder_runs"] = pa.table({
        "run_id": [1], "start": [_sqlite_datetime(span_start)], "end": [_sqlite_datetime(span_end)],
        "closed_incorrect": [False], "created": [_sqlite_datetime(span_start)]})
    tables["schema_changes"] = pa.table({"change_id": [1], "schema_version": [SCHEMA_VERSION],
                                         "changed": [_sqlite_datetime(span_start)]})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with adbc_sqlite.connect(str(tmp)) as connection, connection.cursor() as cursor:
            for statement in _statements("table"):
                cursor.execute(statement)
            for table, rows in tables.items():
                if rows.num_rows:
                    cursor.adbc_ingest(table, rows, mode="append")
            for statement in _statements("index"):  # indexes after the rows: one sort each, not a b-tree walk
                cursor.execute(statement)
            connection.commit()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return {table: rows.num_rows for table, rows in tables.items()}
