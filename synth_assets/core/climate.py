"""A place's weather from its climate normals: temperature, relative humidity and the chance of rain.

Pure numpy (no dagster, no I/O). Per-location climates are arrays of shape (locations, 12): one value
per calendar month (mean temperature °C, mean relative humidity %, share of days with rain). Hour
fields (local day of year, local hour, month) have shape (locations, hours). The random parts (a
day's anomaly, an hour's noise, the rain draw) come in from the caller, so the same draws always
give the same weather.

The shape is the seed's: a smooth seasonal cycle (the 12 monthly means turned into a curve of three
annual harmonics whose monthly averages reproduce the means), a diurnal cosine, day-to-day weather,
humidity inverse to how warm the hour is for the season, rain calibrated to the share of rainy days.
A place without published normals gets 12 months from the latitude formula (:func:`latitude_normals`),
an estimate documented in docs/air_quality_cities.md.
"""

from __future__ import annotations

import numpy as np

MONTHS = 12
HARMONICS = 3                    # annual harmonics of the seasonal curve (cos/sin of 1, 2, 3 cycles a year)
DAYS_PER_YEAR = 365.25
DAYS_IN_LEAP_YEAR = 366
HOURS_PER_DAY = 24

# Weather around the normals (documented simplifications of the seed, see docs/air_quality.md)
TEMP_DIURNAL_AMPLITUDE_C = 4.0   # warmest at 15:00 local
TEMP_DIURNAL_PEAK_HOUR = 15
TEMP_DAY_ANOMALY_SD_C = 2.5      # day-to-day weather
TEMP_HOUR_NOISE_SD_C = 0.5
HUMIDITY_PER_DEG_C = -1.2        # inverse correlation with how warm the hour is for the season
HUMIDITY_DAY_ANOMALY_SD = 8.0
HUMIDITY_HOUR_NOISE_SD = 3.0
HUMIDITY_RANGE = (5.0, 100.0)
RAIN_HUMIDITY_LINK_PER_PCT = 0.02  # an hour 10 % more humid than the season's normal: 20 % likelier rain
RAIN_HUMIDITY_LINK_RANGE = (0.25, 2.0)
RAIN_MAX_PROBABILITY = 0.6

# The latitude formula: the fallback for a place without published normals (estimates, not measurements)
TEMP_EQUATOR_C = 27.0            # annual mean temperature at sea level up to |lat| = 15°
TEMP_LAPSE_PER_DEG = 0.55        # °C colder per degree of latitude beyond 15°
TEMP_AMPLITUDE_BASE_C = 1.0      # seasonal half-amplitude at the equator
TEMP_AMPLITUDE_PER_DEG = 0.3     # added per degree of latitude
COASTAL_AMPLITUDE_FACTOR = 0.7   # the sea damps the seasons
TEMP_COLDEST_DAY_OF_YEAR = 15.0  # mid-January in the north (mid-July in the south, half a year later)
# Standard atmosphere lapse rate, 6.5 °C per km (ICAO Standard Atmosphere, ISO 2533:1975)
LAPSE_RATE_C_PER_KM = 6.5
HUMIDITY_BASE_PCT = 68.0
HUMIDITY_COASTAL_BONUS_PCT = 10.0
RAIN_SHARE_AT_BASE_HUMIDITY = 0.30   # share of rainy days at HUMIDITY_BASE_PCT (estimate)
RAIN_SHARE_PER_PCT = 0.01            # per % of monthly humidity above or below it (estimate)
RAIN_SHARE_RANGE = (0.02, 0.8)

_MID_MONTH_PHASE = 2.0 * np.pi * (np.arange(MONTHS) + 0.5) / MONTHS
_HARMONIC = np.arange(1, HARMONICS + 1)
# the average of cos(k t) over a month is cos(k t_mid) * sinc(k / 12): divide it out so the curve's
# monthly averages are the given means (up to the harmonics above HARMONICS)
_MONTH_AVERAGING = np.sinc(_HARMONIC / MONTHS)


