"""The yearly roll-up through Dagster: sorted snappy file, DuckDB view, blocking checks, bad files."""

from __future__ import annotations

import hashlib
from datetime import date

import dagster as dg
import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from synth_assets.air_quality import assets, effects, layout
from synth_assets.air_quality import checks as aq_checks
from synth_assets.air_quality.checks import CITIES, DISTRIBUTION_RULES, INTEGRITY, INTEGRITY_RULES, IntegrityTally
from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.measurements import iter_hourly_chunks
from synth_assets.air_quality.models import CITY_SCHEMA, MEASUREMENT_SCHEMA
from synth_assets.core import checks
from synth_assets.core.storage import read_parquet_checked, write_parquet_atomic
from synth_assets_tests.air_quality.helpers import (
    check_outcomes,
    copy_made_days,
    materialize,
    roll_up_failing_the_weekend_check,
)

YEAR = 2021  # 365 days x 10 cities


@pytest.fixture
def year_of_days(settings, tmp_path_factory):
    return copy_made_days(settings, f"{YEAR}-01-01", f"{YEAR}-12-31", tmp_path_factory.getbasetemp())


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


def test_city_profiles_that_differ_from_the_daily_files_are_refused_and_the_year_file_is_kept(
        year_of_days, resources, instance):
    """The roll-up takes each row's city name, country and position from the city profiles (a third less to
    decode): profiles rewritten since the days were made must not relabel the year."""
    materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR))
    yearly = layout.yearly_path(year_of_days.data_path, "sample", YEAR)
    before = _sha(yearly)
    profiles = layout.city_profiles_path(year_of_days.data_path, "sample")
    renamed = pl.read_parquet(profiles).with_columns(name=pl.col("name") + " (renamed)")
    write_parquet_atomic(renamed.to_arrow(), profiles, CITY_SCHEMA, layout.city_profiles_identity("sample"))
    with pytest.raises(Exception, match=r"2021-01-01\.parquet does not hold the city columns of "
                                        r".*city_profiles\.parquet.*--select air_quality/city_profiles"
                                        r".*--partition-range 2021-01-01\.\.\.2021-12-31"):
        materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR))
    assert _sha(yearly) == before


def test_a_row_of_a_city_without_a_profile_fails_the_foreign_key_check(year_of_days, resources, instance):
    day = layout.daily_path(year_of_days.data_path, "sample", date(YEAR, 6, 2))
    stray = pl.read_parquet(day).with_columns(
        city_id=pl.when(pl.col("city_id") == pl.col("city_id").max()).then(999_999).otherwise(pl.col("city_id")))
    write_parquet_atomic(stray.to_arrow(), day, MEASUREMENT_SCHEMA, layout.hourly_identity(year_of_days.seed, "sample"))
    result = materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR), raise_on_error=False)
    outcomes = check_outcomes(result)
    assert not result.success and outcomes["city_fk"] is False and outcomes["values_in_model_ranges"] is True
    assert not layout.yearly_path(year_of_days.data_path, "sample", YEAR).exists()


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
    roll_up_failing_the_weekend_check(year_of_days, resources, instance, YEAR)


def test_yearly_partitions_are_years_from_2020_including_the_current_one():
    keys = assets.yearly_measurements.partitions_def.get_partition_keys()
    assert keys[0] == "2020"
    assert keys[-1] == str(date.today().year)
    assert isinstance(assets.yearly_measurements.backfill_policy, dg.BackfillPolicy)


@pytest.fixture
def two_years_of_days(settings, tmp_path_factory):
    return copy_made_days(settings, "2020-01-01", "2021-12-31", tmp_path_factory.getbasetemp())


def _year_written_file_by_file(settings, year: int, path) -> str:
    """The year as the roll-up used to make it: each daily file read alone, sorted, the shared writer."""
    days = sorted(layout.hourly_dir(settings.data_path, "sample").glob(f"{year}/*.parquet"))
    table = pa.concat_tables(read_parquet_checked(d, MEASUREMENT_SCHEMA, fix="-",
                                                  identity=layout.hourly_identity(settings.seed, "sample"))
                             for d in days)
    table = table.sort_by([("timestamp", "ascending"), ("city_id", "ascending")])
    return _sha(write_parquet_atomic(table, path, MEASUREMENT_SCHEMA,
                                     layout.yearly_identity(settings.seed, "sample")).path)


