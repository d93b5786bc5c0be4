"""The guard that only lets seeding touch throw-away PostgreSQL databases (``*_demo`` / ``*_test``).

Seeding deletes and rewrites whole tables, so a URL is judged by the parameters libpq will really
use, not by its text:

1. no control character anywhere (raw text, decoded user, password, host, port, path, query keys
   and values): libpq stops reading a value at a NUL, so ``prod%00_test`` would reach ``prod``;
2. query keys come from :data:`ALLOWED_PARAMETERS` (exact, lower-case); ``dbname``, ``database``,
   ``service``, ``servicefile`` and ``options`` are refused with their own reason, any other key
   as unknown; only ``host``, ``hostaddr`` and ``port`` may repeat (multi-host lists);
3. the database is named explicitly in the URL path (so ``PGDATABASE`` never picks it), is a
   conservative identifier (:data:`SAFE_NAME`, at most 63 bytes, since the server silently cuts
   longer names) and ends in ``_demo`` or ``_test`` with something before the suffix;
4. ``PGSERVICE`` and ``PGOPTIONS`` are not set in the environment (a service file can add
   parameters nobody sees in the URL; options can pass ``-c`` settings);
5. the conninfo built from those parameters is parsed back with libpq's own parser
   (``PQconninfoParse``) and must give exactly the judged parameters, which are judged again.

:func:`connect` and :func:`create_engine` then ask the server for ``pg_catalog.current_database()``
before handing the connection out (:func:`verify_connected_database`). Passwords are never shown:
every message goes through :func:`mask_url`.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import tuple_row
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

SAFE_SUFFIXES = ("_demo", "_test")
POSTGRES_SCHEMES = ("postgresql", "postgres")
SAFE_NAME = re.compile(r"[A-Za-z0-9_$-]+")
MAX_NAME_BYTES = 63  # NAMEDATALEN - 1: the server truncates longer database names without an error
ALLOWED_PARAMETERS = frozenset({
    "host", "hostaddr", "port", "user", "password", "passfile", "connect_timeout", "client_encoding",
    "application_name", "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout", "target_session_attrs", "load_balance_hosts", "channel_binding",
    "require_auth", "gssencmode", "gsslib", "gssdelegation", "krbsrvname", "requirepeer", "sslmode",
    "sslnegotiation", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslcertmode", "sslrootcert",
    "sslcrl", "sslcrldir", "sslsni", "ssl_min_protocol_version", "ssl_max_protocol_version",
    "min_protocol_version", "max_protocol_version",
})
MULTI_VALUED = frozenset({"host", "hostaddr", "port"})
TARGET_PARAMETERS = {
    "dbname": "would name the database a second time (it must be named only in the URL path)",
    "database": "would name the database a second time (it must be named only in the URL path)",
    "service": "would read parameters, the database among them, from a service file",
    "servicefile": "would read parameters, the database among them, from a service file",
    "options": "would pass server settings (-c ...) and is never accepted",
}
FORBIDDEN_ENVIRONMENT = {
    "PGSERVICE": "libpq would read connection parameters from a service file that the guard cannot judge",
    "PGOPTIONS": "libpq would pass server settings (-c ...) that the guard cannot judge",
}
# keyword arguments of psycopg.connect that are not libpq connection parameters
CONNECTION_KEYWORDS = frozenset({"autocommit", "prepare_threshold", "context", "row_factory", "cursor_factory"})
RULE = ("seeding deletes and rewrites tables, so only a PostgreSQL database named in the URL path whose "
        "name ends in " + " or ".join(repr(s) for s in SAFE_SUFFIXES) + " (letters, digits, '_', '$', '-', "
        f"at most {MAX_NAME_BYTES} bytes) may be used")

# user:password@ -- to the last '@' before the path, then as SQLAlchemy reads it (to the first '@')
_USERINFO_PASSWORDS = (re.compile(r"(://[^:/]*:)[^/]*@"), re.compile(r"(://[^:/]*:)[^@]*@"))
_BARE_PASSWORD = re.compile(r":[^@\s/]*@")  # any other :password@ (text that is no URL)
_KEYWORD_SECRET = re.compile(r"(?i)((?:password|secret)\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]*)")


class UnsafeDatabaseError(ValueError):
    """A database URL that seeding must not touch (it deletes and rewrites tables)."""


# --- masking -------------------------------------------------------------------------------------

def mask_url(url: str | URL | None) -> str:
    """``url`` as text with every password (``user:***@``, ``password=***``) masked; never raises."""
    if isinstance(url, URL):
        text = url.render_as_string(hide_password=True)
    else:
        text = "" if url is None else str(url)
    for pattern in _USERINFO_PASSWORDS:
        text = pattern.sub(r"\1***@", text, count=1)
    text = _BARE_PASSWORD.sub(":***@", text)
    text = _KEYWORD_SECRET.sub(r"\1***", text)
    for secret in _secrets(url):
        if len(secret) >= 4:  # shorter ones would mangle the text; the patterns above cover them
            text = text.replace(secret, "***")
    return text


def _secrets(url: object) -> list[str]:
    try:
        parsed = url if isinstance(url, URL) else make_url(str(url))
    except Exception:  # noqa: BLE001 - masking must work for anything
        return []
    found = [parsed.password or ""]
    for key, value in parsed.query.items():
        if "password" in key.lower() or "secret" in key.lower():
            found.extend(value if isinstance(value, tuple) else [value])
    return [s for s in found if s]


def _scrub(text: str, url: object) -> str:
    for secret in _secrets(url):
        text = text.replace(secret, "***")
    return _KEYWORD_SECRET.sub(r"\1***", text)


# --- judging ---------------------------------------------------------------------------------------

def _refuse(url: object, problem: str) -> UnsafeDatabaseError:
    return UnsafeDatabaseError(f"refusing {mask_url(url)!r}: {problem}; {RULE}")


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in text)


def _name_problem(name: str | None) -> str | None:
    """Why ``name`` is not a throw-away database name, or None if it is."""
    if not name:
        return "it names no database"
    if _has_control(name):
        return "the database name contains a control character (libpq stops reading at a NUL)"
    if not SAFE_NAME.fullmatch(name):
        return f"database {name!r} is not a plain name (only letters, digits, '_', '$' and '-')"
    if len(name.encode()) > MAX_NAME_BYTES:
        return (f"database {name!r} is longer than {MAX_NAME_BYTES} bytes and the server would cut it "
                "to another name")
    if not any(name.endswith(suffix) and len(name) > len(suffix) for suffix in SAFE_SUFFIXES):
        return f"database {name!r} does not end in " + " or ".join(repr(s) for s in SAFE_SUFFIXES)
    return None


def _parameter_problem(key: str, values: tuple[str, ...], where: str) -> str | None:
    if _has_control(key):
        return f"a {where} name contains a control character"
    if key.lower() in TARGET_PARAMETERS:
        return f"the {where} {key!r} {TARGET_PARAMETERS[key.lower()]}"
    if key not in ALLOWED_PARAMETERS:
        return (f"{key!r} is not an accepted connection parameter (accepted: host, hostaddr, port, user, "
                "password, connect_timeout, application_name, client_encoding, sslmode and the other ssl "
                "settings, keepalives*, target_session_attrs and a few more, see ALLOWED_PARAMETERS)")
    if len(values) > 1 and key not in MULTI_VALUED:
        return f"the {where} {key!r} is given more than once"
    if any(_has_control(v) for v in values):
        return f"the {where} {key!r} contains a control character"
    return None


def _parse(url: str | URL) -> URL:
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError, TypeError) as error:
        raise ValueError(f"not a database URL: {mask_url(url)!r} ({_scrub(str(error), url)})") from None
    backend = parsed.drivername.split("+", 1)[0]
    if backend not in POSTGRES_SCHEMES:
        raise ValueError(f"{mask_url(parsed)!r} is not a PostgreSQL URL "
                         f"(expected postgresql://, postgresql+psycopg:// or postgres://)")
    return parsed


def _parameters(url: str | URL, parsed: URL, extra: Mapping[str, Any]) -> dict[str, str]:
    """Query parameters, then the URL's own user/password/host/port, then keyword arguments; each key judged."""
    query = {k: v if isinstance(v, tuple) else (v,) for k, v in parsed.query.items()}
    keywords = {k: tuple(v) if isinstance(v, (tuple, list)) else (v,) for k, v in extra.items() if v is not None}
    for where, mapping in (("query parameter", query), ("connection keyword", keywords)):
        for key, values in mapping.items():
            problem = _parameter_problem(str(key), tuple(str(v) for v in values), where)
            if problem:
                raise _refuse(url, problem)
    params = {k: ",".join(v) for k, v in query.items()}
    params.update({k: str(v) for k, v in (("host", parsed.host), ("port", parsed.port), ("user", parsed.username),
                                          ("password", parsed.password)) if v is not None})
    params.update({k: ",".join(str(v) for v in values) for k, values in keywords.items()})
    return params