def seasonal_coefficients(monthly: np.ndarray) -> np.ndarray:
    """Fourier coefficients (locations, 1 + 2 * HARMONICS) of the curve through 12 monthly means.

    Order: mean, then (cos, sin) of each harmonic; evaluate with :func:`season_basis`.
    """
    monthly = np.asarray(monthly, dtype=np.float64)
    cos_terms = 2.0 / MONTHS * monthly @ np.cos(np.outer(_MID_MONTH_PHASE, _HARMONIC)) / _MONTH_AVERAGING
    sin_terms = 2.0 / MONTHS * monthly @ np.sin(np.outer(_MID_MONTH_PHASE, _HARMONIC)) / _MONTH_AVERAGING
    pairs = np.stack([cos_terms, sin_terms], axis=-1).reshape(len(monthly), 2 * HARMONICS)
    return np.concatenate([monthly.mean(axis=1, keepdims=True), pairs], axis=1)


def season_basis(day_of_year: np.ndarray, local_hour: np.ndarray) -> np.ndarray:
    """The harmonics at each hour: shape (1 + 2 * HARMONICS, *day_of_year.shape).

    The year runs from 1 January 00:00 local; months are taken as twelfths of the year.
    """
    phase = 2.0 * np.pi * ((day_of_year - 1) + (local_hour + 0.5) / HOURS_PER_DAY) / DAYS_PER_YEAR
    cos1, sin1 = np.cos(phase), np.sin(phase)
    basis = [np.ones_like(cos1), cos1, sin1]
    cos_k, sin_k = cos1, sin1
    for _ in range(HARMONICS - 1):  # angle addition: no further trigonometric calls
        cos_k, sin_k = cos_k * cos1 - sin_k * sin1, sin_k * cos1 + cos_k * sin1
        basis += [cos_k, sin_k]
    return np.stack(basis)


