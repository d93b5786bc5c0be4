"""PostgreSQL helpers: a guard that only lets seeding touch throw-away databases, and a fast loader.

Seeding a PostgreSQL database deletes and rewrites whole tables, so every URL is judged *before*
anything connects, by the parameters libpq will really use, and the connected database is checked
again: see :mod:`synth_assets.core.database_guard`, whose API (:func:`check_database_url`,
:func:`psycopg_conninfo`, :func:`connect`, :func:`create_engine`, :func:`verify_connected_database`,
:func:`mask_url`, :class:`UnsafeDatabaseError`) is re-exported here.

:func:`copy_arrow` bulk-loads an Arrow table with ``COPY ... FROM STDIN``: in PostgreSQL's binary format
when every column has a binary encoder for its target type (:mod:`synth_assets.core.pg_binary`: text,
jsonb, uuid, timestamps, dates, numbers, bools, text arrays), else as CSV. For CSV, columns are
converted to PostgreSQL's text forms with vectorised Arrow and Polars kernels (no per-row Python),
each batch is rendered with :func:`pyarrow.csv.write_csv` and sent as one block.

Arrow type -> what CSV COPY receives:

* string / large_string / string_view / dictionary of those: the text as is (also for ``jsonb``
  columns, which receive the JSON text); ``struct`` columns are JSON-encoded;
* fixed_size_binary(16) and the ``arrow.uuid`` extension type: canonical ``8-4-4-4-12`` hex text;
* other binary: ``bytea`` hex form (``\\x0a1b...``);
* timestamp with a time zone: UTC text with a ``+00`` offset; a naive timestamp: text without an
  offset (a ``timestamptz`` column then reads it in the session's ``TimeZone``);
* bool, integers, floats (``nan``/``inf`` included), dates, times, decimals: Arrow's CSV text;
* list of strings / numbers / bools: a PostgreSQL array literal such as ``{"a","b \\"q\\""}``;
  an empty list gives ``{}`` and a null element ``NULL``;
* nulls anywhere (including the null type): SQL ``NULL``.

Arrow's CSV writer always quotes string values and never quotes nulls, and PostgreSQL never reads a
quoted field as NULL, so empty strings and NULLs stay apart whatever the text contains.
"""

from __future__ import annotations

import io

import polars as pl
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.schema import CreateSchema

from synth_assets.core import pg_binary
from synth_assets.core.concurrency import prefetched
from synth_assets.core.database_guard import (  # noqa: F401 - the guard's public API, re-exported
    POSTGRES_SCHEMES,
    SAFE_SUFFIXES,
    UnsafeDatabaseError,
    check_database_url,
    connect,
    create_engine,
    mask_url,
    psycopg_conninfo,
    sqlalchemy_url,
    verify_connected_database,
)

__all__ = ["POSTGRES_SCHEMES", "SAFE_SUFFIXES", "UnsafeDatabaseError", "check_database_url", "connect",
           "copy_arrow", "create_engine", "create_schema", "mask_url", "psycopg_conninfo", "sqlalchemy_url",
           "verify_connected_database"]

# Unquoted marker for NULL in the CSV stream; string values are always quoted, so no clash.
_NULL_MARKER = r"\N"
_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, quoting_style="needed", null_string=_NULL_MARKER,
                                   batch_size=8192)


# --- DDL ---------------------------------------------------------------------------------------------

def create_schema(connection: sa.Connection, metadata: sa.MetaData) -> None:
    """``CREATE SCHEMA IF NOT EXISTS`` for every schema of ``metadata``, then create missing tables.

    Runs on the caller's connection and does not commit; use ``engine.begin()`` or commit yourself.
    """
    schemas = {table.schema for table in metadata.tables.values()} | {metadata.schema}
    for schema in sorted(s for s in schemas if s):
        connection.execute(CreateSchema(schema, if_not_exists=True))
    metadata.create_all(connection, checkfirst=True)


# --- COPY ---------------------------------------------------------------------------------------------

