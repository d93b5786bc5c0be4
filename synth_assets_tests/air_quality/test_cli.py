"""The shell path: `dagster asset materialize` on the code location, and the `synth` verbs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synth_assets.air_quality import layout

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture
def shell_env(tmp_path) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, "DAGSTER_HOME": str(home), "SYNTH_DATA_DIR": str(tmp_path / "data"),
            "SYNTH_SEED": "11", "SYNTH_AIR_QUALITY_MODE": "sample"}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)


def materialize(env, *extra) -> subprocess.CompletedProcess:
    return run([str(BIN / "dagster"), "asset", "materialize", "-m", "synth_assets.definitions", *extra], env)


def test_dagster_cli_materializes_a_partition_range_in_one_run(shell_env, tmp_path):
    assert materialize(shell_env, "--select", "air_quality/city_profiles").returncode == 0
    done = materialize(shell_env, "--select", "air_quality/hourly_measurements",
                       "--partition-range", "2020-02-28...2020-03-01")
    assert done.returncode == 0, done.stderr[-2000:]
    data = tmp_path / "data"
    files = sorted(layout.hourly_dir(data, "sample").glob("*/*.parquet"))
    assert [f.stem for f in files] == ["2020-02-28", "2020-02-29", "2020-03-01"]
    assert all(pq.ParquetFile(f).metadata.num_rows == 240 for f in files)
    assert done.stderr.count("RUN_START") == 1  # one run for the whole range


def test_dagster_cli_refuses_a_partition_before_the_first_day(shell_env, tmp_path):
    assert materialize(shell_env, "--select", "air_quality/city_profiles").returncode == 0
    done = materialize(shell_env, "--select", "air_quality/hourly_measurements", "--partition", "2019-12-31")
    assert done.returncode != 0
    assert "2019-12-31" in done.stderr
    assert not layout.hourly_dir(tmp_path / "data", "sample").exists()


def test_synth_generate_data_shows_progress_and_a_summary(shell_env, tmp_path):
    done = run([str(BIN / "synth"), "generate-data", "--mode", "sample", "--start", "2021-06-01",
                "--end", "2021-06-03"], shell_env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "air_quality/hourly_measurements" in done.stdout
    assert "720 rows in 3 files" in done.stdout  # 3 days x 24 h x 10 cities
    assert layout.daily_path(tmp_path / "data", "sample", date(2021, 6, 2)).exists()


@pytest.mark.parametrize("args, message", [
    (["--mode", "huge"], "invalid choice: 'huge'"),
    (["--start", "2019-12-30", "--end", "2020-01-02"], "before the first partition 2020-01-01"),
    (["--start", "2021-13-01"], "is not a date; use YYYY-MM-DD"),
])
def test_synth_generate_data_rejects_bad_input_before_running_anything(shell_env, tmp_path, args, message):
    done = run([str(BIN / "synth"), "generate-data", *args], shell_env)
    assert done.returncode == 2
    assert message in done.stderr
    assert not (tmp_path / "data" / "air_quality").exists()
