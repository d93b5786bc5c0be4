"""Where the sun is: elevation and azimuth per (location, UTC time); sunrise, sunset and solar noon.

Pure numpy (no dagster, no I/O), vectorised over whole (locations, n) grids: the NOAA solar
calculator's equations (https://gml.noaa.gov/grad/solcalc/calcdetails.html, after Jean Meeus,
"Astronomical Algorithms", 1991), which astral implements one value at a time; the tests compare
the two. Accuracy of the method: about a minute for sunrise/sunset and a fraction of a degree for
elevation at latitudes within ±72°; worse near the poles.

Latitude and longitude are in degrees (north and east positive) and broadcast against the times,
for example with shape (locations, 1) against times of shape (hours,) or (locations, hours).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UNIX_EPOCH_JULIAN_DAY = 2440587.5   # Julian day of 1970-01-01T00:00 UTC
J2000_JULIAN_DAY = 2451545.0        # Julian day of 2000-01-01T12:00 TT, the epoch of the NOAA series
DAYS_PER_JULIAN_CENTURY = 36525.0
# Sunrise and sunset: the sun's upper limb on a sea-level horizon, i.e. its centre 0.833° below it
# (34' of standard atmospheric refraction + 16' solar semi-diameter; NOAA solar calculator).
SUNRISE_ZENITH_DEG = 90.833
_MINUTES_PER_DAY = 1440.0
_EVENT_ITERATIONS = 3               # re-evaluating the sun at the estimate converges to < 1 s


@dataclass(frozen=True)
class SunPosition:
    """Apparent position of the sun's centre; arrays of the broadcast shape."""

    elevation_deg: np.ndarray   # above the horizon, refraction included unless asked otherwise
    azimuth_deg: np.ndarray     # clockwise from north: 90 east, 180 south, 270 west


@dataclass(frozen=True)
class SunTimes:
    """Sun events of one solar day per (location, date), as UTC datetime64[s].

    ``sunrise`` and ``sunset`` are NaT where the sun does not cross the horizon that day:
    ``polar_day`` (it stays above) or ``polar_night`` (it stays below).
    """

    sunrise: np.ndarray
    solar_noon: np.ndarray
    sunset: np.ndarray
    polar_day: np.ndarray
    polar_night: np.ndarray


def _julian_day(times_utc: np.ndarray) -> np.ndarray:
    seconds = (np.asarray(times_utc).astype("datetime64[s]") - np.datetime64(0, "s")).astype(np.float64)
    return seconds / 86400.0 + UNIX_EPOCH_JULIAN_DAY


