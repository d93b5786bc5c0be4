"""A throw-away PostgreSQL server: ``initdb`` + ``pg_ctl`` in a fresh temporary directory on a free 127.0.0.1
port, for the test fixtures (synth_assets_tests/postgres_fixture.py), the benchmarks and ``make
cluster-demo`` (its instance database when no ``DAGSTER_PG_HOST`` is given). Never a user's server.

``initdb`` refuses to run as root, so as root the cluster directory is handed to the ``postgres`` system
user and the server binaries run through ``runuser -u postgres --``. Everything is local and trusted
(``-A trust``), with durability switched off for speed: what it holds is thrown away with it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

SESSION_DATABASE = "synth_test"
SUPERUSER = "postgres"
RUN_AS = "postgres"  # system user that owns the cluster when the tests run as root
MISSING_BINARIES = "PostgreSQL server binaries not found; .ci/run installs Debian's postgresql package"
# wal_level=minimal: a table the seed truncates and reloads in one transaction skips the WAL (the server's
# choice; a user's server keeps its own, and `synth seed` reports it). No WAL senders are then allowed.
_SERVER_OPTIONS = ("-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c wal_level=minimal -c max_wal_senders=0")
# Variables that would redirect initdb/pg_ctl/libpq to some other cluster.
_PG_ENV = ("PGDATA", "PGPORT", "PGHOST", "PGHOSTADDR", "PGUSER", "PGDATABASE", "PGPASSWORD",
           "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGSSLMODE", "PGPASSFILE", "PGTZ")


def find_server_binaries() -> Path | None:
    """The ``bin`` directory of the newest ``/usr/lib/postgresql/<version>``, else of pg_ctl on PATH."""

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

    candidates = [p for p in Path("/usr/lib/postgresql").glob("*/bin")
                  if all((p / exe).is_file() for exe in ("initdb", "pg_ctl", "postgres"))]
    if candidates:
        return max(candidates, key=version)
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        directory = Path(pg_ctl).resolve().parent
        if (directory / "initdb").is_file() and (directory / "postgres").is_file():
            return directory
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    """A running throw-away cluster; ``url(name)`` gives a libpq/SQLAlchemy-style URL."""

    bin_dir: Path
    base_dir: Path
    port: int
    host: str = "127.0.0.1"
    user: str = SUPERUSER
    start_seconds: float = 0.0
    run_as: str | None = None

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def url(self, database: str = SESSION_DATABASE) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def conninfo(self, database: str = "postgres") -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={database} connect_timeout=10"

    def admin_connect(self) -> psycopg.Connection:
        return psycopg.connect(self.conninfo("postgres"), autocommit=True)

    def create_database(self, name: str) -> str:
        with self.admin_connect() as conn:
            # FILE_COPY (PostgreSQL 15+) is about twice as fast as the default WAL_LOG with fsync off.
            strategy = " STRATEGY FILE_COPY" if conn.info.server_version >= 150000 else ""
            conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0" + strategy)
                         .format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.admin_connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _command(server_bin: Path, exe: str, *args: str, run_as: str | None) -> list[str]:
    command = [str(server_bin / exe), *args]
    return ["runuser", "-u", run_as, "--", *command] if run_as else command


def _run(command: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in _PG_ENV}
    env["LC_ALL"] = env["LANG"] = "C.UTF-8" if Path("/usr/lib/locale/C.utf8").exists() else "C"
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _check(result: subprocess.CompletedProcess, what: str, server: PostgresServer | None = None) -> None:
    if result.returncode != 0:
        log = f"\n--- server log ---\n{server.log_tail()}" if server else ""
        raise RuntimeError(f"{what} failed (exit {result.returncode}): {' '.join(map(str, result.args))}\n"
                           f"{result.stdout}{result.stderr}{log}")


def start_server(bin_dir: Path, attempts: int = 5) -> PostgresServer:
    """initdb + pg_ctl start in a new temp dir; retries with a new port if the port was taken."""
    run_as = RUN_AS if os.geteuid() == 0 else None
    # Not pytest's tmp_path: as root that lives in a 0700 directory the postgres user cannot enter.
    base_dir = Path(tempfile.mkdtemp(prefix=f"synth-pg-{os.getpid()}-"))
    server = PostgresServer(bin_dir=bin_dir, base_dir=base_dir, port=0, run_as=run_as)
    try:
        if run_as:
            import pwd
            entry = pwd.getpwnam(run_as)
            os.chown(base_dir, entry.pw_uid, entry.pw_gid)
        begun = time.perf_counter()
        _check(_run(_command(bin_dir, "initdb", "-D", str(server.data_dir), "-A", "trust", "-U", SUPERUSER,
                             "--no-sync", "-E", "UTF8", "--locale=C", "--no-instructions", run_as=run_as),
                    cwd=base_dir), "initdb")
        for attempt in range(attempts):
            server.port = _free_port()
            options = f"-p {server.port} -k {base_dir} {_SERVER_OPTIONS}"
            result = _run(_command(bin_dir, "pg_ctl", "-D", str(server.data_dir), "-l", str(server.log_file),
                                   "-w", "-t", "60", "-o", options, "start", run_as=run_as), cwd=base_dir)
            if result.returncode == 0:
                break
            port_taken = "could not bind" in server.log_tail() or "in use" in server.log_tail()
            if not port_taken or attempt == attempts - 1:
                _check(result, "pg_ctl start", server)
        server.create_database(SESSION_DATABASE)
        server.start_seconds = time.perf_counter() - begun
        return server
    except BaseException:
        stop_server(server)
        raise


def pause_server(server: PostgresServer, mode: str = "immediate") -> None:
    """Stop a running cluster but keep its directory (``mode`` immediate = like a crash)."""
    _check(_run(_command(server.bin_dir, "pg_ctl", "-D", str(server.data_dir), "-w", "-t", "60", "-m", mode,
                         "stop", run_as=server.run_as), cwd=server.base_dir), "pg_ctl stop", server)


def resume_server(server: PostgresServer) -> None:
    """Start a paused cluster again on the same port (crash recovery replays its WAL)."""
    options = f"-p {server.port} -k {server.base_dir} {_SERVER_OPTIONS}"
    _check(_run(_command(server.bin_dir, "pg_ctl", "-D", str(server.data_dir), "-l", str(server.log_file), "-w",
                         "-t", "60", "-o", options, "start", run_as=server.run_as), cwd=server.base_dir),
           "pg_ctl start", server)


def stop_server(server: PostgresServer) -> None:
    """Stop the cluster (fast, then immediate, then SIGKILL) and remove its directory."""
    try:
        if (server.data_dir / "postmaster.pid").exists():
            for mode in ("fast", "immediate"):
                result = _run(_command(server.bin_dir, "pg_ctl", "-D", str(server.data_dir), "-w", "-t", "30",
                                       "-m", mode, "stop", run_as=server.run_as), cwd=server.base_dir, timeout=60)
                if result.returncode == 0:
                    break
            else:
                pid_file = server.data_dir / "postmaster.pid"
                if pid_file.exists():
                    try:
                        os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
                    except (ValueError, IndexError, ProcessLookupError, PermissionError):
                        pass
    finally:
        shutil.rmtree(server.base_dir, ignore_errors=True)
