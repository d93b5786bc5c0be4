"""The smart-home contract: config, home types with their areas, Home Assistant device classes, row models.

Generators and checks read the ranges here; nothing restates them. Home Assistant names (domains,
device classes, units, state classes) are Home Assistant's own, read from its source
(``homeassistant/components/sensor/const.py`` ``SensorDeviceClass`` / ``DEVICE_CLASS_UNITS``,
``binary_sensor`` ``BinarySensorDeviceClass``, ``const.py`` ``Platform`` and ``UnitOf*``); the
export targets release 2024.3, and every name used here exists in that release. Pure: no Dagster.

Numbers that describe the world carry their source beside them; ``estimate`` marks a value chosen
to look like real homes where no published figure was found.
"""

from __future__ import annotations

from typing import NamedTuple

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator

from synth_assets.core.identity import config_fingerprint

SCHEMA_VERSION = 1
DEFAULT_HOMES = 20
DEFAULT_ANOMALY_RATE = 0.02   # planted anomalies per home-day: 1 in 50 (estimate; no published rate found)
HOME_ID_DIGITS = 5  # home_00001


# --- config -----------------------------------------------------------------------------------------


class UnknownHomeTypeError(ValueError):
    """A home type that is not one of :data:`HOME_TYPES`."""


def check_home_types(types: tuple[str, ...] | list[str] | None) -> tuple[str, ...] | None:
    """The subset in :data:`HOME_TYPES` order; an unknown, repeated or empty selection is refused."""
    if types is None:
        return None
    unknown = [t for t in types if t not in HOME_TYPES]
    if unknown:
        raise UnknownHomeTypeError(f"unknown home type(s) {unknown}; valid types are {', '.join(HOME_TYPES)}")
    if not types or len(set(types)) != len(types):
        raise UnknownHomeTypeError(f"home_types must name each type at most once and at least one, got {list(types)}")
    return tuple(t for t in HOME_TYPES if t in types)


class SmartHomeConfig(BaseModel):
    """Everything that shapes the smart-home tables besides the partition key."""

    model_config = ConfigDict(frozen=True)

    seed: int = Field(ge=0)
    homes: int = Field(default=DEFAULT_HOMES, ge=1, le=10_000_000)
    home_types: tuple[str, ...] | None = None  # None: every type, at its share
    anomaly_rate: float = Field(default=DEFAULT_ANOMALY_RATE, ge=0, le=0.5)  # events: planted anomalies per home-day

    @field_validator("home_types")
    @classmethod
    def _known_types(cls, types):
        return check_home_types(types)

    def type_names(self) -> tuple[str, ...]:
        return self.home_types or tuple(HOME_TYPES)

    def fingerprint(self) -> str:
        """The config part of every smart-home file identity (the seed is stored beside it)."""
        return config_fingerprint({"homes": self.homes, "home_types": list(self.type_names()),
                                   "anomaly_rate": self.anomaly_rate, "schema_version": SCHEMA_VERSION})


# --- home types -------------------------------------------------------------------------------------


class AreaSpec(NamedTuple):
    name: str          # as the user names it in Home Assistant; area_id is its slug
    kind: str          # what devices go there (see catalogue.PLACEMENTS)
    level: int         # floor: -1 basement, 0 ground, 1 upstairs, 2 attic
    probability: float  # share of homes of the type that have it (estimate)


class HomeTypeSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    share: float                      # of generated homes (estimate)
    occupant_weights: tuple[float, ...]  # P(1, 2, ... occupants), see HOUSEHOLD_SIZE_SOURCE
    floor_area_m2: tuple[float, float]
    device_density: float             # scales placement probabilities (estimate)
    entities: tuple[int, int]         # expected entities per home, held by a check (estimate, see below)
    areas: tuple[AreaSpec, ...]


HOUSEHOLD_SIZE_SOURCE = (
    "US Census Bureau (CPS) households by size, as summarised by Statista: 1 person 28.9 % (2022), 2 persons "
    "34.6 % (2024), average 2.51 persons (2023). With the type shares below the occupant weights give 1: 28 %, "
    "2: 34 %, 3: 15 %, 4: 14 %, 5: 6 %, 6: 3 %, mean 2.45 (a test holds the mix); the split by dwelling type "
    "is an estimate")

