"""Binary COPY: the vectorised encoder against a row-by-row reference written from the format's spec,
and against a real PostgreSQL server (the same rows loaded in binary and as CSV read back equal)."""

from __future__ import annotations

import json
import math
import struct
import uuid
from datetime import date, datetime, timedelta, timezone

import psycopg
import pyarrow as pa
import pytest

from synth_assets.core import pg_binary
from synth_assets.core.pg_binary import ColumnType, encode_rows, encoder_for
from synth_assets.core.postgres import _binary_encoders, connect, copy_arrow

_PG_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
_VARCHAR_OID, _TEXT_OID = 1043, 25

TEXTS = ["plain", 'with "quotes"', "back\\slash", "new\nline", "unicodé ✓ 🐘 中文", "", None, "\\N", "{braces}"]


def _sample() -> tuple[pa.Table, dict[str, ColumnType], str]:
    """Every supported (Arrow type, PostgreSQL type) pair, with NULLs, empty and NULL lists, NULL elements."""
    n = len(TEXTS)
    ids = [uuid.UUID(int=(i * 0x9E3779B97F4A7C15) % (1 << 128)) for i in range(n)]
    base = datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone.utc)  # before PostgreSQL's epoch too
    table = pa.table({
        "id_text": pa.array([None if i == 2 else str(u) for i, u in enumerate(ids)]),
        "id_bin": pa.array([u.bytes for u in ids], pa.binary(16)),
        "name": pa.array(TEXTS, pa.large_string()),
        "label": pa.array(TEXTS, pa.string()),
        "doc": pa.array([None if t is None else json.dumps({"t": t, "i": i}, ensure_ascii=i % 2 == 0)
                         for i, t in enumerate(TEXTS)]),
        "doc_json": pa.array([json.dumps([i, "x"]) for i in range(n)]),
        "at": pa.array([None if i == 4 else base + timedelta(days=400 * i, microseconds=7919 * i) for i in range(n)],
                       pa.timestamp("us", "UTC")),
        "at_ms": pa.array([base + timedelta(hours=i) for i in range(n)], pa.timestamp("ms", "Europe/Paris")),
        "naive": pa.array([datetime(2020, 3, 29, 1, 30) + timedelta(minutes=i) for i in range(n)],
                          pa.timestamp("us")),
        "day": pa.array([date(1970, 1, 1) + timedelta(days=5000 * i) for i in range(n)], pa.date32()),
        "flag": pa.array([None if i % 4 == 3 else i % 2 == 0 for i in range(n)]),
        "small": pa.array([-(2 ** 15), 2 ** 15 - 1, 0, None, 1, 2, 3, 4, 5], pa.int64()),
        "count": pa.array([i * 1000 - 3000 for i in range(n)], pa.int32()),
        "big": pa.array([-(2 ** 63), 2 ** 63 - 1, None, 0, 1, 2, 3, 4, 5], pa.int64()),
        "score": pa.array([None, math.inf, -math.inf, 0.0, -0.0, 1e-300, 1 / 3, 2.5, 1e300]),
        "ratio": pa.array([0.5 * i for i in range(n)], pa.float32()),
        "tags": pa.array([["a", "b"], [], None, ["", None, "x y"], ["中文"], [], ["q"], ["NULL"], ["{", "}"]],
                         pa.list_(pa.string())),
        "words": pa.array([["w"] * (i % 3) for i in range(n)], pa.large_list(pa.large_string())),
    })
    types = {
        "id_text": ColumnType("uuid"), "id_bin": ColumnType("uuid"), "name": ColumnType("text"),
        "label": ColumnType("varchar"), "doc": ColumnType("jsonb"), "doc_json": ColumnType("json"),
        "at": ColumnType("timestamptz"), "at_ms": ColumnType("timestamptz"), "naive": ColumnType("timestamp"),
        "day": ColumnType("date"), "flag": ColumnType("bool"), "small": ColumnType("int2"),
        "count": ColumnType("int4"), "big": ColumnType("int8"), "score": ColumnType("float8"),
        "ratio": ColumnType("float4"), "tags": ColumnType("_varchar", _VARCHAR_OID, "varchar"),
        "words": ColumnType("_text", _TEXT_OID, "text"),
    }
    ddl = ("CREATE TABLE t (id_text uuid, id_bin uuid, name text, label varchar(64), doc jsonb, doc_json json, "
           "at timestamptz, at_ms timestamptz, naive timestamp, day date, flag boolean, small smallint, "
           "count integer, big bigint, score double precision, ratio real, tags varchar(64)[], words text[])")
    return table, types, ddl


# --- a reference encoder, one row and one value at a time, from the format's description ---------------

def _field(payload: bytes | None) -> bytes:
    return struct.pack(">i", -1) if payload is None else struct.pack(">i", len(payload)) + payload


