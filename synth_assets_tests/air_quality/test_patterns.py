"""synth_assets.air_quality.patterns: every factor checked against the constants in models.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from synth_assets.air_quality import models as m
from synth_assets.air_quality import patterns

P = m.PATTERNS
UTC = timezone.utc


def test_pattern_constants_are_the_seed_spec():
    # DESIGN.md section 4: rush 7-9 and 17-19 x1.4, night 22-5 x0.6
    assert P.rush_hours == {7, 8, 9, 17, 18, 19} and P.rush_factor == 1.4
    assert P.night_hours == {22, 23, 0, 1, 2, 3, 4, 5} and P.night_factor == 0.6
    # midday (the baseline the rush/night effects are measured against) is a subset of the factor-1 hours
    assert P.midday_hours == set(range(10, 17))
    assert not (P.rush_hours & P.night_hours) and not (P.midday_hours & (P.rush_hours | P.night_hours))


@pytest.mark.parametrize("hour", range(24))
def test_hour_factor(hour):
    expected = P.rush_factor if hour in P.rush_hours else P.night_factor if hour in P.night_hours else 1.0
    assert patterns.hour_factor(np.array([hour]))[0] == expected


def test_hour_factor_by_name_and_shape():
    hours = np.arange(24).reshape(2, 12)
    factors = patterns.hour_factor(hours)
    assert factors.shape == (2, 12)
    flat = factors.ravel()
    assert [h for h in range(24) if flat[h] == 1.4] == [7, 8, 9, 17, 18, 19]
    assert [h for h in range(24) if flat[h] == 0.6] == [0, 1, 2, 3, 4, 5, 22, 23]
    assert [h for h in range(24) if flat[h] == 1.0] == [6, 10, 11, 12, 13, 14, 15, 16, 20, 21]


def test_weekend_mask_by_country():
    iso_weekdays = np.tile(np.arange(1, 8), (4, 1))  # Monday=1 .. Sunday=7 for each city
    mask = patterns.weekend_mask(iso_weekdays, ["US", "EG", "IR", "AF"])
    codes = ["US", "EG", "IR", "AF"]
    weekend = {code: [d for d, flag in zip(range(1, 8), row) if flag] for code, row in zip(codes, mask)}
    assert weekend == {"US": [6, 7], "EG": [5, 6], "IR": [5], "AF": [4, 5]}


def test_weekend_mask_on_real_dates():
    # 2021-06-04 is a Friday, 2021-06-06 a Sunday
    friday, sunday = date(2021, 6, 4).isoweekday(), date(2021, 6, 6).isoweekday()
    days = np.array([[friday, sunday]] * 3)
    mask = patterns.weekend_mask(days, ["GB", "EG", "IR"])
    np.testing.assert_array_equal(mask, [[False, True], [True, False], [True, False]])


def test_winter_and_summer_by_hemisphere():
    months = np.tile(np.arange(1, 13), (2, 1))
    latitude = np.array([[40.7], [-23.5]])
    winter = patterns.winter_mask(months, latitude)
    summer = patterns.summer_mask(months, latitude)
    as_months = lambda row: [mo for mo, flag in zip(range(1, 13), row) if flag]  # noqa: E731
    assert as_months(winter[0]) == [1, 2, 12] and as_months(summer[0]) == [6, 7, 8]
    assert as_months(winter[1]) == [6, 7, 8] and as_months(summer[1]) == [1, 2, 12]
    assert not (winter & summer).any()


def _zoneinfo_calendar(hours: list[datetime], zone: str) -> dict[str, list[int]]:
    local = [h.astimezone(ZoneInfo(zone)) for h in hours]
    return {"hour": [t.hour for t in local], "weekday": [t.isoweekday() for t in local],
            "month": [t.month for t in local], "day_of_year": [t.timetuple().tm_yday for t in local]}


@pytest.mark.parametrize("first_utc, zones", [
    (datetime(2021, 3, 13, tzinfo=UTC), ["America/New_York", "Asia/Kolkata", "America/New_York", "Europe/London"]),
    (datetime(2021, 10, 30, tzinfo=UTC), ["Europe/London", "Asia/Tokyo", "America/Sao_Paulo"]),
    (datetime(2020, 12, 31, tzinfo=UTC), ["Asia/Kolkata", "America/Mexico_City", "Pacific/Auckland"]),
    (datetime(2020, 2, 28, tzinfo=UTC), ["America/Sao_Paulo", "Africa/Cairo"]),
])
def test_local_calendar_matches_zoneinfo(first_utc, zones):
    hours = [first_utc + timedelta(hours=i) for i in range(72)]
    hours_np = np.datetime64(first_utc.replace(tzinfo=None), "h") + np.arange(72).astype("timedelta64[h]")
    calendar = patterns.local_calendar(hours_np, zones)
    for row, zone in enumerate(zones):
        expected = _zoneinfo_calendar(hours, zone)
        for field in ("hour", "weekday", "month", "day_of_year"):
            assert getattr(calendar, field).shape == (len(zones), 72)
            assert getattr(calendar, field)[row].tolist() == expected[field], (zone, field)


def test_the_dst_windows_really_change_the_offset():
    # guards the test above: the windows used do contain a DST change
    ny = ZoneInfo("America/New_York")
    assert datetime(2021, 3, 13, 12, tzinfo=UTC).astimezone(ny).utcoffset() != \
        datetime(2021, 3, 15, 12, tzinfo=UTC).astimezone(ny).utcoffset()
    london = ZoneInfo("Europe/London")
    assert datetime(2021, 10, 30, 12, tzinfo=UTC).astimezone(london).utcoffset() != \
        datetime(2021, 11, 1, 12, tzinfo=UTC).astimezone(london).utcoffset()


def test_local_calendar_half_hour_zone_and_dst_hours():
    hours = np.datetime64("2021-03-14T05", "h") + np.arange(3).astype("timedelta64[h]")
    cal = patterns.local_calendar(hours, ["America/New_York", "Asia/Kolkata"])
    # New York: 05 UTC = 00 EST, 06 UTC = 01 EST, 07 UTC = 03 EDT (02:00 does not exist that day)
    assert cal.hour[0].tolist() == [0, 1, 3]
    # Kolkata is +05:30: 05 UTC = 10:30, hour 10
    assert cal.hour[1].tolist() == [10, 11, 12]


def test_wind_factor_bounds():
    full = P.wind_full_effect_kmh
    assert patterns.wind_factor(np.array([0.0]))[0] == 1.0
    assert patterns.wind_factor(np.array([full]))[0] == pytest.approx(1 - P.wind_max_reduction)
    assert 1 - P.wind_max_reduction == pytest.approx(0.7)
    np.testing.assert_allclose(patterns.wind_factor(np.array([full * 2, 150.0, 200.0])), 0.7)
    assert patterns.wind_factor(np.array([full / 2]))[0] == pytest.approx(1 - P.wind_max_reduction / 2)
    grid = np.linspace(0, 60, 601)
    factors = patterns.wind_factor(grid)
    assert (np.diff(factors) <= 0).all()
    assert factors.min() == pytest.approx(0.7) and factors.max() == 1.0


def test_noise_factor_within_five_percent():
    z = np.linspace(-10, 10, 2001)
    f = patterns.noise_factor(z)
    assert f.min() == pytest.approx(1 - P.noise_pct) and f.max() == pytest.approx(1 + P.noise_pct)
    assert patterns.noise_factor(np.array([0.0]))[0] == 1.0
    assert (np.diff(f) >= 0).all()
    # sigma is noise_pct / 2 where not clipped
    assert patterns.noise_factor(np.array([1.0]))[0] == pytest.approx(1 + P.noise_pct / 2)


def test_humidity_range_and_inverse_relation_to_temperature():
    latitude, coastal = np.array([[40.0], [10.0]]), np.array([[False], [True]])
    annual_mean, _ = patterns.climate(latitude, coastal)
    temps = np.tile(np.linspace(-50, 60, 221), (2, 1))
    zero = np.zeros_like(temps)
    h = patterns.humidity(temps, latitude, coastal, zero, zero)
    low, high = m.HUMIDITY_RANGE
    assert (h >= low).all() and (h <= high).all()
    assert (np.diff(h, axis=1) <= 0).all()                  # warmer -> drier
    assert (np.diff(h, axis=1) < 0).any(axis=1).all()
    # at the city's annual mean temperature humidity is the base level (+ the coastal bonus)
    at_mean = patterns.humidity(annual_mean, latitude, coastal, np.zeros((2, 1)), np.zeros((2, 1)))
    np.testing.assert_allclose(at_mean.ravel(),
                               [m.HUMIDITY_BASE_PCT, m.HUMIDITY_BASE_PCT + m.HUMIDITY_COASTAL_BONUS_PCT])
    # extreme anomalies stay in range
    rng = np.random.default_rng(0)
    wild = patterns.humidity(temps, latitude, coastal, rng.normal(0, 5, temps.shape), rng.normal(0, 5, temps.shape))
    assert (wild >= low).all() and (wild <= high).all()


def test_rain_probability_is_clipped_and_increasing():
    hum = np.linspace(0, 100, 1001)
    prob = patterns.rain_probability(hum)
    assert prob.min() >= 0 and prob.max() <= m.RAIN_MAX_PROBABILITY
    assert (np.diff(prob) >= 0).all()
    assert patterns.rain_probability(np.array([60.0]))[0] == pytest.approx(m.RAIN_BASE_PROBABILITY)


def test_geographic_and_weather_factors():
    coastal = np.array([[False], [True], [False], [True]])
    industrial = np.array([[False], [False], [True], [True]])
    np.testing.assert_allclose(patterns.geographic_factor(coastal, industrial).ravel(),
                               [1.0, 0.75, 1.35, 0.75 * 1.35])
    np.testing.assert_allclose(patterns.weather_factor(np.array([0.0, 0.0, 30.0]), np.array([False, True, True])),
                               [1.0, 0.6, 0.7 * 0.6])


def test_temporal_factor_combines_hour_weekend_and_winter():
    # 2021-01-09 is a Saturday; 08:00 local in New York is 13:00 UTC (EST)
    hours = np.array([np.datetime64("2021-01-09T13", "h"), np.datetime64("2021-07-07T15", "h")])
    cal = patterns.local_calendar(hours, ["America/New_York"])
    factor = patterns.temporal_factor(cal, np.array([[40.7]]), ["US"])
    # Saturday rush hour in northern winter; Wednesday 11:00 EDT in summer (baseline)
    np.testing.assert_allclose(factor.ravel(), [P.rush_factor * P.weekend_factor * P.winter_factor, 1.0])


def test_temperature_season_follows_hemisphere():
    hours = np.array([np.datetime64("2021-01-15T12", "h"), np.datetime64("2021-07-15T12", "h")])
    cal = patterns.local_calendar(hours, ["UTC", "UTC"])
    latitude, coastal = np.array([[45.0], [-35.0]]), np.array([[False], [False]])
    zero = np.zeros((2, 2))
    t = patterns.temperature(latitude, coastal, cal, zero, zero)
    assert t[0, 0] < t[0, 1]   # north: January colder than July
    assert t[1, 0] > t[1, 1]   # south: the opposite
