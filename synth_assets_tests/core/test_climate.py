"""synth_assets.core.climate: the weather model, checked against its constants and its normals."""

from __future__ import annotations

import numpy as np
import pytest

from synth_assets.core import climate as c
from synth_assets.core.calendar import local_calendar

# London-like and São Paulo-like monthly means: a northern and a southern season
NORTH = [5.6, 5.8, 7.9, 10.5, 13.7, 16.8, 19.0, 18.7, 15.9, 12.3, 8.4, 5.9]
SOUTH = [23.0, 23.4, 22.7, 20.7, 18.4, 17.1, 16.8, 18.1, 18.9, 20.3, 21.4, 22.4]


def _hours_of_year(year: int = 2021) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hours = np.arange(np.datetime64(f"{year}-01-01T00", "h"), np.datetime64(f"{year + 1}-01-01T00", "h"))
    calendar = local_calendar(hours, ["UTC"])
    return calendar.day_of_year, calendar.hour, calendar.month


def test_seasonal_curve_reproduces_the_monthly_means():
    day_of_year, hour, month = _hours_of_year()
    monthly = np.array([NORTH, SOUTH])
    curve = c.seasonal(monthly, c.season_basis(np.broadcast_to(day_of_year, (2, day_of_year.shape[1])),
                                               np.broadcast_to(hour, (2, hour.shape[1]))))
    for m in range(1, 13):
        in_month = month[0] == m
        np.testing.assert_allclose(curve[:, in_month].mean(axis=1), monthly[:, m - 1], atol=0.3)
    # smooth: no jump between consecutive hours larger than a fraction of a degree
    assert np.abs(np.diff(curve, axis=1)).max() < 0.05
    # the mean of the year is the mean of the months
    np.testing.assert_allclose(curve.mean(axis=1), monthly.mean(axis=1), atol=0.05)


def test_coefficients_of_a_flat_climate_are_its_mean_only():
    coefficients = c.seasonal_coefficients(np.full((1, 12), 17.5))
    np.testing.assert_allclose(coefficients, [[17.5] + [0.0] * (2 * c.HARMONICS)], atol=1e-12)


def test_temperature_adds_the_daily_cycle_and_the_anomalies():
    hours = np.arange(24)[None, :]
    seasonal = np.full((1, 24), 20.0)
    zero = np.zeros((1, 24))
    t = c.temperature(seasonal, hours, zero, zero)
    assert int(np.argmax(t)) == c.TEMP_DIURNAL_PEAK_HOUR
    assert t.max() - t.min() == pytest.approx(2 * c.TEMP_DIURNAL_AMPLITUDE_C)
    assert t.mean() == pytest.approx(20.0)                       # the daily cycle averages out
    shifted = c.temperature(seasonal, hours, np.ones((1, 24)), -np.ones((1, 24)))
    np.testing.assert_allclose(shifted - t, c.TEMP_DAY_ANOMALY_SD_C - c.TEMP_HOUR_NOISE_SD_C)


def test_humidity_is_the_normal_and_falls_when_the_hour_is_warmer_than_the_season():
    seasonal_pct = np.full((1, 221), 70.0)
    seasonal_c = np.full((1, 221), 15.0)
    temps = np.linspace(-50, 60, 221)[None, :]
    zero = np.zeros_like(temps)
    h = c.humidity(seasonal_pct, temps, seasonal_c, zero, zero)
    low, high = c.HUMIDITY_RANGE
    assert (h >= low).all() and (h <= high).all()
    assert (np.diff(h) <= 0).all() and (np.diff(h) < 0).any()   # warmer -> drier
    at_normal = c.humidity(np.array([[70.0]]), np.array([[15.0]]), np.array([[15.0]]),
                           np.zeros((1, 1)), np.zeros((1, 1)))
    assert at_normal[0, 0] == pytest.approx(70.0)
    rng = np.random.default_rng(0)
    wild = c.humidity(seasonal_pct, temps, seasonal_c, rng.normal(0, 5, temps.shape), rng.normal(0, 5, temps.shape))
    assert (wild >= low).all() and (wild <= high).all()


@pytest.mark.parametrize("share", [0.0, 0.05, 0.3, 0.7, 0.95])
def test_hourly_rain_probability_gives_the_share_of_rainy_days(share):
    p = c.hourly_rain_probability(np.array([share]))[0]
    assert 1.0 - (1.0 - p) ** 24 == pytest.approx(share, abs=1e-9)


def test_rain_probability_follows_the_month_and_the_humidity_link():
    share = np.array([[0.0] * 6 + [0.5] * 6])
    month = np.array([[1, 7, 7, 7]])
    seasonal = np.full((1, 4), 60.0)
    humid = np.array([[90.0, 60.0, 70.0, 200.0]])
    p = c.rain_probability(share, month, humid, seasonal)
    base = c.hourly_rain_probability(np.array([0.5]))[0]
    assert p[0, 0] == 0.0                                         # a dry month never rains
    assert p[0, 1] == pytest.approx(base)                         # at the normal humidity: the calibrated rate
    assert p[0, 2] == pytest.approx(base * (1 + 10 * c.RAIN_HUMIDITY_LINK_PER_PCT))
    assert p[0, 3] == pytest.approx(base * c.RAIN_HUMIDITY_LINK_RANGE[1])  # the link is capped


def test_latitude_normals_follow_hemisphere_lapse_rate_and_coast():
    latitude = np.array([45.0, -45.0, 45.0, 45.0, 0.0])
    coastal = np.array([False, False, True, False, False])
    altitude = np.array([0.0, 0.0, 0.0, 1000.0, 0.0])
    t, h, r = c.latitude_normals(latitude, coastal, altitude)
    assert t.shape == h.shape == r.shape == (5, 12)
    assert t[0, 0] < t[0, 6] and t[1, 0] > t[1, 6]                # north: cold January; south: cold July
    # 27 °C up to 15°, then 0.55 °C colder per degree: 10.5 °C annual mean at ±45°
    assert t[0].mean() == pytest.approx(10.5, abs=0.2)
    np.testing.assert_allclose(t[3] - t[0], -c.LAPSE_RATE_C_PER_KM)  # 1 km higher: 6.5 °C colder
    assert np.ptp(t[2]) < np.ptp(t[0])                            # the sea damps the seasons
    assert (h[2] > h[0]).all()                                    # and adds humidity
    assert ((r >= c.RAIN_SHARE_RANGE[0]) & (r <= c.RAIN_SHARE_RANGE[1])).all()


def test_daily_table_reproduces_the_monthly_means_and_is_read_by_day_of_year():
    day_of_year, _, month = _hours_of_year(2021)
    monthly = np.array([NORTH, SOUTH])
    table = c.daily_seasonal(monthly)
    assert table.shape == (2, 367)
    values = c.on_days(table, np.broadcast_to(day_of_year, (2, day_of_year.shape[1])))
    for m in range(1, 13):
        np.testing.assert_allclose(values[:, month[0] == m].mean(axis=1), monthly[:, m - 1], atol=0.3)
    assert np.abs(np.diff(table[:, 1:], axis=1)).max() < 0.3   # at most a few tenths of a degree a day
    np.testing.assert_array_equal(values[:, :24], np.repeat(table[:, 1:2], 24, axis=1))  # 1 January
