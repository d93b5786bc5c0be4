"""The context generators, tested directly: same values as the air-quality family, local days with
their DST lengths, reference means kept, prices that follow demand and carbon, and reproducibility."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.measurements import generate_hourly
from synth_assets.core.bounds import field_ranges
from synth_assets.core.calendar import holiday_mask, local_dates
from synth_assets.core.checks import count_out_of_range
from synth_assets.core.sun import sun_position
from synth_assets.smart_home.context import calendar, carbon, external, pricing, weather
from synth_assets.smart_home.context import models as m
from synth_assets.smart_home.context.local_hours import local_day_hours
from synth_assets_tests.smart_home.context_homes import context_homes

SEED = 11
HOURLY = {"weather": weather.weather_day, "external_data": external.external_day}
REGIONAL = {"carbon_intensity": carbon.carbon_intensity_day, "electricity_prices": pricing.electricity_prices_day}
DAILY = {**HOURLY, **REGIONAL, "calendar": calendar.calendar_day}
MODELS = {"weather": m.WeatherHour, "external_data": m.ExternalDataHour, "carbon_intensity": m.CarbonIntensityHour,
          "electricity_prices": m.ElectricityPriceHour, "calendar": m.CalendarDay}


def _air_quality(homes: pl.DataFrame, first: date, last: date) -> pl.DataFrame:
    cities = select_cities("full").filter(pl.col("city_id").is_in(homes["city_id"].implode()))
    return pl.from_arrow(generate_hourly(cities, first, last + timedelta(days=1), SEED))


@pytest.mark.parametrize("day", [date(2021, 3, 28), date(2021, 11, 7), date(2023, 7, 15)])
def test_weather_and_air_quality_equal_the_air_quality_family_at_every_hour(day):
    homes = context_homes()
    truth = _air_quality(homes, day - timedelta(days=1), day + timedelta(days=1))
    rows = (pl.from_arrow(weather.weather_day(homes, day, SEED))
            .join(pl.from_arrow(external.external_day(homes, day, SEED)), on=["home_id", "timestamp"])
            .join(homes.select("home_id", "city_id"), on="home_id"))
    joined = rows.join(truth, on=["city_id", "timestamp"], how="left", suffix="_aq")
    assert joined.height == rows.height
    for column in ("temperature_c", "humidity_pct", "wind_speed_kmh", "is_raining",
                   "pm25", "pm10", "no2", "so2", "co", "o3"):
        assert joined[column].null_count() == 0
        assert (joined[column] == joined[f"{column}_aq"]).all(), column


def test_rows_cover_each_homes_local_day_with_its_dst_length():
    homes = context_homes()
    berlin, new_york = "home_00001", "home_00002"
    for day, expected in ((date(2021, 3, 28), {berlin: 23, new_york: 24}), (date(2021, 10, 31), {berlin: 25}),
                          (date(2021, 3, 14), {new_york: 23, berlin: 24}), (date(2021, 11, 7), {new_york: 25})):
        table = pl.from_arrow(weather.weather_day(homes, day, SEED))
        counts = dict(table.group_by("home_id").len().iter_rows())
        for home, hours in expected.items():
            assert counts[home] == hours, (day, home)
        assert set(counts.values()) <= {23, 24, 25}
        zones = homes.sort("home_index")["timezone"].to_list()
        position = {h: i for i, h in enumerate(homes.sort("home_index")["home_id"].to_list())}
        stamps = table["timestamp"].dt.replace_time_zone(None).to_numpy().astype("datetime64[h]")
        for home, stamp, local_hour in zip(table["home_id"], stamps, table["local_hour"], strict=True):
            local = local_dates(np.array([stamp]), [zones[position[home]]])[0, 0]
            assert local == np.datetime64(day), (home, stamp)
            assert 0 <= local_hour <= 23
        assert table["local_hour"].is_sorted() is False  # several homes, each from 0 to 23


def test_local_day_hours_are_ascending_per_home_and_contiguous():
    hours = local_day_hours(["Asia/Kolkata", "Pacific/Kiritimati", "Pacific/Pago_Pago"], date(2022, 5, 2))
    for location in range(3):
        stamps = hours.timestamp[hours.location == location]
        assert len(stamps) == 24
        assert np.all(np.diff(stamps).astype(np.int64) == 1)
    assert hours.local_hour[hours.location == 0].tolist() == list(range(24))  # 05:30 offset: hour starts at :30


def test_the_first_partition_east_of_greenwich_starts_before_the_air_quality_streams():
    homes = context_homes(("Tokyo", "Sydney", "New York City"))
    day = date(2020, 1, 1)
    table = pl.from_arrow(weather.weather_day(homes, day, SEED))
    assert dict(table.group_by("home_id").len().iter_rows()) == {h: 24 for h in homes["home_id"]}
    assert table["timestamp"].min().year == 2019  # Sydney's and Tokyo's morning of 1 January
    after = table.filter(pl.col("timestamp").dt.year() == 2020).join(homes.select("home_id", "city_id"), on="home_id")
    truth = _air_quality(homes, day, day + timedelta(days=1))
    joined = after.join(truth, on=["city_id", "timestamp"], suffix="_aq")
    assert joined.height == after.height > 0
    assert (joined["temperature_c"] == joined["temperature_c_aq"]).all()


def test_sun_position_and_daylight_at_the_middle_of_each_hour():
    homes = context_homes(("Berlin", "Sydney"))
    table = pl.from_arrow(external.external_day(homes, date(2022, 6, 21), SEED)).join(homes, on="home_id")
    middle = table["timestamp"].dt.replace_time_zone(None).to_numpy() + np.timedelta64(30, "m")
    sun = sun_position(middle, table["latitude"].to_numpy(), table["longitude"].to_numpy())
    np.testing.assert_allclose(table["sun_elevation_deg"].to_numpy(), sun.elevation_deg, atol=0.006)
    assert (table["is_daylight"].to_numpy() == (sun.elevation_deg > m.DAYLIGHT_MIN_ELEVATION_DEG)).all()
    daylight = dict(table.group_by("home_id").agg(pl.col("is_daylight").sum()).iter_rows())
    assert daylight["home_00001"] >= 16 and daylight["home_00002"] <= 11  # Berlin's longest day, Sydney's shortest


@pytest.mark.parametrize("name", sorted(DAILY))
def test_values_inside_the_model_ranges_and_no_nulls(name):
    homes = context_homes()
    table = pl.from_arrow(DAILY[name](homes, date(2022, 1, 17), SEED))
    assert table.height > 0
    assert sum(count_out_of_range(table, field_ranges(MODELS[name])).values()) == 0
    nullable = {"holiday_name"}
    assert all(table[c].null_count() == 0 for c in table.columns if c not in nullable)


@pytest.mark.parametrize("name", sorted(DAILY))
def test_same_seed_same_bytes_other_seed_other_values(name):
    homes = context_homes()

    def parquet(seed: int) -> bytes:
        buffer = io.BytesIO()
        pq.write_table(DAILY[name](homes, date(2022, 8, 1), seed), buffer)
        return buffer.getvalue()

    assert parquet(SEED) == parquet(SEED)
    assert parquet(SEED) != parquet(SEED + 1)


@pytest.mark.parametrize("name", sorted(DAILY))
def test_adding_homes_leaves_existing_rows_identical(name):
    few = context_homes(("Berlin", "Tokyo", "Delhi"))
    more = pl.concat([few, context_homes(("Sydney", "Los Angeles", "Riyadh"), first_index=4)])
    day = date(2021, 12, 24)
    alone = pl.from_arrow(DAILY[name](few, day, SEED))
    key = "region_id" if name in REGIONAL else "home_id"
    together = pl.from_arrow(DAILY[name](more, day, SEED)).filter(pl.col(key).is_in(alone[key].implode()))
    assert together.equals(alone)
    assert pl.from_arrow(DAILY[name](more, day, SEED)).height > alone.height


def test_carbon_annual_mean_within_ten_percent_of_the_published_mean():
    countries = carbon.grid_countries(["DE", "FR", "IN", "AU", "BR", "US", "NO", "ZA"])
    grid = carbon.carbon_grid(countries, date(2022, 1, 1), date(2022, 12, 31), SEED)
    ratio = grid.values.mean(axis=1) / countries["gco2_per_kwh"].to_numpy()
    assert np.all(np.abs(ratio - 1.0) <= 0.10), dict(zip(countries["country_code"], ratio.round(3), strict=True))
    assert np.all(np.abs(ratio - 1.0) <= 0.03)  # the factors average 1: much closer than the tolerance


def test_carbon_dips_at_solar_noon_and_is_higher_in_winter():
    countries = carbon.grid_countries(["DE", "AU"])
    grid = carbon.carbon_grid(countries, date(2022, 1, 1), date(2022, 12, 31), SEED)
    assert countries["country_code"].to_list() == ["AU", "DE"]
    australia, germany = grid.values.reshape(2, 365, 24)
    assert germany[:, 11:13].mean() < germany[:, 18:20].mean()  # Berlin: UTC+1, solar noon ~ 11-12 UTC
    assert germany[:31].mean() > germany[181:212].mean()        # January above July in the north
    assert australia[:31].mean() < australia[181:212].mean()    # and the other way round in the south


def test_reference_files_carry_a_source_or_an_estimate_flag_for_every_country():
    for frame, column in ((carbon.grid_carbon(), "gco2_per_kwh"), (pricing.household_prices(), "usd_per_kwh")):
        assert frame.height >= select_cities("full")["country_code"].n_unique()
        assert (frame["source"].str.len_chars() > 10).all()
        assert frame.filter(~pl.col("estimate"))["source_url"].str.starts_with("http").all()
        assert (frame.filter(pl.col("estimate"))["source"].str.contains("estimate")).all()
        assert (frame[column].cast(pl.Float64) > 0).all()


def test_dynamic_prices_correlate_with_demand_and_carbon_and_tou_follows_its_windows():
    homes = context_homes(("Berlin", "New York City", "Delhi"))
    frames = [pl.from_arrow(pricing.electricity_prices_day(homes, date(2022, 1, 1) + timedelta(days=d), SEED))
              for d in range(0, 364, 13)]
    prices = pl.concat(frames)
    carbon_rows = pl.concat(pl.from_arrow(carbon.carbon_intensity_day(homes, date(2022, 1, 1) + timedelta(days=d),
                                                                       SEED)) for d in range(0, 364, 13))
    joined = prices.join(carbon_rows, on=["region_id", "timestamp"])
    assert joined.height == prices.height
    for _region, rows in joined.group_by("region_id"):
        relative = rows["dynamic_usd_per_kwh"] / rows["flat_usd_per_kwh"]
        assert np.corrcoef(relative, rows["demand_index"])[0, 1] > 0.3
        assert np.corrcoef(relative, rows["carbon_intensity_gco2_per_kwh"])[0, 1] > 0.2
    hours = prices["local_hour"].to_numpy()
    expected = np.where((hours >= 16) & (hours < 21), "peak", np.where((hours >= 23) | (hours < 7), "off_peak",
                                                                        "shoulder"))
    assert (prices["tou_period"].to_numpy() == expected).all()
    multiplier = {"peak": m.TARIFFS.peak_multiplier, "off_peak": m.TARIFFS.off_peak_multiplier,
                  "shoulder": m.TARIFFS.shoulder_multiplier}
    want = prices["flat_usd_per_kwh"].to_numpy() * np.array([multiplier[p] for p in prices["tou_period"]])
    np.testing.assert_allclose(prices["tou_usd_per_kwh"].to_numpy(), want, atol=1e-4)
    flat = dict(prices.group_by("country_code").agg(pl.col("flat_usd_per_kwh").first()).iter_rows())
    reference = dict(pricing.household_prices().select("country_code", "usd_per_kwh").iter_rows())
    assert all(abs(flat[c] - reference[c]) < 1e-9 for c in flat)


def test_calendar_flags_follow_core_holidays_weekends_and_the_homes_routines():
    homes = context_homes()
    days = [date(2022, 1, 1) + timedelta(days=d) for d in range(365)]
    year = pl.concat(pl.from_arrow(calendar.calendar_day(homes, day, SEED)) for day in days)
    codes = homes.sort("home_index")["country_code"].to_list()
    dates = np.array(days, dtype="datetime64[D]")
    holidays = holiday_mask(np.tile(dates, (len(codes), 1)), codes)
    mine = year.sort("home_id", "date")["is_public_holiday"].to_numpy().reshape(len(codes), len(days))
    assert (mine == holidays).all()
    assert year.filter(pl.col("country_code") == "SA", pl.col("weekday") == 5)["is_weekend"].all()  # Friday
    assert not year.filter(pl.col("country_code") == "DE", pl.col("weekday") == 5)["is_weekend"].any()
    assert (year["is_workday"] == (~year["is_weekend"] & ~year["is_public_holiday"])).all()
    per_home = year.group_by("home_id").agg(pl.col("is_vacation").sum(), pl.col("is_work_from_home_day").sum(),
                                            pl.col("is_school_day").sum()).join(homes, on="home_id")
    # a trip may run over New Year and trips may overlap: within a few days of the home's yearly days away
    assert ((per_home["is_vacation"] - per_home["vacation_days_per_year"]).abs() <= 14).all()
    assert per_home["is_vacation"].sum() > 0.7 * per_home["vacation_days_per_year"].sum()
    weeks = 52
    assert (per_home["is_work_from_home_day"] <= per_home["work_from_home_days"] * (weeks + 1)).all()
    assert (per_home.filter(pl.col("work_from_home_days") == 0)["is_work_from_home_day"] == 0).all()
    assert (per_home.filter(pl.col("children") == 0)["is_school_day"] == 0).all()
    assert (per_home.filter(pl.col("children") > 0)["is_school_day"] > 150).all()
    assert not year.filter(pl.col("is_vacation"))["is_school_day"].any()


def test_a_vacation_runs_over_new_year_when_it_starts_in_late_december():
    homes = context_homes()
    index, days = homes["home_index"].to_numpy(), homes["vacation_days_per_year"].to_numpy()
    found = 0
    for year in range(2020, 2030):
        start, length = calendar.trips(index, days, year, SEED)
        end = start + length
        crossing = (end > np.datetime64(f"{year + 1}-01-01")) & (length > 0)
        for home, trip in zip(*np.nonzero(crossing), strict=True):
            flags = calendar.vacation_day(index[[home]], days[[home]], date(year + 1, 1, 1), SEED)
            # on the trip on New Year's Day, at least as many days in as this trip (a longer one may overlap)
            assert flags[0] >= (np.datetime64(f"{year + 1}-01-01") - start[home, trip]).astype(int) + 1
            found += 1
    assert found > 0


def test_unknown_city_or_missing_routine_columns_are_refused():
    homes = context_homes(("Berlin",)).with_columns(pl.lit(1).cast(pl.Int32).alias("city_id"))
    with pytest.raises(ValueError, match="not air-quality cities"):
        weather.weather_day(homes, date(2022, 1, 1), SEED)
    with pytest.raises(ValueError, match="vacation_days_per_year"):
        calendar.calendar_day(context_homes(("Berlin",)).drop("vacation_days_per_year"), date(2022, 1, 1), SEED)


def test_schemas_match_the_models():
    for schema, model in ((m.WEATHER_SCHEMA, m.WeatherHour), (m.EXTERNAL_SCHEMA, m.ExternalDataHour),
                          (m.CALENDAR_SCHEMA, m.CalendarDay)):
        assert schema.names == list(model.model_fields)
    for schema, model in ((m.CARBON_SCHEMA, m.CarbonIntensityHour), (m.PRICE_SCHEMA, m.ElectricityPriceHour)):
        assert set(model.model_fields) <= set(schema.names)
    assert isinstance(m.WEATHER_SCHEMA, pa.Schema)
