"""The context tables' contract: one Pydantic model per row (ranges the generators clip to and the checks
read), the Arrow schemas written to Parquet, and the constants of each pattern with where they come from.

Pure (no dagster). Every number that describes the world says its source beside it; a value that is
our own choice is marked ``(estimate)`` and listed in docs/smart_home_context.md.
"""

from __future__ import annotations

from datetime import date as Date

import pyarrow as pa
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from synth_assets.air_quality.models import AirQualityMeasurement

# A home's weather and outdoor air are its city's hour from the air-quality family: the same fields, so
# the same ranges (written once, in AirQualityMeasurement).
_CITY_HOUR = AirQualityMeasurement.model_fields

SCHEMA_VERSION = 1
HOME_LOCATION_COLUMNS = ("home_id", "home_index", "city_id", "country_code", "timezone", "latitude", "longitude")
"""What every context generator needs of a home (the homes table has these and more)."""

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_UTC = pa.timestamp("us", tz="UTC")


# -- weather: the air-quality family's weather at the home's city ---------------------------------------

class WeatherHour(BaseModel):
    """Outdoor weather at a home in one hour (the hour starting at ``timestamp``), from the shared climate."""

    model_config = _FROZEN
    home_id: str = Field(min_length=1)
    timestamp: AwareDatetime
    local_hour: int = Field(ge=0, le=23)
    temperature_c: float = _CITY_HOUR["temperature_c"]
    humidity_pct: float = _CITY_HOUR["humidity_pct"]
    wind_speed_kmh: float = _CITY_HOUR["wind_speed_kmh"]
    is_raining: bool


WEATHER_SCHEMA = pa.schema([("home_id", pa.string()), ("timestamp", _UTC), ("local_hour", pa.int8()),
                            ("temperature_c", pa.float64()), ("humidity_pct", pa.float64()),
                            ("wind_speed_kmh", pa.float64()), ("is_raining", pa.bool_())])


# -- external data: sun and outdoor air quality ---------------------------------------------------------

class ExternalDataHour(BaseModel):
    """Sun position at the middle of the hour, daylight, and the city's outdoor air quality."""

    model_config = _FROZEN
    home_id: str = Field(min_length=1)
    timestamp: AwareDatetime
    local_hour: int = Field(ge=0, le=23)
    sun_elevation_deg: float = Field(ge=-90, le=90)
    sun_azimuth_deg: float = Field(ge=0, le=360)
    is_daylight: bool
    pm25: float = _CITY_HOUR["pm25"]
    pm10: float = _CITY_HOUR["pm10"]
    no2: float = _CITY_HOUR["no2"]
    so2: float = _CITY_HOUR["so2"]
    co: float = _CITY_HOUR["co"]
    o3: float = _CITY_HOUR["o3"]


EXTERNAL_SCHEMA = pa.schema([("home_id", pa.string()), ("timestamp", _UTC), ("local_hour", pa.int8()),
                             ("sun_elevation_deg", pa.float64()), ("sun_azimuth_deg", pa.float64()),
                             ("is_daylight", pa.bool_()),
                             *((name, pa.float64()) for name in ("pm25", "pm10", "no2", "so2", "co", "o3"))])
SUN_SAMPLE_OFFSET_MINUTES = 30  # the sun is taken at the middle of each hour
# Daylight: the sun's upper limb above a sea-level horizon, i.e. its centre above -0.833° (NOAA solar
# calculator's sunrise definition, the same as core/sun.py SUNRISE_ZENITH_DEG).
DAYLIGHT_MIN_ELEVATION_DEG = -0.833


# -- calendar ---------------------------------------------------------------------------------------------

class CalendarDay(BaseModel):
    """One home's local day: weekend, public holiday, workday, work-from-home and school day, vacation.

    ``is_workday``: a working day of the country (not weekend, not a public holiday); the household's
    working adults stay home on it when ``is_work_from_home_day``; children go to school when
    ``is_school_day`` (school terms are not modelled: every workday outside a vacation).
    """

    model_config = _FROZEN
    home_id: str = Field(min_length=1)
    date: Date
    country_code: str = Field(min_length=2, max_length=2)
    weekday: int = Field(ge=1, le=7)
    is_weekend: bool
    is_public_holiday: bool
    holiday_name: str | None = None
    is_workday: bool
    is_work_from_home_day: bool
    is_school_day: bool
    is_vacation: bool
    vacation_day: int = Field(ge=0, le=60, description="1-based day of the current vacation, 0 outside one")


CALENDAR_SCHEMA = pa.schema([("home_id", pa.string()), ("date", pa.date32()), ("country_code", pa.string()),
                             ("weekday", pa.int8()), ("is_weekend", pa.bool_()), ("is_public_holiday", pa.bool_()),
                             ("holiday_name", pa.string()), ("is_workday", pa.bool_()),
                             ("is_work_from_home_day", pa.bool_()), ("is_school_day", pa.bool_()),
                             ("is_vacation", pa.bool_()), ("vacation_day", pa.int16())])


class VacationRules(BaseModel):
    """How a household's yearly days away (homes.vacation_days_per_year) split into trips (estimates)."""

    model_config = _FROZEN
    trips_per_year: int = Field(default=2, ge=1, le=4)               # (estimate) a summer trip and a shorter one
    first_trip_share: tuple[float, float] = (0.3, 0.7)               # (estimate) the first trip's share of the days


