"""A home's ``home-assistant_v2.db``: the recorder's SQLite database in Home Assistant 2024.3's schema (42).

The tables are created from ``recorder_schema.sql``, printed from the release's own
``db_schema.Base.metadata`` (see the file's header). The rows follow how the recorder writes them
(``db_schema.States.from_event``, ``StateAttributes``, ``StatesMeta``):

- ``states_meta``: one row per entity with states, in order of its first state;
- ``state_attributes``: de-duplicated ``shared_attrs`` (compact JSON of the state's attributes in the
  entity's order: ``state_class``, the attributes that vary (a light's ``color_mode`` and ``brightness``,
  both null when off), the entity's extra ones (a person's
  ``editable``, ``id``, ``source``, ``user_id``; ``device_trackers`` is unrecorded), ``unit_of_measurement``,
  ``device_class``, ``friendly_name``) with their FNV-1a hash;
- ``states``: one row per state write Home Assistant would record (:func:`recorded_events`: a write equal to
  the entity's previous one in state and attributes is none), in time order; ``old_state_id`` is the
  entity's previous row; ``last_updated_ts``; ``last_changed_ts`` the last state change, null when equal
  to ``last_updated_ts``; ``context_id_bin``,
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
import sqlite3
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
from adbc_driver_sqlite import dbapi as adbc_sqlite

from synth_assets.core.storage import atomic_path
from synth_assets.smart_home.export import statistics as stats
from synth_assets.smart_home.export.encoding import compact_json, fnv1a_32, ulid_bytes, uuid_hex_bytes
from synth_assets.smart_home.export.registries import LIGHT_COLOR_MODE

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
    varying = _normalised_attributes(events["attributes"])
    # a light's state attributes as LightEntity.state_attributes writes them: color_mode, then brightness;
    # both null when off (supported_color_modes is a capability the recorder leaves out)
    light = pl.col("entity_id").str.starts_with("light.")
    on = pl.lit(f'"color_mode":{compact_json(LIGHT_COLOR_MODE)}') + pl.when(pl.col("varying") != "").then(
        "," + pl.col("varying")).otherwise(pl.lit(""))
    parts = (events.select("entity_id", "state").with_columns(varying=varying)
             .with_columns(varying=pl.when(light & (pl.col("state") == "on")).then(on)
                           .when(light).then(pl.lit('"color_mode":null,"brightness":null'))
                           .otherwise(pl.col("varying")))
             .join(static, on="entity_id", how="left", maintain_order="left"))
    return parts.select(pl.lit("{") + pl.concat_str(
        [pl.col("prefix"), pl.when(pl.col("varying") != "").then(pl.col("varying")), pl.col("extra_attrs"),
         pl.col("suffix")],
        separator=",", ignore_nulls=True) + pl.lit("}"))[:, 0].alias("shared_attrs")


def _epoch(column: str) -> pl.Expr:
    return pl.col(column).dt.epoch("us") / 1e6


def recorded_events(events: pl.DataFrame, entities: pl.DataFrame) -> pl.DataFrame:
    """The events Home Assistant 2024.3 would record, in time order, with their ``shared_attrs``.

    ``core.py`` ``StateMachine.async_set`` (2024.3) returns without a ``state_changed`` event when the new
    state and attributes equal the entity's current ones (``same_state and same_attr``), and keeps
    ``last_changed`` at the previous state's while only the attributes change (``last_changed =
    old_state.last_changed if same_state``; ``last_reported`` came in 2024.4). So a write equal to the
    entity's previous one in state and recorded attributes is dropped, and ``last_changed`` is the time of
    the entity's last state change (an entity's first row in the span keeps the event's ``last_changed``).
    """
    events = events.sort("timestamp", "entity_id", maintain_order=True)
    frame = events.with_columns(shared_attrs=shared_attributes(events, entities))
    def previous(column: str) -> pl.Expr:
        return pl.col(column).shift(1).over("entity_id")

    repeat = ((pl.col("state") == previous("state")) & (pl.col("shared_attrs") == previous("shared_attrs")))
    kept = frame.filter(~repeat.fill_null(False))
    first = previous("state").is_null()
    changed_at = (pl.when(first).then(pl.col("last_changed"))
                  .when(pl.col("state") != previous("state")).then(pl.col("timestamp")))
    return kept.with_columns(last_changed=changed_at.forward_fill().over("entity_id"))


def state_rows(recorded: pl.DataFrame) -> dict[str, pa.Table]:
    """``states_meta``, ``state_attributes`` and ``states`` of a home's :func:`recorded_events`."""
    if "shared_attrs" not in recorded.columns:
        raise ValueError("state_rows takes recorded_events(events, entities), which has a shared_attrs column")
    n = recorded.height
    meta = recorded.select("entity_id").unique(maintain_order=True).with_row_index("metadata_id", offset=1)
    shared = recorded["shared_attrs"]
    distinct = shared.unique(maintain_order=True)
    attributes_id = shared.replace_strict(distinct, pl.int_range(1, distinct.len() + 1, eager=True),
                                          return_dtype=pl.Int64)
    frame = (recorded.with_columns(state_id=pl.int_range(1, n + 1, dtype=pl.Int64), attributes_id=attributes_id)
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


def statistics_rows(recorded: pl.DataFrame, entities: pl.DataFrame, span_start: float,
                    span_end: float) -> dict[str, pa.Table]:
    """The statistics tables, compiled from the recorded states (:func:`recorded_events`)."""
    meta = stats.statistics_meta(entities).with_row_index("id", offset=1).with_columns(pl.col("id").cast(pl.Int64))
    short = stats.short_term_statistics(recorded, entities, span_start, span_end)
    hourly = stats.hourly_statistics(short, span_end)
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


def write_recorder_database(path: Path, recorded: pl.DataFrame, entities: pl.DataFrame, span_start: float,
                            span_end: float, runs: pl.DataFrame | None = None) -> dict[str, int]:
    """Write the home's recorder database to ``path`` atomically; returns the row count of each table.

    ``recorded``: :func:`recorded_events` of the home's rows of ``smart_home.events`` over the span;
    ``entities``: its entities with a ``friendly_name`` column; the span is ``[span_start, span_end)`` in
    epoch seconds (5-minute aligned);
    ``runs``: the automation runs to record as ``automation_triggered`` events (none if not given).
    """
    tables = {**state_rows(recorded), **statistics_rows(recorded, entities, span_start, span_end),
              **event_rows(runs if runs is not None else pl.DataFrame())}
    tables["recorder_runs"] = pa.table({
        "run_id": [1], "start": [_sqlite_datetime(span_start)], "end": [_sqlite_datetime(span_end)],
        "closed_incorrect": [False], "created": [_sqlite_datetime(span_start)]})
    tables["schema_changes"] = pa.table({"change_id": [1], "schema_version": [SCHEMA_VERSION],
                                         "changed": [_sqlite_datetime(span_start)]})
    with atomic_path(path) as tmp, adbc_sqlite.connect(str(tmp)) as connection, connection.cursor() as cursor:
        for statement in _statements("table"):
            cursor.execute(statement)
        for table, rows in tables.items():
            if rows.num_rows:
                cursor.adbc_ingest(table, rows, mode="append")
        for statement in _statements("index"):  # indexes after the rows: one sort each, not a b-tree walk
            cursor.execute(statement)
        connection.commit()
    return {table: rows.num_rows for table, rows in tables.items()}


# what audit_database counts in a written file, each of which is 0 in a correct export but the first two
AUDIT_SQL = {
    "states": "SELECT count(*) FROM states",
    "states_meta": "SELECT count(*) FROM states_meta",
    # old_state_id must be the same entity's previous row
    "broken_old_state_links": """
        SELECT count(*) FROM (SELECT old_state_id, lag(state_id) OVER w AS previous FROM states
                              WINDOW w AS (PARTITION BY metadata_id ORDER BY last_updated_ts, state_id))
        WHERE old_state_id IS NOT previous""",
    # a row equal to the entity's previous one in state and attributes: Home Assistant writes none
    "repeated_writes": """
        SELECT count(*) FROM (SELECT state, attributes_id, lag(state) OVER w AS s, lag(attributes_id) OVER w AS a
                              FROM states WINDOW w AS (PARTITION BY metadata_id ORDER BY last_updated_ts, state_id))
        WHERE state = s AND attributes_id = a""",
    # last_changed_ts must be the time of the entity's last state change (null: this row's own time)
    "wrong_last_changed": """
        SELECT count(*) FROM (
            SELECT coalesce(last_changed_ts, last_updated_ts) AS changed, last_updated_ts, state,
                   lag(state) OVER w AS s, lag(coalesce(last_changed_ts, last_updated_ts)) OVER w AS before
            FROM states WINDOW w AS (PARTITION BY metadata_id ORDER BY last_updated_ts, state_id))
        WHERE s IS NOT NULL AND ((state != s AND changed != last_updated_ts) OR (state = s AND changed != before))""",
    "states_without_attributes": """
        SELECT count(*) FROM states s LEFT JOIN state_attributes a USING (attributes_id)
        WHERE a.attributes_id IS NULL""",
}


def audit_database(path: Path) -> dict[str, int]:
    """Counts read back from a written recorder database (read-only): ``states``, ``states_meta`` rows, and
    the rows breaking Home Assistant's rules (:data:`AUDIT_SQL`, plus ``attribute_hash_mismatches``:
    ``state_attributes`` rows whose ``hash`` is not the FNV-1a of their ``shared_attrs``)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        counts = {name: int(connection.execute(sql).fetchone()[0]) for name, sql in AUDIT_SQL.items()}
        rows = connection.execute("SELECT hash, shared_attrs FROM state_attributes").fetchall()
    connection.close()
    hashes = np.array([h for h, _ in rows], dtype=np.int64)
    computed = fnv1a_32([text for _, text in rows]).astype(np.int64)
    counts["attribute_hash_mismatches"] = int((hashes != computed).sum())
    return counts
