"""The air-quality daily files on local disk and on S3 (a local moto server), through Dagster, same seed.

Usage: ``python -m bench.object_store [--mode sample|full] [--days 31] [--endpoint URL --bucket NAME]``.
Without ``--endpoint`` a moto server is started on 127.0.0.1 (moto is a dev dependency): it measures what
the object-store path costs on this machine (temporary file + upload through boto3, reads through
pyarrow's S3 filesystem), not a real S3's latency or bandwidth. Prints seconds for writing the days
(``hourly_measurements``) and for reading them back with the footer checks, and whether every object has
the bytes of its local file.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import boto3
import dagster as dg

from synth_assets.air_quality import assets, layout
from synth_assets.air_quality.models import MEASUREMENT_SCHEMA
from synth_assets.core.resources import SynthSettings, duckdb_resource
from synth_assets.core.storage import read_parquet_files_checked

QUIET_RUN = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
FIRST_DAY = date(2021, 1, 1)


def _materialize(settings: SynthSettings, selection, tags=None) -> float:
    resources = {"settings": settings, "duckdb": duckdb_resource(settings)}
    started = time.perf_counter()
    dg.materialize([assets.city_profiles, assets.hourly_measurements, assets.yearly_measurements],
                   selection=selection, resources=resources, instance=dg.DagsterInstance.ephemeral(),
                   tags=tags or {}, run_config=QUIET_RUN)
    return time.perf_counter() - started


def run(data_dir: str, mode: str, days: int) -> dict:
    settings = SynthSettings(seed=42, data_dir=data_dir, air_quality_mode=mode)
    last = FIRST_DAY + timedelta(days=days - 1)
    _materialize(settings, [assets.CITY_PROFILES])
    write_seconds = _materialize(settings, [assets.HOURLY], {"dagster/asset_partition_range_start": f"{FIRST_DAY}",
                                                             "dagster/asset_partition_range_end": f"{last}"})
    paths = [layout.daily_path(settings.data_path, mode, FIRST_DAY + timedelta(days=i)) for i in range(days)]
    started = time.perf_counter()
    table = read_parquet_files_checked(paths, MEASUREMENT_SCHEMA, fix=lambda p: "re-make it",
                                       identity=layout.hourly_identity(settings.seed, mode))
    return {"write_s": write_seconds, "read_s": time.perf_counter() - started, "rows": table.num_rows,
            "paths": paths}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="sample", choices=["sample", "full"])
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--endpoint")
    parser.add_argument("--bucket")
    args = parser.parse_args()
    server = None
    if args.endpoint is None:
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        args.endpoint = f"http://{host}:{port}"
        os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_EC2_METADATA_DISABLED="true")
    os.environ["AWS_ENDPOINT_URL"] = args.endpoint
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    bucket = args.bucket or f"bench-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=args.endpoint)
    if args.bucket is None:
        s3.create_bucket(Bucket=bucket)
    try:
        with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
            os.chdir(tmp)  # the DuckDB file of an S3 data directory goes to ./data
            run(str(Path(tmp, "warm-up")), args.mode, 1)  # imports and first-run costs out of the figures
            local = run(str(Path(tmp, "local")), args.mode, args.days)
            remote = run(f"s3://{bucket}/bench", args.mode, args.days)
            same = all(hashlib.sha256(Path(lp).read_bytes()).hexdigest() == hashlib.sha256(
                s3.get_object(Bucket=bucket, Key=rp.key)["Body"].read()).hexdigest()
                for lp, rp in zip(local["paths"], remote["paths"]))
    finally:
        if server is not None:
            server.stop()
    print(f"air quality, {args.mode} mode, {args.days} daily files, {local['rows']:,} rows")
    print(f"{'where':<36}{'write s':>10}{'read s':>10}")
    for name, figures in (("local disk (/dev/shm)", local), (f"S3 at {args.endpoint}", remote)):
        print(f"{name:<36}{figures['write_s']:>10.2f}{figures['read_s']:>10.2f}")
    print(f"every object has the bytes of its local file: {same}")


if __name__ == "__main__":
    main()
