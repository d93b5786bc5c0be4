"""Shared writers and readers: atomic, byte-stable Parquet files and DuckDB views over them.

A Parquet file is written to a hidden temporary name in its target directory and renamed over the
target, so a reader sees either the old file or the new one, never half of one, and a failed write
leaves the old file in place. Row order, schema, compression and writer options are fixed and no
wall-clock metadata is written, so the same table always gives the same bytes.

Each file carries its :class:`~synth_assets.core.identity.FileIdentity` (dataset, schema version, seed,
config) as key-value metadata; readers pass the identity they expect and a file holding anything else
is refused by name, with what it holds, what was expected and the command that re-makes it.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from synth_assets.core import files, object_store
from synth_assets.core.identity import FileIdentity
from synth_assets.core.object_store import Location, S3Path, as_location

PARQUET_COMPRESSION = "snappy"
"""Objects read at once from S3 by one reader: requests overlap their round trips (an estimate, not tuned
against a real S3; against the local moto server, on 2 busy cores, 365 small files took 3.8 s instead of 8.1 s
with one thread: ``python -m bench.object_store --days 365``)."""
_WRITER_OPTIONS = dict(
    compression=PARQUET_COMPRESSION,
    version="2.6",
    data_page_version="1.0",
    use_dictionary=True,
    write_statistics=True,
    row_group_size=1 << 20,
)


class CorruptFileError(RuntimeError):
    """A data file that cannot be read or does not have the expected shape."""


@dataclass(frozen=True)
class WrittenFile:
    path: Location
    rows: int
    bytes: int


@contextmanager
def atomic_path(path: Location | str) -> Iterator[Path]:
    """A hidden temporary name beside ``path`` to write; renamed over ``path`` when the block ends, removed
    if it raises (a reader sees the old file or the new one, never half of one). For an ``s3://`` path, a
    local temporary file uploaded whole when the block ends (:func:`object_store.atomic_upload`)."""
    path = as_location(path)
    if isinstance(path, S3Path):
        with object_store.atomic_upload(path) as tmp:
            yield tmp
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path | str, text: str) -> int:
    """``text`` (UTF-8) to ``path`` atomically; returns its size in bytes."""
    data = text.encode("utf-8")
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return len(data)


def swap_in_directory(built: Path, target: Path) -> None:
    """Replace directory ``target`` by ``built`` (made beside it) with renames only; the old one is removed
    afterwards, and put back if the swap fails."""
    old = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
    if target.exists():
        target.rename(old)
    try:
        built.rename(target)
    except BaseException:
        if old.exists():
            old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def write_parquet_atomic(table: pa.Table, path: Path | str, schema: pa.Schema | None = None,
                         identity: FileIdentity | None = None,
                         key_value: Mapping[str, str] | None = None, row_group_rows: int | None = None) -> WrittenFile:
    """Write ``table`` (cast to ``schema`` if given) to ``path`` atomically, stamped with ``identity``.

    ``key_value`` adds metadata that describes this file's rows (written with them, in the same rename).
    ``row_group_rows``: smaller row groups than the default, for readers that skip by statistics."""
    path = as_location(path)
    if schema is not None:
        table = table.select(schema.names).cast(schema)
    metadata = {**(identity.to_metadata() if identity is not None else {}), **(key_value or {})}
    table = table.replace_schema_metadata(metadata or None)
    options = {**_WRITER_OPTIONS, **({"row_group_size": row_group_rows} if row_group_rows else {})}
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, **options)
        size = tmp.stat().st_size
    return WrittenFile(path=path, rows=table.num_rows, bytes=size)


def _opened(path: Location):
    """What pyarrow reads ``path`` from: the local path itself, or an open S3 object (closed after the block)."""
    return object_store.open_input(path) if isinstance(path, S3Path) else nullcontext(path)


def check_identity(path: Location, found_metadata, expected: FileIdentity | None, fix: str) -> None:
    """Refuse a file whose stored identity is not ``expected`` (no-op when nothing is expected)."""
    if expected is None:
        return
    problem = expected.differences(FileIdentity.from_metadata(found_metadata))
    if problem:
        raise CorruptFileError(f"{path} is not {expected.describe()}: {problem}. Fix: {fix}")


def check_footer(path: Location, schema: pa.Schema, fix: str, identity: FileIdentity | None = None) -> pq.FileMetaData:
    """Refuse a missing or unreadable file, another schema or another identity (reads the footer only).

    Returns the footer, whose key-value metadata (``footer.metadata``) a reader may use further."""
    missing = CorruptFileError(f"{path} is missing. Fix: {fix}")
    if not isinstance(path, S3Path) and not path.exists():  # on S3 opening says so: one request less
        raise missing
    try:
        with _opened(path) as source:
            footer = pq.read_metadata(source)
        stored = footer.schema.to_arrow_schema()
    except FileNotFoundError:
        raise missing from None
    except (pa.ArrowException, OSError) as exc:
        raise CorruptFileError(f"{path} is not a readable Parquet file ({exc}). Fix: {fix}") from exc
    _check_schema(path, stored.remove_metadata(), schema, fix)
    check_identity(path, stored.metadata, identity, fix)
    return footer


def read_parquet_checked(path: Path | str, schema: pa.Schema, *, fix: str,
                         identity: FileIdentity | None = None) -> pa.Table:
    """Read a Parquet file and insist on ``schema``; any problem raises :class:`CorruptFileError`.

    ``fix`` tells the user how to repair the file (usually: re-materialize its partition).
    """
    path = as_location(path)
    check_footer(path, schema, fix, identity)
    try:
        with _opened(path) as source:
            return pq.read_table(source)
    except (pa.ArrowException, OSError) as exc:
        raise CorruptFileError(f"{path} is not a readable Parquet file ({exc}). Fix: {fix}") from exc


def read_parquet_files_checked(paths: Sequence[Path | str], schema: pa.Schema, *, fix: Callable[[Path], str],
                               identity: FileIdentity | None = None) -> pa.Table:
    """Read many files of one ``schema`` as one table, in the order given (one chunk per row group).

    Every file's footer is checked first (cheap: no data is read) as :func:`read_parquet_checked`
    checks it: missing, unreadable, another schema or another identity is a :class:`CorruptFileError`
    naming the file and ``fix(path)``. A file whose data pages turn out unreadable is named the same way.
    """
    return read_parquet_files_with_footers(paths, schema, fix=fix, identity=identity)[0]


def read_parquet_files_with_footers(paths: Sequence[Path | str], schema: pa.Schema, *, fix: Callable[[Path], str],
                                    identity: FileIdentity | None = None, columns: Sequence[str] | None = None,
                                    ) -> tuple[pa.Table, list[pq.FileMetaData]]:
    """:func:`read_parquet_files_checked`, and each file's footer (for its key-value metadata).

    With ``columns``, only those of ``schema`` are decoded (the footer is still checked against all of it).

    Each footer is parsed once and the files are decoded one after the other in this thread: for many
    small files that costs less CPU than a multi-threaded dataset scan (callers overlap files or years).
    Objects on S3 are fetched by :data:`~.files.OBJECT_STORE_READERS` threads (each costs a few round trips);
    the result and the first error reported are the same as in order.
    """
    paths = [as_location(p) for p in paths]

    def footer_of(path: Location) -> pq.FileMetaData:
        return check_footer(path, schema, fix(path), identity)

    def table_of(path: Location, footer: pq.FileMetaData) -> pa.Table:
        try:
            with _opened(path) as source, pq.ParquetFile(source, metadata=footer) as parquet:
                return parquet.read(columns=columns, use_threads=False)
        except (pa.ArrowException, OSError) as exc:
            raise CorruptFileError(f"{path} is not a readable Parquet file ({exc}). Fix: {fix(path)}") from exc

    footers = files.map_files(footer_of, paths)
    tables = files.map_files(table_of, paths, footers)
    empty = schema.empty_table() if columns is None else schema.empty_table().select(columns)
    return (pa.concat_tables(tables) if tables else empty), footers


def _check_schema(path: Path, actual: pa.Schema, schema: pa.Schema, fix: str) -> None:
    if not actual.equals(schema):
        raise CorruptFileError(
            f"{path} has an unexpected schema (expected columns {schema.names}, "
            f"found {actual.names} with types {[str(t) for t in actual.types]}). Fix: {fix}"
        )


STALE_TEMP_SECONDS = 3600


# --- layout: the same shape of directories for every family -----------------------------------------

DAY_FILE_GLOB = "[0-9][0-9][0-9][0-9]/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].parquet"
YEAR_FILE_GLOB = "[0-9][0-9][0-9][0-9].parquet"
"""Only files named like a day or a year belong to a dataset; a stray ``notes.parquet`` is not read."""


def family_dir(data_dir: Location | str, family: str, *parts: str) -> Location:
    """``<data_dir>/<family>/<parts...>``: every family keeps its files under its own name."""
    return as_location(data_dir).joinpath(family, *parts)


def day_file(directory: Path, day) -> Path:
    """One file per day, grouped by year: ``<directory>/2021/2021-03-28.parquet``."""
    return directory / f"{day:%Y}" / f"{day:%Y-%m-%d}.parquet"


def year_file(directory: Path, year: int) -> Path:
    return directory / f"{year}.parquet"


def remove_stale_temp_files(directory: Path, older_than_seconds: float = STALE_TEMP_SECONDS) -> int:
    """Delete temporary files an interrupted writer left under ``directory`` more than an hour ago.

    Younger ones may belong to a writer that is still running, so they are left alone. An object store
    has none: its objects are uploaded whole from local temporary files.
    """
    if isinstance(directory, S3Path) or not directory.exists():
        return 0
    cutoff = time.time() - older_than_seconds
    stale = [p for p in directory.rglob(".*.tmp") if p.stat().st_mtime < cutoff]
    for tmp in stale:
        tmp.unlink(missing_ok=True)
    return len(stale)


def sql_string(value: str | Path) -> str:
    """A SQL string literal (for DuckDB DDL, which takes no bind parameters)."""
    return "'" + str(value).replace("'", "''") + "'"


def matching_files(pattern: Path) -> list[Path]:
    """The local files a glob names, sorted; wildcards may stand in any part of the path (a daily table's
    ``<table>/[0-9][0-9][0-9][0-9]/*.parquet``), as in the DuckDB view over the same glob."""
    pattern = Path(pattern)
    return sorted(Path(pattern.anchor).glob(str(pattern.relative_to(pattern.anchor))))


def create_parquet_view(connection, schema: str, view: str, glob: Path | str,
                        expected: pa.Schema | None = None, identity: FileIdentity | None = None,
                        fix: str = "re-make it") -> None:
    """(Re)create ``schema.view`` in DuckDB as a view over the Parquet files matching ``glob``.

    With ``expected``, every matching file's footer is checked first (cheap: no data is read), so a
    file the view could not read with the others is refused by name and the previous view stays.
    """
    glob = as_location(glob)
    problem = object_store.duckdb_views_problem(glob)
    if problem:
        raise object_store.ObjectStoreError(f"{problem}; the view {schema}.{view} was not changed")
    if expected is not None:
        for path in matching_files(glob):
            try:
                stored = pq.read_schema(path)
            except (pa.ArrowException, OSError) as exc:
                raise CorruptFileError(f"{path} is not a readable Parquet file ({exc}); the view {schema}.{view} "
                                       f"was not changed. Fix: remove it or {fix}") from exc
            found = stored.remove_metadata()
            if not found.equals(expected.remove_metadata()):
                raise CorruptFileError(
                    f"{path} does not hold {schema}.{view} rows (columns {found.names}); the view was not changed. "
                    f"Fix: move the file out of {path.parent}")
            check_identity(path, stored.metadata, identity, f"{fix} (the view {schema}.{view} was not changed)")
    connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    connection.execute(
        f'CREATE OR REPLACE VIEW "{schema}"."{view}" AS SELECT * FROM read_parquet({sql_string(glob)})')
