"""Run `synth seed` as a real process, stop it at a chosen line, and fingerprint the content tables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg

from synth_assets.content.models import LOAD_ORDER, SCHEMA

SYNTH = str(Path(sys.executable).with_name("synth"))
SMALL = ["--seed", "1", "--users", "600", "--items", "300", "--items-auto", "200"]
# big enough that every table takes a noticeable time to load, so a kill lands inside the seed
BIG = ["--seed", "9", "--users", "120000", "--items", "50000", "--items-auto", "50000"]


def synth_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNTH_", "PG")) and k != "DATABASE_URL"}
    return {**env, "SYNTH_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **extra}


def run_seed(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([SYNTH, "seed", *args], env=env, capture_output=True, text=True, timeout=timeout)


@dataclass
class Interrupted:
    stdout: str
    stderr: str
    returncode: int


def seed_until(args: list[str], env: dict[str, str], marker: str, action, timeout: float = 300) -> Interrupted:
    """Start `synth seed`, call ``action(process)`` as soon as a stdout line contains ``marker``."""
    process = subprocess.Popen([SYNTH, "seed", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if marker in line:
                action(process)
                break
        else:
            raise AssertionError(f"{marker!r} never appeared; output:\n{''.join(lines)}{process.stderr.read()}")
        rest, err = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return Interrupted("".join(lines) + rest, err, process.returncode)


def kill9(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)


def fingerprint_duckdb(path: Path) -> dict[str, tuple[int, str]]:
    """Rows and an order-independent digest of every content table."""
    with duckdb.connect(str(path), read_only=True) as connection:
        return {table: connection.execute(
            f'SELECT count(*), coalesce(md5(string_agg(CAST(id AS VARCHAR), \',\' ORDER BY id)), \'\') '
            f'FROM "{SCHEMA}"."{table}"').fetchone() for table in LOAD_ORDER}


def fingerprint_postgres(url: str) -> dict[str, tuple[int, str]]:
    with psycopg.connect(url) as connection:
        return {table: connection.execute(
            f'SELECT count(*), coalesce(md5(string_agg(id::text, \',\' ORDER BY id)), \'\') '
            f'FROM "{SCHEMA}"."{table}"').fetchone() for table in LOAD_ORDER}
