"""The PostgreSQL guard, COPY loader and DDL, against a real throw-away server (no mocks).

Needs the ``synth_assets_tests.postgres_fixture`` plugin (root conftest ``pytest_plugins`` or
``-p synth_assets_tests.postgres_fixture``).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import numpy as np
import psycopg
import pyarrow as pa
import pytest
import sqlalchemy as sa

from synth_assets.content import models
from synth_assets.core.postgres import (
    UnsafeDatabaseError,
    check_database_url,
    connect,
    copy_arrow,
    create_engine,
    create_schema,
    psycopg_conninfo,
    sqlalchemy_url,
)

# --- the guard ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url, name", [
    ("postgresql://postgres@localhost:5432/synth_demo", "synth_demo"),
    ("postgresql+psycopg://u:p@db.example/synth_test", "synth_test"),
    ("postgres://u@h/a_b_test?sslmode=require", "a_b_test"),
    ("postgresql:///local_demo", "local_demo"),
])
def test_safe_names_are_accepted(url, name):
    assert check_database_url(url) == name


@pytest.mark.parametrize("url", [
    "postgresql://u@h/prod",
    "postgresql://u@h/synth",
    "postgresql://u@h/mytest",
    "postgresql://u@h/test_demo_x",
    "postgresql://u@h/_test",
    "postgresql://u@h/SYNTH_TEST",
    "postgresql://u@h",
    "postgresql://u@h/",
    "postgresql://u@h/synth_test?dbname=prod",
])
def test_unsafe_names_are_refused_with_the_reason(url):
    with pytest.raises(UnsafeDatabaseError) as error:
        check_database_url(url)
    message = str(error.value)
    assert "deletes and rewrites tables" in message and "_demo" in message and "_test" in message
    assert isinstance(error.value, ValueError)


def test_refusal_names_the_database_and_hides_the_password():
    with pytest.raises(UnsafeDatabaseError, match="'prod'") as error:
        check_database_url("postgresql://admin:s3cret@h/prod")
    assert "s3cret" not in str(error.value)
    with pytest.raises(UnsafeDatabaseError, match="no database") as error:
        check_database_url("postgresql://admin:s3cret@h")
    assert "s3cret" not in str(error.value)


def test_non_postgres_urls_are_rejected():
    for url in ("sqlite:///x_test", "mysql://u@h/x_test", "not a url"):
        with pytest.raises(ValueError):
            check_database_url(url)


def test_refusal_happens_before_any_connection():
    # 10.255.255.1 is unroutable: a connection attempt would hang until a timeout.
    unsafe = "postgresql://postgres@10.255.255.1:5432/prod"
    begun = time.perf_counter()
    with pytest.raises(UnsafeDatabaseError):
        connect(unsafe, connect_timeout=30)
    with pytest.raises(UnsafeDatabaseError):
        create_engine(unsafe)
    with pytest.raises(UnsafeDatabaseError):
        check_database_url(unsafe)
    assert time.perf_counter() - begun < 1.0


def test_conninfo_and_sqlalchemy_url():
    conninfo = psycopg_conninfo("postgresql+psycopg://us%40er:p%20w@db:6543/x_test?sslmode=disable")
    parsed = psycopg.conninfo.conninfo_to_dict(conninfo)
    assert parsed == {"host": "db", "port": "6543", "user": "us@er", "password": "p w", "dbname": "x_test",
                      "sslmode": "disable"}
    assert sqlalchemy_url("postgres://u@h/x_demo").drivername == "postgresql+psycopg"


def test_connect_works_on_a_safe_database(postgres_url):
    with connect(postgres_url) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "synth_test"
        assert conn.execute("SHOW server_encoding").fetchone()[0] == "UTF8"


# --- COPY ---------------------------------------------------------------------------------------

SCRATCH_DDL = """
CREATE TABLE scratch (
    id uuid PRIMARY KEY,
    at timestamptz NOT NULL,
    doc jsonb NOT NULL,
    tags text[] NOT NULL,
    flag boolean,
    score double precision,
    note text,
    n bigint CHECK (n >= 0)
)"""

AWKWARD_STRINGS = ['plain', 'with "quotes"', "comma, comma", "back\\slash", "\\N", "NULL", "new\nline",
                   "cr\r\nlf", "tab\there", "unicodé ✓ 🐘 中文", "", None, " leading space", '"', ",", "\\",
                   "'single'", "{braces}"]
AWKWARD_TAGS = [["a,b"], ['"q"'], ["back\\slash"], [], ["NULL", ""], ["x", "y z", "ü"], ["{", "}"],
                ["\\\"mixed\\\""], ["a"] * 3, ["new\nline"], ["tab\t"], ["plain"], ["🐘"], [], ["comma,"],
                ['"'], ["\\"], ["last"]]


def _awkward_table() -> pa.Table:
    n = len(AWKWARD_STRINGS)
    base = datetime(2025, 5, 1, 12, 0, tzinfo=timezone.utc)
    ids = [uuid.uuid4() for _ in range(n)]
    docs = [json.dumps({"i": i, "s": s, "nested": {"list": [1, 2.5, None, True]}}, ensure_ascii=i % 2 == 0)
            for i, s in enumerate(AWKWARD_STRINGS)]
    return pa.table({
        "id": pa.array([u.bytes for u in ids], pa.binary(16)),
        "at": pa.array([base + timedelta(days=i, microseconds=i * 7919) for i in range(n)],
                       pa.timestamp("us", "America/New_York")),
        "doc": pa.array(docs, pa.string()),
        "tags": pa.array(AWKWARD_TAGS, pa.list_(pa.string())),
        "flag": pa.array([None if i % 5 == 4 else i % 2 == 0 for i in range(n)], pa.bool_()),
        "score": pa.array([None if i == 3 else i / 3 for i in range(n)], pa.float64()),
        "note": pa.array(AWKWARD_STRINGS, pa.string()),
        "n": pa.array(list(range(n)), pa.int64()),
    })


def _read_scratch(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("SELECT id, at, doc, tags, flag, score, note, n FROM scratch ORDER BY n").fetchall()


def _expected_rows(table: pa.Table) -> list[tuple]:
    d = table.to_pydict()
    return [(uuid.UUID(bytes=d["id"][i]), d["at"][i], json.loads(d["doc"][i]), d["tags"][i], d["flag"][i],
             d["score"][i], d["note"][i], d["n"][i]) for i in range(table.num_rows)]


def test_copy_round_trip_preserves_awkward_values(fresh_database):
    table = _awkward_table()
    with connect(fresh_database) as conn:
        conn.execute(SCRATCH_DDL)
        with conn.cursor() as cur:
            assert copy_arrow(cur, "public.scratch", table, batch_rows=4) == table.num_rows
        conn.commit()
        rows = _read_scratch(conn)
        assert rows == _expected_rows(table)
        # empty string and NULL stay apart, in text and inside arrays
        assert conn.execute("SELECT count(*) FROM scratch WHERE note = ''").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM scratch WHERE note IS NULL").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM scratch WHERE note = '\\N'").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM scratch WHERE cardinality(tags) = 0").fetchone()[0] == 2
        assert conn.execute("SELECT tags FROM scratch WHERE 'NULL' = ANY(tags)").fetchone()[0] == ["NULL", ""]


def test_copy_string_uuids_numeric_lists_and_null_elements(fresh_database):
    ids = [uuid.uuid4() for _ in range(3)]
    table = pa.table({
        "id": pa.array([str(u) for u in ids]),
        "at": pa.array(["2025-05-01T12:00:00+00:00", "2025-06-01 00:00:00-04", "2025-07-01T00:00:00Z"]),
        "doc": pa.array(['{"a": 1}', "[]", '"just a string"']),
        "tags": pa.array([["x", None], None, ["y"]], pa.large_list(pa.large_string())),
        "n": pa.array([1, 2, 3], pa.int32()),
    }).cast(pa.schema([("id", pa.string()), ("at", pa.string()), ("doc", pa.string()),
                       ("tags", pa.large_list(pa.large_string())), ("n", pa.int32())]))
    with connect(fresh_database) as conn:
        conn.execute("CREATE TABLE t (id uuid, at timestamptz, doc jsonb, tags text[], n int,"
                     " nums double precision[] DEFAULT NULL)")
        with conn.cursor() as cur:
            copy_arrow(cur, "t", table)
            copy_arrow(cur, "t", pa.table({"n": pa.array([4, 5]),
                                           "nums": pa.array([[1.5, None, float("inf")], []])}))
        rows = conn.execute("SELECT id, at, doc, tags, n, nums FROM t ORDER BY n").fetchall()
    assert [r[0] for r in rows[:3]] == ids
    assert rows[0][1] == datetime(2025, 5, 1, 12, tzinfo=timezone.utc)
    assert rows[1][1] == datetime(2025, 6, 1, 4, tzinfo=timezone.utc)
    assert [r[2] for r in rows[:3]] == [{"a": 1}, [], "just a string"]
    assert [r[3] for r in rows[:3]] == [["x", None], None, ["y"]]
    assert rows[3][5] == [1.5, None, float("inf")] and rows[4][5] == []


def test_failed_copy_rolls_back_and_keeps_committed_rows(fresh_database):
    good = _awkward_table()
    with connect(fresh_database) as conn:
        conn.execute(SCRATCH_DDL)
        with conn.cursor() as cur:
            copy_arrow(cur, "scratch", good)
        conn.commit()

        # A reseed: delete everything, then COPY new rows, the last of which breaks the CHECK on n.
        bad = _awkward_table().set_column(7, "n", pa.array([100 + i for i in range(good.num_rows - 1)] + [-1]))
        with pytest.raises(psycopg.errors.CheckViolation):
            with conn.transaction():
                conn.execute("DELETE FROM scratch")
                with conn.cursor() as cur:
                    copy_arrow(cur, "scratch", bad, batch_rows=5)
        # NOT NULL violated in the middle of a later batch
        missing_at = _awkward_table().set_column(
            1, "at", pa.array([None] * good.num_rows, pa.timestamp("us", "UTC")))
        with pytest.raises(psycopg.errors.NotNullViolation):
            with conn.transaction():
                conn.execute("DELETE FROM scratch")
                with conn.cursor() as cur:
                    copy_arrow(cur, "scratch", missing_at)
        assert _read_scratch(conn) == _expected_rows(good)


def test_copy_rejects_unsupported_types_and_bad_names(fresh_database):
    with connect(fresh_database) as conn:
        conn.execute("CREATE TABLE t (d interval)")
        with pytest.raises(TypeError), conn.cursor() as cur:
            copy_arrow(cur, "t", pa.table({"d": pa.array([timedelta(seconds=1)])}))
        conn.rollback()
        with pytest.raises(ValueError), conn.cursor() as cur:
            copy_arrow(cur, "a.b.c", pa.table({"d": pa.array([1])}))


# --- DDL ------------------------------------------------------------------------------------------

def _user_row(user_id: uuid.UUID, name: str) -> dict:
    now = datetime(2025, 5, 1, tzinfo=timezone.utc)
    return dict(id=user_id, username=name, email=f"{name}@example.com", created_at=now, updated_at=now,
                is_active=True, preferences={"theme": "dark"})


def _item_row(item_id: uuid.UUID, creator: uuid.UUID) -> dict:
    now = datetime(2025, 5, 1, tzinfo=timezone.utc)
    return dict(id=item_id, title="t", content_type="image", content_data="/img/x.png", prompt="p",
                item_metadata={}, creator_id=creator, tags=["a"], quality_score=0.5, is_private=False,
                created_at=now, updated_at=now)


def test_create_schema_builds_the_content_tables(fresh_database):
    engine = create_engine(fresh_database)
    try:
        with engine.begin() as conn:
            create_schema(conn, models.metadata)
        with engine.begin() as conn:
            create_schema(conn, models.metadata)  # idempotent
            tables = {r[0] for r in conn.execute(sa.text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'content'"))}
            assert tables == set(models.LOAD_ORDER)
            constraints = {(r.table, r.name): (r.type, r.deferrable, r.deferred, r.target)
                           for r in conn.execute(sa.text("""
                SELECT c.conrelid::regclass::text AS table, c.conname AS name, c.contype AS type,
                       c.condeferrable AS deferrable, c.condeferred AS deferred,
                       c.confrelid::regclass::text AS target
                FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                WHERE n.nspname = 'content'"""))}
            columns = {(r[0], r[1]): r[2] for r in conn.execute(sa.text(
                "SELECT table_name, column_name, udt_name FROM information_schema.columns "
                "WHERE table_schema = 'content'"))}
    finally:
        engine.dispose()

    fks = {key: value for key, value in constraints.items() if value[0] == "f"}
    assert fks == {
        ("content.content_items", "fk_content_items_creator"): ("f", True, True, "content.users"),
        ("content.content_items_auto", "fk_content_items_auto_creator"): ("f", True, True, "content.users"),
        ("content.generation_jobs", "fk_jobs_user"): ("f", True, True, "content.users"),
        ("content.generation_jobs", "fk_jobs_content"): ("f", True, True, "content.content_items"),
        ("content.generation_jobs", "fk_jobs_auto_content"): ("f", True, True, "content.content_items_auto"),
    }
    uniques = {key for key, value in constraints.items() if value[0] == "u"}
    assert uniques == {("content.users", "uq_users_username"), ("content.users", "uq_users_email"),
                       ("content.generation_jobs", "uq_jobs_content_id"),
                       ("content.generation_jobs", "uq_jobs_auto_content_id")}
    assert {key[0] for key, value in constraints.items() if value[0] == "p"} == {
        f"content.{t}" for t in models.LOAD_ORDER}
    assert ("content.generation_jobs", "ck_jobs_status") in constraints
    assert columns[("users", "id")] == "uuid"
    assert columns[("users", "preferences")] == "jsonb"
    assert columns[("content_items", "tags")] == "_varchar"
    assert columns[("content_items", "created_at")] == "timestamptz"


def test_deferrable_foreign_keys_allow_parent_rewrite_but_catch_dangling_children(fresh_database):
    engine = create_engine(fresh_database)
    users, items = models.users, models.content_items
    alice, item = uuid.uuid4(), uuid.uuid4()
    try:
        with engine.begin() as conn:
            create_schema(conn, models.metadata)
            conn.execute(users.insert(), [_user_row(alice, "alice")])
            conn.execute(items.insert(), [_item_row(item, alice)])

        # Reseed the parent: DELETE + re-INSERT inside one transaction; FK is checked at COMMIT.
        with engine.begin() as conn:
            conn.execute(users.delete())
            conn.execute(users.insert(), [_user_row(alice, "alice2")])
        with engine.connect() as conn:
            assert conn.execute(sa.select(users.c.username)).scalar_one() == "alice2"

        # A child whose parent is gone: the statements succeed, COMMIT fails, nothing changes.
        conn = engine.connect()
        try:
            conn.begin()
            conn.execute(users.delete())
            conn.execute(items.insert(), [_item_row(uuid.uuid4(), uuid.uuid4())])
            with pytest.raises(sa.exc.IntegrityError) as error:
                conn.commit()
            assert isinstance(error.value.orig, psycopg.errors.ForeignKeyViolation)
        finally:
            conn.close()
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one() == 1
            assert conn.execute(sa.select(sa.func.count()).select_from(items)).scalar_one() == 1
    finally:
        engine.dispose()


def test_copy_arrow_into_content_tables(fresh_database):
    """COPY straight into the real schema: uuid, varchar[], jsonb, timestamptz from Arrow."""
    engine = create_engine(fresh_database)
    try:
        with engine.begin() as conn:
            create_schema(conn, models.metadata)
    finally:
        engine.dispose()
    now = datetime(2025, 5, 1, tzinfo=timezone.utc)
    user_ids = [uuid.uuid4() for _ in range(3)]
    users = pa.table({
        "id": pa.array([u.bytes for u in user_ids], pa.binary(16)),
        "username": ["a", "b", "c"], "email": ["a@x", "b@x", "c@x"],
        "created_at": pa.array([now] * 3, pa.timestamp("us", "UTC")),
        "updated_at": pa.array([now] * 3, pa.timestamp("us", "UTC")),
        "is_active": [True, False, True], "preferences": ['{"k": 1}', "{}", '{"tags": ["x"]}'],
    })
    with connect(fresh_database) as conn:
        with conn.cursor() as cur:
            assert copy_arrow(cur, "content.users", users) == 3
        conn.commit()
        assert conn.execute("SELECT id FROM content.users ORDER BY username").fetchall() == [
            (u,) for u in user_ids]


# --- throughput (printed, not asserted) ----------------------------------------------------------

def test_copy_throughput_one_million_rows(fresh_database, capsys):
    rows = 1_000_000
    rng = np.random.default_rng(7)
    base = np.datetime64("2025-05-01T00:00:00", "us").astype(np.int64)
    table = pa.table({
        "id": pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), rows,
                                                   [None, pa.py_buffer(rng.bytes(16 * rows))]),
        "created_at": pa.array(base + rng.integers(0, 10**13, rows), pa.timestamp("us", "UTC")),
        "score": pa.array(rng.random(rows)),
        "is_active": pa.array(rng.random(rows) < 0.5),
        "name": pa.array(np.char.add("user_", rng.integers(0, 10**9, rows).astype(str)).astype(object)),
        "tags": pa.ListArray.from_arrays(np.arange(0, 2 * rows + 1, 2, dtype=np.int32),
                                         pa.array(np.char.add("t", rng.integers(0, 2000, 2 * rows)
                                                              .astype(str)).astype(object))),
    })
    with connect(fresh_database) as conn:
        conn.execute("CREATE TABLE bench (id uuid, created_at timestamptz, score double precision,"
                     " is_active boolean, name text, tags text[])")
        begun = time.perf_counter()
        with conn.cursor() as cur:
            copied = copy_arrow(cur, "bench", table)
        conn.commit()
        seconds = time.perf_counter() - begun
        assert conn.execute("SELECT count(*) FROM bench").fetchone()[0] == rows == copied
    with capsys.disabled():
        print(f"\nCOPY {rows:,} rows x 6 columns: {seconds:.2f} s = {rows / seconds:,.0f} rows/s")


def test_copy_other_arrow_types(fresh_database):
    """Extension uuid/json types, dictionaries, structs, bytea, decimals, dates, times, nulls, no rows."""
    import decimal
    from datetime import date
    from datetime import time as clock
    u = uuid.uuid4()
    table = pa.table({
        "u": pa.array([u.bytes, None], pa.uuid()),
        "j": pa.array(['{"a": [1, "x"]}', None], pa.json_()),
        "s": pa.array([{"x": 1, "y": 'q"'}, None]),
        "cat": pa.array(["red", None]).dictionary_encode(),
        "b": pa.array([b"\x00\xff\\", b""]),
        "dec": pa.array([decimal.Decimal("12.345"), None], pa.decimal128(10, 3)),
        "d": pa.array([date(2025, 9, 21), None], pa.date64()),
        "tm": pa.array([clock(23, 59, 58, 123456), None]),
        "ts": pa.array([datetime(2025, 1, 2, 3, 4, 5, 678901), None], pa.timestamp("ns")),
        "f16": pa.array([np.float16(1.5), None], pa.float16()),
        "ints": pa.array([[1, None, -3], None], pa.list_(pa.int16())),
        "dtags": pa.array([["a", None, "a"], []], pa.list_(pa.dictionary(pa.int8(), pa.string()))),
        "nothing": pa.nulls(2),
    })
    with connect(fresh_database) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("CREATE TABLE t (u uuid, j jsonb, s jsonb, cat text, b bytea, dec numeric(10, 3), d date,"
                     " tm time, ts timestamptz, f16 real, ints smallint[], dtags text[], nothing text)")
        with conn.cursor() as cur:
            assert copy_arrow(cur, "t", table) == 2
            assert copy_arrow(cur, "t", table.slice(0, 0)) == 0
        rows = conn.execute("SELECT * FROM t").fetchall()
    assert rows[0] == (u, {"a": [1, "x"]}, {"x": 1, "y": 'q"'}, "red", b"\x00\xff\\", decimal.Decimal("12.345"),
                       date(2025, 9, 21), clock(23, 59, 58, 123456),
                       datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc), 1.5, [1, None, -3],
                       ["a", None, "a"], None)
    assert rows[1] == (None, None, None, None, b"", None, None, None, None, None, None, [], None)


def test_copy_polars_newest_layout(fresh_database):
    """Polars' own Arrow layout (string_view strings, categoricals as dictionary<string_view>, the content load's
    CompatLevel.newest()) is copied as the classic layout is: by the binary encoders, and by CSV when a
    column (the categorical) has no binary encoder."""
    import polars as pl

    u = uuid.uuid4()
    frame = pl.DataFrame({"id": [str(u), None], "name": ["a" * 20, None], "tags": [["x", None], []],
                          "cat": pl.Series(["red", None], dtype=pl.Categorical)})
    newest = frame.to_arrow(compat_level=pl.CompatLevel.newest())
    assert pa.types.is_string_view(newest.schema.field("name").type)
    expected = [(u, "a" * 20, ["x", None], "red"), (None, None, [], None)]
    with connect(fresh_database) as conn:
        conn.execute("CREATE TABLE binary_path (id uuid, name text, tags text[])")
        conn.execute("CREATE TABLE csv_path (id uuid, name text, tags text[], cat text)")
        with conn.cursor() as cur:
            assert copy_arrow(cur, "binary_path", newest.drop("cat")) == 2
            assert copy_arrow(cur, "csv_path", newest) == 2
        assert conn.execute("SELECT * FROM binary_path").fetchall() == [row[:3] for row in expected]
        assert conn.execute("SELECT * FROM csv_path").fetchall() == expected
