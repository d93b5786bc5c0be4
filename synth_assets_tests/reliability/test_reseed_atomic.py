"""A re-seed is one unit: killed, cut off from its server or out of disk, it leaves the previous data whole."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from synth_assets_tests.postgres_fixture import pause_server, resume_server
from synth_assets_tests.reliability.seed_helpers import (
    BIG,
    SMALL,
    fingerprint_duckdb,
    fingerprint_postgres,
    kill9,
    run_seed,
    seed_until,
    synth_env,
)

BANNER = "seeding "


def table_line(table: str) -> str:
    return f"  {table:<22} "


KILL_POINTS = [BANNER, table_line("users"), table_line("content_items"), table_line("content_items_auto")]


def _seeded(args, env) -> None:
    done = run_seed(args, env)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("marker", KILL_POINTS, ids=["start", "after-users", "after-items", "after-items-auto"])
def test_duckdb_reseed_killed_at_any_point_keeps_the_previous_data(tmp_path: Path, marker: str):
    env = synth_env(tmp_path / "data")
    _seeded(SMALL, env)
    before = fingerprint_duckdb(tmp_path / "data" / "synth.duckdb")
    assert before["users"][0] == 600 and before["content_items"][0] == 300 + 0  # the small seed's sizes

    stopped = seed_until(BIG, env, marker, kill9)

    assert stopped.returncode == -9
    assert "committing" not in stopped.stdout
    assert fingerprint_duckdb(tmp_path / "data" / "synth.duckdb") == before


@pytest.mark.parametrize("marker", KILL_POINTS[1:3], ids=["after-users", "after-items"])
def test_postgres_reseed_killed_keeps_the_previous_data(tmp_path: Path, fresh_database: str, marker: str):
    env = synth_env(tmp_path / "data")
    _seeded([*SMALL, "--database-url", fresh_database], env)
    before = fingerprint_postgres(fresh_database)
    assert before["users"][0] == 600

    stopped = seed_until([*BIG, "--database-url", fresh_database], env, marker, kill9)

    assert stopped.returncode == -9
    assert fingerprint_postgres(fresh_database) == before


def test_postgres_server_stopped_mid_reseed_keeps_the_previous_data(tmp_path: Path, private_postgres_server):
    server = private_postgres_server
    url = server.create_database("reseed_test")
    env = synth_env(tmp_path / "data")
    _seeded([*SMALL, "--database-url", url], env)
    before = fingerprint_postgres(url)

    stopped = seed_until([*BIG, "--database-url", url], env, table_line("users"),
                         lambda _process: pause_server(server, "immediate"))
    resume_server(server)

    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert "PostgreSQL" in stopped.stderr and "nothing was changed" in stopped.stderr.lower(), stopped.stderr
    assert fingerprint_postgres(url) == before


def test_a_completed_reseed_replaces_everything(tmp_path: Path, fresh_database: str):
    """The other half of 'old or new, never a mix': a seed that finishes holds only the new data."""
    env = synth_env(tmp_path / "data")
    _seeded([*SMALL, "--database-url", fresh_database], env)
    before = fingerprint_postgres(fresh_database)
    other = ["--seed", "2", "--users", "700", "--items", "250", "--items-auto", "150"]
    _seeded([*other, "--database-url", fresh_database], env)
    after = fingerprint_postgres(fresh_database)
    assert after["users"][0] == 700 and after["content_items"][0] == 250 and after["content_items_auto"][0] == 150
    assert all(after[t][1] != before[t][1] for t in after)


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 24 MB tmpfs (root only); skipped with the reason where mounting is not allowed."""
    mount_point = tmp_path / "small_disk"
    mount_point.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command: cannot make a small file system to fill")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the full-disk case needs root")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_duckdb_reseed_on_a_full_disk_says_so_and_keeps_the_previous_data(small_disk: Path):
    data_dir = small_disk / f"data-{uuid.uuid4().hex[:6]}"
    env = synth_env(data_dir)
    _seeded(SMALL, env)
    before = fingerprint_duckdb(data_dir / "synth.duckdb")

    failed = run_seed(BIG, env)

    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "No space left on device" in failed.stderr, failed.stderr
    assert "cannot rollback" not in failed.stderr and "Traceback" not in failed.stderr
    assert fingerprint_duckdb(data_dir / "synth.duckdb") == before


