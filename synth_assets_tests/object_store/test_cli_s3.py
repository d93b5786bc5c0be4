"""The `synth` verbs with ``SYNTH_DATA_DIR=s3://bucket/prefix``, as a user runs them, against moto's S3 server:
`synth generate-data` writes its objects with the local bytes and keeps its run logs in a local directory,
`synth stream --sink file:s3://...` lands its batches as objects, and a data directory without credentials
is refused before anything runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from synth_assets.air_quality import assets
from synth_assets.cli import log_dir, main
from synth_assets.core.resources import SynthSettings
from synth_assets_tests.air_quality.helpers import materialize
from synth_assets_tests.conftest import make_resources, make_settings, sha256_tree
from synth_assets_tests.object_store import moto_s3

SYNTH = str(Path(sys.executable).with_name("synth"))
PREFIX = "cli/data"
SEED = 13


def _synth(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "SYNTH_LOG_DIR")}
    return subprocess.run([SYNTH, *args], env={**environment, "SYNTH_SEED": str(SEED), **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def _no_s3_directory(root: Path) -> bool:
    return not any(part.startswith("s3:") for path in root.rglob("*") for part in path.parts)


def test_generate_data_writes_the_local_bytes_to_s3_and_keeps_its_logs_local(tmp_path, endpoint, instance):
    bucket = moto_s3.new_bucket(endpoint)
    done = _synth("generate-data", "--start", "2021-03-27", "--end", "2021-03-28", cwd=tmp_path,
                  SYNTH_DATA_DIR=f"s3://{bucket}/{PREFIX}")
    assert done.returncode == 0, done.stderr[-2000:]
    logs = tmp_path / "data" / "logs"  # beside the local DuckDB file of an S3 data directory
    assert f"into s3://{bucket}/{PREFIX}, run logs in {logs}" in done.stdout
    assert "480 rows in 2 files" in done.stdout  # 2 days x 24 h x 10 cities, read back from the objects' footers
    assert len(list(logs.glob("*.log"))) == 2 and _no_s3_directory(tmp_path)

    local = make_settings(tmp_path / "local", seed=SEED)
    materialize([assets.CITY_PROFILES], make_resources(local), instance)
    materialize([assets.HOURLY], make_resources(local), instance, partition_key="2021-03-27")
    materialize([assets.HOURLY], make_resources(local), instance, partition_key="2021-03-28")
    on_disk = sha256_tree(local.data_path)
    assert len(on_disk) == 3 and moto_s3.sha256_objects(endpoint, bucket, PREFIX) == on_disk


def test_stream_to_s3_lands_objects_named_by_run(tmp_path, endpoint):
    bucket = moto_s3.new_bucket(endpoint)
    done = _synth("stream", "--sink", f"file:s3://{bucket}/{PREFIX}/air_quality/stream/live.jsonl", "--start",
                  "2024-02-10T12:00:00Z", "--speedup", "1000000", "--count", "300", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    objects = moto_s3.sha256_objects(endpoint, bucket, PREFIX, suffix=".jsonl")
    assert list(objects) == [f"air_quality/stream/live-20240210T120000Z-seed{SEED}-000000000000.jsonl"]
    key = f"{PREFIX}/{next(iter(objects))}"
    lines = moto_s3.object_bytes(endpoint, bucket, key).count(b"\n")
    assert f"readings 300  sent {lines:,}" in done.stderr  # what the simulator sent, in one object


@pytest.mark.parametrize("verb", [["demo"], ["stream", "--sink", "file:s3://b/x/live.jsonl", "--count", "3"]])
def test_an_s3_data_directory_without_credentials_is_refused_before_anything_runs(tmp_path, monkeypatch, capsys,
                                                                                  verb):
    moto_s3.isolate_aws(monkeypatch, tmp_path, endpoint=None, keys=False)
    monkeypatch.setenv("SYNTH_DATA_DIR", "s3://b/x")
    assert main(verb) == 1
    error = capsys.readouterr().err
    assert "needs AWS credentials and none were found" in error and "AWS_ACCESS_KEY_ID" in error
    assert not (tmp_path / "data").exists()


def test_the_log_directory_is_local_and_can_be_chosen(tmp_path, monkeypatch):
    monkeypatch.delenv("SYNTH_LOG_DIR", raising=False)
    assert log_dir(SynthSettings(data_dir="s3://b/x")) == tmp_path / "data" / "logs"  # the working dir's data/
    assert log_dir(make_settings(tmp_path / "elsewhere")) == tmp_path / "elsewhere" / "logs"
    monkeypatch.setenv("SYNTH_LOG_DIR", "my-logs")
    assert log_dir(SynthSettings(data_dir="s3://b/x")) == tmp_path / "my-logs"
    monkeypatch.setenv("SYNTH_LOG_DIR", "s3://b/logs")
    with pytest.raises(ValueError, match="SYNTH_LOG_DIR=s3://b/logs: the run logs .* need a local directory"):
        log_dir(SynthSettings(data_dir="s3://b/x"))
