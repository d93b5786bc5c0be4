"""The declared check builders of core/checks.py: one rule, the same count on a frame and in DuckDB."""

from __future__ import annotations

from collections import Counter

import dagster as dg
import duckdb
import polars as pl
import pytest
from pydantic import BaseModel, Field

from synth_assets.core import checks


class Reading(BaseModel):
    sensor: int
    value: float = Field(ge=0, lt=100)
    ratio: float = Field(gt=0, le=1)
    note: str | None = None


READINGS = pl.DataFrame({
    "sensor": [1, 2, 2, 3, 9, 1],
    "hour": [0, 0, 0, 1, 1, 2],
    "value": [0.0, 99.9, 100.0, -0.1, 50.0, None],
    "ratio": [0.0, 1.0, 0.5, 1.01, 0.2, 0.3],
    "note": [None, "a", None, None, "b", None],
})
SENSORS = pl.DataFrame({"id": [1, 2, 3]})


@pytest.fixture
def db():
    connection = duckdb.connect()
    connection.register("readings_frame", READINGS.to_arrow())
    connection.register("sensors_frame", SENSORS.to_arrow())
    connection.execute("CREATE TABLE readings AS SELECT * FROM readings_frame")
    connection.execute("CREATE TABLE sensors AS SELECT * FROM sensors_frame")
    yield connection
    connection.close()


def _in_db(db, check: checks.Check, where: str = "TRUE") -> int:
    return db.execute(checks.in_database(check, "readings", where).query).fetchone()[0]


def test_ranges_from_a_model_count_the_same_on_a_frame_and_in_sql(db):
    check = checks.in_model_ranges(Reading)
    counted = check.count(READINGS, {})
    # value 100.0 (lt 100) and -0.1; ratio 0.0 (gt 0) and 1.01
    assert counted == Counter({"value": 2, "ratio": 2})
    rows_outside = READINGS.filter((pl.col("value") >= 100) | (pl.col("value") < 0)
                                   | (pl.col("ratio") <= 0) | (pl.col("ratio") > 1)).height
    assert _in_db(db, check) == rows_outside == 3  # SQL counts rows, the frame counts values per column
    assert _in_db(db, check, "t.sensor = 2") == 1


def test_not_null_takes_its_columns_from_the_model(db):
    check = checks.not_null(Reading)
    assert set(check.columns) == {"sensor", "value", "ratio"}  # note is optional
    assert check.count(READINGS, {}) == Counter({"value": 1})
    assert _in_db(db, check) == 1


@pytest.mark.parametrize("columns, expected", [(["sensor"], 2), (["sensor", "hour"], 1), (["note"], 0)])
def test_unique_key_counts_surplus_rows_over_distinct_keys(db, columns, expected):
    check = checks.unique_key("unique", columns)
    frame = READINGS.drop_nulls(columns)
    assert check.count(frame, {})["duplicates"] == expected
    assert _in_db(db, check) == expected


def test_foreign_key_counts_orphans_against_the_parent(db):
    check = checks.foreign_key("sensor_fk", "sensor", "sensors")
    assert check.count(READINGS, {"sensors": SENSORS["id"]}) == Counter({"orphans": 1})
    assert _in_db(db, check) == 1
    assert _in_db(db, check, "t.hour = 0") == 0


def test_rows_per_key_counts_wrong_groups_and_missing_parents():
    check = checks.rows_per_key("rows_per_sensor_hour", {"sensor": pl.col("sensor"), "hour": pl.col("hour")}, 1,
                                "one row per sensor and hour", complete_over=("sensor", "sensors"), per="hour")
    counts = check.count(READINGS, {"sensors": SENSORS["id"]})
    assert counts["wrong_group_size"] == 1          # (2, 0) twice
    # hour 0 has sensors {1, 2}: 1 missing; hour 1 {3, 9}: 1; hour 2 {1}: 2
    assert counts["missing_keys"] == 4


def test_a_tally_over_chunks_equals_one_pass_and_builds_results_with_specs():
    declared = [checks.in_model_ranges(Reading), checks.not_null(Reading),
                checks.foreign_key("sensor_fk", "sensor", "sensors")]
    parents = {"sensors": SENSORS["id"]}
    whole, chunked = checks.Tally(declared, parents), checks.Tally(declared, parents)
    whole.add(READINGS)
    for chunk in READINGS.iter_slices(2):
        chunked.add(chunk)
    assert chunked.counts == whole.counts and chunked.rows == whole.rows == READINGS.height
    results = {r.check_name: r for r in chunked.results()}
    assert {n: r.passed for n, r in results.items()} == {
        "values_in_model_ranges": False, "no_nulls": False, "sensor_fk": False}
    assert results["values_in_model_ranges"].metadata["violations"].value == 4  # values, per column
    specs = checks.specs(dg.AssetKey("readings"), declared)
    assert [s.name for s in specs] == list(results) and all(s.blocking for s in specs)
    assert specs[0].description == results["values_in_model_ranges"].description.split(": ", 1)[1]


def test_database_results_judge_each_query_and_share_within_tolerance(db):
    queries = [checks.in_database(checks.foreign_key("sensor_fk", "sensor", "sensors"), "readings", "t.hour = :h"),
               checks.sql_count("big", "SELECT count(*) FROM readings WHERE value > :limit", "no value above limit")]
    results = checks.database_results(lambda sql, **p: db.execute(
        sql.replace(":h", str(p["h"])).replace(":limit", str(p["limit"]))).fetchone()[0], queries,
        {"h": 1, "limit": 60}, database="DuckDB")
    assert [(r.check_name, r.passed) for r in results] == [("sensor_fk", False), ("big", False)]
    assert results[1].metadata["violations"].value == 2 and results[1].metadata["database"].value == "DuckDB"
    share = checks.share_within("share", 0.98, 0.01, "98 % completed")
    assert share.result(0.975).passed and not share.result(0.96).passed
    assert share.result(None).severity == dg.AssetCheckSeverity.WARN


def test_a_frame_only_check_says_so_when_asked_for_sql():
    with pytest.raises(NotImplementedError, match="rows_per"):
        checks.rows_per_key("rows_per", {"a": pl.col("a")}, 1, "r").sql("t")
