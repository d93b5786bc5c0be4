"""A local S3 (moto's server on 127.0.0.1, never the internet) and the environment that points at it."""

from __future__ import annotations

import hashlib
import os
import socket
import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

REGION = "us-east-1"


def start_moto() -> tuple[ThreadedMotoServer, str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def isolate_aws(monkeypatch: pytest.MonkeyPatch, tmp_path, endpoint: str | None, keys: bool = True) -> None:
    """No real credentials, config files or instance metadata can leak in; fake keys for moto."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    if keys:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")


def new_bucket(endpoint: str) -> str:
    name = f"synth-{uuid.uuid4().hex[:12]}"
    client(endpoint).create_bucket(Bucket=name)
    return name


def client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test")


def object_bytes(endpoint: str, bucket: str, key: str) -> bytes:
    return client(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()


def sha256_objects(endpoint: str, bucket: str, prefix: str, suffix: str = ".parquet") -> dict[str, str]:
    """Key below ``prefix`` -> sha256 of every object whose key ends with ``suffix``."""
    found = {}
    for page in client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for item in page.get("Contents", []):
            if item["Key"].endswith(suffix):
                data = object_bytes(endpoint, bucket, item["Key"])
                found[item["Key"][len(prefix) + 1:]] = hashlib.sha256(data).hexdigest()
    return found


def closed_port() -> int:
    """A local port nothing listens on (bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
