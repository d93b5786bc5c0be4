"""The seed's own design, as the baseline `make bench` compares against (never used for data).

Phase 2 of the seed (003): pattern generators in separate classes (temporal, weather, geographic),
a sensor-data orchestrator that "applies sequential effects: temporal -> weather -> noise" and
"returns a validated AirQualityMeasurement instance", and a batch generator with a triple loop
days -> hours -> cities. Random draws are numpy scalar calls (normal, gamma), as that design reads.
The factors are ours, so both sides do the same arithmetic.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from synth_assets.air_quality import models as m
from synth_assets.core import calendar as cal
from synth_assets.core import climate as cl

P = m.PATTERNS


class TemporalPatterns:
    def hour_multiplier(self, hour: int) -> float:
        if hour in P.rush_hours:
            return P.rush_factor
        return P.night_factor if hour in P.night_hours else 1.0

    def day_multiplier(self, local: datetime) -> float:
        return P.weekend_factor if local.isoweekday() in cal.DEFAULT_WEEKEND else 1.0

    def season_multiplier(self, local: datetime, latitude: float) -> float:
        winter = P.northern_winter_months if latitude >= 0 else P.southern_winter_months
        return P.winter_factor if local.month in winter else 1.0


class WeatherPatterns:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def temperature(self, city: dict, local: datetime) -> float:
        normal = city["temperature_normals_c"][local.month - 1]  # the month's normal, no smoothing
        return normal + self.rng.normal(0, 1)

    def humidity(self, temperature: float, city: dict, local: datetime) -> float:
        month = local.month - 1
        value = (city["humidity_normals_pct"][month]
                 + cl.HUMIDITY_PER_DEG_C * (temperature - city["temperature_normals_c"][month]) + self.rng.normal(0, 5))
        return min(max(value, 5.0), 100.0)

    def wind_speed(self) -> float:
        return float(self.rng.gamma(P.wind_gamma_shape, P.wind_gamma_scale))

    def is_raining(self, city: dict, local: datetime) -> bool:
        share = city["rain_day_share"][local.month - 1]
        return bool(self.rng.random() < 1.0 - (1.0 - min(share, 0.999)) ** (1 / 24))

    def apply(self, level: float, wind: float, raining: bool) -> float:
        level *= 1 - P.wind_max_reduction * min(wind / P.wind_full_effect_kmh, 1.0)
        return level * (P.rain_factor if raining else 1.0)


class GeographicPatterns:
    def apply_coastal_effect(self, level: float, city: dict) -> float:
        return level * P.coastal_factor if city["coastal"] else level

    def apply_industrial_effect(self, level: float, city: dict) -> float:
        return level * P.industrial_factor if city["industrial"] else level


class SensorDataGenerator:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.temporal, self.weather, self.geo = TemporalPatterns(), WeatherPatterns(self.rng), GeographicPatterns()

    def noise(self) -> float:
        return min(max(self.rng.normal(1.0, P.noise_pct / 2), 1 - P.noise_pct), 1 + P.noise_pct)

    def generate(self, city: dict, timestamp: datetime) -> m.AirQualityMeasurement:
        local = timestamp.astimezone(ZoneInfo(city["timezone"]))
        lat = city["latitude"]
        level = city["base_pollution_level"]
        level = self.geo.apply_industrial_effect(self.geo.apply_coastal_effect(level, city), city)
        level *= (self.temporal.hour_multiplier(local.hour) * self.temporal.day_multiplier(local)
                  * self.temporal.season_multiplier(local, lat))
        temperature = self.weather.temperature(city, local)
        humidity = self.weather.humidity(temperature, city, local)
        wind = self.weather.wind_speed()
        raining = self.weather.is_raining(city, local)
        level = self.weather.apply(level, wind, raining)
        return m.AirQualityMeasurement(
            city_id=city["city_id"], city_name=city["name"], country_name=city["country_name"],
            country_code=city["country_code"], latitude=lat, longitude=city["longitude"], timestamp=timestamp,
            pm25=round(level * self.noise(), 1), pm10=round(level * P.pollutant_ratios["pm10"] * self.noise(), 1),
            no2=round(level * P.pollutant_ratios["no2"] * self.noise(), 1),
            so2=round(level * P.pollutant_ratios["so2"] * self.noise(), 1),
            co=round(level * P.pollutant_ratios["co"] * self.noise(), 3),
            o3=round(level * P.pollutant_ratios["o3"] * self.noise(), 1),
            temperature_c=round(temperature, 1), humidity_pct=round(humidity, 1),
            wind_speed_kmh=round(min(wind, 200.0), 1), is_raining=raining,
        )


def generate_naive(cities: list[dict], start: date, days: int, seed: int) -> list[m.AirQualityMeasurement]:
    """The seed's batch generator: days -> hours -> cities, one validated object per row."""
    sensor = SensorDataGenerator(seed)
    rows = []
    for day_offset in range(days):
        day = start + timedelta(days=day_offset)
        for hour in range(24):
            timestamp = datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)
            for city in cities:
                rows.append(sensor.generate(city, timestamp))
    return rows