def _judge(url: str | URL, extra: Mapping[str, Any] | None = None) -> tuple[dict[str, str], str]:
    """The libpq parameters for ``url`` (plus ``extra`` keyword parameters) and their conninfo, or raise."""
    if isinstance(url, str) and _has_control(url):
        raise _refuse(url, "the URL contains a control character (libpq stops reading a value at a NUL)")
    parsed = _parse(url)
    for label, value in (("user name", parsed.username), ("password", parsed.password),
                         ("host", parsed.host), ("database name", parsed.database)):
        if value is not None and _has_control(value):
            raise _refuse(url, f"the {label} contains a control character (libpq stops reading at a NUL)")
    params = _parameters(url, parsed, extra or {})
    problem = _name_problem(parsed.database)
    if problem:
        raise _refuse(url, problem)
    params["dbname"] = parsed.database
    for variable, why in FORBIDDEN_ENVIRONMENT.items():
        if variable in os.environ:
            raise _refuse(url, f"the environment variable {variable} is set and {why}")
    try:
        conninfo = make_conninfo("", **params)
        final = conninfo_to_dict(conninfo)  # libpq's own parser (PQconninfoParse)
    except psycopg.Error as error:
        raise _refuse(url, f"libpq cannot read its parameters ({_scrub(str(error), url)})") from None
    if final != params:
        raise _refuse(url, "libpq would read its parameters differently from the URL")
    for key, value in final.items():
        problem = _parameter_problem(key, (value,), "parameter") if key != "dbname" else _name_problem(value)
        if problem:
            raise _refuse(url, problem)
    return final, conninfo


