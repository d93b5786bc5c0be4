"""The daily-partitioned hourly asset, run through Dagster: files, checks, metadata, determinism."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import pyarrow.parquet as pq
import pytest

from synth_assets.air_quality import assets, layout
from synth_assets.air_quality.checks import INTEGRITY_RULES
from synth_assets.air_quality.models import MEASUREMENT_SCHEMA
from synth_assets_tests.air_quality.helpers import check_outcomes, materialize
from synth_assets_tests.conftest import make_resources, make_settings, sha256_tree

CITIES, HOUR = [assets.CITY_PROFILES], [assets.HOURLY]


def test_one_day_writes_one_file_of_24_rows_per_city_and_passes_every_check(settings, resources, instance):
    materialize(CITIES, resources, instance)
    result = materialize(HOUR, resources, instance, partition_key="2021-07-04")
    path = layout.daily_path(settings.data_path, "sample", date(2021, 7, 4))
    table = pq.read_table(path)
    assert table.num_rows == 24 * 10
    assert table.schema.remove_metadata().equals(MEASUREMENT_SCHEMA)
    assert check_outcomes(result) == {name: True for name in INTEGRITY_RULES}
    materialization = result.asset_materializations_for_node("air_quality__hourly_measurements")[0]
    assert materialization.partition == "2021-07-04"
    assert materialization.metadata["dagster/row_count"].value == 240
    assert "data:image/png;base64," in materialization.metadata["diurnal_profile"].value
    assert [c.name for c in materialization.metadata["dagster/column_schema"].schema.columns] == \
        MEASUREMENT_SCHEMA.names


def test_rematerializing_a_partition_replaces_it_byte_for_byte(settings, resources, instance):
    materialize(CITIES, resources, instance)
    materialize(HOUR, resources, instance, partition_key="2020-02-29")
    first = sha256_tree(settings.data_path)
    materialize(HOUR, resources, instance, partition_key="2020-02-29")
    assert sha256_tree(settings.data_path) == first
    assert pq.read_table(layout.daily_path(settings.data_path, "sample", date(2020, 2, 29))).num_rows == 240


def test_one_run_over_a_range_equals_one_run_per_day(tmp_path, instance):
    days = [date(2020, 3, 6) + timedelta(days=i) for i in range(4)]
    ranged = make_settings(tmp_path / "ranged")
    materialize(CITIES, make_resources(ranged), instance)
    result = materialize(HOUR, make_resources(ranged), instance, partition_range=(f"{days[0]}", f"{days[-1]}"))
    assert sorted(m.partition for m in result.asset_materializations_for_node(
        "air_quality__hourly_measurements")) == [f"{d}" for d in days]
    per_day = make_settings(tmp_path / "per_day")
    materialize(CITIES, make_resources(per_day), instance)
    for day in reversed(days):  # order must not matter either
        materialize(HOUR, make_resources(per_day), instance, partition_key=f"{day}")
    ranged_files, per_day_files = sha256_tree(ranged.data_path), sha256_tree(per_day.data_path)
    assert len(ranged_files) == len(days) + 1
    assert ranged_files == per_day_files


def test_another_seed_gives_other_data_and_the_same_seed_the_same(tmp_path, instance):
    digests = []
    for name, seed in (("a", 1), ("b", 2), ("c", 1)):
        settings = make_settings(tmp_path / name, seed=seed)
        materialize(CITIES, make_resources(settings), instance)
        materialize(HOUR, make_resources(settings), instance, partition_key="2022-01-10")
        digests.append(sha256_tree(settings.data_path / "air_quality" / "sample" / "hourly"))
    assert digests[0] != digests[1]
    assert digests[0] == digests[2]


def test_full_mode_day_has_300_cities(tmp_path, instance):
    settings = make_settings(tmp_path / "full", mode="full")
    materialize(CITIES, make_resources(settings), instance)
    result = materialize(HOUR, make_resources(settings), instance, partition_key="2023-11-05")
    table = pq.read_table(layout.daily_path(settings.data_path, "full", date(2023, 11, 5)))
    assert table.num_rows == 24 * 300
    assert all(check_outcomes(result).values())


def test_partition_before_the_first_day_is_refused_and_writes_nothing(settings, resources, instance):
    materialize(CITIES, resources, instance)
    with pytest.raises(dg.DagsterUnknownPartitionError, match="2019-12-31"):
        materialize(HOUR, resources, instance, partition_key="2019-12-31")
    assert not layout.hourly_dir(settings.data_path, "sample").exists()


def test_hourly_without_city_profiles_names_the_missing_asset(settings, resources, instance):
    with pytest.raises(Exception, match="air_quality/city_profiles"):
        materialize(HOUR, resources, instance, partition_key="2020-01-01")
