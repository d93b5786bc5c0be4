"""Air quality end to end with ``SYNTH_DATA_DIR=s3://bucket/prefix``: through Dagster, against moto's S3 server.

The same seed writes the same bytes to S3 as to local disk (sha256 of every daily and yearly file and of the
city profiles), a file of another identity is refused by its s3:// name with the command that re-makes it,
and re-materializing replaces an object whole. (The daily files' identity check in the yearly roll-up is
the shared reader's, tested on S3 in test_storage_s3.py.)
"""

from __future__ import annotations

from datetime import date

import pyarrow.parquet as pq
import pytest

from synth_assets.air_quality import assets, layout
from synth_assets.air_quality.models import CITY_SCHEMA
from synth_assets.core import object_store
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import write_parquet_atomic
from synth_assets_tests.air_quality.helpers import materialize
from synth_assets_tests.conftest import make_resources, make_settings, sha256_tree
from synth_assets_tests.object_store import moto_s3

YEAR = 2021  # the yearly roll-up needs every day of its year: 365 days x 10 cities
SEED = 7
PREFIX = "run/data"


def test_a_year_over_s3_has_the_local_bytes_refuses_a_foreign_file_and_replaces_a_day(tmp_path, endpoint, instance):
    local = make_settings(tmp_path / "local", seed=SEED)
    _materialize_year(local, instance)
    bucket = moto_s3.new_bucket(endpoint)
    remote = SynthSettings(seed=SEED, data_dir=f"s3://{bucket}/{PREFIX}", air_quality_mode="sample")
    yearly_run = _materialize_year(remote, instance)

    on_disk = sha256_tree(local.data_path)
    assert len(on_disk) == 1 + 365 + 1  # city profiles, the days, the year
    assert moto_s3.sha256_objects(endpoint, bucket, PREFIX) == on_disk
    metadata = yearly_run.asset_materializations_for_node("air_quality__yearly_measurements")[0].metadata
    assert metadata["duckdb_view"].value == object_store.duckdb_views_problem(remote.data_path)
    assert f"s3://{bucket}/{PREFIX}/air_quality/sample/yearly/{YEAR}.parquet" in metadata["files"].value

    # city profiles of another mode under this mode's name: the day's run refuses them by their s3:// name
    # before it writes anything, and says how to re-make them
    day = date(YEAR, 5, 17)
    day_key = f"{PREFIX}/air_quality/sample/hourly/{YEAR}/{day}.parquet"
    profiles_key = f"{PREFIX}/air_quality/sample/city_profiles.parquet"
    profiles = pq.read_table(layout.city_profiles_path(local.data_path, "sample"))
    write_parquet_atomic(profiles, layout.city_profiles_path(remote.data_path, "sample"), CITY_SCHEMA,
                         layout.city_profiles_identity("full"))
    moto_s3.client(endpoint).put_object(Bucket=bucket, Key=day_key, Body=b"PAR1 a torn day")
    with pytest.raises(Exception, match=rf"s3://{bucket}/{profiles_key} is not .*'full'.*Fix: .*city_profiles"):
        materialize([assets.HOURLY], make_resources(remote), instance, partition_key=f"{day}")
    assert moto_s3.object_bytes(endpoint, bucket, day_key) == b"PAR1 a torn day"

    # the fixes: re-materialize the profiles, then the day; each object is replaced whole with the local bytes
    materialize([assets.CITY_PROFILES], make_resources(remote), instance)
    materialize([assets.HOURLY], make_resources(remote), instance, partition_key=f"{day}")
    assert moto_s3.sha256_objects(endpoint, bucket, PREFIX) == on_disk


def _materialize_year(settings: SynthSettings, instance):
    resources = make_resources(settings)
    materialize([assets.CITY_PROFILES], resources, instance)
    materialize([assets.HOURLY], resources, instance, partition_range=(f"{YEAR}-01-01", f"{YEAR}-12-31"))
    return materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR))
