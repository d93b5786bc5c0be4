"""The core database target on a DuckDB file and on the real PostgreSQL fixture: windows are replaced
(never duplicated), a failing check or an error rolls back to the old rows, the guard refuses an unsafe
URL before connecting, and every column type the content and stream tables use round-trips."""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg
import pyarrow as pa
import pytest

from synth_assets.core import database_guard
from synth_assets.core.database import (
    ChecksFailed,
    Database,
    Window,
    connect_postgres,
    open_database,
    quoted,
)
from synth_assets.core.postgres import UnsafeDatabaseError

DAY = datetime(2025, 3, 9, tzinfo=timezone.utc)
AT = pa.timestamp("us", tz="UTC")
EVENTS = "s.events"
EVENTS_DDL = ["CREATE SCHEMA IF NOT EXISTS s",
              "CREATE TABLE IF NOT EXISTS s.events (id INTEGER NOT NULL, happened_at TIMESTAMPTZ NOT NULL, "
              "v DOUBLE PRECISION NOT NULL)"]


@dataclass
class Result:
    check_name: str
    passed: bool


@pytest.fixture(params=["duckdb", "postgres"])
def database(request, tmp_path):
    url = request.getfixturevalue("fresh_database") if request.param == "postgres" else None
    with open_database(url, tmp_path / "db" / "target.duckdb") as opened:
        yield opened


def events(day: int, ids: range, value: float) -> pa.Table:
    """Rows of day ``day`` (0 = DAY), one per id, spread over the day."""
    ats = [DAY + timedelta(days=day, minutes=10 * i) for i in range(len(ids))]
    return pa.table({"id": pa.array(list(ids), pa.int64()), "happened_at": pa.array(ats, AT),
                     "v": pa.array([value] * len(ids), pa.float64())})


def window(day: int) -> Window:
    return Window("happened_at", DAY + timedelta(days=day), DAY + timedelta(days=day + 1))


def stored(database: Database) -> list[tuple]:
    if database.kind == "duckdb":
        return database.connection.execute("SELECT id, happened_at, v FROM s.events ORDER BY id").fetchall()
    with database.connection.cursor() as cursor:
        return cursor.execute("SELECT id, happened_at, v FROM s.events ORDER BY id").fetchall()


# --- replace_window ----------------------------------------------------------------------------------

def test_replace_window_replaces_its_window_only_and_never_duplicates(database):
    for day in range(3):
        database.replace_window(EVENTS, events(day, range(day * 100, day * 100 + 5), 1.0), window(day),
                                ddl=EVENTS_DDL)
    for _ in range(2):  # day 1 again, twice, with other rows: replaced, not added
        database.replace_window(EVENTS, events(1, range(500, 503), 2.0), window(1), ddl=EVENTS_DDL)
    rows = stored(database)
    assert [r[0] for r in rows] == [0, 1, 2, 3, 4, 200, 201, 202, 203, 204, 500, 501, 502]
    assert {r[2] for r in rows if r[0] >= 500} == {2.0} and {r[2] for r in rows if r[0] < 500} == {1.0}
    assert database.scalar("SELECT count(*) FROM s.events WHERE happened_at >= :start AND happened_at < :end",
                           start=window(1).start, end=window(1).end) == 3


def test_a_failing_check_rolls_back_and_leaves_the_old_rows(database):
    database.replace_window(EVENTS, events(0, range(5), 1.0), window(0), ddl=EVENTS_DDL)
    before = stored(database)
    seen = []

    def verify() -> list[Result]:
        seen.append(database.scalar("SELECT count(*) FROM s.events"))  # inside: the new rows are there
        return [Result("fine", True), Result("too_few", False)]

    with pytest.raises(ChecksFailed) as failed:
        database.replace_window(EVENTS, events(0, range(10, 12), 9.0), window(0), verify=verify, ddl=EVENTS_DDL)
    assert failed.value.names == ["too_few"] and [r.check_name for r in failed.value.results] == ["fine", "too_few"]
    assert seen == [2]
    assert stored(database) == before


