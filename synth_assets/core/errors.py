"""Turn the errors users meet (a stopped server, a missing database, a full or read-only disk) into one
paragraph naming the cause and the fix, instead of a traceback.

:func:`explain` walks an exception's cause chain (``__cause__`` / ``__context__``) and returns the
first explanation it knows, or ``None``. It never prints a password: database errors are shown with
the URL masked.
"""

from __future__ import annotations

import errno
import traceback
from collections.abc import Iterator

_ENOSPC = "No space left on device"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return _mask(text[0] if text else type(exc).__name__)


def _mask(text: str) -> str:
    """Hide a password in anything URL- or conninfo-shaped (the guard's own masking)."""
    from synth_assets.core.database_guard import mask_url

    return mask_url(text)


def _oserror(error: OSError) -> str | None:
    where = f" ({error.filename})" if getattr(error, "filename", None) else ""
    if error.errno == errno.ENOSPC:
        return (f"{_ENOSPC}{where}. The disk holding the data directory is full. Free some space or point "
                f"SYNTH_DATA_DIR at a larger disk, then run the command again; complete files and committed "
                f"tables were left as they were.")
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return (f"cannot write{where}: {error.strerror}. The data directory is read-only for this user. "
                f"Make it writable or set SYNTH_DATA_DIR to a writable directory.")
    return None


def _duckdb(message: str) -> str | None:
    if _ENOSPC in message:
        return (f"{_ENOSPC} while writing the DuckDB file. Free some space or point SYNTH_DATA_DIR at a "
                f"larger disk, then run the command again; the transaction was rolled back, so the database "
                f"holds what it held before.")
    if "Could not set lock on file" in message:
        return (f"the DuckDB file is open in another process ({_first_line(Exception(message))}). DuckDB allows "
                f"one writer: close the other program (a notebook, the DuckDB CLI, another synth command) and "
                f"run the command again. Nothing was changed.")
    if "Permission denied" in message or "Read-only file system" in message:
        return ("cannot write the DuckDB file: the data directory is read-only for this user. Make it writable "
                "or set SYNTH_DATA_DIR to a writable directory.")
    return None


def _postgres(error: BaseException) -> str | None:
    import psycopg

    if not isinstance(error, psycopg.Error):
        return None
    message = _first_line(error)
    low = message.lower()
    if isinstance(error, psycopg.errors.InsufficientPrivilege) or "permission denied" in low:
        return (f"PostgreSQL refused: {message}. The user in the database URL lacks a privilege it needs "
                f"(connect, create schema or write the content tables). Grant it, or use the database's owner.")
    if "does not exist" in low and "database" in low:
        return (f"PostgreSQL: {message}. Create it first (createdb NAME_test) or fix the name in the URL; "
                f"only databases ending in _demo or _test are ever used.")
    if isinstance(error, psycopg.errors.LockNotAvailable):
        return (f"PostgreSQL: {message}. Another session holds a table this command must replace (an open "
                f"transaction reading or writing it; see pg_stat_activity). Finish or close that session and run "
                f"the command again. Nothing was changed: the transaction was rolled back.")
    if isinstance(error, psycopg.errors.DiskFull) or _ENOSPC.lower() in low:
        return (f"PostgreSQL ran out of disk space: {message}. Free space on the database server's disk (or "
                f"move the database to a larger tablespace), then run the command again. Nothing was changed: "
                f"the transaction was rolled back, so the database holds what it held before.")
    if "password authentication failed" in low or "no password supplied" in low:
        return f"PostgreSQL: {message}. Check the user and password in the database URL (or ~/.pgpass)."
    if isinstance(error, psycopg.OperationalError) or "connection" in low or "terminating" in low:
        return (f"lost or could not reach the PostgreSQL server: {message}. Check that the server is running "
                f"and reachable at the URL's host and port, then run the command again. Nothing was changed: "
                f"the transaction was rolled back, so the database holds what it held before.")
    return None


def describe(exc: BaseException) -> str:
    """:func:`explain`'s paragraph, else the root cause of the chain in one masked line or so."""
    explained = explain(exc)
    if explained:
        return explained
    root = exc
    while root.__cause__ is not None or (root.__context__ is not None and not root.__suppress_context__):
        root = root.__cause__ or root.__context__
    return _mask("".join(traceback.format_exception_only(type(root), root)).strip()[:4000])


def explain(exc: BaseException) -> str | None:
    """One paragraph for a known cause anywhere in ``exc``'s chain, else ``None``."""
    for current in _chain(exc):
        if isinstance(current, OSError):
            text = _oserror(current)
            if text:
                return text
        text = _postgres(current)
        if text:
            return text
        if type(current).__module__.startswith(("duckdb", "_duckdb")):
            text = _duckdb(str(current))
            if text:
                return text
    # DuckDB's own message is sometimes all that survives (wrapped in another error's text)
    return _duckdb(str(exc))
