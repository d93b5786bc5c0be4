"""The seed's AWS design: a Kinesis stream partitioned by ``city_id`` plus DynamoDB realtime and DLQ tables.

Every message of a batch goes to Kinesis unvalidated (``PartitionKey = str(city_id)``, ``Data`` = the
JSON line), as a producer would publish it; then the batch is validated like the database sinks do:
valid messages are upserted into the realtime table, invalid ones go to the dead-letter table with
the validation error.

Tables (both PAY_PER_REQUEST):

* realtime (``air-quality-realtime``): hash key ``message_id`` (S), so a redelivered message
  overwrites its own item (idempotent upsert; inside one batch the first delivery is kept). A global
  secondary index ``by_city`` (``city_id`` N, ``timestamp`` S) serves "latest readings of a city".
* DLQ (``air-quality-dlq``): hash key ``dead_letter_id`` (S, a fresh UUID per dead letter, fixed
  before the write so a retried write does not duplicate), with ``received_at``, ``payload`` (the
  JSON text), ``error`` and, when it has one, the message's ``message_id``.

Credentials come from boto3's usual chain. If there are none, dummy ``test``/``test`` credentials are
used only when an endpoint (``endpoint_url`` or ``AWS_ENDPOINT_URL``) names a local emulator; against
real AWS without credentials the constructor raises :class:`AwsConfigurationError` instead.

Retries: botocore's own retries are switched off and every call goes through
:func:`~synth_assets.air_quality.stream.records.with_retries`, so one retry policy applies and a call
that keeps failing raises :class:`~synth_assets.air_quality.stream.records.SinkError` naming it.
Kinesis entries rejected inside a successful ``put_records`` (``FailedRecordCount``) are retried
alone. Delivery to Kinesis is at least once (a request that fails in transit is sent again).
"""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from synth_assets.air_quality.stream.records import (
    DLQ_TABLE,
    KINESIS_STREAM,
    REALTIME_TABLE,
    to_json,
    validate,
    with_retries,
)

PUT_RECORDS_LIMIT = 500          # Kinesis: entries per put_records request
PUT_RECORDS_BYTES = 4_500_000    # Kinesis allows 5 MiB per request (data + partition keys); stay below
EMULATOR_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
CITY_INDEX = "by_city"
_BOTO_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=5, read_timeout=30)


class AwsConfigurationError(ValueError):
    """The sink would talk to real AWS without credentials (or is otherwise misconfigured)."""