def test_postgres_reseed_on_a_full_disk_says_so_and_keeps_the_previous_data(tmp_path, private_postgres_server):
    """The database lives in a tablespace on a small tmpfs (its WAL stays on the big disk)."""
    server = private_postgres_server
    mount_point = Path(tempfile.mkdtemp(prefix="synth-small-"))  # not under pytest's 0700 tmp dir
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m,mode=0755", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(mount_point, ignore_errors=True)
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the full-disk case needs root")
    try:
        if server.run_as:
            entry = pwd.getpwnam(server.run_as)
            os.chown(mount_point, entry.pw_uid, entry.pw_gid)
        with server.admin_connect() as admin:
            admin.execute(f"CREATE TABLESPACE small LOCATION '{mount_point}'")
            admin.execute("CREATE DATABASE full_test TEMPLATE template0 TABLESPACE small")
        url = server.url("full_test")
        env = synth_env(tmp_path / "data")
        _seeded([*SMALL, "--database-url", url], env)
        before = fingerprint_postgres(url)

        failed = run_seed([*BIG, "--database-url", url], env)

        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "No space left on device" in failed.stderr and "ran out of disk space" in failed.stderr
        assert "Traceback" not in failed.stderr
        assert fingerprint_postgres(url) == before
    finally:
        server.drop_database("full_test")
        with server.admin_connect() as admin:
            admin.execute("DROP TABLESPACE IF EXISTS small")
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)
        shutil.rmtree(mount_point, ignore_errors=True)


def test_postgres_reseed_blocked_by_a_reader_stops_cleanly_and_keeps_the_data(tmp_path, fresh_database):
    """A session reading content.users holds a lock the seed's TRUNCATE needs: wait, give up, change nothing."""
    import psycopg

    from synth_assets.content.seed import seed
    from synth_assets.content.settings import ContentSettings
    from synth_assets.core.errors import explain
    from synth_assets.core.resources import SynthSettings

    env = synth_env(tmp_path / "data")
    _seeded([*SMALL, "--database-url", fresh_database], env)
    before = fingerprint_postgres(fresh_database)
    with psycopg.connect(fresh_database) as reader:
        reader.execute("SELECT count(*) FROM content.users").fetchone()  # the transaction stays open
        with pytest.raises(psycopg.errors.LockNotAvailable) as caught:
            seed(ContentSettings(seed=9, users=700, content_items=300, content_items_auto=200,
                                 database_url=fresh_database), SynthSettings(data_dir=str(tmp_path / "data")),
                 echo=lambda *_: None, lock_timeout_seconds=1)
        reader.rollback()
    assert "Another session holds a table" in explain(caught.value)
    assert fingerprint_postgres(fresh_database) == before


def test_duckdb_reseed_while_another_process_has_the_file_open_changes_nothing(tmp_path):
    env = synth_env(tmp_path / "data")
    _seeded(SMALL, env)
    path = tmp_path / "data" / "synth.duckdb"
    before = fingerprint_duckdb(path)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); time.sleep(120)", str(path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        began = time.monotonic()
        failed = run_seed([*BIG, "--lock-timeout", "2"], env)
        waited = time.monotonic() - began
    finally:
        holder.kill()
        holder.wait()
    assert failed.returncode == 1
    assert "open in another process" in failed.stderr and "Traceback" not in failed.stderr
    assert fingerprint_duckdb(path) == before
    assert waited < 25   # --lock-timeout 2, not dagster-duckdb's ~100 s nor the default 30 s
