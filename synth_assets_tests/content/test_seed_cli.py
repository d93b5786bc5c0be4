"""`synth seed` from the shell: DuckDB by default, PostgreSQL by URL, refusals before any write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import psycopg
import pytest

from synth_assets.content.models import jobs_for_completed
from synth_assets.core.postgres import psycopg_conninfo

SYNTH = str(Path(sys.executable).with_name("synth"))
SMALL = ["--users", "300", "--items", "120", "--items-auto", "80", "--seed", "4"]
TABLES = ("users", "content_items", "content_items_auto", "generation_jobs")


def synth_seed(tmp_path, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "SYNTH_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    return subprocess.run([SYNTH, "seed", *args], env=env, capture_output=True, text=True, timeout=300)


def test_seed_into_duckdb_prints_a_table_per_step_and_loads_every_row(tmp_path):
    done = synth_seed(tmp_path, *SMALL)
    assert done.returncode == 0, done.stderr[-2000:]
    for table in TABLES:
        assert any(line.strip().startswith(table) and "checks passed" in line for line in done.stdout.splitlines())
    assert "rows/s" in done.stdout and done.stdout.rstrip().splitlines()[-1].strip().startswith("total")
    with duckdb.connect(str(tmp_path / "data" / "synth.duckdb"), read_only=True) as con:
        counts = {t: con.execute(f"select count(*) from content.{t}").fetchall()[0][0] for t in TABLES}
    assert counts == {"users": 300, "content_items": 120, "content_items_auto": 80,
                      "generation_jobs": jobs_for_completed(120 + 80)}


def test_seed_into_postgres_by_url(tmp_path, fresh_database):
    done = synth_seed(tmp_path, *SMALL, "--database-url", fresh_database)
    assert done.returncode == 0, done.stderr[-2000:]
    with psycopg.connect(psycopg_conninfo(fresh_database)) as con:
        assert con.execute("select count(*) from content.content_items").fetchone()[0] == 120
        completed = "select count(*) from content.generation_jobs where status = 'completed'"
        assert con.execute(completed).fetchone()[0] == 120 + 80  # one per item of both content tables


@pytest.mark.parametrize("args, message", [
    (["--database-url", "postgresql://postgres@127.0.0.1:9/production"], "_demo"),
    (["--database-url", "postgresql://postgres@127.0.0.1:9/"], "_test"),
    (["--items", "10"], "admin user alone owns 50"),
    (["--users", "0"], "greater than or equal to 1"),
])
def test_seed_refuses_bad_input_before_writing(tmp_path, args, message):
    done = synth_seed(tmp_path, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert not (tmp_path / "data" / "synth.duckdb").exists()


def test_seed_help_explains_every_option(tmp_path):
    done = subprocess.run([SYNTH, "seed", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for option in ("--database-url", "--seed", "--users", "--items", "--items-auto", "--start", "--end"):
        assert option in done.stdout


def test_a_negative_lock_timeout_is_refused_before_anything_runs(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SYNTH_")}, "SYNTH_DATA_DIR": str(tmp_path)}
    done = subprocess.run([str(Path(sys.executable).with_name("synth")), "seed", "--lock-timeout", "-1"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "--lock-timeout -1.0: give the seconds to wait, 0 or more" in done.stderr
    assert not (tmp_path / "synth.duckdb").exists()