def _reference_value(value, column: ColumnType) -> bytes | None:
    if value is None:
        return None
    name = column.typname
    if name == "uuid":
        return value if isinstance(value, bytes) else uuid.UUID(value).bytes
    if name in ("text", "varchar", "json"):
        return value.encode()
    if name == "jsonb":
        return b"\x01" + value.encode()
    if name in ("timestamptz", "timestamp"):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        delta = moment - _PG_EPOCH
        return struct.pack(">q", (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)
    if name == "date":
        return struct.pack(">i", (value - date(2000, 1, 1)).days)
    if name == "bool":
        return b"\x01" if value else b"\x00"
    if name in ("int2", "int4", "int8", "float4", "float8"):
        return struct.pack(">" + {"int2": "h", "int4": "i", "int8": "q", "float4": "f", "float8": "d"}[name], value)
    if name.startswith("_"):
        if not value:
            return struct.pack(">iii", 0, 0, column.element_oid)
        has_null = 1 if any(v is None for v in value) else 0
        body = b"".join(_field(None if v is None else v.encode()) for v in value)
        return struct.pack(">iiiii", 1, has_null, column.element_oid, len(value), 1) + body
    raise AssertionError(name)


def _reference_rows(table: pa.Table, types: dict[str, ColumnType]) -> bytes:
    rows = table.to_pylist()
    out = []
    for row in rows:
        fields = [_field(_reference_value(row[name], types[name])) for name in table.column_names]
        out.append(struct.pack(">h", len(fields)) + b"".join(fields))
    return b"".join(out)


def _encoded(table: pa.Table, types: dict[str, ColumnType]) -> bytes:
    encoders = [encoder_for(field.type, types[field.name]) for field in table.schema]
    assert all(encoders), [f.name for f, e in zip(table.schema, encoders) if e is None]
    return bytes(encode_rows([encode(column.combine_chunks()) for encode, column in zip(encoders, table.columns)]))


def test_encoder_matches_the_row_by_row_reference():
    table, types, _ = _sample()
    assert _encoded(table, types) == _reference_rows(table, types)


def test_encoder_handles_sliced_batches():
    table, types, _ = _sample()
    part = table.slice(3, 4)
    assert _encoded(part, types).startswith(struct.pack(">h", table.num_columns))
    assert _encoded(part, types) == _reference_rows(part, types)


@pytest.mark.parametrize("arrow_type, column", [
    (pa.string(), ColumnType("numeric")),            # no binary encoder: CSV
    (pa.int64(), ColumnType("text")),                # would be a type mismatch in binary
    (pa.timestamp("us"), ColumnType("timestamptz")),  # naive into zoned: CSV reads it in the session zone
    (pa.float64(), ColumnType("int8")),
    (pa.list_(pa.int64()), ColumnType("_int8", 20, "int8")),
])
def test_pairs_without_a_binary_encoder_fall_back(arrow_type, column):
    assert encoder_for(arrow_type, column) is None


def test_bad_uuid_text_is_a_clear_error():
    with pytest.raises(ValueError, match="32 hex digits"):
        pg_binary._uuid_from_text(pa.array(["not-a-uuid"]))


# --- against PostgreSQL ----------------------------------------------------------------------------------

def _read(conn, order: str = "big NULLS FIRST, count") -> list[tuple]:
    return conn.execute(f"SELECT * FROM t ORDER BY {order}").fetchall()


def test_binary_and_csv_load_the_same_values(fresh_database):
    table, _, ddl = _sample()
    with connect(fresh_database) as conn:
        conn.execute(ddl)
        with conn.cursor() as cur:
            assert _binary_encoders(cur, "t", table.schema) is not None  # the binary path is the one taken
            copy_arrow(cur, "t", table, batch_rows=4)
        binary_rows = _read(conn)
        conn.execute("TRUNCATE t")
        with conn.cursor() as cur:
            copy_arrow(cur, "t", table, batch_rows=4, binary=False)
        csv_rows = _read(conn)
    assert len(binary_rows) == table.num_rows
    assert binary_rows == csv_rows
    by_count = {row[12]: row for row in binary_rows}
    assert by_count[-3000][6] == datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone.utc)
    assert by_count[0][16] == ["", None, "x y"] and by_count[-2000][16] == []


def test_a_table_needing_csv_still_loads(fresh_database):
    with connect(fresh_database) as conn:
        conn.execute("CREATE TABLE t (amount numeric, big bigint, count int)")
        table = pa.table({"amount": pa.array(["1.50", None]), "big": pa.array([1, 2]), "count": [1, 2]})
        with conn.cursor() as cur:
            assert _binary_encoders(cur, "t", table.schema) is None
            copy_arrow(cur, "t", table)
        assert [str(r[0]) if r[0] is not None else None for r in _read(conn)] == ["1.50", None]


