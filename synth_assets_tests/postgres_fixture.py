"""Pytest plugin: a throw-away PostgreSQL cluster per test session (per xdist worker).

Fixtures:

* ``postgres_server`` (session): starts a private cluster with ``initdb`` + ``pg_ctl`` in a fresh
  temporary directory on a free 127.0.0.1 port, stops it and removes the directory at the end.
  Skips only when no PostgreSQL server binaries are installed.
* ``postgres_url`` (session): ``postgresql://postgres@127.0.0.1:<port>/synth_test``.
* ``fresh_database`` (function): URL of a new, empty, uniquely named ``..._test`` database that
  is dropped after the test.

The server itself (``initdb`` as the ``postgres`` user when run as root, trust auth, durability off) is
:mod:`synth_assets.core.throwaway_postgres`, shared with the benchmarks and ``make cluster-demo``.

Enable it with ``pytest_plugins = ["synth_assets_tests.postgres_fixture"]`` in the root
conftest, or ``-p synth_assets_tests.postgres_fixture`` on the command line.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest

from synth_assets.core.throwaway_postgres import (  # noqa: F401  (tests import these from here)
    MISSING_BINARIES,
    RUN_AS,
    SESSION_DATABASE,
    SUPERUSER,
    PostgresServer,
    _free_port,
    find_server_binaries,
    pause_server,
    resume_server,
    start_server,
    stop_server,
)

_MISSING = MISSING_BINARIES


@pytest.fixture
def private_postgres_server() -> Iterator[PostgresServer]:
    """A cluster of the test's own, for tests that stop, crash or restart the server."""
    bin_dir = find_server_binaries()
    if bin_dir is None:
        pytest.skip(_MISSING)
    server = start_server(bin_dir)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = find_server_binaries()
    if bin_dir is None:
        pytest.skip(_MISSING)
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        raise RuntimeError("running as root needs runuser (util-linux) to start PostgreSQL as the postgres user")
    server = start_server(bin_dir)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """URL of the session-wide ``synth_test`` database (shared by all tests of this worker)."""
    return postgres_server.url(SESSION_DATABASE)


@pytest.fixture
def fresh_database(postgres_server: PostgresServer) -> Iterator[str]:
    """URL of a new, empty database named ``t_<random>_test``, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:16]}_test"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)