_COMMON = (AreaSpec("Living Room", "living", 0, 1.0), AreaSpec("Kitchen", "kitchen", 0, 1.0),
           AreaSpec("Hallway", "hallway", 0, 1.0))
_HOUSE = (AreaSpec("Entrance", "entrance", 0, 1.0), AreaSpec("Dining Room", "dining", 0, 0.8),
          AreaSpec("Master Bedroom", "bedroom", 1, 1.0), AreaSpec("Bedroom 2", "bedroom", 1, 1.0),
          AreaSpec("Bathroom", "bathroom", 1, 1.0), AreaSpec("Guest Toilet", "toilet", 0, 0.6),
          AreaSpec("Landing", "hallway", 1, 0.8), AreaSpec("Laundry Room", "utility", 0, 0.5),
          AreaSpec("Garden", "garden", 0, 0.9))

HOME_TYPES: dict[str, HomeTypeSpec] = {
    "apartment": HomeTypeSpec(
        share=0.40, occupant_weights=(0.50, 0.32, 0.11, 0.05, 0.02), floor_area_m2=(35, 110),
        device_density=0.3, entities=(3, 120),
        areas=(*_COMMON, AreaSpec("Bedroom", "bedroom", 0, 1.0), AreaSpec("Bathroom", "bathroom", 0, 1.0),
               AreaSpec("Bedroom 2", "bedroom", 0, 0.5), AreaSpec("Office", "office", 0, 0.3),
               AreaSpec("Balcony", "balcony", 0, 0.6))),
    "townhouse": HomeTypeSpec(
        share=0.20, occupant_weights=(0.18, 0.36, 0.18, 0.18, 0.07, 0.03), floor_area_m2=(90, 170),
        device_density=0.5, entities=(12, 240),
        areas=(*_COMMON, *_HOUSE, AreaSpec("Bedroom 3", "bedroom", 1, 0.6), AreaSpec("Office", "office", 1, 0.5),
               AreaSpec("Garage", "garage", 0, 0.4))),
    "single_family": HomeTypeSpec(
        share=0.30, occupant_weights=(0.12, 0.36, 0.17, 0.20, 0.10, 0.05), floor_area_m2=(120, 260),
        device_density=0.7, entities=(25, 360),
        areas=(*_COMMON, *_HOUSE, AreaSpec("Bedroom 3", "bedroom", 1, 0.9), AreaSpec("Bedroom 4", "bedroom", 1, 0.4),
               AreaSpec("Ensuite", "bathroom", 1, 0.5), AreaSpec("Office", "office", 0, 0.6),
               AreaSpec("Garage", "garage", 0, 0.8), AreaSpec("Driveway", "driveway", 0, 0.7),
               AreaSpec("Basement", "basement", -1, 0.3), AreaSpec("Patio", "patio", 0, 0.5))),
    "large_smart_home": HomeTypeSpec(
        share=0.10, occupant_weights=(0.06, 0.34, 0.18, 0.24, 0.12, 0.06), floor_area_m2=(250, 600),
        device_density=1.0, entities=(90, 900),
        areas=(*_COMMON, *_HOUSE, AreaSpec("Bedroom 3", "bedroom", 1, 1.0), AreaSpec("Bedroom 4", "bedroom", 1, 0.9),
               AreaSpec("Bedroom 5", "bedroom", 1, 0.5), AreaSpec("Guest Room", "bedroom", 1, 0.7),
               AreaSpec("Ensuite", "bathroom", 1, 1.0), AreaSpec("Kids Bathroom", "bathroom", 1, 0.6),
               AreaSpec("Office", "office", 0, 1.0), AreaSpec("Second Office", "office", 1, 0.4),
               AreaSpec("Garage", "garage", 0, 1.0), AreaSpec("Driveway", "driveway", 0, 1.0),
               AreaSpec("Basement", "basement", -1, 0.6), AreaSpec("Home Cinema", "cinema", -1, 0.6),
               AreaSpec("Gym", "gym", -1, 0.4), AreaSpec("Attic", "attic", 2, 0.3),
               AreaSpec("Patio", "patio", 0, 0.9), AreaSpec("Pool House", "garden", 0, 0.2),
               AreaSpec("Utility Room", "utility", -1, 0.7))),
}
"""Entity counts per type follow the issue's target from real installs (about 15-40 entities in a small
apartment up to several hundred in a large smart home); the bounds are a sanity range: estimate."""

