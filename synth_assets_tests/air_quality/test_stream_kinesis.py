"""The Kinesis + DynamoDB sink against a real moto server on localhost (never the internet)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import uuid
from collections import Counter
from datetime import datetime, timezone

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from moto.server import ThreadedMotoServer

from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.stream import records as stream_records
from synth_assets.air_quality.stream import sinks
from synth_assets.air_quality.stream.config import StreamConfig
from synth_assets.air_quality.stream.kinesis import CITY_INDEX, AwsConfigurationError, KinesisSink
from synth_assets.air_quality.stream.simulator import run
from synth_assets_tests.object_store.moto_s3 import start_moto

REGION = "us-east-1"



def _stop_moto(server: ThreadedMotoServer) -> None:
    server.stop()  # werkzeug closes the listening socket too: later connections are refused at once


@pytest.fixture(scope="module")
def moto_endpoint():
    server, endpoint = start_moto()
    yield endpoint
    _stop_moto(server)


@pytest.fixture(autouse=True)
def fake_aws(monkeypatch, tmp_path):
    """No real credentials, config files or instance metadata can leak in; fake keys for moto."""
    import os

    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setattr(stream_records, "BACKOFF_SECONDS", 0.001)  # every sink retries with records.with_retries


def _names() -> dict:
    suffix = uuid.uuid4().hex[:8]
    return {"stream_name": f"stream-{suffix}", "realtime_table": f"realtime-{suffix}", "dlq_table": f"dlq-{suffix}"}


def _kinesis_records(endpoint: str, stream: str) -> list[dict]:
    client = boto3.client("kinesis", endpoint_url=endpoint, region_name=REGION)
    shards = client.list_shards(StreamName=stream)["Shards"]
    out = []
    for shard in shards:
        iterator = client.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            response = client.get_records(ShardIterator=iterator, Limit=1000)
            out.extend(response["Records"])
            if not response["Records"]:
                break
            iterator = response.get("NextShardIterator")
    return out


def _scan(endpoint: str, table: str) -> list[dict]:
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
    return [item for page in client.get_paginator("scan").paginate(TableName=table) for item in page["Items"]]


def _malformed(message: dict) -> bool:
    """Independent of the sink's validation: the three malformations the fault injector makes."""
    return (message["timestamp"] is None or message["pm25"] < 0
            or re.fullmatch(r"[A-Z]{2}", message["country_code"]) is None)


class Recording:
    """Passes batches to a sink and keeps what it was given."""

    def __init__(self, sink):
        self.sink, self.name, self.records = sink, sink.name, []

    def write(self, records):
        self.records.extend(records)
        return self.sink.write(records)

    def close(self):
        self.sink.close()