def seasonal(monthly: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """The smooth seasonal value of a (locations, 12) climate at every hour of ``basis``."""
    coefficients = seasonal_coefficients(monthly)  # (locations, K)
    return np.einsum("lk,klh->lh", coefficients, basis)


_DAYS = np.arange(DAYS_IN_LEAP_YEAR + 1)  # index = day of year (1-366); 0 repeats day 1 and is never read
_NOON_BASIS = season_basis(np.maximum(_DAYS, 1)[None, :], np.full((1, len(_DAYS)), 12))


def daily_seasonal(monthly: np.ndarray) -> np.ndarray:
    """The seasonal curve at local noon of each day of year: (locations, 367), indexed by day of year.

    Reading it per day (see :func:`on_days`) instead of evaluating it per hour changes a value by
    less than the curve moves in half a day, and costs one gather instead of trigonometry per hour.
    """
    return seasonal(monthly, np.broadcast_to(_NOON_BASIS, (_NOON_BASIS.shape[0], len(monthly), len(_DAYS))))


def on_days(daily: np.ndarray, day_of_year: np.ndarray) -> np.ndarray:
    """Values of a (locations, 367) daily table at each (location, hour)'s local day of year."""
    return np.take_along_axis(daily, day_of_year.astype(np.intp), axis=1)


def diurnal(local_hour: np.ndarray) -> np.ndarray:
    """The daily cycle (°C), zero on average over a day, warmest at TEMP_DIURNAL_PEAK_HOUR."""
    return TEMP_DIURNAL_AMPLITUDE_C * np.cos(2.0 * np.pi * (local_hour - TEMP_DIURNAL_PEAK_HOUR) / HOURS_PER_DAY)


def temperature(seasonal_c: np.ndarray, local_hour: np.ndarray, day_anomaly: np.ndarray,
                hour_noise: np.ndarray) -> np.ndarray:
    """Temperature (°C): the seasonal normal + the daily cycle + the day's weather + the hour's noise.

    ``day_anomaly`` and ``hour_noise`` are standard normals of the hour fields' shape.
    """
    return (seasonal_c + diurnal(local_hour)
            + TEMP_DAY_ANOMALY_SD_C * day_anomaly + TEMP_HOUR_NOISE_SD_C * hour_noise)


def humidity(seasonal_pct: np.ndarray, temperature_c: np.ndarray, seasonal_c: np.ndarray,
             day_anomaly: np.ndarray, hour_noise: np.ndarray) -> np.ndarray:
    """Relative humidity (%): the seasonal normal, lower when the hour is warmer than the season's normal."""
    value = (seasonal_pct + HUMIDITY_PER_DEG_C * (temperature_c - seasonal_c)
             + HUMIDITY_DAY_ANOMALY_SD * day_anomaly + HUMIDITY_HOUR_NOISE_SD * hour_noise)
    return np.clip(value, *HUMIDITY_RANGE)


def hourly_rain_probability(rain_day_share: np.ndarray) -> np.ndarray:
    """The hourly chance that makes a day rainy (at least one raining hour) with ``rain_day_share``."""
    share = np.clip(rain_day_share, 0.0, 0.999)
    return -np.expm1(np.log1p(-share) / HOURS_PER_DAY)


def rain_probability(monthly_rain_share: np.ndarray, month: np.ndarray, humidity_pct: np.ndarray,
                     seasonal_pct: np.ndarray) -> np.ndarray:
    """Chance of rain in each hour: the month's calibrated rate, likelier when the hour is more humid
    than the season's normal (capped at RAIN_MAX_PROBABILITY).

    ``monthly_rain_share`` is (locations, 12), ``month`` (1-12) and the humidities (locations, hours).
    """
    base = np.take_along_axis(hourly_rain_probability(monthly_rain_share), month.astype(np.intp) - 1, axis=1)
    link = np.clip(1.0 + RAIN_HUMIDITY_LINK_PER_PCT * (humidity_pct - seasonal_pct), *RAIN_HUMIDITY_LINK_RANGE)
    return np.minimum(base * link, RAIN_MAX_PROBABILITY)


# -- the fallback: 12 months from latitude, coast and altitude ----------------------------------------

def annual_mean_and_amplitude(latitude: np.ndarray, coastal: np.ndarray,
                              altitude_m: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Annual mean temperature and seasonal half-amplitude (°C) from latitude, coast and altitude."""
    abs_lat = np.abs(latitude)
    annual_mean = (TEMP_EQUATOR_C - TEMP_LAPSE_PER_DEG * np.maximum(abs_lat - 15.0, 0.0)
                   - LAPSE_RATE_C_PER_KM * np.asarray(altitude_m) / 1000.0)
    amplitude = (TEMP_AMPLITUDE_BASE_C + TEMP_AMPLITUDE_PER_DEG * abs_lat) * np.where(
        coastal, COASTAL_AMPLITUDE_FACTOR, 1.0)
    return annual_mean, amplitude


def latitude_normals(latitude: np.ndarray, coastal: np.ndarray,
                     altitude_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimated (locations, 12) temperature, humidity and rain-day share where no normals are published.

    Temperature: the seed's latitude formula (coldest mid-January north, mid-July south) at mid-month,
    lowered by the standard lapse rate for altitude. Humidity: the seed's base level (+ coastal bonus),
    inverse to the month's departure from the annual mean. Rain: a share rising with humidity.
    """
    latitude, coastal, altitude_m = (np.asarray(a)[:, None] for a in (latitude, coastal, altitude_m))
    annual_mean, amplitude = annual_mean_and_amplitude(latitude, coastal, altitude_m)
    mid_month_day = (np.arange(MONTHS) + 0.5) * DAYS_PER_YEAR / MONTHS + 1.0
    season = np.cos(2.0 * np.pi * (mid_month_day - TEMP_COLDEST_DAY_OF_YEAR) / DAYS_PER_YEAR)[None, :]
    temperature_c = annual_mean + np.where(latitude >= 0, -amplitude, amplitude) * season
    humidity_pct = np.clip(HUMIDITY_BASE_PCT + np.where(coastal, HUMIDITY_COASTAL_BONUS_PCT, 0.0)
                           + HUMIDITY_PER_DEG_C * (temperature_c - annual_mean), *HUMIDITY_RANGE)
    rain_share = np.clip(RAIN_SHARE_AT_BASE_HUMIDITY + RAIN_SHARE_PER_PCT * (humidity_pct - HUMIDITY_BASE_PCT),
                         *RAIN_SHARE_RANGE)
    return temperature_c, humidity_pct, rain_share