class KinesisSink:
    """Kinesis stream + DynamoDB realtime / dead-letter tables (AWS or a local emulator such as moto)."""

    def __init__(self, endpoint_url: str | None = None, region: str = "us-east-1",
                 stream_name: str = KINESIS_STREAM, realtime_table: str = REALTIME_TABLE, dlq_table: str = DLQ_TABLE,
                 create: bool = True):
        self.endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        self.stream_name, self.realtime_table_name, self.dlq_table_name = stream_name, realtime_table, dlq_table
        self.name = f"kinesis:{stream_name}" + (f"@{self.endpoint_url}" if self.endpoint_url else "")
        session = _session(self.endpoint_url, region)
        options = {"endpoint_url": self.endpoint_url, "config": _BOTO_CONFIG}
        self.kinesis = session.client("kinesis", **options)
        self.dynamodb = session.resource("dynamodb", **options)
        self.realtime = self.dynamodb.Table(realtime_table)
        self.dlq = self.dynamodb.Table(dlq_table)
        if create:
            try:
                self._create()
            except BaseException:
                self.close()
                raise

    # -- setup -------------------------------------------------------------------------------------
    def _create(self) -> None:
        with_retries(self._create_stream, f"create Kinesis stream {self.stream_name}")
        realtime_keys = {
            "KeySchema": [{"AttributeName": "message_id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "message_id", "AttributeType": "S"},
                                     {"AttributeName": "city_id", "AttributeType": "N"},
                                     {"AttributeName": "timestamp", "AttributeType": "S"}],
            "GlobalSecondaryIndexes": [{
                "IndexName": CITY_INDEX,
                "KeySchema": [{"AttributeName": "city_id", "KeyType": "HASH"},
                              {"AttributeName": "timestamp", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }],
        }
        dlq_keys = {"KeySchema": [{"AttributeName": "dead_letter_id", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "dead_letter_id", "AttributeType": "S"}]}
        for table, keys in ((self.realtime_table_name, realtime_keys), (self.dlq_table_name, dlq_keys)):
            with_retries(lambda t=table, k=keys: self._create_table(t, k), f"create DynamoDB table {table}")

    def _create_stream(self) -> None:
        try:
            self.kinesis.create_stream(StreamName=self.stream_name, ShardCount=1)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":  # exists already
                raise
        self.kinesis.get_waiter("stream_exists").wait(StreamName=self.stream_name,
                                                      WaiterConfig={"Delay": 1, "MaxAttempts": 120})

    def _create_table(self, name: str, keys: dict) -> None:
        client = self.dynamodb.meta.client
        try:
            client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **keys)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":  # exists already
                raise
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})

    # -- writing -----------------------------------------------------------------------------------
    def write(self, records: list[dict]) -> int:
        """Publish every record to Kinesis, then store valid ones / dead letters; returns the dead-letter count."""
        entries = [{"Data": to_json(record).encode(), "PartitionKey": str(record.get("city_id"))} for record in records]
        for chunk in _chunks(entries):
            self._put_records(chunk)

        validated = validate(records)
        received_at = _iso(datetime.now(timezone.utc))
        items, seen = [], set()
        for record in validated.valid:
            item = {key: _dynamo(value) for key, value in record.items()}
            if item["message_id"] not in seen:  # a redelivery inside the batch: keep the first delivery
                seen.add(item["message_id"])
                items.append({**item, "received_at": received_at})
        dead = []
        for record, error in validated.invalid:
            letter = {"dead_letter_id": str(uuid.uuid4()), "received_at": received_at,
                      "payload": to_json(record), "error": error}
            if record.get("message_id") is not None:
                letter["message_id"] = str(record["message_id"])
            dead.append(letter)
        if items:
            with_retries(lambda: _batch_put(self.realtime, items),
                               f"DynamoDB batch write to {self.realtime_table_name}")
        if dead:
            with_retries(lambda: _batch_put(self.dlq, dead), f"DynamoDB batch write to {self.dlq_table_name}")
        return len(dead)

    def _put_records(self, entries: list[dict]) -> None:
        pending = entries

        def put() -> None:
            nonlocal pending
            response = self.kinesis.put_records(StreamName=self.stream_name, Records=pending)
            if response.get("FailedRecordCount", 0):
                failed = [(entry, result) for entry, result in zip(pending, response["Records"])
                          if "ErrorCode" in result]
                pending = [entry for entry, _ in failed]
                codes = sorted({result["ErrorCode"] for _, result in failed})
                raise RuntimeError(f"{len(failed)} of {len(response['Records'])} records rejected ({', '.join(codes)})")
            pending = []

        with_retries(put, f"Kinesis put_records to {self.stream_name}")

    def close(self) -> None:
        """Batch writers flush on exit, so there is nothing to flush; close the HTTP connections."""
        for client in (self.kinesis, self.dynamodb.meta.client):
            close = getattr(client, "close", None)
            if close is not None:
                close()


def _session(endpoint_url: str | None, region: str) -> boto3.session.Session:
    session = boto3.session.Session(region_name=region)
    if session.get_credentials() is not None:
        return session
    if endpoint_url:  # a local emulator: any credentials will do
        return boto3.session.Session(region_name=region, **EMULATOR_CREDENTIALS)
    raise AwsConfigurationError(
        "no AWS credentials found and no endpoint_url / AWS_ENDPOINT_URL given: refusing to guess. Set AWS "
        "credentials (e.g. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE) to use real AWS, or give an "
        "endpoint URL such as http://localhost:5000 for a local emulator (moto / LocalStack)")


def _chunks(entries: list[dict]):
    """put_records requests of at most 500 entries and ~4.5 MB."""
    chunk, size = [], 0
    for entry in entries:
        entry_size = len(entry["Data"]) + len(entry["PartitionKey"].encode())
        if chunk and (len(chunk) == PUT_RECORDS_LIMIT or size + entry_size > PUT_RECORDS_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(entry)
        size += entry_size
    if chunk:
        yield chunk


def _batch_put(table, items: list[dict]) -> None:
    with table.batch_writer() as writer:
        for item in items:
            writer.put_item(Item=item)


def _iso(value: datetime) -> str:
    """Fixed-width UTC ISO text (always microseconds), so it sorts as a DynamoDB sort key."""
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _dynamo(value):
    if isinstance(value, bool) or value is None or isinstance(value, (int, str, Decimal)):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)  # uuid.UUID and the like
