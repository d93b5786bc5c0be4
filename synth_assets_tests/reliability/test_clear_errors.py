"""Known failure causes reach the user as one paragraph naming the cause and the fix, not a traceback."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synth_assets.air_quality import assets, layout
from synth_assets.core.storage import CorruptFileError
from synth_assets_tests.air_quality.helpers import materialize
from synth_assets_tests.postgres_fixture import _free_port
from synth_assets_tests.reliability.seed_helpers import SMALL, run_seed, synth_env
from synth_assets_tests.reliability.test_killed_runs import SYNTH, shell_env  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[2]


def _no_traceback(done: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in done.stderr, done.stderr[-3000:]


def test_server_down_is_one_paragraph(tmp_path):
    url = f"postgresql://postgres:s3cret@127.0.0.1:{_free_port()}/nothing_here_test"
    done = run_seed([*SMALL, "--database-url", url], synth_env(tmp_path / "data"))
    assert done.returncode == 1
    _no_traceback(done)
    assert "could not reach the PostgreSQL server" in done.stderr and "server is running" in done.stderr
    assert "s3cret" not in done.stdout + done.stderr


def test_missing_database_is_one_paragraph(tmp_path, postgres_server):
    done = run_seed([*SMALL, "--database-url", postgres_server.url(f"missing_{uuid.uuid4().hex[:6]}_test")],
                    synth_env(tmp_path / "data"))
    assert done.returncode == 1
    _no_traceback(done)
    assert "does not exist" in done.stderr and "createdb" in done.stderr


def test_permission_denied_is_one_paragraph(tmp_path, postgres_server, fresh_database):
    role = f"weak_{uuid.uuid4().hex[:6]}"
    with postgres_server.admin_connect() as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")  # may connect (PUBLIC), may not create the schema
    url = fresh_database.replace("postgresql://postgres@", f"postgresql://{role}@")
    done = run_seed([*SMALL, "--database-url", url], synth_env(tmp_path / "data"))
    assert done.returncode == 1
    _no_traceback(done)
    assert "PostgreSQL refused" in done.stderr and "permission denied" in done.stderr
    assert "Grant it" in done.stderr


@pytest.fixture
def mounted(tmp_path):
    """mount(options) -> a fresh tmpfs; skipped with the reason where mounting is not allowed."""
    points = []

    def mount(options: str) -> Path:
        point = tmp_path / f"mnt{len(points)}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); this case needs root")
        points.append(point)
        return point

    yield mount
    for point in points:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_read_only_data_directory_is_one_paragraph(shell_env, mounted):  # noqa: F811
    read_only = mounted("ro,size=1m")
    done = subprocess.run([SYNTH, "generate-data", "--start", "2021-01-01", "--end", "2021-01-02"],
                          env={**shell_env, "SYNTH_DATA_DIR": str(read_only / "data")}, capture_output=True,
                          text=True, timeout=180, cwd=REPO)
    assert done.returncode == 1
    assert "read-only" in done.stderr and "SYNTH_DATA_DIR" in done.stderr, done.stderr[-3000:]
    assert "Traceback" not in done.stderr.split("full log:")[0]


def test_full_disk_during_generate_data_says_no_space_left(shell_env, mounted):  # noqa: F811
    small = mounted("size=3m")
    done = subprocess.run([SYNTH, "generate-data", "--mode", "full", "--start", "2021-01-01", "--end", "2021-01-31"],
                          env={**shell_env, "SYNTH_DATA_DIR": str(small / "data")}, capture_output=True, text=True,
                          timeout=180, cwd=REPO)
    assert done.returncode == 1
    assert "No space left on device" in done.stderr, done.stderr[-3000:]
    assert "cannot rollback" not in done.stderr
    # no half-written file is left visible: every daily file present reads whole
    for path in layout.hourly_dir(small / "data", "full").glob("*/*.parquet"):
        assert pq.ParquetFile(path).metadata.num_rows == 300 * 24


@pytest.mark.parametrize("args, message", [
    (["--start", "2030-01-01", "--end", "2030-01-02"], "partition 2030-01-02 is in the future"),
    (["--start", "2021-01-05", "--end", "2021-01-01"], "the last day 2021-01-01 is before the first day 2021-01-05"),
    (["--config-json", "[1, 2]"], "run config must be a JSON object"),
    (["--config-json", "{nope"], "run config is not valid JSON"),
])
def test_bad_verb_input_is_refused_before_anything_runs(shell_env, tmp_path, args, message):  # noqa: F811
    done = subprocess.run([SYNTH, "generate-data", *args], env=shell_env, capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    _no_traceback(done)
    assert not (tmp_path / "data" / "air_quality").exists()


@pytest.fixture
def days_of_2021(settings, resources, instance):
    materialize([assets.CITY_PROFILES], resources, instance)
    materialize([assets.HOURLY], resources, instance, partition_range=("2021-01-01", "2021-12-31"))
    return settings


def test_a_stray_parquet_in_yearly_is_ignored_by_the_view(days_of_2021, settings, resources, instance):
    yearly = layout.yearly_dir(settings.data_path, "sample")
    yearly.mkdir(parents=True)
    pq.write_table(pa.table({"note": ["not measurements"]}), yearly / "notes.parquet")
    materialize([assets.YEARLY], resources, instance, partition_key="2021")
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as connection:
        assert connection.execute("select count(*) from air_quality.measurements").fetchone()[0] == 365 * 240


def test_a_foreign_file_named_like_a_year_is_refused_by_the_roll_up(days_of_2021, settings, resources, instance):
    yearly = layout.yearly_dir(settings.data_path, "sample")
    yearly.mkdir(parents=True)
    pq.write_table(pa.table({"note": ["not measurements"]}), yearly / "2019.parquet")
    with pytest.raises(CorruptFileError, match=r"2019\.parquet does not hold air_quality\.measurements"):
        materialize([assets.YEARLY], resources, instance, partition_key="2021")
