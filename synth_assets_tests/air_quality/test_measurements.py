"""synth_assets.air_quality.measurements: shape, contract, determinism and the seed's distributions."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from synth_assets.air_quality import effects
from synth_assets.air_quality import models as m
from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.measurements import day_slices, generate_hourly, iter_hourly_chunks
from synth_assets.core.partitions import PartitionOutOfRangeError

SEED = 3
YEAR = 2021
NEW_YORK = 5128581
SAO_PAULO = 3448439
LONDON = 2643743


@pytest.fixture(scope="module")
def cities() -> pl.DataFrame:
    return select_cities("sample")


@pytest.fixture(scope="module")
def year_table(cities) -> pa.Table:
    return generate_hourly(cities, date(YEAR, 1, 1), date(YEAR + 1, 1, 1), SEED)


@pytest.fixture(scope="module")
def year_frame(year_table) -> pl.DataFrame:
    return pl.from_arrow(year_table).with_columns(month=pl.col("timestamp").dt.month())


# ------------------------------------------------------------------------------------------------
# shape and contract
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("start, end", [
    (date(2020, 1, 1), date(2020, 1, 2)), (date(2020, 2, 27), date(2020, 3, 2)), (date(2023, 12, 30), date(2024, 2, 3)),
])
def test_row_count_order_and_schema(cities, start, end):
    table = generate_hourly(cities, start, end, SEED)
    n_days, n_cities = (end - start).days, cities.height
    assert table.num_rows == 24 * n_cities * n_days
    assert table.schema.equals(m.MEASUREMENT_SCHEMA)
    frame = pl.from_arrow(table)
    # (timestamp, city_id) order: hour after hour, every city in id order within an hour
    first = datetime(start.year, start.month, start.day, tzinfo=timezone.utc)
    expected_hours = [first + timedelta(hours=h) for h in range(24 * n_days)]
    assert frame["timestamp"].to_list() == [t for t in expected_hours for _ in range(n_cities)]
    assert frame["city_id"].to_list() == cities["city_id"].to_list() * (24 * n_days)
    assert frame.equals(frame.sort("timestamp", "city_id"))


def test_city_columns_copy_the_reference(cities, year_frame):
    ref = cities.select(pl.col("city_id"), city_name=pl.col("name"), country_name=pl.col("country_name"),
                        country_code=pl.col("country_code"), latitude=pl.col("latitude"),
                        longitude=pl.col("longitude"))
    joined = year_frame.select(ref.columns).unique().sort("city_id")
    assert joined.equals(ref.sort("city_id"))


def test_sampled_rows_validate_against_the_pydantic_model(year_table):
    rows = np.random.default_rng(0).choice(year_table.num_rows, size=400, replace=False)
    for row in year_table.take(pa.array(np.sort(rows))).to_pylist():
        m.AirQualityMeasurement.model_validate(row)


def test_no_nulls_or_nans(year_frame):
    assert year_frame.null_count().sum_horizontal().item() == 0
    floats = [c for c, t in year_frame.schema.items() if t.is_float()]
    assert year_frame.select(pl.col(floats).is_nan().sum()).sum_horizontal().item() == 0


def test_pollutant_ratios_follow_pm25(year_frame):
    # every pollutant is base level x the same factors x its ratio, then +-5 % noise each
    noise = m.PATTERNS.noise_pct
    pm25 = year_frame["pm25"].to_numpy()
    mask = pm25 >= 20  # away from the 0.1 rounding step
    for name, ratio in m.PATTERNS.pollutant_ratios.items():
        quotient = year_frame[name].to_numpy()[mask] / (pm25[mask] * ratio)
        assert quotient.min() >= (1 - noise) / (1 + noise) - 0.01
        assert quotient.max() <= (1 + noise) / (1 - noise) + 0.01


# ------------------------------------------------------------------------------------------------
# determinism
# ------------------------------------------------------------------------------------------------
RANGE = (date(2020, 1, 1), date(2020, 3, 2))  # 2020-01-01 .. 2020-03-01, 61 days, leap day and 2 chunks


@pytest.fixture(scope="module")
def range_table(cities) -> pa.Table:
    return generate_hourly(cities, *RANGE, SEED)


def test_same_inputs_give_identical_tables(cities, range_table):
    assert generate_hourly(cities, *RANGE, SEED).equals(range_table)


def test_range_equals_per_day_calls(cities, range_table):
    start, end = RANGE
    per_day = [generate_hourly(cities, start + timedelta(days=i), start + timedelta(days=i + 1), SEED)
               for i in range((end - start).days)]
    assert pa.concat_tables(per_day).equals(range_table)


@pytest.mark.parametrize("chunk_days", [1, 7, 31, 61, 100])
def test_range_is_independent_of_chunk_size(cities, range_table, chunk_days):
    chunks = list(iter_hourly_chunks(cities, *RANGE, SEED, chunk_days=chunk_days))
    assert [n for _, n, _ in chunks] == [min(chunk_days, 61 - i) for i in range(0, 61, chunk_days)]
    assert [first for first, _, _ in chunks] == [RANGE[0] + timedelta(days=i) for i in range(0, 61, chunk_days)]
    assert pa.concat_tables(t for _, _, t in chunks).equals(range_table)


def test_day_slices_are_the_single_days(cities):
    (first, n_days, chunk), = iter_hourly_chunks(cities, date(2020, 2, 27), date(2020, 3, 2), SEED, chunk_days=10)
    slices = list(day_slices(chunk, first, n_days, cities.height))
    assert [d for d, _ in slices] == [date(2020, 2, 27), date(2020, 2, 28), date(2020, 2, 29), date(2020, 3, 1)]
    for day, table in slices:
        assert table.equals(generate_hourly(cities, day, day + timedelta(days=1), SEED))


def test_a_city_does_not_depend_on_its_companions(cities, range_table):
    alone = generate_hourly(cities.filter(pl.col("city_id") == NEW_YORK), *RANGE, SEED)
    in_company = range_table.filter(pc.equal(range_table["city_id"], NEW_YORK))
    assert alone.num_rows == in_company.num_rows == 24 * 61
    assert alone.equals(in_company)
    three = cities.filter(pl.col("city_id").is_in([LONDON, SAO_PAULO, NEW_YORK]))
    subset = generate_hourly(three, *RANGE, SEED)
    expected = range_table.filter(pc.is_in(range_table["city_id"], pa.array(three["city_id"])))
    assert subset.equals(expected)


def test_another_seed_gives_other_values(cities, range_table):
    other = generate_hourly(cities, *RANGE, SEED + 1)
    for name in ("city_id", "city_name", "timestamp"):
        assert other[name].equals(range_table[name])
    for name in ("pm25", "temperature_c", "humidity_pct", "wind_speed_kmh"):
        same = np.mean(other[name].to_numpy() == range_table[name].to_numpy())
        assert same < 0.2, name
    assert not other["is_raining"].equals(range_table["is_raining"])


def test_days_are_not_copies_of_each_other(range_table, cities):
    rows = 24 * cities.height
    wind = range_table["wind_speed_kmh"].to_numpy().reshape(-1, rows)
    assert len({day.tobytes() for day in wind}) == wind.shape[0]


# ------------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------------
def test_window_before_first_partition_is_refused(cities):
    with pytest.raises(PartitionOutOfRangeError, match="2019-12-31"):
        next(iter_hourly_chunks(cities, date(2019, 12, 31), date(2020, 1, 2), SEED))
    with pytest.raises(PartitionOutOfRangeError):
        generate_hourly(cities, date(2020, 1, 2), date(2020, 1, 1), SEED)


def test_unsorted_or_empty_cities_are_refused(cities):
    with pytest.raises(ValueError, match="sorted by city_id"):
        next(iter_hourly_chunks(cities.sort("city_id", descending=True), date(2020, 1, 1), date(2020, 1, 2), SEED))
    with pytest.raises(ValueError, match="no cities"):
        next(iter_hourly_chunks(cities.head(0), date(2020, 1, 1), date(2020, 1, 2), SEED))


# ------------------------------------------------------------------------------------------------
# the seed's distributions
# ------------------------------------------------------------------------------------------------
def test_measured_effects_match_the_spec(year_table, cities):
    observed = effects.measure_effects(effects.to_grid(year_table, cities))
    expected = effects.expected_effects()
    assert set(observed) == set(expected)
    off = {k: observed[k] / expected[k] - 1 for k in expected
           if observed[k] is None or abs(observed[k] / expected[k] - 1) > m.DISTRIBUTION_TOLERANCE}
    assert off == {}


def _local_hours(frame: pl.DataFrame, cities: pl.DataFrame) -> np.ndarray:
    """Local hour of each row, computed with zoneinfo (independent of patterns.local_calendar)."""
    zone_of = dict(zip(cities["city_id"].to_list(), cities["timezone"].to_list()))
    cache: dict[tuple[datetime, str], int] = {}
    hours = np.empty(frame.height, dtype=np.int64)
    for i, (stamp, city_id) in enumerate(zip(frame["timestamp"].to_list(), frame["city_id"].to_list())):
        key = (stamp, zone_of[city_id])
        if key not in cache:
            cache[key] = stamp.astimezone(ZoneInfo(key[1])).hour
        hours[i] = cache[key]
    return hours


@pytest.mark.parametrize("boost", [2.0, 1.05])
def test_rush_hour_check_fails_on_tampered_data(year_table, year_frame, cities, boost):
    rush = np.isin(_local_hours(year_frame, cities), sorted(m.PATTERNS.rush_hours))
    assert rush.mean() == pytest.approx(6 / 24, abs=1e-3)
    pm25 = year_table["pm25"].to_numpy()
    tampered = year_table.set_column(year_table.schema.get_field_index("pm25"), "pm25",
                                     pa.array(np.where(rush, pm25 * boost, pm25)))
    observed = effects.measure_effects(effects.to_grid(tampered, cities))["rush_hour"]
    assert observed == pytest.approx(m.PATTERNS.rush_factor * boost, rel=0.01)
    assert abs(observed / m.PATTERNS.rush_factor - 1) > m.DISTRIBUTION_TOLERANCE


# ------------------------------------------------------------------------------------------------
# realism
# ------------------------------------------------------------------------------------------------
def _monthly_mean(frame: pl.DataFrame, city_id: int, month: int, column: str = "temperature_c") -> float:
    return frame.filter((pl.col("city_id") == city_id) & (pl.col("month") == month))[column].mean()


@pytest.mark.parametrize("city_id", [NEW_YORK, LONDON, 1816670])  # Beijing
def test_northern_cities_are_colder_in_january(year_frame, city_id):
    assert _monthly_mean(year_frame, city_id, 1) < _monthly_mean(year_frame, city_id, 7)


def test_sao_paulo_is_warmer_in_january(year_frame):
    assert _monthly_mean(year_frame, SAO_PAULO, 1) > _monthly_mean(year_frame, SAO_PAULO, 7)


def test_humidity_falls_as_temperature_rises_within_a_month(year_frame):
    # humidity follows the season's normal (humid summers exist); within a month it is inverse to warmth
    within = year_frame.with_columns(
        (pl.col(c) - pl.col(c).mean().over("city_id", "month")).alias(c) for c in ("humidity_pct", "temperature_c"))
    per_city = within.group_by("city_id").agg(r=pl.corr("humidity_pct", "temperature_c"))
    assert per_city.height == 10
    assert (per_city["r"] < -0.3).all()


def test_wind_is_gamma_distributed(year_frame):
    wind = year_frame["wind_speed_kmh"].to_numpy()
    k, theta = m.PATTERNS.wind_gamma_shape, m.PATTERNS.wind_gamma_scale
    n = wind.size
    assert abs(wind.mean() - k * theta) < 5 * np.sqrt(k * theta**2 / n)
    assert abs(wind.var() - k * theta**2) < 0.05 * k * theta**2
    assert wind.min() >= 0
