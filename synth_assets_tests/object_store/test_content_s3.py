"""Content with ``SYNTH_DATA_DIR=s3://...``: it writes no files, only DuckDB tables, which stay in the local
``./data/synth.duckdb``; the run still checks the S3 location at start (against moto's S3 server)."""

from __future__ import annotations

import dagster as dg
import pytest

from synth_assets.content.models import LOAD_ORDER, ContentConfig
from synth_assets.content.settings import ContentSettings
from synth_assets.core.resources import SynthSettings, duckdb_resource
from synth_assets_tests.content.test_content_assets import EVERYTHING, SMALL, duck_counts, seed
from synth_assets_tests.object_store import moto_s3


def test_content_with_an_s3_data_dir_fills_the_local_duckdb_file(monkeypatch, tmp_path, endpoint, instance):
    bucket = moto_s3.new_bucket(endpoint)
    remote = SynthSettings(seed=7, data_dir=f"s3://{bucket}/data", air_quality_mode="sample")
    resources = {"content": ContentSettings(**SMALL), "duckdb": duckdb_resource(remote), "settings": remote}
    outcomes = seed(resources, instance)
    assert remote.duckdb_path == tmp_path / "data" / "synth.duckdb"
    assert duck_counts(remote.duckdb_path) == {"users": 400, "content_items": 300, "content_items_auto": 200,
                                               "generation_jobs": ContentConfig(**SMALL).generation_jobs}
    assert all(all(checks.values()) for checks in outcomes.values()), outcomes
    assert moto_s3.client(endpoint).list_objects_v2(Bucket=bucket)["KeyCount"] == 0  # nothing written to S3

    moto_s3.isolate_aws(monkeypatch, tmp_path, endpoint, keys=False)
    with pytest.raises(Exception) as raised:
        dg.materialize(EVERYTHING, selection=[EVERYTHING[LOAD_ORDER.index("users")]], resources=resources,
                       instance=instance, partition_key=EVERYTHING[0].partitions_def.get_first_partition_key())
    assert "needs AWS credentials" in str(raised.value.__cause__ or raised.value)
