"""A data directory on an object store (``s3://bucket/prefix``) as well as on local disk.

``location("data")`` is a local :class:`~pathlib.Path`; ``location("s3://bucket/prefix")`` is an
:class:`S3Path`, a pure path that joins, names and parents like a local one (so the layout modules build
file names the same way) and prints as its URL. The writers in :mod:`synth_assets.core.storage` send an
``S3Path`` here: a file is written whole to a local temporary file and then uploaded in one request (a
single PUT, or a multipart upload that S3 publishes only when it completes), so a reader sees the old
object or the new one, never part of one. Readers open objects through pyarrow's S3 filesystem and check
the same footer identity as on disk.

The connection comes from the standard AWS variables, as boto3 and the AWS CLI read them:
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` (``AWS_SESSION_TOKEN``) or any other source of boto3's
credential chain (``AWS_PROFILE``, a web identity, instance metadata); ``AWS_REGION``/``AWS_DEFAULT_REGION``;
``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` for an S3-compatible server (MinIO, moto).
:func:`check_reachable` turns a missing credential, an unreachable endpoint or a missing bucket into one
sentence naming the variables to set; the settings resource calls it when a run starts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from pyarrow import fs as pafs

S3_SCHEME = "s3://"
DEFAULT_REGION = "us-east-1"  # pyarrow's S3FileSystem default (S3Options); a MinIO/moto endpoint ignores it
CONNECT_TIMEOUT_SECONDS = 5.0  # our choice: the start-up check answers within seconds, not the SDK's 60 s
CREDENTIAL_VARIABLES = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
ENDPOINT_VARIABLES = "AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3) for an S3-compatible server, AWS_REGION"


class ObjectStoreError(RuntimeError):
    """A data directory on an object store that cannot be used as configured."""


class LocalOnlyOperationError(ObjectStoreError, AttributeError):
    """A local-file operation (``mkdir``, ``glob``, ...) asked of an S3 location (``hasattr`` gives False)."""


class S3Path:
    """``s3://bucket/key``: joins (``/``), ``name``, ``stem``, ``parent`` and ``with_name`` as a local path does,
    ``str()`` gives the URL, ``exists()`` asks the store.

    It is deliberately not an ``os.PathLike``: code that would treat it as a local file (``Path(...)``,
    ``open``, ``mkdir``, ``glob``) fails with :class:`ObjectStoreError` naming the location instead of
    writing a local directory called ``s3:``."""

    __slots__ = ("_path",)

    def __init__(self, *parts: str) -> None:
        self._path = PurePosixPath(*parts)
        if self._path.is_absolute() or not self._path.parts:
            raise ObjectStoreError(f"an S3 location starts with its bucket, not {'/'.join(parts)!r}")

    def __truediv__(self, part: str) -> S3Path:
        return S3Path(str(self._path / part))

    def joinpath(self, *parts: str) -> S3Path:
        return S3Path(str(self._path.joinpath(*parts)))

    @property
    def parent(self) -> S3Path:
        return S3Path(str(self._path.parent))

    def with_name(self, name: str) -> S3Path:
        return S3Path(str(self._path.with_name(name)))

    def with_suffix(self, suffix: str) -> S3Path:
        return S3Path(str(self._path.with_suffix(suffix)))

    @property
    def name(self) -> str:
        return self._path.name

    @property
    def stem(self) -> str:
        return self._path.stem

    @property
    def parts(self) -> tuple[str, ...]:
        return self._path.parts

    @property
    def store_path(self) -> str:
        """``bucket/key``, as pyarrow's S3 filesystem names an object."""
        return str(self._path)

    @property
    def bucket(self) -> str:
        return self._path.parts[0]

    @property
    def key(self) -> str:
        return "/".join(self._path.parts[1:])

    def exists(self) -> bool:
        return s3_filesystem().get_file_info(self.store_path).type != pafs.FileType.NotFound

    def __str__(self) -> str:
        return S3_SCHEME + self.store_path

    def __repr__(self) -> str:
        return f"S3Path({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, S3Path) and other._path == self._path

    def __hash__(self) -> int:
        return hash((S3Path, self._path))

    def __lt__(self, other: S3Path) -> bool:
        return self._path < other._path

    def __fspath__(self) -> str:
        raise ObjectStoreError(f"{self} is on an object store, and this code reads or writes local files only: "
                               f"see docs/scale-out.md, 'Object storage', for what works with an s3:// data directory")

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise LocalOnlyOperationError(f"{self} is on an object store and has no {name!r} (a local-file operation): see "
                               f"docs/scale-out.md, 'Object storage', for what works with an s3:// data directory")