def check_database_url(url: str | URL) -> str:
    """The database name a PostgreSQL URL really connects to, if it is a throw-away one; else raise.

    Nothing connects. Raises :class:`UnsafeDatabaseError` (a ``ValueError``) naming what was refused
    and why, or ``ValueError`` for a string that is no PostgreSQL URL. See the module docstring.
    """
    return _judge(url)[0]["dbname"]


def psycopg_conninfo(url: str | URL) -> str:
    """The libpq conninfo for a SQLAlchemy-style PostgreSQL URL, after the full check of :func:`check_database_url`."""
    return _judge(url)[1]


def sqlalchemy_url(url: str | URL) -> URL:
    """The checked URL with the ``postgresql+psycopg`` driver (psycopg 3)."""
    _judge(url)
    return _parse(url).set(drivername="postgresql+psycopg")


# --- connecting --------------------------------------------------------------------------------------

def verify_connected_database(connection: psycopg.Connection) -> str:
    """Ask the server which database ``connection`` reached; if it is not a throw-away one, close it and raise.

    Returns the name. Leaves an idle non-autocommit connection idle (the check's transaction is
    rolled back).
    """
    try:
        idle = connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        with connection.cursor(row_factory=tuple_row) as cursor:
            name = cursor.execute("SELECT pg_catalog.current_database()").fetchone()[0]
        if idle and not connection.autocommit:
            connection.rollback()
    except BaseException:
        connection.close()
        raise
    problem = _name_problem(name)
    if problem:
        connection.close()
        raise UnsafeDatabaseError(f"refusing the open connection, the server reports that {problem}; {RULE}")
    return name


def _open(url: str | URL, conninfo: str, options: Mapping[str, Any]) -> psycopg.Connection:
    try:
        return psycopg.connect(conninfo, **options)
    except psycopg.Error as error:
        message = _scrub(str(error), url)
        if message != str(error):
            raise type(error)(message) from None
        raise


def connect(url: str | URL, **kwargs: Any) -> psycopg.Connection:
    """``psycopg.connect`` to a checked URL, verified with :func:`verify_connected_database`.

    ``autocommit``, ``prepare_threshold``, ``context``, ``row_factory`` and ``cursor_factory`` go to
    psycopg; other keywords are libpq parameters and are judged like query parameters.
    """
    options = {k: kwargs.pop(k) for k in CONNECTION_KEYWORDS & kwargs.keys()}
    _, conninfo = _judge(url, kwargs)
    connection = _open(url, conninfo, options)
    verify_connected_database(connection)
    return connection


def create_engine(url: str | URL, **kwargs: Any) -> sa.Engine:
    """``sqlalchemy.create_engine`` (psycopg 3) whose connections use the checked parameters only.

    Every new connection is made from the judged conninfo (``connect_args`` are judged like query
    parameters) and verified with :func:`verify_connected_database` before SQLAlchemy uses it.
    """
    if "creator" in kwargs:
        raise TypeError("create_engine makes its own connections; 'creator' is not accepted")
    connect_args = dict(kwargs.pop("connect_args", None) or {})
    options = {k: connect_args.pop(k) for k in CONNECTION_KEYWORDS & connect_args.keys()}
    _, conninfo = _judge(url, connect_args)
    # the URL only names the dialect and what the engine shows; its query (multi-host lists,
    # passwords) stays out of SQLAlchemy, which would parse it its own way
    shown = _parse(url).set(drivername="postgresql+psycopg", query={})
    engine = sa.create_engine(shown, creator=lambda: _open(url, conninfo, options), **kwargs)
    sa.event.listen(engine, "connect", lambda dbapi_connection, _record:
                    verify_connected_database(dbapi_connection), insert=True)
    return engine