OUTDOOR_KINDS = frozenset({"garden", "balcony", "patio", "driveway"})
MAX_OCCUPANTS = max(len(spec.occupant_weights) for spec in HOME_TYPES.values())

# --- routines (estimates unless a source is named) ---------------------------------------------------

ROUTINES = {
    "wake_minute": (6 * 60 + 45, 40, 4 * 60 + 30, 10 * 60),   # mean, sd, low, high, minutes after local midnight
    "leave_minute": (8 * 60, 35, 6 * 60, 10 * 60 + 30),
    "return_minute": (17 * 60 + 45, 50, 14 * 60, 21 * 60),
    "bedtime_minute": (23 * 60, 45, 21 * 60, 25 * 60 + 30),   # past 24:00 means after midnight
}
# P(0..5 days a week the household works from home): estimate for hybrid work after 2020; before it, US BLS
# "Job Flexibilities and Work Schedules in 2017-18" found 15 % of wage and salary workers with days worked
# only at home and 25 % working at home at least occasionally.
WORK_FROM_HOME_DAY_WEIGHTS = (0.45, 0.08, 0.15, 0.17, 0.05, 0.10)
SHIFT_WORK_SHARE = 0.148  # adults usually working a shift other than daytime: US BLS, "Workers on flexible
# and shift schedules in May 2004" (USDL 05-1198), 14.8 % of full-time wage and salary workers
VACATION_DAYS = (7, 30)   # days away per year (estimate)
HOME_RADIUS_KM = 15.0     # homes lie within this distance of their city's centre (estimate)
CHILD_SHARE_OF_EXTRA_OCCUPANTS = 0.8  # occupants beyond two adults are mostly children (estimate)

OCCUPANT_NAMES = (
    "Anna", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Liam",
    "Maya", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wei", "Ximena",
    "Yusuf", "Zoe", "Arjun", "Bea", "Carlos", "Dana", "Emil", "Fatima", "Gabriel", "Hana", "Ivan", "Julia")


class HomeRecord(BaseModel):
    """One row of ``smart_home.homes``: the ranges the checks hold the generated rows to."""

    home_id: str
    home_index: int = Field(ge=1)
    home_type: str
    city_id: int
    city_name: str
    country_code: str
    timezone: str
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    hemisphere: str
    floor_area_m2: float = Field(ge=20, le=1000)
    occupants: int = Field(ge=1, le=MAX_OCCUPANTS)
    adults: int = Field(ge=1, le=MAX_OCCUPANTS)
    children: int = Field(ge=0, le=MAX_OCCUPANTS)
    work_from_home_days: int = Field(ge=0, le=5)
    shift_workers: int = Field(ge=0, le=MAX_OCCUPANTS)
    wake_minute: int = Field(ge=ROUTINES["wake_minute"][2], le=ROUTINES["wake_minute"][3])
    leave_minute: int = Field(ge=ROUTINES["leave_minute"][2], le=ROUTINES["leave_minute"][3])
    return_minute: int = Field(ge=ROUTINES["return_minute"][2], le=ROUTINES["return_minute"][3])
    bedtime_minute: int = Field(ge=ROUTINES["bedtime_minute"][2], le=ROUTINES["bedtime_minute"][3])
    vacation_days_per_year: int = Field(ge=VACATION_DAYS[0], le=VACATION_DAYS[1])


HOMES_SCHEMA = pa.schema([
    ("home_id", pa.string()), ("home_index", pa.int32()), ("home_type", pa.string()), ("city_id", pa.int32()),
    ("city_name", pa.string()), ("country_code", pa.string()), ("timezone", pa.string()),
    ("latitude", pa.float64()), ("longitude", pa.float64()), ("hemisphere", pa.string()),
    ("floor_area_m2", pa.float64()), ("occupants", pa.int8()), ("adults", pa.int8()), ("children", pa.int8()),
    ("occupant_names", pa.list_(pa.string())), ("work_from_home_days", pa.int8()), ("shift_workers", pa.int8()),
    ("wake_minute", pa.int16()), ("leave_minute", pa.int16()), ("return_minute", pa.int16()),
    ("bedtime_minute", pa.int16()), ("vacation_days_per_year", pa.int16()),
])

