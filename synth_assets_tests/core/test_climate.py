"""synth_assets.core.climate: the weather model, checked against its constants."""

from __future__ import annotations

import numpy as np
import pytest

from synth_assets.core import climate as c
from synth_assets.core.calendar import local_calendar


def test_annual_mean_and_amplitude_by_latitude():
    latitude = np.array([[0.0], [15.0], [45.0], [-45.0], [45.0]])
    coastal = np.array([[False], [False], [False], [False], [True]])
    mean, amplitude = c.annual_mean_and_amplitude(latitude, coastal)
    # 27 °C up to 15°, then 0.55 °C colder per degree: 27 - 0.55 * 30 = 10.5 at ±45°
    np.testing.assert_allclose(mean.ravel(), [27.0, 27.0, 10.5, 10.5, 10.5])
    # half-amplitude 1 + 0.3 per degree, damped to 70 % on the coast
    np.testing.assert_allclose(amplitude.ravel(), [1.0, 5.5, 14.5, 14.5, 14.5 * 0.7])


def test_temperature_season_follows_hemisphere():
    hours = np.array([np.datetime64("2021-01-15T12", "h"), np.datetime64("2021-07-15T12", "h")])
    calendar = local_calendar(hours, ["UTC", "UTC"])
    latitude, coastal = np.array([[45.0], [-35.0]]), np.array([[False], [False]])
    zero = np.zeros((2, 2))
    t = c.temperature(latitude, coastal, calendar.day_of_year, calendar.hour, zero, zero)
    assert t[0, 0] < t[0, 1]   # north: January colder than July
    assert t[1, 0] > t[1, 1]   # south: the opposite
    # mid-January at 45° N, 12:00: mean - amplitude + diurnal cos(2 pi (12 - 15) / 24)
    expected = 10.5 - 14.5 + c.TEMP_DIURNAL_AMPLITUDE_C * np.cos(2 * np.pi * -3 / 24)
    assert t[0, 0] == pytest.approx(expected)


def test_temperature_peaks_at_the_diurnal_peak_hour_and_adds_anomalies():
    hours = np.arange(24)[None, :]
    day = np.full((1, 24), 100)
    latitude, coastal = np.array([[30.0]]), np.array([[False]])
    zero = np.zeros((1, 24))
    t = c.temperature(latitude, coastal, day, hours, zero, zero)
    assert int(np.argmax(t)) == c.TEMP_DIURNAL_PEAK_HOUR
    assert t.max() - t.min() == pytest.approx(2 * c.TEMP_DIURNAL_AMPLITUDE_C)
    shifted = c.temperature(latitude, coastal, day, hours, np.ones((1, 24)), -np.ones((1, 24)))
    np.testing.assert_allclose(shifted - t, c.TEMP_DAY_ANOMALY_SD_C - c.TEMP_HOUR_NOISE_SD_C)


def test_humidity_range_and_inverse_relation_to_temperature():
    latitude, coastal = np.array([[40.0], [10.0]]), np.array([[False], [True]])
    annual_mean, _ = c.annual_mean_and_amplitude(latitude, coastal)
    temps = np.tile(np.linspace(-50, 60, 221), (2, 1))
    zero = np.zeros_like(temps)
    h = c.humidity(temps, latitude, coastal, zero, zero)
    low, high = c.HUMIDITY_RANGE
    assert (h >= low).all() and (h <= high).all()
    assert (np.diff(h, axis=1) <= 0).all()                  # warmer -> drier
    assert (np.diff(h, axis=1) < 0).any(axis=1).all()
    # at the place's annual mean temperature humidity is the base level (+ the coastal bonus)
    at_mean = c.humidity(annual_mean, latitude, coastal, np.zeros((2, 1)), np.zeros((2, 1)))
    np.testing.assert_allclose(at_mean.ravel(),
                               [c.HUMIDITY_BASE_PCT, c.HUMIDITY_BASE_PCT + c.HUMIDITY_COASTAL_BONUS_PCT])
    # extreme anomalies stay in range
    rng = np.random.default_rng(0)
    wild = c.humidity(temps, latitude, coastal, rng.normal(0, 5, temps.shape), rng.normal(0, 5, temps.shape))
    assert (wild >= low).all() and (wild <= high).all()


def test_rain_probability_is_clipped_and_increasing():
    hum = np.linspace(0, 100, 1001)
    prob = c.rain_probability(hum)
    assert prob.min() >= 0 and prob.max() <= c.RAIN_MAX_PROBABILITY
    assert (np.diff(prob) >= 0).all()
    assert c.rain_probability(np.array([60.0]))[0] == pytest.approx(c.RAIN_BASE_PROBABILITY)
    assert c.rain_probability(np.array([70.0]))[0] == pytest.approx(
        c.RAIN_BASE_PROBABILITY + 10 * c.RAIN_PROBABILITY_PER_PCT)
    assert c.rain_probability(np.array([0.0]))[0] == 0.0      # 0.05 - 0.006 * 60 < 0: clipped
    assert c.rain_probability(np.array([200.0]))[0] == c.RAIN_MAX_PROBABILITY  # the cap (not reached <= 100 %)
