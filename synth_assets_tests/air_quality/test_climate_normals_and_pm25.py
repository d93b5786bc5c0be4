"""Issue 13: generated weather against each city's normals, generated PM2.5 against the published mean.

The references are the city table's own columns (built from reference/climate_normals.csv and
reference/city_pm25.csv), so these tests hold the generator to the data file, not to a past run.
"""

from __future__ import annotations

from datetime import date

import dagster as dg
import numpy as np
import polars as pl
import pytest

from synth_assets.air_quality import checks as aq_checks
from synth_assets.air_quality import effects
from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.measurements import generate_hourly, monthly_normals
from synth_assets.air_quality.models import PM25_PUBLISHED_TOLERANCE
from synth_assets.core.calendar import local_calendar

SEED = 11
YEAR = 2023  # not the build script's calibration year (2022) nor its seed (0)
TEMPERATURE_TOLERANCE_C = 2.0      # the target for January and July
HUMIDITY_TOLERANCE_PCT = 7.0       # a month's mean: ~30 days of day-to-day weather (sd 8 %) and clipping
RAIN_SHARE_TOLERANCE = 0.08        # a year of ~365 independent days: 3.5 binomial sd at a share of 0.5


class Grid:
    """A year of one mode as (cities, hours) arrays in local time, with the cities' normals."""

    def __init__(self, mode: str, year: int = YEAR, seed: int = SEED):
        self.cities = select_cities(mode)
        frame = pl.from_arrow(generate_hourly(self.cities, date(year, 1, 1), date(year + 1, 1, 1), seed))
        n = self.cities.height
        hours = frame["timestamp"].to_numpy()[::n].astype("datetime64[h]")
        self.calendar = local_calendar(hours, self.cities["timezone"].to_list())
        self.values = {c: frame[c].to_numpy().reshape(-1, n).T
                       for c in ("temperature_c", "humidity_pct", "is_raining", "pm25")}
        self.normals = {c: monthly_normals(self.cities, c)
                        for c in ("temperature_normals_c", "humidity_normals_pct", "rain_day_share")}

    def monthly_mean(self, column: str) -> np.ndarray:
        """(cities, 12) mean of ``column`` per local calendar month."""
        month = self.calendar.month
        return np.stack([np.nanmean(np.where(month == m, self.values[column], np.nan), axis=1)
                         for m in range(1, 13)], axis=1)

    def rainy_day_share(self) -> np.ndarray:
        """(cities,) share of local days with at least one raining hour."""
        day = self.calendar.day_of_year.astype(np.int64)
        shares = []
        for i in range(self.cities.height):
            rain_hours = np.bincount(day[i], weights=self.values["is_raining"][i].astype(float))
            present = np.bincount(day[i]) > 0
            shares.append((rain_hours[present] > 0).mean())
        return np.array(shares)


@pytest.fixture(scope="module")
def sample() -> Grid:
    return Grid("sample")


def test_every_sample_city_has_published_normals(sample):
    assert not sample.cities["climate_fallback"].any()


@pytest.mark.parametrize("month", [1, 7])
def test_january_and_july_within_two_degrees_of_the_normals(sample, month):
    generated = sample.monthly_mean("temperature_c")[:, month - 1]
    normal = sample.normals["temperature_normals_c"][:, month - 1]
    off = dict(zip(sample.cities["name"], np.round(generated - normal, 2), strict=True))
    assert np.all(np.abs(generated - normal) <= TEMPERATURE_TOLERANCE_C), off


def test_every_month_follows_the_normals(sample):
    # not only the two months the issue names: the whole seasonal curve
    deviation = sample.monthly_mean("temperature_c") - sample.normals["temperature_normals_c"]
    assert np.abs(deviation).max() <= 2.5


def test_humidity_follows_the_normals(sample):
    deviation = sample.monthly_mean("humidity_pct") - sample.normals["humidity_normals_pct"]
    assert np.abs(deviation).max() <= HUMIDITY_TOLERANCE_PCT
    assert np.abs(deviation.mean(axis=1)).max() <= 2.0   # over the year the bias is small


def test_share_of_rainy_days_follows_the_normals(sample):
    generated = sample.rainy_day_share()
    expected = sample.normals["rain_day_share"].mean(axis=1)
    off = dict(zip(sample.cities["name"], np.round(generated - expected, 3), strict=True))
    assert np.all(np.abs(generated - expected) <= RAIN_SHARE_TOLERANCE), off
    # the wet and the dry: Mumbai's monsoon July rains on most days, Cairo's July on none
    month = sample.calendar.month
    names = sample.cities["name"].to_list()
    mumbai, cairo = names.index("Mumbai"), names.index("Cairo")
    assert sample.values["is_raining"][mumbai][month[mumbai] == 7].mean() > 0.02
    assert not sample.values["is_raining"][cairo][month[cairo] == 7].any()


def test_every_city_matches_its_published_pm25_within_15_percent():
    full = Grid("full", year=2021)
    ratio = full.values["pm25"].mean(axis=1) / full.cities["pm25_published"].to_numpy()
    worst = full.cities["name"][int(np.argmax(np.abs(ratio - 1)))]
    assert np.all(np.abs(ratio - 1) <= PM25_PUBLISHED_TOLERANCE), (worst, ratio.min(), ratio.max())


def test_the_fallback_flag_marks_exactly_the_cities_without_normals():
    cities = select_cities("full")
    fallback = cities.filter(pl.col("climate_fallback"))
    assert fallback.height > 0 and (fallback["climate_source"] == "latitude formula (estimate)").all()
    assert not cities.filter(~pl.col("climate_fallback"))["climate_source"].str.contains("latitude").any()


@pytest.fixture(scope="module")
def sample_year_table():
    return generate_hourly(select_cities("sample"), date(YEAR, 1, 1), date(YEAR + 1, 1, 1), SEED)


def _pm25_check(table) -> dg.AssetCheckResult:
    grid = effects.to_grid(table, select_cities("sample"))
    return next(r for r in aq_checks.distribution_results(grid) if r.check_name == aq_checks.PM25_PUBLISHED.name)


def test_the_pm25_check_passes_on_generated_data_and_fails_on_a_city_off_by_20_percent(sample_year_table):
    assert _pm25_check(sample_year_table).passed
    frame = pl.from_arrow(sample_year_table)
    delhi = select_cities("sample").filter(pl.col("name") == "Delhi")["city_id"][0]
    tampered = frame.with_columns(pm25=pl.when(pl.col("city_id") == delhi).then(pl.col("pm25") * 1.2)
                                  .otherwise(pl.col("pm25"))).to_arrow()
    result = _pm25_check(tampered)
    assert not result.passed
    assert result.metadata["observed"].value == pytest.approx(1.2, abs=0.05)


def test_the_pm25_check_does_not_judge_a_partial_year(sample_year_table):
    first_month = sample_year_table.slice(0, 31 * 24 * 10)  # January only: winter, not an annual mean
    result = _pm25_check(first_month)
    assert result.passed and result.severity == dg.AssetCheckSeverity.WARN