def test_a_range_run_writes_the_bytes_of_year_by_year_runs_and_of_the_plain_writer(
        two_years_of_days, resources, instance, tmp_path):
    settings = two_years_of_days
    materialize([assets.YEARLY], resources, instance, partition_range=("2020", "2021"))
    paths = {year: layout.yearly_path(settings.data_path, "sample", year) for year in (2020, 2021)}
    in_one_run = {year: _sha(path) for year, path in paths.items()}
    for year in (2020, 2021):
        materialize([assets.YEARLY], resources, instance, partition_key=str(year))
    assert {year: _sha(path) for year, path in paths.items()} == in_one_run
    assert in_one_run == {year: _year_written_file_by_file(settings, year, tmp_path / f"{year}.parquet")
                          for year in (2020, 2021)}


def test_in_a_range_run_a_failing_year_leaves_its_old_file_and_the_good_year_is_published(
        two_years_of_days, resources, instance, tmp_path):
    settings = two_years_of_days
    materialize([assets.YEARLY], resources, instance, partition_key="2021")
    old_2021 = _sha(layout.yearly_path(settings.data_path, "sample", 2021))
    day = layout.daily_path(settings.data_path, "sample", date(2021, 3, 1))
    write_parquet_atomic(pl.read_parquet(day).with_columns(pm25=-1.0).to_arrow(), day, MEASUREMENT_SCHEMA,
                         layout.hourly_identity(settings.seed, "sample"))
    result = materialize([assets.YEARLY], resources, instance, partition_range=("2020", "2021"), raise_on_error=False)
    assert not result.success and check_outcomes(result)["values_in_model_ranges"] is False
    assert _sha(layout.yearly_path(settings.data_path, "sample", 2021)) == old_2021
    assert _sha(layout.yearly_path(settings.data_path, "sample", 2020)) == _year_written_file_by_file(
        settings, 2020, tmp_path / "2020.parquet")


def test_the_roll_up_tally_counts_what_the_generic_tally_counts():
    cities = select_cities("sample").sort("city_id")
    table = pa.concat_tables(t for _, _, t in iter_hourly_chunks(cities, date(2021, 3, 1), date(2021, 3, 4), 7))
    repeated = pa.concat_tables([table, table.slice(100, 5)]).sort_by([("timestamp", "ascending"),
                                                                      ("city_id", "ascending")])
    shuffled = pa.concat_tables([table.slice(3000), table.slice(0, 3000), table.slice(10, 2)])
    # ordered grids with an hour missing (a day of 23 rows per city), a row missing, a city missing
    hour_gone = pa.concat_tables([table.slice(0, 300), table.slice(310)])
    row_gone = pa.concat_tables([table.slice(0, 300), table.slice(301)])
    city_gone = table.filter(pc.not_equal(table["city_id"], cities["city_id"][4]))
    duplicates, wrong_sizes = [], []
    for case in (table, repeated, shuffled, hour_gone, row_gone, city_gone):
        ours = IntegrityTally(cities["city_id"])
        ours.add(case)
        generic = checks.Tally(INTEGRITY, {CITIES: cities["city_id"]})
        generic.add(pl.from_arrow(case))
        assert ours.counts == generic.counts and ours.rows == generic.rows == case.num_rows
        duplicates.append(ours.counts["unique_city_timestamp"]["duplicates"])
        wrong_sizes.append(ours.counts["rows_per_city_day"]["wrong_group_size"])
    assert duplicates == [0, 5, 2, 0, 0, 0]
    assert wrong_sizes[3:] == [10, 1, 0] and ours.counts["rows_per_city_day"]["missing_keys"] == 3
    # the grid shortcut counted the first and the hour-less table, the generic count the others
    assert [aq_checks._rows_per_city_day_on_grid(case, cities["city_id"]) is not None
            for case in (table, hour_gone, row_gone, city_gone)] == [True, True, False, False]


@pytest.mark.parametrize("rows_per_chunk", [240, 77, 10_000])
def test_the_grid_is_the_same_whatever_the_chunks_of_the_table(rows_per_chunk):
    cities = select_cities("sample").sort("city_id")
    table = pa.concat_tables(t for _, _, t in iter_hourly_chunks(cities, date(2021, 3, 1), date(2021, 3, 4), 7))
    rechunked = pa.Table.from_batches(table.to_batches(max_chunksize=rows_per_chunk))
    whole, pieces = effects.to_grid(table.combine_chunks(), cities), effects.to_grid(rechunked, cities)
    frame = pl.from_arrow(table)
    for name, values in pieces.values.items():
        assert values.flags.c_contiguous and values.shape == (10, 72)
        assert np.array_equal(values, whole.values[name])
        assert np.array_equal(values[3], frame.filter(pl.col("city_id") == cities["city_id"][3])[name].to_numpy())
