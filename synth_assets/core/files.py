"""The same calls for a data directory on local disk and on an object store. No Dagster.

Every helper takes local paths or :class:`~.object_store.S3Path` objects (one kind per call) and does on
S3 what it does on disk with the fewest requests: which files are missing, matching a glob and their sizes
and times come from one listing per directory; objects are fetched by several threads
(:data:`OBJECT_STORE_READERS`); a polars scan goes through pyarrow's S3 filesystem. The S3 mechanics (paths,
the connection, whole-object uploads) are in :mod:`.object_store`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from pyarrow import fs as pafs

from synth_assets.core.object_store import Location, ObjectStoreError, S3Path, glob_objects, s3_filesystem

T = TypeVar("T")

OBJECT_STORE_READERS = 16
"""Threads that fetch objects at once: each object costs a few round trips (open, footer, data)."""


def map_files(function: Callable[..., T], paths: Sequence[Location], *more: Sequence) -> list[T]:
    """``function(path, *items of more)`` for every path, in order: objects on S3 by
    :data:`OBJECT_STORE_READERS` threads, local files one after the other in this thread. The first error
    raised is that of the first path in order, as in a plain loop."""
    if any(isinstance(path, S3Path) for path in paths):
        with ThreadPoolExecutor(OBJECT_STORE_READERS, "s3-read") as pool:
            return list(pool.map(function, paths, *more))
    return list(map(function, paths, *more))


def missing_files(paths: Sequence[Location]) -> list[Location]:
    """The files of ``paths`` that are not there, in the order given. On S3 one listing per directory (a
    window of days is one request per year, not one per day); on disk ``exists()`` per file."""
    listed = _listed_objects({path.parent for path in paths if isinstance(path, S3Path)})
    return [path for path in paths if (path not in listed if isinstance(path, S3Path) else not path.exists())]


def missing_days(days: Sequence[date], paths: Sequence[Location]) -> list[date]:
    """The ``days`` whose file (``paths``, one per day, in the same order) is not there: :func:`missing_files`."""
    absent = set(missing_files(paths))
    return [day for day, path in zip(days, paths, strict=True) if path in absent]


def read_text(path: Location) -> str:
    """A UTF-8 text file or object, whole."""
    return read_bytes(path).decode("utf-8")


def read_bytes(path: Location) -> bytes:
    """A file or object, whole (one GET on S3)."""
    if not isinstance(path, S3Path):
        return path.read_bytes()
    with s3_filesystem().open_input_stream(path.store_path) as stream:
        return stream.read()


def glob_files(directory: Location, pattern: str) -> list[Location]:
    """The files under ``directory`` matching ``pattern`` (``*.jsonl``, ``*/*.parquet``), sorted; on S3 one
    listing of the prefix (:func:`glob_objects`)."""
    if isinstance(directory, S3Path):
        return glob_objects(directory, pattern)
    return sorted(path for path in directory.glob(pattern) if path.is_file())


@dataclass(frozen=True)
class FileStat:
    size: int
    mtime: float  # seconds since the epoch; whole seconds on S3 (LastModified)


def stat_files(paths: Sequence[Location]) -> list[FileStat | None]:
    """Size and modification time of each of ``paths`` (None where it is not there), in the order given. On
    S3 one listing per directory, as :func:`missing_files`; on disk ``stat()`` per file."""
    listed = _listed_objects({path.parent for path in paths if isinstance(path, S3Path)})
    found: list[FileStat | None] = []
    for path in paths:
        if isinstance(path, S3Path):
            info = listed.get(path)
            found.append(None if info is None else FileStat(info.size, info.mtime.timestamp()))
        else:
            try:
                stat = path.stat()
            except FileNotFoundError:
                found.append(None)
            else:
                found.append(FileStat(stat.st_size, stat.st_mtime))
    return found


def _listed_objects(directories: set[S3Path]) -> dict[S3Path, pafs.FileInfo]:
    """The objects directly under each of ``directories``: one listing each."""
    listed: dict[S3Path, pafs.FileInfo] = {}
    for directory in sorted(directories):
        selector = pafs.FileSelector(directory.store_path, allow_not_found=True)
        listed.update({S3Path(info.path): info for info in s3_filesystem().get_file_info(selector)
                       if info.type == pafs.FileType.File})
    return listed


def scan_parquet(paths: Sequence[Location]):
    """A polars scan of the Parquet files ``paths``, rows in the order of the files (only the columns a query
    selects are read). On S3 through pyarrow's S3 filesystem, as the checked readers read; callers check
    the files' footers (identity) first. A query's filters go to pyarrow, which skips the row groups and
    objects their statistics rule out (a block of homes reads its own row groups, as on disk); pyarrow drops
    a row whose filter is null as polars does. (polars calls ``scan_pyarrow_dataset`` unstable.)"""
    import polars as pl

    if not any(isinstance(path, S3Path) for path in paths):
        return pl.scan_parquet([str(path) for path in paths])
    import pyarrow.dataset as pads

    dataset = pads.dataset([_as_s3(path).store_path for path in paths], format="parquet", filesystem=s3_filesystem())
    return pl.scan_pyarrow_dataset(dataset, allow_pyarrow_filter=True)


def _as_s3(path: Location) -> S3Path:
    if not isinstance(path, S3Path):
        raise ObjectStoreError(f"{path} is a local file, and these files are on an object store: give every file "
                               f"of one read the same data directory")
    return path