Location = Path | S3Path


def is_object_url(text: str | os.PathLike) -> bool:
    return isinstance(text, S3Path) or (isinstance(text, str) and text.startswith(S3_SCHEME))


def parse_s3_url(url: str) -> S3Path:
    """``s3://bucket/prefix`` -> ``S3Path``; anything else that starts with ``s3://`` is refused by name."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ObjectStoreError(f"{url!r} is not an S3 location: write it as s3://bucket or s3://bucket/prefix")
    key = [p for p in parts.path.split("/") if p]
    if any(p in (".", "..") for p in key):
        raise ObjectStoreError(f"{url!r} has a '.' or '..' part: S3 keys are not resolved like local paths")
    return S3Path(parts.netloc, *key)


def location(data_dir: str | os.PathLike) -> Location:
    """A data directory as a local absolute path or an :class:`S3Path`."""
    if isinstance(data_dir, S3Path):
        return data_dir
    if is_object_url(data_dir):
        return parse_s3_url(data_dir)
    return Path(data_dir).resolve()


def as_location(path: str | os.PathLike) -> Location:
    """A file or directory name as the writers take it: an ``S3Path`` stays one, ``s3://`` text becomes one."""
    if isinstance(path, S3Path):
        return path
    if is_object_url(path):
        return parse_s3_url(path)
    return Path(path)


# --- the connection ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class S3Connection:
    """What pyarrow's S3 filesystem is built from (only the credentials taken from the environment)."""

    region: str
    endpoint_url: str | None
    access_key: str | None
    secret_key: str | None
    session_token: str | None


def connection_from_env(environ: Mapping[str, str] | None = None) -> S3Connection:
    env = os.environ if environ is None else environ
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None
    return S3Connection(
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
        endpoint_url=endpoint,
        access_key=env.get("AWS_ACCESS_KEY_ID") or None,
        secret_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
        session_token=env.get("AWS_SESSION_TOKEN") or None,
    )


