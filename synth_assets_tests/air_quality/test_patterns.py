"""synth_assets.air_quality.patterns: every factor checked against the constants in models.py.

The calendar and weather functions it builds on are tested in synth_assets_tests/core.
"""

from __future__ import annotations

import numpy as np
import pytest

from synth_assets.air_quality import models as m
from synth_assets.air_quality import patterns
from synth_assets.core.calendar import local_calendar

P = m.PATTERNS


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
    cal = local_calendar(hours, ["America/New_York"])
    factor = patterns.temporal_factor(cal, np.array([[40.7]]), ["US"])
    # Saturday rush hour in northern winter; Wednesday 11:00 EDT in summer (baseline)
    np.testing.assert_allclose(factor.ravel(), [P.rush_factor * P.weekend_factor * P.winter_factor, 1.0])