def test_a_value_out_of_the_column_range_loads_nothing(fresh_database):
    with connect(fresh_database) as conn:
        conn.execute("CREATE TABLE t (small smallint, big bigint, count int)")
        conn.commit()
        too_big = pa.table({"small": pa.array([1, 2 ** 15], pa.int64())})
        with pytest.raises(pa.ArrowInvalid), conn.transaction(), conn.cursor() as cur:
            copy_arrow(cur, "t", too_big)
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0


def test_binary_copy_is_checked_by_the_server(fresh_database):
    """A column whose catalogue type changed between the lookup and the COPY is refused, not misread."""
    with connect(fresh_database) as conn:
        conn.execute("CREATE TABLE t (big bigint, count int)")
        table = pa.table({"count": pa.array([1, 2], pa.int32())})
        with conn.cursor() as cur:
            encoders = _binary_encoders(cur, "t", table.schema)
        assert encoders is not None
        conn.execute("ALTER TABLE t ALTER count TYPE bigint")  # int4 payloads no longer fit the column
        from psycopg import sql
        with pytest.raises(psycopg.errors.Error), conn.cursor() as cur:
            with cur.copy(sql.SQL("COPY t (count) FROM STDIN (FORMAT binary)")) as copy:
                copy.write(pg_binary.SIGNATURE)
                copy.write(encode_rows([encoders[0](table.column(0).combine_chunks())]))
                copy.write(pg_binary.TRAILER)


def test_edge_inputs_review():
    """Inputs that broke a first version: a NULL list backed by values, a float too big for ``real``,
    brace-wrapped uuids, nanosecond timestamps (left to CSV, which rounds them as the server does)."""
    values = pa.array(["a", "b", "c", "d"])
    lists = pa.ListArray.from_arrays(pa.array([0, 2, 3, 4], pa.int32()), values,
                                     mask=pa.array([False, True, False]))
    column = ColumnType("_text", _TEXT_OID, "text")
    encoded = bytes(encode_rows([encoder_for(lists.type, column)(lists)]))
    reference = _reference_rows(pa.table({"words": lists}), {"words": column})
    assert encoded == reference and lists.to_pylist() == [["a", "b"], None, ["d"]]
    with pytest.raises(ValueError, match="out of range"):
        encoder_for(pa.float64(), ColumnType("float4"))(pa.array([1.0, 1e300]))
    assert encoder_for(pa.float64(), ColumnType("float4"))(pa.array([math.inf, 0.1])) is not None  # inf stays inf
    braces = pa.array(["{" + str(uuid.UUID(int=7)) + "}"])
    assert bytes(encode_rows([encoder_for(braces.type, ColumnType("uuid"))(braces)]))[-16:] == uuid.UUID(int=7).bytes
    assert encoder_for(pa.timestamp("ns", "UTC"), ColumnType("timestamptz")) is None


@pytest.mark.parametrize("arrow_type", [pa.string(), pa.large_string(), pa.string_view()])
def test_canonical_uuid_text_without_nulls_is_read_as_one_matrix(arrow_type):
    """Every value valid: the data buffer is read as an (n, 36) matrix, from the slice's first offset on."""
    texts = [str(uuid.UUID(int=(i * 0x9E3779B97F4A7C15) % (1 << 128))) for i in range(1, 40)]
    column = pa.array([t.upper() if i % 3 == 0 else t for i, t in enumerate(texts)], arrow_type).slice(5, 30)
    fast = pg_binary._uuid_bytes_of_canonical(column, pg_binary._valid(column))
    assert [bytes(row) for row in fast] == [uuid.UUID(t).bytes for t in column.to_pylist()]
    broken = pa.array(texts[:3] + [texts[3][:9] + "g" + texts[3][10:]], arrow_type)  # not a hex digit
    assert pg_binary._uuid_bytes_of_canonical(broken, pg_binary._valid(broken)) is None


def test_canonical_uuid_text_read_from_the_buffers_equals_the_general_path():
    texts = [str(uuid.UUID(int=(i * 0x9E3779B97F4A7C15) % (1 << 128))) for i in range(1, 40)]
    column = pa.array([t.upper() if i % 3 == 0 else None if i % 7 == 0 else t for i, t in enumerate(texts)],
                      pa.large_string()).slice(3)  # either case, NULLs, an offset into the buffers
    valid = pg_binary._valid(column)
    fast = pg_binary._uuid_bytes_of_canonical(column, valid)
    assert fast is not None
    assert [bytes(row) for row, ok in zip(fast, valid) if ok] == \
           [uuid.UUID(t).bytes for t in column.to_pylist() if t is not None]
    assert pg_binary._uuid_bytes_of_canonical(pa.array(["{" + texts[0] + "}"]), valid[:1]) is None  # general path
    braces = pa.array(["{" + texts[0] + "}", texts[1]])
    assert bytes(encode_rows([pg_binary._uuid_from_text(braces)])) == \
           bytes(encode_rows([pg_binary._uuid_from_text(pa.array([texts[0], texts[1]]))]))
