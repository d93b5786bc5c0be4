"""The seed's temporal, geographic and weather effects on pollution as vectorised functions.

Every function takes numpy arrays and broadcasts: city attributes have shape ``(cities, 1)`` and
per-hour values ``(cities, hours)``. The batch generator and the stream simulator both use these
functions, and the distribution checks use the same masks, so a pattern is written once. The local
calendar (time zones, weekends, seasons) is core.calendar and the weather itself core.climate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synth_assets.air_quality import models as m
from synth_assets.core.calendar import LocalCalendar, weekend_mask, winter_mask

P = m.PATTERNS


_HOUR_FACTOR = np.ones(24)
_HOUR_FACTOR[list(P.rush_hours)] = P.rush_factor
_HOUR_FACTOR[list(P.night_hours)] = P.night_factor


def hour_factor(hour: np.ndarray) -> np.ndarray:
    """Rush hours 7-9 and 17-19 × 1.4, night 22-5 × 0.6, otherwise × 1."""
    return _HOUR_FACTOR[hour]


def temporal_factor(calendar: LocalCalendar, latitude: np.ndarray, country_codes: Sequence[str]) -> np.ndarray:
    weekend = weekend_mask(calendar.weekday, country_codes)
    winter = winter_mask(calendar.month, latitude)
    return (hour_factor(calendar.hour)
            * np.where(weekend, P.weekend_factor, 1.0)
            * np.where(winter, P.winter_factor, 1.0))


def geographic_factor(coastal: np.ndarray, industrial: np.ndarray) -> np.ndarray:
    """Coastal cities × 0.75 (sea breeze), industrial cities × 1.35."""
    return np.where(coastal, P.coastal_factor, 1.0) * np.where(industrial, P.industrial_factor, 1.0)


def wind_factor(wind_speed_kmh: np.ndarray) -> np.ndarray:
    """Wind disperses pollution: up to 30 % less, reached at ``wind_full_effect_kmh``."""
    return 1.0 - P.wind_max_reduction * np.minimum(wind_speed_kmh / P.wind_full_effect_kmh, 1.0)


def weather_factor(wind_speed_kmh: np.ndarray, is_raining: np.ndarray) -> np.ndarray:
    """Wind and rain (rain washes out 40 %)."""
    return wind_factor(wind_speed_kmh) * np.where(is_raining, P.rain_factor, 1.0)


def noise_factor(standard_normal: np.ndarray) -> np.ndarray:
    """Sensor noise: normal with sigma = 2.5 %, clipped to ±5 %."""
    return np.clip(1.0 + (P.noise_pct / 2.0) * standard_normal, 1.0 - P.noise_pct, 1.0 + P.noise_pct)