def test_an_error_mid_load_rolls_back_and_a_passing_check_commits(database):
    database.replace_window(EVENTS, events(0, range(5), 1.0), window(0), ddl=EVENTS_DDL)
    before = stored(database)

    def broken() -> list:
        raise ConnectionResetError("load killed")

    with pytest.raises(ConnectionResetError):
        database.replace_window(EVENTS, events(0, range(10, 12), 9.0), window(0), verify=broken)
    assert stored(database) == before
    results = database.replace_window(EVENTS, events(0, range(10, 12), 9.0), window(0),
                                      verify=lambda: [Result("fine", True)])
    assert [r.check_name for r in results] == ["fine"] and [r[0] for r in stored(database)] == [10, 11]


def test_loads_inside_an_outer_transaction_commit_or_roll_back_together(database):
    database.replace_window(EVENTS, events(0, range(5), 1.0), window(0), ddl=EVENTS_DDL)
    before = stored(database)
    with pytest.raises(RuntimeError, match="late failure"):
        with database.transaction():
            database.replace_window(EVENTS, events(0, range(10, 12), 9.0), window(0))
            database.replace_window(EVENTS, events(1, range(20, 22), 9.0), window(1))
            assert database.scalar("SELECT count(*) FROM s.events") == 4
            raise RuntimeError("late failure")
    assert stored(database) == before and not database.in_transaction
    with database.transaction():
        database.replace_window(EVENTS, events(1, range(20, 22), 9.0), window(1))
    assert [r[0] for r in stored(database)] == [0, 1, 2, 3, 4, 20, 21]


def test_append_writes_every_table_or_none(database):
    for statement in [*EVENTS_DDL, "CREATE TABLE IF NOT EXISTS s.other (id INTEGER NOT NULL)"]:
        database.execute(statement)
    assert database.append([(EVENTS, events(0, range(3), 1.0)), ("s.other", pa.table({"id": [1, 2]}))]) == 5
    with pytest.raises(Exception):  # noqa: B017 - DuckDB and psycopg raise their own NOT NULL errors
        database.append([(EVENTS, events(0, range(10, 13), 1.0)),
                         ("s.other", pa.table({"id": pa.array([3, None], pa.int64())}))])
    assert [r[0] for r in stored(database)] == [0, 1, 2]
    assert database.scalar("SELECT count(*) FROM s.other") == 2
    assert database.append([(EVENTS, events(0, range(0), 1.0))]) == 0  # an empty batch is fine


# --- the guard ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["postgresql://app@127.0.0.1:1/production",
                                 "postgresql://app@127.0.0.1:1/synth_test?dbname=production"])
def test_the_guard_refuses_an_unsafe_url_before_connecting(monkeypatch, tmp_path, url):
    attempts = []
    monkeypatch.setattr(database_guard.psycopg, "connect", lambda *a, **k: attempts.append(a) or 1 / 0)
    with pytest.raises(UnsafeDatabaseError):
        with open_database(url, tmp_path / "unused.duckdb"):
            pass
    with pytest.raises(UnsafeDatabaseError):
        connect_postgres(url, autocommit=False)
    assert attempts == [] and not (tmp_path / "unused.duckdb").exists()


def test_a_safe_url_connects_and_checks_the_database_it_reached(fresh_database):
    with open_database(fresh_database, None) as database:
        assert database.kind == "postgres" and database.description == "PostgreSQL"
        assert database.scalar("SELECT current_database()").endswith("_test")
        assert database.connection.autocommit


# --- types -------------------------------------------------------------------------------------------

AWKWARD_TEXT = ["plain", "", 'quote " and \\ backslash', "comma, semicolon; tab\t", "line\nbreak\r\n", "NULL",
                "\\N", "ünïcødé ✓ 漢字", "{braces}"]
FLOATS = [0.1 + 0.2, 1e-300, 1.7976931348623157e308, -0.0, 5e-324, 2 / 3, 123456789.12345679, 0.0]
COLUMNS = {  # name: (DuckDB type, PostgreSQL type) -- every type of the content and stream tables
    "id": ("UUID", "UUID"), "name": ("VARCHAR", "VARCHAR(255)"), "body": ("VARCHAR", "TEXT"),
    "doc": ("JSON", "JSONB"), "tags": ("VARCHAR[]", "VARCHAR(64)[]"), "score": ("DOUBLE", "DOUBLE PRECISION"),
    "flag": ("BOOLEAN", "BOOLEAN"), "at": ("TIMESTAMPTZ", "TIMESTAMPTZ"), "n": ("INTEGER", "INTEGER"),
    "maybe_id": ("UUID", "UUID"), "maybe_at": ("TIMESTAMPTZ", "TIMESTAMPTZ"), "maybe_text": ("VARCHAR", "TEXT"),
}