VACATIONS = VacationRules()


# -- grid regions: carbon intensity and prices ------------------------------------------------------------

class CarbonIntensityHour(BaseModel):
    """Carbon intensity of a grid region's electricity in one hour (generation-based, gCO2e/kWh)."""

    model_config = _FROZEN
    region_id: str = Field(min_length=1)
    country_code: str = Field(min_length=2, max_length=2)
    timestamp: AwareDatetime
    local_hour: int = Field(ge=0, le=23)
    carbon_intensity_gco2_per_kwh: float = Field(ge=0, le=1500)


REGION_SEPARATOR = ":"  # region_id = "<country_code>:<IANA zone>", e.g. "US:America/Chicago"

CARBON_SCHEMA = pa.schema([("region_id", pa.string()), ("country_code", pa.string()), ("timezone", pa.string()),
                           ("timestamp", _UTC), ("local_hour", pa.int8()),
                           ("carbon_intensity_gco2_per_kwh", pa.float64())])


class CarbonPatterns(BaseModel):
    """Shape of a grid's hourly intensity around its annual mean. Every factor averages 1 over a year.

    Amplitudes are estimates (our round numbers) chosen to sit inside the daily and seasonal swings
    Electricity Maps shows for mixed grids (roughly ±10-30 % within a day); see docs/smart_home_context.md.
    """

    model_config = _FROZEN
    solar_dip: float = Field(default=0.18, ge=0, lt=1)            # (estimate) midday dip as solar peaks
    evening_peak: float = Field(default=0.10, ge=0, lt=1)         # (estimate) 17-21 h peakers
    evening_peak_hour: float = 19.0                               # (estimate)
    winter_excess: float = Field(default=0.08, ge=0, lt=1)        # (estimate) + in mid-winter, - in summer
    wind_day_sd: float = Field(default=0.10, ge=0, lt=0.5)        # (estimate) windy vs calm days
    hour_noise_sd: float = Field(default=0.03, ge=0, lt=0.5)      # (estimate)


CARBON = CarbonPatterns()


class ElectricityPriceHour(BaseModel):
    """Household prices (USD/kWh, taxes included) in one hour under three tariffs."""

    model_config = _FROZEN
    region_id: str = Field(min_length=1)
    country_code: str = Field(min_length=2, max_length=2)
    timestamp: AwareDatetime
    local_hour: int = Field(ge=0, le=23)
    demand_index: float = Field(ge=0, le=3)
    flat_usd_per_kwh: float = Field(ge=0, le=2)
    tou_usd_per_kwh: float = Field(ge=0, le=3)
    tou_period: str = Field(pattern="^(off_peak|shoulder|peak)$")
    dynamic_usd_per_kwh: float = Field(ge=-0.5, le=5)


PRICE_SCHEMA = pa.schema([("region_id", pa.string()), ("country_code", pa.string()), ("timezone", pa.string()),
                          ("timestamp", _UTC), ("local_hour", pa.int8()), ("demand_index", pa.float64()),
                          ("flat_usd_per_kwh", pa.float64()), ("tou_usd_per_kwh", pa.float64()),
                          ("tou_period", pa.string()), ("dynamic_usd_per_kwh", pa.float64())])


class TariffRules(BaseModel):
    """Time-of-use windows (local hours, [start, end)) and multipliers of the flat price.

    Windows follow the common residential shape: a 16:00-21:00 peak (as PG&E's E-TOU-C, 4-9 p.m. every
    day) and a night off-peak 23:00-07:00 (as the UK's Economy 7, seven night hours). Multipliers and the
    dynamic tariff's weights are estimates.
    """

    model_config = _FROZEN
    peak_hours: tuple[int, int] = (16, 21)
    off_peak_hours: tuple[int, int] = (23, 7)                     # wraps midnight
    peak_multiplier: float = Field(default=1.45, gt=0)            # (estimate)
    shoulder_multiplier: float = Field(default=1.0, gt=0)         # (estimate)
    off_peak_multiplier: float = Field(default=0.6, gt=0)         # (estimate)
    # dynamic = flat * (1 + demand_weight * (demand - 1) + carbon_weight * (ci / mean - 1) + noise)
    dynamic_demand_weight: float = Field(default=0.6, ge=0)       # (estimate)
    dynamic_carbon_weight: float = Field(default=0.5, ge=0)       # (estimate)
    dynamic_noise_sd: float = Field(default=0.05, ge=0)           # (estimate)


TARIFFS = TariffRules()


class DemandShape(BaseModel):
    """Household-driven grid demand relative to its daily mean: a morning and a larger evening peak.

    Estimates shaped like the typical residential load curve (low at night, morning rise, evening peak
    around 19:00); winter raises demand in heating climates.
    """

    model_config = _FROZEN
    morning_peak_hour: float = 8.0
    morning_amplitude: float = 0.15
    evening_peak_hour: float = 19.0
    evening_amplitude: float = 0.30
    night_trough: float = 0.25
    winter_excess: float = 0.10


DEMAND = DemandShape()