AREAS_SCHEMA = pa.schema([
    ("home_id", pa.string()), ("area_id", pa.string()), ("name", pa.string()), ("area_kind", pa.string()),
    ("level", pa.int8()), ("is_outdoor", pa.bool_()),
])

DEVICES_SCHEMA = pa.schema([
    ("home_id", pa.string()), ("device_id", pa.string()), ("area_id", pa.string()), ("name", pa.string()),
    ("device_type", pa.string()), ("manufacturer", pa.string()), ("model", pa.string()),
    ("integration", pa.string()), ("occupant_name", pa.string()),
])

ENTITIES_SCHEMA = pa.schema([
    ("home_id", pa.string()), ("entity_id", pa.string()), ("domain", pa.string()), ("device_class", pa.string()),
    ("unit_of_measurement", pa.string()), ("state_class", pa.string()), ("entity_category", pa.string()),
    ("original_name", pa.string()), ("device_id", pa.string()), ("area_id", pa.string()),
    ("platform", pa.string()),
])

TABLE_SCHEMAS = {"homes": HOMES_SCHEMA, "areas": AREAS_SCHEMA, "devices": DEVICES_SCHEMA,
                 "entities": ENTITIES_SCHEMA}

# --- events and the correlation engine: the contract between the event generator and the export ------

_UTC_US = pa.timestamp("us", tz="UTC")

EVENTS_SCHEMA = pa.schema([
    ("home_id", pa.string()),
    ("entity_id", pa.string()),
    ("timestamp", _UTC_US),           # Home Assistant's last_updated; key (home_id, entity_id, timestamp)
    ("last_changed", _UTC_US),        # when the state string last changed (<= timestamp)
    ("state", pa.string()),           # Home Assistant's state string: "on", "off", "21.4", "locked", "home" ...
    ("attributes", pa.string()),      # JSON of the attributes that vary (e.g. {"brightness": 180}), or null;
                                      # static ones (friendly_name, unit, device_class) come from `entities`
    ("context_id", pa.string()),      # 26-character ULID, as Home Assistant's Context ids (time part = timestamp)
    ("context_parent_id", pa.string()),  # set when an automation caused the change: the trigger's context_id
    ("context_user_id", pa.string()),    # set for a manual change: the occupant's Home Assistant user id
])
"""One row per state write of an entity, in (home_id, timestamp, entity_id) order within a daily file.

The ground truth (which rule fired) never appears here; it is in ``correlations`` only."""

RULE_KINDS = ("motion_light", "door_lock", "door_alarm", "temperature_climate", "cheap_power_appliance",
              "away_all_off", "chain")

CORRELATIONS_SCHEMA = pa.schema([
    ("home_id", pa.string()),
    ("rule_id", pa.string()),            # unique within a home; also the automation's `id` in automations.yaml
    ("kind", pa.string()),               # one of RULE_KINDS
    ("trigger_entity_id", pa.string()),  # null for cheap_power_appliance: a time trigger at the start of the
                                         # home's cheapest hour (dynamic tariff); away_all_off: the first
                                         # occupant's person entity going not_home (condition: the others too)
    ("target_entity_id", pa.string()),
    ("lag_seconds", pa.float64()),       # mean planted delay from trigger to target change
    ("condition", pa.string()),          # human-readable gate (e.g. "sensor.hallway_illuminance < 30 lx"), or null
    ("chain_id", pa.string()),           # null unless the link is part of a multi-step chain
    ("step", pa.int8()),                 # 1-based link number within its chain, null otherwise
])
"""The planted causal rules per home: the ground truth the pattern analysis is scored against."""

PLANTED_ANOMALIES_SCHEMA = pa.schema([
    ("day", pa.date32()),                # the home-local day of the events it is written into
    ("home_id", pa.string()),
    ("entity_id", pa.string()),
    ("kind", pa.string()),               # one of patterns.models.ANOMALY_KINDS
    ("start", _UTC_US),                  # the planted spell, UTC
    ("end", _UTC_US),
    ("value", pa.float64()),             # unusual_value: the reading written over the spell, else null
    ("pulses", pa.int32()),              # unusual_volume: on/off pulses planted in the spell, else null
])
"""The anomalies planted in ``events`` (events/anomalies.py): the truth the anomaly detector is scored against.
The events never carry it."""