def every_type() -> pa.Table:
    n = len(AWKWARD_TEXT)
    ids = [str(uuid.UUID(int=i * 2**100 + i)) for i in range(n)]
    docs = [json.dumps({"k": text, "n": i, "nested": {"list": [1, 2.5, None]}}) for i, text in enumerate(AWKWARD_TEXT)]
    tags = [[], ["a"], ['q"uote', "back\\slash", "com,ma"], ["{x}", "NULL", "sp ace"], ["ü", ""]] * 2
    ats = [datetime(2025, 3, 9, 6, 59, 59, 999_999, tzinfo=timezone.utc) + timedelta(hours=7 * i, microseconds=i)
           for i in range(n)]
    return pa.table({
        "id": pa.array(ids, pa.large_string()), "name": pa.array(AWKWARD_TEXT, pa.large_string()),
        "body": pa.array(AWKWARD_TEXT[::-1], pa.string()), "doc": pa.array(docs, pa.large_string()),
        "tags": pa.array(tags[:n], pa.large_list(pa.large_string())),
        "score": pa.array((FLOATS * 2)[:n], pa.float64()), "flag": pa.array([i % 2 == 0 for i in range(n)]),
        "at": pa.array(ats, AT), "n": pa.array([2**31 - 1, -(2**31), 0, 7, 1, 2, 3, 4, 5][:n], pa.int64()),
        "maybe_id": pa.array([ids[i] if i % 3 else None for i in range(n)], pa.large_string()),
        "maybe_at": pa.array([ats[i] if i % 2 else None for i in range(n)], AT),
        "maybe_text": pa.array([None if i % 2 else AWKWARD_TEXT[i] for i in range(n)], pa.large_string()),
    })


def normalised(row: tuple) -> tuple:
    """One read-back row as Python values comparable with the Arrow input."""
    out = []
    for name, value in zip(COLUMNS, row):
        if isinstance(value, uuid.UUID):
            value = str(value)
        elif name == "doc":
            value = json.loads(value) if isinstance(value, str) else value
        elif isinstance(value, datetime):
            value = value.astimezone(timezone.utc)
        out.append(value)
    return tuple(out)


def test_every_column_type_round_trips_exactly(database):
    which = 0 if database.kind == "duckdb" else 1
    columns = ", ".join(f"{quoted(name)} {types[which]}" for name, types in COLUMNS.items())
    database.execute("CREATE SCHEMA IF NOT EXISTS s")
    database.execute(f"CREATE TABLE s.every_type ({columns})")
    table = every_type()
    assert database.append([("s.every_type", table)]) == table.num_rows
    query = f"SELECT {', '.join(quoted(c) for c in COLUMNS)} FROM s.every_type ORDER BY n"
    if database.kind == "duckdb":
        rows = database.connection.execute(query).fetchall()
    else:
        with database.connection.cursor() as cursor:
            rows = cursor.execute(query).fetchall()
    expected = sorted((tuple(json.loads(v) if c == "doc" else v for c, v in r.items()) for r in table.to_pylist()),
                      key=lambda r: r[8])
    got = [normalised(r) for r in rows]
    assert got == expected
    assert all(math.copysign(1, g[5]) == math.copysign(1, e[5]) for g, e in zip(got, expected))  # -0.0 too


def test_copy_errors_roll_the_batch_back(fresh_database):
    with open_database(fresh_database, None) as database:
        database.execute("CREATE TABLE t (n INTEGER NOT NULL)")
        with pytest.raises(psycopg.errors.NotNullViolation):
            database.append([("t", pa.table({"n": [1, 2]})), ("t", pa.table({"n": pa.array([3, None])}))])
        assert database.scalar("SELECT count(*) FROM t") == 0