def _is_string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _uuid_text(array: pa.Array) -> pa.Array:
    hexed = pl.from_arrow(array.cast(pa.binary())).bin.encode("hex")
    canonical = pl.select(pl.concat_str(
        [hexed.str.slice(0, 8), hexed.str.slice(8, 4), hexed.str.slice(12, 4), hexed.str.slice(16, 4),
         hexed.str.slice(20, 12)], separator="-")).to_series()
    return canonical.to_arrow().cast(pa.large_string())


def _bytea_text(array: pa.Array) -> pa.Array:
    hexed = pl.from_arrow(array.cast(pa.large_binary())).bin.encode("hex")
    return ("\\x" + hexed).to_arrow().cast(pa.large_string())


def _array_literal(array: pa.Array) -> pa.Array:
    value_type = array.type.value_type
    if isinstance(value_type, pa.BaseExtensionType):
        value_type = value_type.storage_type
    element = pl.element()
    if _is_string(value_type) or pa.types.is_dictionary(value_type):
        text = element.cast(pl.String)
        rendered = (pl.lit('"') + text.str.replace_all("\\", "\\\\", literal=True)
                    .str.replace_all('"', '\\"', literal=True) + pl.lit('"'))
    elif (pa.types.is_integer(value_type) or pa.types.is_floating(value_type)
          or pa.types.is_boolean(value_type)):
        rendered = element.cast(pl.String)  # floats give "NaN"/"inf"/"-inf", which PostgreSQL reads
    else:
        raise TypeError(f"cannot COPY a list of {value_type} (only strings, numbers and bools)")
    series = pl.from_arrow(array.cast(pa.large_list(array.type.value_type)))
    literal = "{" + series.list.eval(pl.when(element.is_null()).then(pl.lit("NULL"))
                                     .otherwise(rendered)).list.join(",") + "}"
    return literal.to_arrow().cast(pa.large_string())


def _json_text(array: pa.Array) -> pa.Array:
    series = pl.from_arrow(array)
    # json_encode turns a null struct into the JSON text 'null'; keep it SQL NULL instead
    encoded = pl.select(pl.when(series.is_null()).then(None).otherwise(series.struct.json_encode()))
    return encoded.to_series().to_arrow().cast(pa.large_string())


def _copy_column(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One column in a form Arrow's CSV writer renders as PostgreSQL COPY text."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    t = array.type
    if isinstance(t, pa.BaseExtensionType):
        array, t = array.storage, t.storage_type
    if pa.types.is_dictionary(t):
        if pa.types.is_string_view(t.value_type):  # Arrow has no take for string_view: decode large strings
            array = pa.DictionaryArray.from_arrays(array.indices, array.dictionary.cast(pa.large_string()))
        array = array.dictionary_decode()
        t = array.type
    if _is_string(t):
        return array.cast(pa.large_string()) if pa.types.is_string_view(t) else array
    if pa.types.is_fixed_size_binary(t) and t.byte_width == 16:
        return _uuid_text(array)
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t) \
            or pa.types.is_fixed_size_binary(t):
        return _bytea_text(array)
    if pa.types.is_timestamp(t):
        if t.tz is None:
            return pc.cast(array, pa.string())
        # Arrow stores UTC instants; formatting them as naive text and appending "+00" is ~10x
        # faster than casting the zoned timestamps to string.
        naive = pc.cast(array.cast(pa.timestamp(t.unit)), pa.string())
        return pc.binary_join_element_wise(naive, pa.scalar("+00"), "")
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) \
            or pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
        return _array_literal(array)
    if pa.types.is_struct(t):
        return _json_text(array)
    if pa.types.is_null(t):
        return pa.nulls(len(array), pa.string())
    if (pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_floating(t)
            or pa.types.is_date(t) or pa.types.is_time(t) or pa.types.is_decimal(t)):
        return array if not pa.types.is_float16(t) else array.cast(pa.float32())
    raise TypeError(f"cannot COPY a column of Arrow type {t}")