@lru_cache(maxsize=8)
def _filesystem(connection: S3Connection) -> pafs.S3FileSystem:
    options: dict = dict(region=connection.region, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    if connection.endpoint_url:
        endpoint = urlsplit(connection.endpoint_url)
        options.update(endpoint_override=endpoint.netloc or endpoint.path, scheme=endpoint.scheme or "https",
                       force_virtual_addressing=False)
    if connection.access_key and connection.secret_key:
        options.update(access_key=connection.access_key, secret_key=connection.secret_key,
                       session_token=connection.session_token)
    # without keys in the environment pyarrow follows the AWS SDK's default chain (profile, web identity,
    # instance metadata) and refreshes temporary credentials itself
    return pafs.S3FileSystem(**options)


def s3_filesystem(environ: Mapping[str, str] | None = None) -> pafs.S3FileSystem:
    """pyarrow's S3 filesystem for the connection the environment describes (one per distinct connection)."""
    return _filesystem(connection_from_env(environ))


def _boto_client(connection: S3Connection, *, attempts: int, read_timeout: float):
    import boto3
    import botocore.config

    session = boto3.session.Session(region_name=connection.region)
    return session.client(
        "s3", endpoint_url=connection.endpoint_url, aws_access_key_id=connection.access_key,
        aws_secret_access_key=connection.secret_key, aws_session_token=connection.session_token,
        config=botocore.config.Config(connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=read_timeout,
                                      retries={"max_attempts": attempts, "mode": "standard"},
                                      s3={"addressing_style": "path" if connection.endpoint_url else "auto"}))


@lru_cache(maxsize=8)
def _uploader(connection: S3Connection):
    """boto3's client for uploads (thread-safe; its managed transfer aborts a failed multipart upload)."""
    return _boto_client(connection, attempts=5, read_timeout=120.0)


def check_reachable(root: S3Path, environ: Mapping[str, str] | None = None, what: str = "the data directory") -> None:
    """Refuse, in one sentence naming the variables to set, an S3 data directory (or ``what`` else) that this
    process cannot use: no credentials, an endpoint that does not answer, a refused request or a missing bucket."""
    import boto3
    import botocore.exceptions

    connection = connection_from_env(environ)
    where = f"{what} {root}" + (f" at {connection.endpoint_url}" if connection.endpoint_url else "")
    if connection.access_key is None and boto3.session.Session().get_credentials() is None:
        raise ObjectStoreError(f"{where} needs AWS credentials and none were found: set {CREDENTIAL_VARIABLES}"
                               f" (and {ENDPOINT_VARIABLES})")
    client = _boto_client(connection, attempts=1, read_timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        client.head_bucket(Bucket=root.bucket)
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("404", "NoSuchBucket"):
            raise ObjectStoreError(f"{where}: the bucket {root.bucket!r} does not exist; create it first") from None
        raise ObjectStoreError(f"{where} refused the request ({code}: {exc}); check {CREDENTIAL_VARIABLES}"
                               f" and {ENDPOINT_VARIABLES}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise ObjectStoreError(f"{where} cannot be reached ({exc}); check {ENDPOINT_VARIABLES}") from None


# --- whole-object writes and reads ------------------------------------------------------------------

@contextmanager
def atomic_upload(path: S3Path) -> Iterator[Path]:
    """A local temporary file to write; uploaded whole to ``path`` when the block ends, never if it raises."""
    directory = tempfile.mkdtemp(prefix="synth-upload-")
    tmp = Path(directory, path.name)
    try:
        yield tmp
        upload_file(tmp, path)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def upload_file(local: Path, path: S3Path) -> None:
    """The complete local file as the object ``path``: one PUT, or above 8 MiB a multipart upload that S3
    publishes only when it completes and that boto3 aborts if a part fails. (pyarrow's output stream is
    not used: closing it after an error published what was written so far, tried against moto.)"""
    _uploader(connection_from_env()).upload_file(str(local), path.bucket, path.key)


def open_input(path: S3Path):
    """A random-access file over the object (pyarrow reads footers and column chunks by range)."""
    return s3_filesystem().open_input_file(path.store_path)


def glob_objects(directory: S3Path, pattern: str) -> list[S3Path]:
    """Objects under ``directory`` whose key below it matches ``pattern`` (``fnmatch`` per level), sorted."""
    from fnmatch import fnmatchcase

    selector = pafs.FileSelector(directory.store_path, allow_not_found=True, recursive=True)
    levels = pattern.split("/")
    found = []
    for info in s3_filesystem().get_file_info(selector):
        relative = PurePosixPath(info.path).relative_to(directory.store_path).parts
        if info.type == pafs.FileType.File and len(relative) == len(levels) and all(
                fnmatchcase(part, level) for part, level in zip(relative, levels)):
            found.append(S3Path(info.path))
    return sorted(found)


def replace_objects(files: Mapping[str, str], directory: S3Path) -> None:
    """``directory`` holding exactly ``files`` (name -> UTF-8 text): each object uploaded whole (one PUT), then
    the objects of an earlier version that are not among ``files`` deleted. Each object is whole at any
    moment; unlike a local directory swap, a reader listing the prefix during the replacement may see new
    objects beside old ones (S3 has no rename of a prefix)."""
    uploader = _uploader(connection_from_env())
    for name, text in sorted(files.items()):
        uploader.put_object(Bucket=directory.bucket, Key=(directory / name).key, Body=text.encode("utf-8"))
    selector = pafs.FileSelector(directory.store_path, allow_not_found=True)
    for info in s3_filesystem().get_file_info(selector):
        if info.type == pafs.FileType.File and PurePosixPath(info.path).name not in files:
            s3_filesystem().delete_file(info.path)


# --- DuckDB views -----------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def duckdb_httpfs_problem() -> str | None:
    """Why DuckDB cannot read ``s3://`` here (its httpfs extension does not load), or None if it can."""
    import duckdb

    with duckdb.connect() as connection:
        try:
            connection.execute("LOAD httpfs")
        except duckdb.Error as exc:
            return (f"DuckDB {duckdb.__version__} cannot load its httpfs extension, which reads s3:// "
                    f"({str(exc).splitlines()[0]}); the DuckDB views over an S3 data directory are not made")
    return None


def duckdb_views_problem(root: Location) -> str | None:
    """Why no DuckDB view can be made over files under ``root``, or None (always None on local disk).

    Views over S3 need httpfs; where it loads, making them (with an S3 secret in the DuckDB file) is still
    not implemented, so this says so rather than writing views no test has read."""
    if not isinstance(root, S3Path):
        return None
    return duckdb_httpfs_problem() or ("DuckDB views over an S3 data directory are not implemented yet "
                                       "(docs/scale-out.md, 'Object storage')")