def test_simulator_end_to_end_into_kinesis_and_dynamodb(moto_endpoint):
    config = StreamConfig(mode="development", count=600, start=datetime(2024, 1, 1, tzinfo=timezone.utc),
                          speedup=1e6, malformed_rate=0.02, seed=3)
    sink = Recording(KinesisSink(endpoint_url=moto_endpoint))  # the default stream and table names
    totals = run(config, select_cities("full"), sink)
    assert totals.readings == 600 and totals.sent == len(sink.records) > 0
    assert totals.duplicated > 0 and totals.malformed > 0  # the run exercises both paths

    # Kinesis: every message, exactly once, partitioned by city.
    stream = _kinesis_records(moto_endpoint, stream_records.KINESIS_STREAM)
    assert len(stream) == totals.sent
    messages = [json.loads(r["Data"]) for r in stream]
    assert all(r["PartitionKey"] == str(m["city_id"]) for r, m in zip(stream, messages))
    assert Counter(r["Data"].decode() for r in stream) == Counter(stream_records.to_json(r) for r in sink.records)
    assert sum(m["is_duplicate"] for m in messages) == totals.duplicated

    # DLQ: every malformed message that reached the sink, duplicates of malformed ones included.
    malformed = [m for m in messages if _malformed(m)]
    malformed_duplicates = sum(m["is_duplicate"] for m in malformed)
    assert len(malformed) == totals.malformed + malformed_duplicates
    dlq = _scan(moto_endpoint, stream_records.DLQ_TABLE)
    assert len(dlq) == totals.dead_lettered == len(malformed)
    assert Counter(item["payload"]["S"] for item in dlq) == Counter(json.dumps(m, separators=(",", ":"))
                                                                   for m in malformed)
    assert all(item["error"]["S"] and item["message_id"]["S"] for item in dlq)
    assert {item["error"]["S"].split(":")[0] for item in dlq} <= {"pm25", "country_code", "timestamp"}

    # Realtime: keyed by message_id, so a redelivery overwrites its original: one item per valid message.
    valid = [m for m in messages if not _malformed(m)]
    realtime = _scan(moto_endpoint, stream_records.REALTIME_TABLE)
    assert len(realtime) == len({m["message_id"] for m in valid}) == totals.sent - totals.dead_lettered - sum(
        m["is_duplicate"] for m in valid)
    assert not any(item["is_duplicate"]["BOOL"] for item in realtime)  # first delivery kept in its batch
    item = realtime[0]
    assert set(item) == set(stream_records.REALTIME_COLUMNS) | {"received_at"}
    assert item["city_id"].keys() == {"N"} and item["pm25"].keys() == {"N"} and item["is_raining"].keys() == {"BOOL"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", item["timestamp"]["S"])

    # The by-city index answers "readings of a city" in time order.
    dynamodb = boto3.resource("dynamodb", endpoint_url=moto_endpoint, region_name=REGION)
    table = dynamodb.Table(stream_records.REALTIME_TABLE)
    city_id = int(item["city_id"]["N"])
    by_city = table.query(IndexName=CITY_INDEX, KeyConditionExpression=Key("city_id").eq(city_id))["Items"]
    assert len(by_city) == sum(int(i["city_id"]["N"]) == city_id for i in realtime)
    assert [i["timestamp"] for i in by_city] == sorted(i["timestamp"] for i in by_city)


def _messages(n: int, city_id: int = 2_988_507) -> list[dict]:
    return [{"message_id": str(uuid.uuid4()), "sensor_id": f"sensor-{i:05d}", "is_duplicate": False,
             "city_id": city_id, "city_name": "Paris", "country_name": "France", "country_code": "FR",
             "latitude": 48.85, "longitude": 2.35, "timestamp": datetime(2024, 1, 1, tzinfo=timezone.utc),
             "pm25": 12.5, "pm10": 20.0, "no2": 30.0, "so2": 2.0, "co": 0.4, "o3": 40.0, "temperature_c": 4.0,
             "humidity_pct": 80.0, "wind_speed_kmh": 10.0, "is_raining": False} for i in range(n)]


def test_batches_above_500_are_chunked_and_existing_resources_are_reused(moto_endpoint):
    names = _names()
    KinesisSink(endpoint_url=moto_endpoint, **names).close()
    sink = KinesisSink(endpoint_url=moto_endpoint, **names)  # create=True again: no error, same resources
    calls = []
    put_records = sink.kinesis.put_records
    sink.kinesis.put_records = lambda **kw: calls.append(len(kw["Records"])) or put_records(**kw)
    assert sink.write(_messages(1_001)) == 0
    sink.close()
    assert calls == [500, 500, 1]
    assert len(_kinesis_records(moto_endpoint, names["stream_name"])) == 1_001
    dynamodb = boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name=REGION)
    assert sum(page["Count"] for page in dynamodb.get_paginator("scan").paginate(
        TableName=names["realtime_table"], Select="COUNT")) == 1_001


