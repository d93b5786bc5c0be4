"""The stream over ``s3://``: `--sink file:s3://...` lands each batch as one object, and
``air_quality/streamed_measurements`` lists and reads those objects and writes its days as objects, with the
bytes the same stream gives on local disk. Against moto's S3 server."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import dagster as dg
import pytest

from synth_assets.air_quality import layout, stream_assets
from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.stream import records
from synth_assets.air_quality.stream.config import StreamConfig
from synth_assets.air_quality.stream.records import SinkError
from synth_assets.air_quality.stream.simulator import run
from synth_assets.air_quality.stream.sinks import ObjectBatchSink, make_sink, run_label
from synth_assets.core.object_store import ObjectStoreError, S3Path
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import read_parquet_checked
from synth_assets_tests.conftest import make_settings, sha256_tree
from synth_assets_tests.object_store import moto_s3

CITIES = select_cities("full")
START = datetime(2024, 2, 10, 23, 58, 30, tzinfo=timezone.utc)  # 6,000 readings at 33/s cross midnight
SEED = 5
PREFIX = "stream/data"
DAYS = {"dagster/asset_partition_range_start": "2024-02-10", "dagster/asset_partition_range_end": "2024-02-11"}


def _config() -> StreamConfig:
    return StreamConfig(mode="production", count=6_000, start=START, speedup=1e6, seed=SEED, malformed_rate=0.01,
                        duplicate_rate=0.02)


def _land(settings: SynthSettings, instance) -> dict:
    result = dg.materialize([stream_assets.streamed_measurements], resources={"settings": settings},
                            instance=instance, tags=DAYS)
    return result.asset_materializations_for_node("air_quality__streamed_measurements")[0].metadata


def test_the_stream_lands_on_s3_as_whole_objects_with_the_local_bytes(tmp_path, endpoint, instance):
    local = make_settings(tmp_path / "local", seed=SEED)
    landing = stream_assets.landing_dir(local)
    landing.mkdir(parents=True)
    run(_config(), CITIES, make_sink(f"file:{landing / 'live.jsonl'}", tmp_path / "x.duckdb", None))

    bucket = moto_s3.new_bucket(endpoint)
    remote = SynthSettings(seed=SEED, data_dir=f"s3://{bucket}/{PREFIX}", air_quality_mode="sample")
    target = stream_assets.landing_dir(remote) / "live.jsonl"
    sink = ObjectBatchSink(target, run_label(START, SEED), batch_messages=2_000)
    totals = run(_config(), CITIES, sink)

    # each batch one object, named so that name order is stream order: together the local file's bytes
    objects = moto_s3.sha256_objects(endpoint, bucket, PREFIX, suffix=".jsonl")
    assert len(objects) >= 2 and all(k.startswith("air_quality/stream/live-20240210T235830Z-seed5-") for k in objects)
    joined = b"".join(moto_s3.object_bytes(endpoint, bucket, f"{PREFIX}/{key}") for key in sorted(objects))
    assert joined == (landing / "live.jsonl").read_bytes() and joined.count(b"\n") == totals.sent

    # a writer's cut line in another object is skipped and reported by its s3:// name; the days do not change
    broken = f"{PREFIX}/air_quality/stream/other.jsonl"
    moto_s3.client(endpoint).put_object(Bucket=bucket, Key=broken, Body=b'{"message_id": "cut')
    on_s3, on_disk = _land(remote, instance), _land(local, instance)

    assert on_s3["landing_files"].value == len(objects) + 1 and on_disk["landing_files"].value == 1
    assert on_s3["bad_lines"].value == f"s3://{bucket}/{broken}:1: truncated line (no newline at end of file)"
    for key in ("dagster/row_count", "stream/messages", "stream/duplicates_removed", "stream/invalid"):
        assert on_s3[key] == on_disk[key]
    assert on_disk["stream/duplicates_removed"].value > 0 and on_disk["stream/invalid"].value > 0
    days = sha256_tree(local.data_path)
    assert len(days) == 2 and moto_s3.sha256_objects(endpoint, bucket, PREFIX) == days
    day_object = layout.streamed_day_path(remote.data_path, START.date())
    table = read_parquet_checked(day_object, stream_assets.LANDED_SCHEMA, fix="land again",
                                 identity=layout.streamed_identity())
    assert table.num_rows > 0 and isinstance(day_object, S3Path)
    assert hashlib.sha256(moto_s3.object_bytes(endpoint, bucket, day_object.key)).hexdigest() == days[
        str(layout.streamed_day_path(local.data_path, START.date()).relative_to(local.data_path))]


def test_an_s3_sink_is_refused_at_start_without_credentials_bucket_or_name(tmp_path, monkeypatch, endpoint):
    bucket = moto_s3.new_bucket(endpoint)
    spec = f"file:s3://{bucket}/landing/live.jsonl"
    with pytest.raises(ValueError, match="name the objects"):
        make_sink(f"file:s3://{bucket}", tmp_path / "x.duckdb", None, run="r")
    with pytest.raises(ObjectStoreError, match="stream sink s3://no-such-bucket/landing/live.jsonl.*does not exist"):
        make_sink("file:s3://no-such-bucket/landing/live.jsonl", tmp_path / "x.duckdb", None, run="r")
    moto_s3.isolate_aws(monkeypatch, tmp_path, endpoint, keys=False)
    with pytest.raises(ObjectStoreError, match="needs AWS credentials.*AWS_ACCESS_KEY_ID"):
        make_sink(spec, tmp_path / "x.duckdb", None, run="r")
    assert moto_s3.sha256_objects(endpoint, bucket, "landing", suffix="") == {}


def test_a_batch_waits_at_most_its_seconds_and_the_rest_is_written_on_close(tmp_path, endpoint):
    bucket = moto_s3.new_bucket(endpoint)
    records = [{"message_id": f"m{i}", "pm25": float(i)} for i in range(7)]
    waits = ObjectBatchSink(S3Path(bucket, "in", "live.jsonl"), "run", batch_messages=1_000, batch_seconds=0.0)
    for chunk in (records[:2], records[2:5], records[5:]):
        waits.write(chunk)  # each batch has waited long enough: one object per write
    holds = ObjectBatchSink(S3Path(bucket, "held", "live.jsonl"), "run", batch_messages=1_000, batch_seconds=3600)
    holds.write(records[:2])
    holds.write(records[2:])
    assert moto_s3.sha256_objects(endpoint, bucket, "held", suffix="") == {}  # not yet: under both limits
    holds.close()
    assert list(moto_s3.sha256_objects(endpoint, bucket, "in", suffix="")) == [
        "live-run-000000000000.jsonl", "live-run-000000000002.jsonl", "live-run-000000000005.jsonl"]
    assert list(moto_s3.sha256_objects(endpoint, bucket, "held", suffix="")) == ["live-run-000000000000.jsonl"]
    assert moto_s3.object_bytes(endpoint, bucket, "held/live-run-000000000000.jsonl").count(b"\n") == 7


def test_a_second_run_with_the_same_label_is_refused_instead_of_overwriting_the_first(tmp_path, endpoint):
    """Objects cannot be appended to: a rerun with the same --start and seed would replace the first run's
    objects of the same offsets (and leave its later ones), losing messages that were landed."""
    bucket = moto_s3.new_bucket(endpoint)
    target = S3Path(bucket, "landing", "live.jsonl")
    first = ObjectBatchSink(target, "20240210T000000Z-seed5", batch_messages=2)
    first.write([{"message_id": "m0"}, {"message_id": "m1"}])   # a full batch: written
    first.write([{"message_id": "m2"}])
    first.close()
    landed = moto_s3.sha256_objects(endpoint, bucket, "landing", suffix="")
    assert len(landed) == 2
    with pytest.raises(FileExistsError, match=r"2 object\(s\) .*live-20240210T000000Z-seed5-\*\.jsonl .*already "
                                              r"there.*Fix: give another --start"):
        ObjectBatchSink(target, "20240210T000000Z-seed5", batch_messages=2)
    assert moto_s3.sha256_objects(endpoint, bucket, "landing", suffix="") == landed
    ObjectBatchSink(target, "20240210T000000Z-seed6").close()   # another label: its own objects


def test_a_batch_that_cannot_be_written_fails_once_and_closing_does_not_hide_it(tmp_path, endpoint, monkeypatch):
    monkeypatch.setattr(records, "BACKOFF_SECONDS", 0.0)
    bucket = moto_s3.new_bucket(endpoint)
    sink = ObjectBatchSink(S3Path(bucket, "landing", "live.jsonl"), "run", batch_messages=2)
    moto_s3.client(endpoint).delete_bucket(Bucket=bucket)   # the store goes away after the sink was made
    with pytest.raises(SinkError, match=r"write to s3://.*live-run-000000000000\.jsonl failed after \d+ attempts"):
        sink.write([{"message_id": "m0"}, {"message_id": "m1"}])
    sink.close()   # the run stops on the error above: closing neither retries nor raises a second one
