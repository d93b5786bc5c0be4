"""A place's weather from its climate: temperature, relative humidity and the chance of rain.

Pure numpy (no dagster, no I/O). Per-location parameters (latitude, coastal flag) broadcast against
per-hour arrays: pass them with shape (locations, 1) and hour fields with shape (locations, hours).
The random parts (a day's anomaly, an hour's noise) come in as standard normals drawn by the caller,
so the same draws always give the same weather.

The climate itself is a documented simplification of the seed (see docs/air_quality.md): an annual
mean and a seasonal half-amplitude from latitude, a seasonal cosine and a diurnal cosine. Its
parameters are the module constants below, written once and shared by every family.
"""

from __future__ import annotations

import numpy as np

# Weather climate (documented simplifications of the seed, see docs/air_quality.md; not measurements)
TEMP_EQUATOR_C = 27.0            # annual mean temperature up to |lat| = 15°
TEMP_LAPSE_PER_DEG = 0.55        # °C colder per degree of latitude beyond 15°
TEMP_AMPLITUDE_BASE_C = 1.0      # seasonal half-amplitude at the equator
TEMP_AMPLITUDE_PER_DEG = 0.3     # added per degree of latitude
COASTAL_AMPLITUDE_FACTOR = 0.7   # the sea damps the seasons
TEMP_DIURNAL_AMPLITUDE_C = 4.0   # warmest at 15:00 local
TEMP_DIURNAL_PEAK_HOUR = 15
TEMP_COLDEST_DAY_OF_YEAR = 15.0  # mid-January in the north (mid-July in the south, half a year later)
TEMP_DAY_ANOMALY_SD_C = 2.5      # day-to-day weather
TEMP_HOUR_NOISE_SD_C = 0.5
HUMIDITY_BASE_PCT = 68.0
HUMIDITY_COASTAL_BONUS_PCT = 10.0
HUMIDITY_PER_DEG_C = -1.2        # inverse correlation with temperature
HUMIDITY_DAY_ANOMALY_SD = 8.0
HUMIDITY_HOUR_NOISE_SD = 3.0
HUMIDITY_RANGE = (5.0, 100.0)
RAIN_BASE_PROBABILITY = 0.05     # per hour at RAIN_REFERENCE_HUMIDITY_PCT
RAIN_REFERENCE_HUMIDITY_PCT = 60.0
RAIN_PROBABILITY_PER_PCT = 0.006  # per % of humidity above the reference
RAIN_MAX_PROBABILITY = 0.6
DAYS_PER_YEAR = 365.25


def annual_mean_and_amplitude(latitude: np.ndarray, coastal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Annual mean temperature and seasonal half-amplitude (°C) from latitude (the sea damps seasons)."""
    abs_lat = np.abs(latitude)
    annual_mean = TEMP_EQUATOR_C - TEMP_LAPSE_PER_DEG * np.maximum(abs_lat - 15.0, 0.0)
    amplitude = (TEMP_AMPLITUDE_BASE_C + TEMP_AMPLITUDE_PER_DEG * abs_lat) * np.where(
        coastal, COASTAL_AMPLITUDE_FACTOR, 1.0)
    return annual_mean, amplitude


def temperature(latitude: np.ndarray, coastal: np.ndarray, day_of_year: np.ndarray, local_hour: np.ndarray,
                day_anomaly: np.ndarray, hour_noise: np.ndarray) -> np.ndarray:
    """Temperature (°C): climate + seasonal cosine (coldest mid-January north, mid-July south) + day cycle.

    ``day_of_year`` and ``local_hour`` are local calendar fields (see core.calendar.local_calendar);
    ``day_anomaly`` and ``hour_noise`` are standard normals of the same shape.
    """
    annual_mean, amplitude = annual_mean_and_amplitude(latitude, coastal)
    season = np.cos(2.0 * np.pi * (day_of_year - TEMP_COLDEST_DAY_OF_YEAR) / DAYS_PER_YEAR)
    seasonal = np.where(latitude >= 0, -amplitude * season, amplitude * season)
    diurnal = TEMP_DIURNAL_AMPLITUDE_C * np.cos(2.0 * np.pi * (local_hour - TEMP_DIURNAL_PEAK_HOUR) / 24.0)
    return (annual_mean + seasonal + diurnal
            + TEMP_DAY_ANOMALY_SD_C * day_anomaly + TEMP_HOUR_NOISE_SD_C * hour_noise)


def humidity(temperature_c: np.ndarray, latitude: np.ndarray, coastal: np.ndarray,
             day_anomaly: np.ndarray, hour_noise: np.ndarray) -> np.ndarray:
    """Relative humidity (%), inversely related to how warm the hour is for the place."""
    annual_mean, _ = annual_mean_and_amplitude(latitude, coastal)
    value = (HUMIDITY_BASE_PCT + np.where(coastal, HUMIDITY_COASTAL_BONUS_PCT, 0.0)
             + HUMIDITY_PER_DEG_C * (temperature_c - annual_mean)
             + HUMIDITY_DAY_ANOMALY_SD * day_anomaly + HUMIDITY_HOUR_NOISE_SD * hour_noise)
    return np.clip(value, *HUMIDITY_RANGE)


def rain_probability(humidity_pct: np.ndarray) -> np.ndarray:
    """Chance of rain in an hour, rising with humidity, capped at RAIN_MAX_PROBABILITY."""
    value = RAIN_BASE_PROBABILITY + RAIN_PROBABILITY_PER_PCT * (humidity_pct - RAIN_REFERENCE_HUMIDITY_PCT)
    return np.clip(value, 0.0, RAIN_MAX_PROBABILITY)