def test_only_rejected_kinesis_entries_are_retried(moto_endpoint):
    names = _names()
    sink = KinesisSink(endpoint_url=moto_endpoint, **names)
    real_put, calls = sink.kinesis.put_records, []

    def flaky_put(StreamName, Records):  # noqa: N803  (boto3 keyword names)
        calls.append(len(Records))
        if len(calls) > 1:
            return real_put(StreamName=StreamName, Records=Records)
        accepted = real_put(StreamName=StreamName, Records=Records[::2])["Records"]  # odd entries "throttled"
        results = [accepted[i // 2] if i % 2 == 0 else {"ErrorCode": "ProvisionedThroughputExceededException",
                                                          "ErrorMessage": "slow down"} for i in range(len(Records))]
        return {"FailedRecordCount": len(Records) // 2, "Records": results}

    sink.kinesis.put_records = flaky_put
    records = _messages(10)
    sink.write(records)
    sink.close()
    assert calls == [10, 5]
    stream = _kinesis_records(moto_endpoint, names["stream_name"])
    assert sorted(json.loads(r["Data"])["message_id"] for r in stream) == sorted(r["message_id"] for r in records)


def test_kinesis_entries_that_keep_failing_raise(moto_endpoint):
    sink, calls = KinesisSink(endpoint_url=moto_endpoint, **_names()), []

    def always_rejects_the_first(StreamName, Records):  # noqa: N803
        calls.append(len(Records))
        return {"FailedRecordCount": 1, "Records": [{"ErrorCode": "InternalFailure", "ErrorMessage": "x"}] + [
            {"SequenceNumber": "1", "ShardId": "shardId-000000000000"}] * (len(Records) - 1)}

    sink.kinesis.put_records = always_rejects_the_first
    with pytest.raises(stream_records.SinkError, match=r"Kinesis put_records to stream-\w+ failed after 5 attempts: "
                                              r"1 of 1 records rejected \(InternalFailure\)"):
        sink.write(_messages(3))
    sink.close()
    assert calls == [3, 1, 1, 1, 1]  # only the rejected entry is sent again


def test_a_dead_endpoint_raises_sink_error_naming_the_operation():
    server, endpoint = start_moto()
    sink = KinesisSink(endpoint_url=endpoint, **_names())
    _stop_moto(server)
    config = StreamConfig(count=20, start=datetime(2024, 1, 1, tzinfo=timezone.utc), speedup=1e6, seed=1)
    with pytest.raises(stream_records.SinkError, match=r"Kinesis put_records to stream-\w+ failed after 5 attempts"):
        run(config, select_cities("sample"), sink)  # the simulator does not swallow it

    with pytest.raises(stream_records.SinkError, match=r"create Kinesis stream stream-\w+ failed after 5 attempts"):
        KinesisSink(endpoint_url=endpoint, **_names())


def test_a_dynamodb_failure_raises_after_kinesis_got_the_batch(moto_endpoint):
    names = _names()
    sink = KinesisSink(endpoint_url=moto_endpoint, create=True, **names)
    boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name=REGION).delete_table(
        TableName=names["realtime_table"])
    with pytest.raises(stream_records.SinkError, match=f"DynamoDB batch write to {names['realtime_table']} failed"):
        sink.write(_messages(2))
    sink.close()
    assert len(_kinesis_records(moto_endpoint, names["stream_name"])) == 2


def test_no_credentials_and_no_endpoint_refuses_real_aws(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(AwsConfigurationError, match="no AWS credentials found and no endpoint_url"):
        KinesisSink(create=False)
    with pytest.raises(AwsConfigurationError):
        sinks.make_sink("kinesis", duckdb_path=None, database_url=None)


def test_no_credentials_with_an_emulator_endpoint_uses_dummy_ones(monkeypatch, moto_endpoint):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)  # the default endpoint comes from the environment
    names = _names()
    sink = sinks.make_sink("kinesis", duckdb_path=None, database_url=None, aws=names)
    assert sink.endpoint_url == moto_endpoint
    assert sink.kinesis._request_signer._credentials.access_key == "test"
    assert sink.write(_messages(1)) == 0
    sink.close()


def test_closed_port_fails_fast():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(stream_records.SinkError, match="create Kinesis stream"):
        KinesisSink(endpoint_url=f"http://127.0.0.1:{port}")


def test_the_sink_modules_do_not_import_each_other():
    """kinesis.py and postgres_sink.py take what sinks share from records.py, not from sinks.py (no cycle)."""
    stream = "synth_assets.air_quality.stream"
    code = (f"import sys; import {stream}.kinesis, {stream}.postgres_sink; "
            f"print({stream + '.sinks'!r} in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"
