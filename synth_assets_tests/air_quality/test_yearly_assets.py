"""The yearly roll-up through Dagster: sorted snappy file, DuckDB view, blocking checks, bad files."""

from __future__ import annotations

import hashlib
from datetime import date

import dagster as dg
import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from synth_assets.air_quality import assets, layout
from synth_assets.air_quality.checks import DISTRIBUTION_RULES, INTEGRITY_RULES
from synth_assets.air_quality.models import MEASUREMENT_SCHEMA
from synth_assets.core.storage import write_parquet_atomic
from synth_assets_tests.air_quality.helpers import check_outcomes, materialize

YEAR = 2021  # 365 days x 10 cities


@pytest.fixture
def year_of_days(settings, resources, instance):
    materialize([assets.CITY_PROFILES], resources, instance)
    materialize([assets.HOURLY], resources, instance, partition_range=(f"{YEAR}-01-01", f"{YEAR}-12-31"))
    return settings


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_year_is_rolled_up_sorted_checked_and_queryable_in_duckdb(year_of_days, resources, instance):
    settings = year_of_days
    result = materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR))
    path = layout.yearly_path(settings.data_path, "sample", YEAR)
    parquet = pq.ParquetFile(path)
    assert parquet.metadata.num_rows == 365 * 24 * 10
    assert parquet.metadata.row_group(0).column(0).compression == "SNAPPY"
    frame = pl.read_parquet(path)
    assert frame.equals(frame.sort(["timestamp", "city_id"]))
    outcomes = check_outcomes(result)
    assert set(outcomes) == set(INTEGRITY_RULES) | {f"distribution_{n}" for n in DISTRIBUTION_RULES}
    assert all(outcomes.values()), outcomes
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        rows, cities = con.execute("select count(*), count(distinct city_id) from air_quality.measurements").fetchone()
        profiles = con.execute("select count(*) from air_quality.city_profiles").fetchone()[0]
    assert (rows, cities, profiles) == (365 * 24 * 10, 10, 10)
    metadata = result.asset_materializations_for_node("air_quality__yearly_measurements")[0].metadata
    assert metadata["dagster/row_count"].value == 365 * 24 * 10
    assert "data:image/png;base64," in metadata["monthly_pm25"].value
    assert "data:image/png;base64," in metadata["diurnal_profile"].value
    # issue 13: generated against published annual mean PM2.5, one table row per city, with its source
    table = metadata["annual_pm25_vs_published"].value.splitlines()
    assert table[0].split(" | ")[:3] == ["| name", "pm25_published", "pm25_year"]
    assert len(table) == 2 + 10 and any(line.startswith("| Delhi | 92.7 | 2023 | IQAir") for line in table)
    ratios = [float(line.strip(" |").split(" | ")[-2]) for line in table[2:]]
    assert all(abs(r - 1) <= 0.15 for r in ratios), ratios


def test_rerolling_a_year_gives_the_same_bytes(year_of_days, resources, instance):
    materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR))
    path = layout.yearly_path(year_of_days.data_path, "sample", YEAR)
    first = _sha(path)
    materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR))
    assert _sha(path) == first


def test_corrupt_daily_file_is_named_with_its_fix_and_the_year_file_is_kept(year_of_days, resources, instance):
    materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR))
    yearly = layout.yearly_path(year_of_days.data_path, "sample", YEAR)
    before = _sha(yearly)
    bad = layout.daily_path(year_of_days.data_path, "sample", date(YEAR, 5, 17))
    bad.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(Exception, match=r"2021-05-17\.parquet is not a readable Parquet file.*--partition 2021-05-17"):
        materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR))
    assert _sha(yearly) == before


def test_missing_daily_files_are_listed_with_the_backfill_command(year_of_days, resources, instance):
    for day in (3, 4):
        layout.daily_path(year_of_days.data_path, "sample", date(YEAR, 2, day)).unlink()
    with pytest.raises(Exception,
                       match=r"no file for 2021-02-03, 2021-02-04.*--partition-range 2021-02-03\.\.\.2021-02-04"):
        materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR))


def test_out_of_range_values_fail_the_blocking_check_and_nothing_is_published(year_of_days, resources, instance):
    materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR))
    yearly = layout.yearly_path(year_of_days.data_path, "sample", YEAR)
    before = _sha(yearly)
    day = layout.daily_path(year_of_days.data_path, "sample", date(YEAR, 8, 1))
    tampered = pl.read_parquet(day).with_columns(pl.when(pl.col("city_id") == pl.col("city_id").min())
                                                 .then(-5.0).otherwise(pl.col("pm25")).alias("pm25"))
    # tampered values in a file that still says what it is: the checks, not the identity, must catch it
    write_parquet_atomic(tampered.to_arrow(), day, MEASUREMENT_SCHEMA,
                         layout.hourly_identity(year_of_days.seed, "sample"))
    result = materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR), raise_on_error=False)
    assert not result.success
    outcomes = check_outcomes(result)
    assert outcomes["values_in_model_ranges"] is False
    assert outcomes["rows_per_city_day"] is True
    assert _sha(yearly) == before


def test_a_distorted_pattern_fails_its_distribution_check(year_of_days, resources, instance):
    """Weekend data doubled in every daily file: the weekend check (and only pattern checks) fail."""
    for path in sorted(layout.hourly_dir(year_of_days.data_path, "sample").glob("*/*.parquet")):
        frame = pl.read_parquet(path)
        if frame["timestamp"][0].weekday() == 2:  # every Wednesday (UTC) gets 60 % more pollution
            frame = frame.with_columns(pl.col("pm25") * 1.6)
            write_parquet_atomic(frame.to_arrow(), path, MEASUREMENT_SCHEMA,
                                 layout.hourly_identity(year_of_days.seed, "sample"))
    result = materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR), raise_on_error=False)
    outcomes = check_outcomes(result)
    assert outcomes["values_in_model_ranges"] is True
    assert outcomes["distribution_weekend"] is False
    assert not result.success
    assert not layout.yearly_path(year_of_days.data_path, "sample", YEAR).exists()


def test_yearly_partitions_are_years_from_2020_including_the_current_one():
    keys = assets.yearly_measurements.partitions_def.get_partition_keys()
    assert keys[0] == "2020"
    assert keys[-1] == str(date.today().year)
    assert isinstance(assets.yearly_measurements.backfill_policy, dg.BackfillPolicy)