def _declination_and_equation_of_time(julian_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solar declination (radians) and the equation of time (minutes) at ``julian_day``."""
    t = (julian_day - J2000_JULIAN_DAY) / DAYS_PER_JULIAN_CENTURY  # Julian centuries since J2000
    mean_longitude = np.radians((280.46646 + t * (36000.76983 + t * 0.0003032)) % 360.0)
    mean_anomaly = np.radians(357.52911 + t * (35999.05029 - 0.0001537 * t))
    eccentricity = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)
    centre = (np.sin(mean_anomaly) * (1.914602 - t * (0.004817 + 0.000014 * t))
              + np.sin(2 * mean_anomaly) * (0.019993 - 0.000101 * t)
              + np.sin(3 * mean_anomaly) * 0.000289)
    node = np.radians(125.04 - 1934.136 * t)
    apparent_longitude = np.radians(np.degrees(mean_longitude) + centre - 0.00569 - 0.00478 * np.sin(node))
    mean_obliquity = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0
    obliquity = np.radians(mean_obliquity + 0.00256 * np.cos(node))
    declination = np.arcsin(np.sin(obliquity) * np.sin(apparent_longitude))
    y = np.tan(obliquity / 2.0) ** 2
    equation_of_time = 4.0 * np.degrees(
        y * np.sin(2 * mean_longitude)
        - 2 * eccentricity * np.sin(mean_anomaly)
        + 4 * eccentricity * y * np.sin(mean_anomaly) * np.cos(2 * mean_longitude)
        - 0.5 * y * y * np.sin(4 * mean_longitude)
        - 1.25 * eccentricity * eccentricity * np.sin(2 * mean_anomaly))
    return declination, equation_of_time


def atmospheric_refraction_deg(elevation_deg: np.ndarray) -> np.ndarray:
    """Refraction correction (degrees) to add to a true elevation (NOAA's piecewise approximation)."""
    e = np.asarray(elevation_deg, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        tan_e = np.tan(np.radians(e))
        arcsec = np.where(
            e > 85.0, 0.0,
            np.where(e > 5.0, 58.1 / tan_e - 0.07 / tan_e**3 + 0.000086 / tan_e**5,
                     np.where(e > -0.575, 1735.0 + e * (-518.2 + e * (103.4 + e * (-12.79 + e * 0.711))),
                              -20.772 / tan_e)))
    return arcsec / 3600.0


def sun_position(times_utc: np.ndarray, latitude: np.ndarray, longitude: np.ndarray,
                 refraction: bool = True) -> SunPosition:
    """Elevation and azimuth of the sun at ``times_utc`` (datetime64, UTC) seen from each location."""
    times_utc = np.asarray(times_utc)
    declination, equation_of_time = _declination_and_equation_of_time(_julian_day(times_utc))
    minute_of_day = ((times_utc.astype("datetime64[s]") - times_utc.astype("datetime64[D]"))
                     .astype(np.float64) / 60.0)
    true_solar_minutes = minute_of_day + equation_of_time + 4.0 * np.asarray(longitude)
    hour_angle = np.radians(true_solar_minutes / 4.0 - 180.0)
    phi = np.radians(np.asarray(latitude, dtype=np.float64))
    cos_zenith = np.sin(phi) * np.sin(declination) + np.cos(phi) * np.cos(declination) * np.cos(hour_angle)
    elevation = 90.0 - np.degrees(np.arccos(np.clip(cos_zenith, -1.0, 1.0)))
    azimuth = (np.degrees(np.arctan2(np.sin(hour_angle),
                                     np.cos(hour_angle) * np.sin(phi) - np.tan(declination) * np.cos(phi)))
               + 180.0) % 360.0
    if refraction:
        elevation = elevation + atmospheric_refraction_deg(elevation)
    return SunPosition(elevation_deg=elevation, azimuth_deg=azimuth)


def _cos_hour_angle_at_horizon(phi: np.ndarray, declination: np.ndarray) -> np.ndarray:
    return (np.cos(np.radians(SUNRISE_ZENITH_DEG)) / (np.cos(phi) * np.cos(declination))
            - np.tan(phi) * np.tan(declination))


def sun_times(dates: np.ndarray, latitude: np.ndarray, longitude: np.ndarray) -> SunTimes:
    """Sunrise, solar noon and sunset of the solar day of each date, seen from each location.

    The solar day of date D is the one whose noon is nearest 12:00 local mean solar time on D, so
    sunrise comes before and sunset after that noon; for a place whose clock is within a few hours
    of its solar time this is the sunrise and sunset of its local date D. (Zones on the other side
    of the date line from their longitude, such as Pacific/Apia, are a day apart.) Times are UTC.
    """
    midnight = np.asarray(dates).astype("datetime64[D]")
    day_start = _julian_day(midnight)
    longitude = np.asarray(longitude, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):  # at the poles cos(phi) is 0: polar day or night
        phi = np.radians(np.clip(np.asarray(latitude, dtype=np.float64), -89.999, 89.999))
        noon = np.broadcast_to(720.0 - 4.0 * longitude, np.broadcast_shapes(day_start.shape, longitude.shape))
        for _ in range(_EVENT_ITERATIONS):
            _, equation_of_time = _declination_and_equation_of_time(day_start + noon / _MINUTES_PER_DAY)
            noon = 720.0 - 4.0 * longitude - equation_of_time
        declination, _ = _declination_and_equation_of_time(day_start + noon / _MINUTES_PER_DAY)
        cos_at_noon = _cos_hour_angle_at_horizon(phi, declination)
        polar_night, polar_day = cos_at_noon > 1.0, cos_at_noon < -1.0
        events = []
        for sign in (1.0, -1.0):  # rising: before noon by the hour angle; setting: after it
            minute = noon.copy()
            for _ in range(_EVENT_ITERATIONS):
                declination, equation_of_time = _declination_and_equation_of_time(
                    day_start + minute / _MINUTES_PER_DAY)
                hour_angle = np.degrees(np.arccos(np.clip(_cos_hour_angle_at_horizon(phi, declination), -1, 1)))
                minute = 720.0 - 4.0 * (longitude + sign * hour_angle) - equation_of_time
            events.append(minute)
    no_event = polar_day | polar_night

    def as_time(minutes: np.ndarray, missing: np.ndarray) -> np.ndarray:
        seconds = np.where(missing, 0.0, np.round(minutes * 60.0)).astype(np.int64)
        stamps = midnight.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
        return np.where(missing, np.datetime64("NaT", "s"), stamps)

    shape = np.broadcast_shapes(noon.shape, no_event.shape)
    return SunTimes(
        sunrise=as_time(np.broadcast_to(events[0], shape), np.broadcast_to(no_event, shape)),
        solar_noon=as_time(np.broadcast_to(noon, shape), np.zeros(shape, dtype=bool)),
        sunset=as_time(np.broadcast_to(events[1], shape), np.broadcast_to(no_event, shape)),
        polar_day=np.broadcast_to(polar_day, shape).copy(),
        polar_night=np.broadcast_to(polar_night, shape).copy(),
    )
