"""One moto S3 server per test module, and AWS settings that point at it alone (never a developer's)."""

from __future__ import annotations

import pytest

from synth_assets_tests.object_store import moto_s3


@pytest.fixture(scope="module")
def endpoint():
    server, url = moto_s3.start_moto()
    yield url
    server.stop()


@pytest.fixture(autouse=True)
def fake_aws(monkeypatch, tmp_path, endpoint):
    moto_s3.isolate_aws(monkeypatch, tmp_path, endpoint)
    monkeypatch.chdir(tmp_path)  # the DuckDB file of an S3 data directory stays in ./data of the working dir
