"""The air-quality contract: Pydantic models, the Arrow schema, and every constant of the patterns.

Generators clip to and checks test against the bounds declared here; the pattern factors below are
the single source for both the generator and the distribution checks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

# The weather model and the weekends by country live in core.climate and core.calendar (shared with
# other families).
from synth_assets.core.calendar import NORTHERN_WINTER_MONTHS, SOUTHERN_WINTER_MONTHS

CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code")]
MonthlyValues = Annotated[tuple[float, ...], Field(min_length=12, max_length=12,
                                                    description="January..December")]


class CityProfile(BaseModel):
    """One real city, as shipped in ``reference/cities.csv``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    city_id: int = Field(gt=0, description="GeoNames geonameid")
    name: str = Field(min_length=1)
    country_name: str = Field(min_length=1)
    country_code: CountryCode
    continent: Literal["AF", "AS", "EU", "NA", "OC", "SA"]
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    timezone: str = Field(description="IANA time zone")
    population: int = Field(gt=0)
    coastal: bool
    industrial: bool
    altitude_m: float = Field(ge=-500, le=5000, description="altitude of the city or its climate station")
    altitude_source: str = Field(min_length=1)
    climate_source: str = Field(min_length=1, description="where the monthly normals come from")
    climate_fallback: bool = Field(description="no published normals: the latitude formula (estimate)")
    temperature_normals_c: MonthlyValues = Field(description="mean temperature per month, °C")
    humidity_normals_pct: MonthlyValues = Field(description="mean relative humidity per month, %")
    rain_day_share: MonthlyValues = Field(description="share of days with rain per month, 0-1")
    pm25_published: float = Field(gt=0, le=300, description="published annual mean PM2.5, µg/m³")
    pm25_year: int = Field(ge=2000, le=2100)
    pm25_source: str = Field(min_length=1, description="city figure, or 'national: ...' when none")
    base_pollution_level: float = Field(gt=0, le=300, description="PM2.5 base level, µg/m³, calibrated "
                                        "so the generated annual mean matches pm25_published")
    in_sample: bool = Field(description="one of the seed's 10 sample cities")

    @field_validator("temperature_normals_c", "humidity_normals_pct", "rain_day_share", mode="before")
    @classmethod
    def _space_separated(cls, value: object) -> object:
        return value.split() if isinstance(value, str) else value

    @field_validator("rain_day_share")
    @classmethod
    def _share(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not all(0.0 <= v <= 1.0 for v in value):
            raise ValueError("rain_day_share values must lie in [0, 1]")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value


class AirQualityMeasurement(BaseModel):
    """One hourly measurement of one city. Units: µg/m³ except CO in mg/m³."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    city_id: int = Field(gt=0)
    city_name: str = Field(min_length=1)
    country_name: str = Field(min_length=1)
    country_code: CountryCode
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    timestamp: AwareDatetime = Field(description="start of the hour, UTC")
    pm25: float = Field(ge=0, le=1000)
    pm10: float = Field(ge=0, le=1500)
    no2: float = Field(ge=0, le=1000)
    so2: float = Field(ge=0, le=1000)
    co: float = Field(ge=0, le=100)
    o3: float = Field(ge=0, le=1000)
    temperature_c: float = Field(ge=-50, le=60)
    humidity_pct: float = Field(ge=0, le=100)
    wind_speed_kmh: float = Field(ge=0, le=200)
    is_raining: bool

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.utcoffset().total_seconds() != 0:
            raise ValueError("timestamp must be in UTC")
        return value


MEASUREMENT_SCHEMA = pa.schema(
    [
        ("city_id", pa.int32()),
        ("city_name", pa.string()),
        ("country_name", pa.string()),
        ("country_code", pa.string()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("pm25", pa.float64()),
        ("pm10", pa.float64()),
        ("no2", pa.float64()),
        ("so2", pa.float64()),
        ("co", pa.float64()),
        ("o3", pa.float64()),
        ("temperature_c", pa.float64()),
        ("humidity_pct", pa.float64()),
        ("wind_speed_kmh", pa.float64()),
        ("is_raining", pa.bool_()),
    ]
)
assert MEASUREMENT_SCHEMA.names == list(AirQualityMeasurement.model_fields), "schema and model differ"

CITY_SCHEMA = pa.schema(
    [
        ("city_id", pa.int32()),
        ("name", pa.string()),
        ("country_name", pa.string()),
        ("country_code", pa.string()),
        ("continent", pa.string()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
        ("timezone", pa.string()),
        ("population", pa.int64()),
        ("coastal", pa.bool_()),
        ("industrial", pa.bool_()),
        ("altitude_m", pa.float64()),
        ("altitude_source", pa.string()),
        ("climate_source", pa.string()),
        ("climate_fallback", pa.bool_()),
        ("temperature_normals_c", pa.list_(pa.float64())),
        ("humidity_normals_pct", pa.list_(pa.float64())),
        ("rain_day_share", pa.list_(pa.float64())),
        ("pm25_published", pa.float64()),
        ("pm25_year", pa.int32()),
        ("pm25_source", pa.string()),
        ("base_pollution_level", pa.float64()),
        ("in_sample", pa.bool_()),
    ]
)
MONTHLY_COLUMNS = ("temperature_normals_c", "humidity_normals_pct", "rain_day_share")
assert CITY_SCHEMA.names == list(CityProfile.model_fields), "schema and model differ"

COLUMN_DESCRIPTIONS = {
    "pm25": "PM2.5, µg/m³", "pm10": "PM10, µg/m³ (1.5 × PM2.5)", "no2": "NO2, µg/m³",
    "so2": "SO2, µg/m³", "co": "CO, mg/m³", "o3": "O3, µg/m³",
    "timestamp": "start of the hour, UTC", "is_raining": "rain during the hour",
}

# ---------------------------------------------------------------------------------------------
# Modes: which cities and which default date range
# ---------------------------------------------------------------------------------------------
MODE_CITY_COUNTS = {"sample": 10, "full": 300}
DEFAULT_RANGE = (date(2020, 1, 1), date(2025, 1, 1))  # 2020-01-01 .. 2024-12-31, end exclusive


class PatternSpec(BaseModel):
    """Every factor of the seed's patterns. Local time is the city's time zone."""

    model_config = ConfigDict(frozen=True)

    rush_hours: frozenset[int] = frozenset({7, 8, 9, 17, 18, 19})
    rush_factor: float = 1.4
    night_hours: frozenset[int] = frozenset({22, 23, 0, 1, 2, 3, 4, 5})
    night_factor: float = 0.6
    midday_hours: frozenset[int] = frozenset({10, 11, 12, 13, 14, 15, 16})  # baseline, factor 1
    weekend_factor: float = 0.8
    winter_factor: float = 1.25
    northern_winter_months: frozenset[int] = NORTHERN_WINTER_MONTHS  # the winter of winter_factor
    southern_winter_months: frozenset[int] = SOUTHERN_WINTER_MONTHS
    coastal_factor: float = 0.75
    industrial_factor: float = 1.35
    wind_max_reduction: float = 0.30
    wind_full_effect_kmh: float = 15.0  # wind at or above this removes the full 30 %
    wind_gamma_shape: int = 3
    wind_gamma_scale: float = 2.0
    rain_factor: float = 0.60  # rain lowers pollution by 40 %
    noise_pct: float = 0.05  # sensor noise: normal, sigma = noise_pct / 2, clipped to ±noise_pct
    pollutant_ratios: dict[str, float] = {"pm10": 1.5, "no2": 0.4, "so2": 0.3, "co": 0.08, "o3": 0.5}


PATTERNS = PatternSpec()

# Distribution checks: how far a measured effect may be from its factor
DISTRIBUTION_TOLERANCE = 0.03
# How far a city's generated annual mean PM2.5 may be from its published figure (issue 13)
PM25_PUBLISHED_TOLERANCE = 0.15
