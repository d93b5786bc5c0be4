"""synth_assets.core.sun: the vectorised NOAA equations against astral and published times."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from astral import Observer
from astral import sun as astral_sun

from synth_assets.core import sun

UTC = timezone.utc
# (name, latitude, longitude, zone): mid-latitude and tropical places on every continent
PLACES = [("London", 51.5074, -0.1278, "Europe/London"), ("Tokyo", 35.6895, 139.6917, "Asia/Tokyo"),
          ("Sydney", -33.8688, 151.2093, "Australia/Sydney"), ("New York", 40.7128, -74.006, "America/New_York"),
          ("Quito", -0.1807, -78.4678, "America/Guayaquil"),
          ("Ushuaia", -54.8019, -68.303, "America/Argentina/Ushuaia"),
          ("Cairo", 30.0444, 31.2357, "Africa/Cairo")]
TROMSO = (69.6496, 18.956)


def _utc(value: np.datetime64) -> datetime:
    return value.astype("datetime64[s]").astype(object).replace(tzinfo=UTC)


def _grid(places):
    return np.array([[p[1]] for p in places]), np.array([[p[2]] for p in places])


def test_sun_times_match_astral_through_a_year():
    days = np.arange(np.datetime64("2021-01-01"), np.datetime64("2022-01-01"), 5)
    latitude, longitude = _grid(PLACES)
    times = sun.sun_times(days, latitude, longitude)
    assert times.sunrise.shape == (len(PLACES), len(days))
    assert not (times.polar_day | times.polar_night).any()
    worst = {"sunrise": 0.0, "sunset": 0.0, "noon": 0.0}
    for row, (_, lat, lon, zone) in enumerate(PLACES):
        observer = Observer(lat, lon)
        for column, day in enumerate(days.astype(object)):
            for event, ours in (("sunrise", times.sunrise), ("sunset", times.sunset), ("noon", times.solar_noon)):
                theirs = getattr(astral_sun, event)(observer, day, tzinfo=ZoneInfo(zone))
                worst[event] = max(worst[event], abs((_utc(ours[row, column]) - theirs).total_seconds()))
    assert worst["sunrise"] < 60 and worst["sunset"] < 60 and worst["noon"] < 60, worst


def test_london_midsummer_2021_published_times():
    # timeanddate.com for London, 2021-06-21: sunrise 04:43 BST, sunset 21:21 BST
    times = sun.sun_times(np.array(["2021-06-21"], dtype="datetime64[D]"), np.array([[51.5074]]),
                          np.array([[-0.1278]]))
    sunrise, sunset = _utc(times.sunrise[0, 0]), _utc(times.sunset[0, 0])
    assert abs((sunrise - datetime(2021, 6, 21, 3, 43, 30, tzinfo=UTC)).total_seconds()) <= 60
    assert abs((sunset - datetime(2021, 6, 21, 20, 21, 30, tzinfo=UTC)).total_seconds()) <= 60
    day_length_hours = (sunset - sunrise).total_seconds() / 3600
    assert 16.5 < day_length_hours < 16.7  # the longest day in London: 16 h 38 min


def test_elevation_and_azimuth_match_astral():
    times = np.datetime64("2021-01-01T00:00") + np.arange(0, 365 * 24 * 60, 613).astype("timedelta64[m]")
    latitude, longitude = _grid([*PLACES, ("Tromsø", *TROMSO, "Europe/Oslo")])
    position = sun.sun_position(times, latitude, longitude)
    assert position.elevation_deg.shape == (len(PLACES) + 1, len(times))
    for row in range(latitude.shape[0]):
        observer = Observer(float(latitude[row, 0]), float(longitude[row, 0]))
        elevation = np.array([astral_sun.elevation(observer, _utc(t)) for t in times])
        azimuth = np.array([astral_sun.azimuth(observer, _utc(t)) for t in times])
        np.testing.assert_allclose(position.elevation_deg[row], elevation, atol=0.01)
        azimuth_error = (position.azimuth_deg[row] - azimuth + 180.0) % 360.0 - 180.0
        assert np.abs(azimuth_error).max() < 0.01


def test_noon_sun_is_up_and_due_south_or_north():
    days = np.array(["2021-03-20", "2021-06-21", "2021-12-21"], dtype="datetime64[D]")
    latitude, longitude = np.array([[51.5], [-33.9], [0.0]]), np.array([[-0.13], [151.2], [-78.5]])
    noon = sun.sun_times(days, latitude, longitude).solar_noon
    position = sun.sun_position(noon, latitude, longitude)
    assert (position.elevation_deg > 0).all()
    np.testing.assert_allclose(position.azimuth_deg[0], 180.0, atol=0.5)  # London: sun due south
    assert (np.abs((position.azimuth_deg[1] + 180.0) % 360.0 - 180.0) < 0.5).all()  # Sydney: due north
    # London at the June solstice: 90 - 51.5 + 23.44 = 61.9° (+ a little refraction)
    assert position.elevation_deg[0, 1] == pytest.approx(61.95, abs=0.1)
    # midnight is dark in London
    midnight = np.datetime64("2021-03-20T00:00")
    assert sun.sun_position(midnight, 51.5, -0.13).elevation_deg < -20


def test_polar_night_and_midnight_sun_in_tromso():
    days = np.array(["2021-12-15", "2021-06-21", "2021-03-20"], dtype="datetime64[D]")
    times = sun.sun_times(days, np.array([[TROMSO[0]]]), np.array([[TROMSO[1]]]))
    assert times.polar_night[0].tolist() == [True, False, False]
    assert times.polar_day[0].tolist() == [False, True, False]
    assert np.isnat(times.sunrise[0, :2]).all() and np.isnat(times.sunset[0, :2]).all()
    assert not np.isnat(times.sunrise[0, 2]) and not np.isnat(times.solar_noon[0]).any()
    with pytest.raises(ValueError):  # astral agrees: no sunrise in the polar night
        astral_sun.sunrise(Observer(*TROMSO), datetime(2021, 12, 15).date())
    # the sun stays below the horizon all day on 2021-12-15
    minutes = np.datetime64("2021-12-15T00:00") + np.arange(0, 1440, 10).astype("timedelta64[m]")
    assert sun.sun_position(minutes, *TROMSO).elevation_deg.max() < 0


def test_poles_and_equator_do_not_crash():
    days = np.array(["2021-06-21", "2021-12-21"], dtype="datetime64[D]")
    times = sun.sun_times(days, np.array([[90.0], [-90.0], [0.0]]), np.array([[0.0], [0.0], [0.0]]))
    assert times.polar_day.tolist() == [[True, False], [False, True], [False, False]]
    assert times.polar_night.tolist() == [[False, True], [True, False], [False, False]]
    day_length = (times.sunset[2] - times.sunrise[2]).astype(np.int64) / 3600
    assert ((12.0 < day_length) & (day_length < 12.2)).all()  # ~12 h 7 min at the equator all year