def _qualified(name: str) -> sql.Composable:
    parts = name.split(".")
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise ValueError(f"expected 'table' or 'schema.table', got {name!r}")
    return sql.Identifier(*parts)


def copy_arrow(cursor: psycopg.Cursor, qualified_table: str, table: pa.Table, batch_rows: int = 100_000,
               binary: bool = True, freeze: bool = False) -> int:
    """``COPY qualified_table (columns of table) FROM STDIN`` in blocks; returns the rows copied.

    Binary format (:mod:`synth_assets.core.pg_binary`) when every column has a binary encoder for its
    target column's type (and ``binary``), else CSV.

    ``qualified_table`` is ``"table"`` or ``"schema.table"`` with unquoted names (each part is quoted
    as an identifier). The Arrow column names are the target columns. Runs in the cursor's current
    transaction and does not commit: a failing row aborts the whole COPY, and rolling back leaves
    the table as it was.

    ``freeze``: ``COPY ... (FREEZE)``, for a table created or truncated in the current (sub)transaction
    (the server refuses it otherwise). The rows are written frozen and their pages marked all-visible,
    so the checks and foreign keys that follow can read the indexes alone (index-only scans).
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be positive, got {batch_rows}")
    if table.num_columns == 0:
        raise ValueError("cannot COPY a table without columns")
    columns = sql.SQL(", ").join(sql.Identifier(n) for n in table.column_names)
    encoders = _binary_encoders(cursor, qualified_table, table.schema) if binary else None
    frozen = sql.SQL(", FREEZE" if freeze else "")
    if encoders is not None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary{})").format(_qualified(qualified_table), columns,
                                                                               frozen)
        blocks = (_render_binary(table, encoders, start, batch_rows) for start in range(0, table.num_rows, batch_rows))
    else:
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv, NULL {}, ENCODING 'UTF8'{})").format(
            _qualified(qualified_table), columns, sql.Literal(_NULL_MARKER), frozen)
        blocks = (_render_csv(table, start, batch_rows) for start in range(0, table.num_rows, batch_rows))
    # A worker renders block k+1 while this thread sends block k (Arrow, Polars and libpq release the GIL).
    with cursor.copy(statement) as copy, prefetched(blocks) as rendered:
        if encoders is not None:
            copy.write(pg_binary.SIGNATURE)
        for block in rendered:
            copy.write(block)
        if encoders is not None:
            copy.write(pg_binary.TRAILER)
    return table.num_rows


_COLUMN_TYPES = sql.SQL(
    "SELECT a.attname, t.typname, t.typelem, e.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
    "LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' "
    "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped")


def _binary_encoders(cursor: psycopg.Cursor, qualified_table: str, schema: pa.Schema) -> list | None:
    """An encoder per column for the binary format, or None when a column needs CSV (or the table is unknown:
    COPY then reports it)."""
    cursor.execute(_COLUMN_TYPES, [_qualified(qualified_table).as_string(cursor)])
    types = {name: pg_binary.ColumnType(typname, element_oid or 0, element) for name, typname, element_oid, element
             in cursor.fetchall()}
    encoders = [pg_binary.encoder_for(field.type, types[field.name]) if field.name in types else None
                for field in schema]
    return encoders if all(encoders) else None


def _render_binary(table: pa.Table, encoders: list, start: int, rows: int) -> memoryview:
    batch = table.slice(start, rows)
    return pg_binary.encode_rows([encode(column.combine_chunks()) for encode, column in zip(encoders, batch.columns)])


def _render_csv(table: pa.Table, start: int, rows: int) -> memoryview:
    batch = table.slice(start, rows)
    names = [f"c{i}" for i in range(batch.num_columns)]  # CSV has no header: names do not matter
    converted = pa.table([_copy_column(column) for column in batch.columns], names=names)
    buffer = io.BytesIO()
    pa_csv.write_csv(converted, buffer, _CSV_OPTIONS)
    return buffer.getbuffer()
