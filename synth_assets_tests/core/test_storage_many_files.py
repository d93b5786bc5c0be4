"""Many files of one schema read as one table: same rows as file by file; every file's problem named."""

from __future__ import annotations

import pyarrow as pa
import pytest

from synth_assets.core.identity import FileIdentity
from synth_assets.core.storage import (
    CorruptFileError,
    read_parquet_checked,
    read_parquet_files_checked,
    write_parquet_atomic,
)

SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string()), ("value", pa.float64())])
IDENTITY = FileIdentity("test.rows", 1, 7, "sample")


def fix(path) -> str:
    return f"re-make {path.stem}"


@pytest.fixture
def files(tmp_path):
    paths = []
    for i in range(6):
        ids = list(range(i * 1000, i * 1000 + 1000 + 37 * i))
        table = pa.table({"id": ids, "name": [f"n{j % 13}" for j in ids], "value": [j / 7 for j in ids]})
        paths.append(write_parquet_atomic(table, tmp_path / f"day-{i}.parquet", SCHEMA, IDENTITY).path)
    return paths


def test_rows_are_those_of_each_file_in_the_order_given(files):
    order = [files[3], files[0], files[5], files[1], files[4], files[2]]
    together = read_parquet_files_checked(order, SCHEMA, fix=fix, identity=IDENTITY)
    one_by_one = pa.concat_tables(read_parquet_checked(p, SCHEMA, fix=fix(p), identity=IDENTITY) for p in order)
    assert together.schema.remove_metadata().equals(SCHEMA)
    assert together.equals(one_by_one.cast(together.schema))
    assert together.num_rows == sum(1000 + 37 * i for i in range(6))


def test_another_identity_or_schema_is_refused_by_name(files, tmp_path):
    write_parquet_atomic(pa.table({"id": [1], "name": ["a"], "value": [1.0]}), files[2], SCHEMA,
                         FileIdentity("test.rows", 1, 8, "sample"))
    with pytest.raises(CorruptFileError, match=r"day-2\.parquet is not .*seed.*Fix: re-make day-2"):
        read_parquet_files_checked(files, SCHEMA, fix=fix, identity=IDENTITY)
    write_parquet_atomic(pa.table({"id": [1], "name": ["a"]}), files[2], identity=IDENTITY)
    with pytest.raises(CorruptFileError, match=r"day-2\.parquet has an unexpected schema.*Fix: re-make day-2"):
        read_parquet_files_checked(files, SCHEMA, fix=fix, identity=IDENTITY)


def test_missing_unreadable_and_damaged_files_are_named(files):
    files[1].unlink()
    with pytest.raises(CorruptFileError, match=r"day-1\.parquet is missing\. Fix: re-make day-1"):
        read_parquet_files_checked(files, SCHEMA, fix=fix)
    files[1].write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(CorruptFileError, match=r"day-1\.parquet is not a readable Parquet file"):
        read_parquet_files_checked(files, SCHEMA, fix=fix)
    files[1].unlink()
    good = files[:1] + files[2:]
    data = bytearray(good[3].read_bytes())  # footer intact, data pages garbage
    data[4:2004] = bytes(range(250)) * 8
    good[3].write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match=r"(?s)day-4\.parquet is not a readable Parquet file.*re-make day-4"):
        read_parquet_files_checked(good, SCHEMA, fix=fix, identity=IDENTITY)
