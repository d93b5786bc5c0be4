"""synth_assets.core.storage: atomic byte-stable Parquet, checked reads, DuckDB views."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from synth_assets.core import storage
from synth_assets.core.storage import CorruptFileError, read_parquet_checked, write_parquet_atomic

SCHEMA = pa.schema([
    ("city_id", pa.int32()),
    ("name", pa.string()),
    ("timestamp", pa.timestamp("us", tz="UTC")),
    ("value", pa.float64()),
])
FIX = "re-materialize partition 2020-01-01"


def _table(n: int = 50, offset: int = 0) -> pa.Table:
    start = datetime(2020, 1, 1, tzinfo=timezone.utc).timestamp()
    return pa.table({
        "city_id": pa.array([offset + i for i in range(n)], pa.int32()),
        "name": [f"city {offset + i}" for i in range(n)],
        "timestamp": pa.array([int((start + 3600 * i) * 1e6) for i in range(n)], pa.timestamp("us", tz="UTC")),
        "value": [float(i) / 3 for i in range(n)],
    })


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _temp_files(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_atomic_write_creates_the_file_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "nested" / "dir" / "2020-01-01.parquet"
    table = _table()
    written = write_parquet_atomic(table, target, SCHEMA)
    assert target.is_file()
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]
    assert written.path == target
    assert written.rows == table.num_rows
    assert written.bytes == target.stat().st_size
    back = pq.read_table(target)
    assert back.schema.remove_metadata().equals(SCHEMA)
    assert back.equals(table.cast(SCHEMA))
    assert pq.read_metadata(target).row_group(0).column(0).compression.lower() == storage.PARQUET_COMPRESSION


def test_schema_selects_orders_and_casts_columns(tmp_path):
    table = _table()
    shuffled = table.select(["value", "timestamp", "name", "city_id"]).append_column(
        "extra", pa.array(range(table.num_rows)))
    shuffled = shuffled.set_column(3, "city_id", pc.cast(shuffled["city_id"], pa.int64()))
    write_parquet_atomic(shuffled, tmp_path / "a.parquet", SCHEMA)
    back = pq.read_table(tmp_path / "a.parquet")
    assert back.schema.remove_metadata().equals(SCHEMA)
    assert back.equals(table)


def test_same_table_gives_identical_bytes(tmp_path):
    table = _table()
    first = tmp_path / "one" / "part.parquet"
    second = tmp_path / "two" / "part.parquet"
    write_parquet_atomic(table, first, SCHEMA)
    time.sleep(1.1)  # a wall-clock timestamp with one-second resolution would now differ
    write_parquet_atomic(table, second, SCHEMA)
    assert _sha(first) == _sha(second)
    # rewriting in place gives the same bytes too
    write_parquet_atomic(table, first, SCHEMA)
    assert _sha(first) == _sha(second)


def test_incidental_schema_metadata_does_not_change_the_bytes(tmp_path):
    table = _table()
    with_metadata = table.replace_schema_metadata({"pandas": "something", "written_at": str(time.time())})
    write_parquet_atomic(table, tmp_path / "a.parquet", SCHEMA)
    write_parquet_atomic(with_metadata, tmp_path / "b.parquet", SCHEMA)
    assert _sha(tmp_path / "a.parquet") == _sha(tmp_path / "b.parquet")


def test_different_tables_give_different_bytes(tmp_path):
    write_parquet_atomic(_table(), tmp_path / "a.parquet", SCHEMA)
    write_parquet_atomic(_table(offset=1), tmp_path / "b.parquet", SCHEMA)
    assert _sha(tmp_path / "a.parquet") != _sha(tmp_path / "b.parquet")


def test_replacing_a_file_swaps_its_content(tmp_path):
    target = tmp_path / "p.parquet"
    write_parquet_atomic(_table(10), target, SCHEMA)
    write_parquet_atomic(_table(20, offset=100), target, SCHEMA)
    assert pq.read_table(target).equals(_table(20, offset=100))
    assert _temp_files(tmp_path) == []


def test_failed_cast_leaves_existing_file_untouched(tmp_path):
    target = tmp_path / "p.parquet"
    write_parquet_atomic(_table(), target, SCHEMA)
    before = _sha(target)
    bad = _table().set_column(0, "city_id", pa.array(["not a number"] * 50))
    with pytest.raises(pa.ArrowInvalid):
        write_parquet_atomic(bad, target, SCHEMA)
    assert _sha(target) == before
    assert _temp_files(tmp_path) == []


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_failure_while_writing_removes_the_partial_temp_file(tmp_path, monkeypatch, error):
    target = tmp_path / "p.parquet"
    write_parquet_atomic(_table(), target, SCHEMA)
    before = _sha(target)
    seen: list[Path] = []

    def half_write(table, where, **options):
        Path(where).write_bytes(b"PAR1 half a file")
        seen.append(Path(where))
        raise error

    monkeypatch.setattr(storage.pq, "write_table", half_write)
    with pytest.raises(type(error)):
        write_parquet_atomic(_table(30, offset=7), target, SCHEMA)
    # the writer did write to a temp file in the target's directory, and cleaned it up
    assert len(seen) == 1 and seen[0].parent == tmp_path and seen[0] != target
    assert not seen[0].exists()
    assert _temp_files(tmp_path) == []
    assert _sha(target) == before


def test_read_parquet_checked_returns_a_good_file(tmp_path):
    target = tmp_path / "good.parquet"
    write_parquet_atomic(_table(), target, SCHEMA)
    assert read_parquet_checked(target, SCHEMA, fix=FIX).equals(_table())


def _assert_corrupt(path: Path, schema: pa.Schema = SCHEMA) -> str:
    with pytest.raises(CorruptFileError) as info:
        read_parquet_checked(path, schema, fix=FIX)
    message = str(info.value)
    assert str(path) in message
    assert FIX in message
    return message


def test_read_parquet_checked_missing_file(tmp_path):
    assert "missing" in _assert_corrupt(tmp_path / "nope.parquet")


@pytest.mark.parametrize("content", [b"", b"this is not parquet at all", b"PAR1" + b"\x00" * 100 + b"PAR1"])
def test_read_parquet_checked_garbage_bytes(tmp_path, content):
    target = tmp_path / "garbage.parquet"
    target.write_bytes(content)
    _assert_corrupt(target)


def test_read_parquet_checked_truncated_file(tmp_path):
    target = tmp_path / "cut.parquet"
    write_parquet_atomic(_table(), target, SCHEMA)
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    _assert_corrupt(target)


def test_read_parquet_checked_foreign_schema(tmp_path):
    target = tmp_path / "foreign.parquet"
    pq.write_table(pa.table({"a": [1, 2], "b": ["x", "y"]}), target)
    message = _assert_corrupt(target)
    assert "unexpected schema" in message
    assert "'a'" in message and "'city_id'" in message


def test_read_parquet_checked_same_names_other_types(tmp_path):
    target = tmp_path / "types.parquet"
    table = _table()
    pq.write_table(table.set_column(0, "city_id", pc.cast(table["city_id"], pa.int64())), target)
    assert "int64" in _assert_corrupt(target)


def test_read_parquet_checked_reordered_columns(tmp_path):
    target = tmp_path / "order.parquet"
    pq.write_table(_table().select(["name", "city_id", "timestamp", "value"]), target)
    _assert_corrupt(target)


def test_remove_stale_temp_files(tmp_path):
    stale = [tmp_path / ".2020-01-01.parquet.0123abcd.tmp", tmp_path / ".2020-01-02.parquet.ffff.tmp"]
    keep = [tmp_path / "2020-01-01.parquet", tmp_path / "notes.tmp", tmp_path / ".hidden"]
    for p in stale + keep:
        p.write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".deep.parquet.1.tmp").write_bytes(b"x")
    assert storage.remove_stale_temp_files(tmp_path) == 0  # all younger than an hour: a writer may own them
    assert storage.remove_stale_temp_files(tmp_path, older_than_seconds=0) == 3
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in keep)
    assert not (tmp_path / "sub" / ".deep.parquet.1.tmp").exists()  # recursive: daily files live in year dirs
    assert storage.remove_stale_temp_files(tmp_path, older_than_seconds=0) == 0


def test_remove_stale_temp_files_keeps_young_ones(tmp_path):
    young, old = tmp_path / ".a.parquet.1.tmp", tmp_path / ".b.parquet.2.tmp"
    young.write_bytes(b"x")
    old.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    assert storage.remove_stale_temp_files(tmp_path) == 1
    assert young.exists() and not old.exists()


def test_remove_stale_temp_files_matches_the_writers_temp_names(tmp_path, monkeypatch):
    # leave a temp file behind the way a killed writer would, then clean it up
    target = tmp_path / "p.parquet"

    def die_after_writing(table, where, **options):
        Path(where).write_bytes(b"partial")
        monkeypatch.setattr(storage.Path, "unlink", lambda self, missing_ok=False: None)  # process killed
        raise SystemExit(1)

    monkeypatch.setattr(storage.pq, "write_table", die_after_writing)
    with pytest.raises(SystemExit):
        write_parquet_atomic(_table(), target, SCHEMA)
    monkeypatch.undo()
    assert len(_temp_files(tmp_path)) == 1
    assert storage.remove_stale_temp_files(tmp_path, older_than_seconds=0) == 1
    assert list(tmp_path.iterdir()) == []


def test_remove_stale_temp_files_on_missing_directory(tmp_path):
    assert storage.remove_stale_temp_files(tmp_path / "absent") == 0


@pytest.mark.parametrize("value, literal", [("plain", "'plain'"), ("it's", "'it''s'"), ("''", "''''''")])
def test_sql_string(value, literal):
    assert storage.sql_string(value) == literal


@pytest.mark.parametrize("folder", ["plain", "o'brien's data", "with space"])
def test_create_parquet_view_over_files(tmp_path, folder):
    data = tmp_path / folder
    parts = [_table(24, offset=0), _table(24, offset=24)]
    for i, part in enumerate(parts):
        write_parquet_atomic(part, data / f"2020-01-0{i + 1}.parquet", SCHEMA)
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        storage.create_parquet_view(con, "air_quality", "measurements", data / "*.parquet")
        count, total, ids = con.execute(
            'SELECT count(*), sum(value), count(DISTINCT city_id) FROM "air_quality"."measurements"').fetchone()
    expected = pa.concat_tables(parts)
    assert count == expected.num_rows
    assert total == pytest.approx(pc.sum(expected["value"]).as_py())
    assert ids == len(set(expected["city_id"].to_pylist()))

    # the view is persisted in the DuckDB file, follows new files, and can be re-created
    write_parquet_atomic(_table(10, offset=100), data / "2020-01-03.parquet", SCHEMA)
    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT count(*) FROM air_quality.measurements").fetchone()[0] == 58
        storage.create_parquet_view(con, "air_quality", "measurements", data / "2020-01-03.parquet")
        assert con.execute("SELECT min(city_id), count(*) FROM air_quality.measurements").fetchone() == (100, 10)
        columns = [row[0] for row in con.execute("DESCRIBE air_quality.measurements").fetchall()]
    assert columns == SCHEMA.names
