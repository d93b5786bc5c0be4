"""What is installed where: Home Assistant device classes with units and value ranges, a small catalogue
of real products (manufacturer, model, the entities their integration creates) and placement rules
(which device goes into which kind of room, how often, how many). Pure: no Dagster.

Device class names, units and state classes are Home Assistant's (``SensorDeviceClass``,
``BinarySensorDeviceClass``, ``CoverDeviceClass``, ``MediaPlayerDeviceClass``, ``SwitchDeviceClass``;
units from ``DEVICE_CLASS_UNITS`` and ``const.UnitOf*``). Value ranges are what a home can show; the
event generator draws inside them and the checks hold events to them.
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

DOMAINS = ("light", "switch", "binary_sensor", "sensor", "climate", "lock", "cover", "media_player", "fan",
           "vacuum", "person", "device_tracker")

# Home Assistant's device classes, read from home-assistant/core: BinarySensorDeviceClass in
# components/binary_sensor/__init__.py (commit 027590d9, a 2024 release: deprecations due in 2025.1) and
# SensorDeviceClass in components/sensor/const.py (commit 00eb6680, later; the classes used here all predate
# 2024.3). Cover, media_player and switch classes from their components' enums.
HA_DEVICE_CLASSES: dict[str, frozenset[str]] = {
    "binary_sensor": frozenset({
        "battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door", "garage_door", "gas",
        "heat", "light", "lock", "moisture", "motion", "moving", "occupancy", "opening", "plug", "power",
        "presence", "problem", "running", "safety", "smoke", "sound", "tamper", "update", "vibration", "window"}),
    "sensor": frozenset({
        "date", "enum", "timestamp", "apparent_power", "aqi", "atmospheric_pressure", "battery", "carbon_monoxide",
        "carbon_dioxide", "current", "data_rate", "data_size", "distance", "duration", "energy", "energy_storage",
        "frequency", "gas", "humidity", "illuminance", "irradiance", "moisture", "monetary", "nitrogen_dioxide",
        "nitrogen_monoxide", "nitrous_oxide", "ozone", "ph", "pm1", "pm10", "pm25", "power_factor", "power",
        "precipitation", "precipitation_intensity", "pressure", "reactive_power", "signal_strength",
        "sound_pressure", "speed", "sulphur_dioxide", "temperature", "volatile_organic_compounds",
        "volatile_organic_compounds_parts", "voltage", "volume", "volume_storage", "water", "weight",
        "wind_speed"}),
    "cover": frozenset({"awning", "blind", "curtain", "damper", "door", "garage", "gate", "shade", "shutter",
                        "window"}),
    "media_player": frozenset({"tv", "speaker", "receiver"}),
    "switch": frozenset({"outlet", "switch"}),
}


def entity_kind() -> pl.Expr:
    """An entity's kind: the key of :data:`DEVICE_CLASSES` (``domain`` or ``domain.device_class``), the one
    the event generator keys its states by and the export picks services by."""
    return pl.when(pl.col("device_class").is_null()).then(pl.col("domain")).otherwise(
        pl.col("domain") + "." + pl.col("device_class")).alias("kind")


class UnknownDeviceClassError(ValueError):
    """A device class that Home Assistant does not have for its domain, or that the catalogue lacks."""


class DeviceClassSpec(NamedTuple):
    domain: str
    device_class: str | None
    unit: str | None
    state_class: str | None
    low: float | None   # value range of the state (numeric sensors), else None
    high: float | None
    source: str


DEVICE_CLASSES: dict[str, DeviceClassSpec] = {spec_key: spec for spec_key, spec in (
    ("sensor.temperature", DeviceClassSpec("sensor", "temperature", "°C", "measurement", -40.0, 60.0,
                                           "indoor and outdoor sensor range: estimate")),
    ("sensor.humidity", DeviceClassSpec("sensor", "humidity", "%", "measurement", 0.0, 100.0,
                                        "relative humidity, by definition")),
    ("sensor.illuminance", DeviceClassSpec("sensor", "illuminance", "lx", "measurement", 0.0, 100_000.0,
                                           "direct sunlight reaches ~100,000 lx: estimate")),
    ("sensor.battery", DeviceClassSpec("sensor", "battery", "%", "measurement", 0.0, 100.0, "percentage")),
    ("sensor.power", DeviceClassSpec("sensor", "power", "W", "measurement", 0.0, 25_000.0,
                                     "a plug is limited to ~3,680 W (16 A x 230 V); a whole-home meter to a "
                                     "~25 kW service: estimate")),
    ("sensor.energy", DeviceClassSpec("sensor", "energy", "kWh", "total_increasing", 0.0, None,
                                      "a counter: never decreases")),
    ("sensor.carbon_dioxide", DeviceClassSpec("sensor", "carbon_dioxide", "ppm", "measurement", 350.0, 5_000.0,
                                              "outdoor ~420 ppm; 5,000 ppm is the usual workplace limit")),
    ("sensor.pressure", DeviceClassSpec("sensor", "pressure", "hPa", "measurement", 870.0, 1_085.0,
                                        "lowest and highest sea-level pressures recorded")),
    ("binary_sensor.motion", DeviceClassSpec("binary_sensor", "motion", None, None, None, None, "on/off")),
    ("binary_sensor.occupancy", DeviceClassSpec("binary_sensor", "occupancy", None, None, None, None, "on/off")),
    ("binary_sensor.door", DeviceClassSpec("binary_sensor", "door", None, None, None, None, "on/off")),
    ("binary_sensor.window", DeviceClassSpec("binary_sensor", "window", None, None, None, None, "on/off")),
    ("binary_sensor.smoke", DeviceClassSpec("binary_sensor", "smoke", None, None, None, None, "on/off")),
    ("binary_sensor.carbon_monoxide", DeviceClassSpec("binary_sensor", "carbon_monoxide", None, None, None, None,
                                                      "on/off")),
    ("binary_sensor.moisture", DeviceClassSpec("binary_sensor", "moisture", None, None, None, None, "on/off")),
    ("binary_sensor.garage_door", DeviceClassSpec("binary_sensor", "garage_door", None, None, None, None,
                                                  "on/off")),
    ("light", DeviceClassSpec("light", None, None, None, None, None, "on/off, brightness 0-255")),
    ("switch.outlet", DeviceClassSpec("switch", "outlet", None, None, None, None, "on/off")),
    ("climate", DeviceClassSpec("climate", None, "°C", None, 5.0, 35.0, "thermostat set-point range: estimate")),
    ("lock", DeviceClassSpec("lock", None, None, None, None, None, "locked/unlocked")),
    ("cover.blind", DeviceClassSpec("cover", "blind", None, None, 0.0, 100.0, "position %")),
    ("cover.shade", DeviceClassSpec("cover", "shade", None, None, 0.0, 100.0, "position %")),
    ("cover.garage", DeviceClassSpec("cover", "garage", None, None, 0.0, 100.0, "position %")),
    ("media_player.tv", DeviceClassSpec("media_player", "tv", None, None, 0.0, 1.0, "volume level 0-1")),
    ("media_player.speaker", DeviceClassSpec("media_player", "speaker", None, None, 0.0, 1.0, "volume level 0-1")),
    ("fan", DeviceClassSpec("fan", None, None, None, 0.0, 100.0, "speed percentage")),
    ("vacuum", DeviceClassSpec("vacuum", None, None, None, None, None, "cleaning/docked/returning")),
    ("device_tracker", DeviceClassSpec("device_tracker", None, None, None, None, None, "home/not_home")),
    ("person", DeviceClassSpec("person", None, None, None, None, None, "home/not_home")),
)}


class EntitySpec(NamedTuple):
    device_class: str          # key of DEVICE_CLASSES
    name: str | None           # entity name; None: the device's main feature (entity id = device slug)
    category: str | None = None  # Home Assistant entity_category


class DeviceTemplate(NamedTuple):
    label: str                 # the device is named "<area name> <label>"
    integration: str           # Home Assistant integration (entity platform)
    models: tuple[tuple[str, str], ...]  # (manufacturer, model), one drawn per device
    entities: tuple[EntitySpec, ...]
    source: str


_BATTERY = EntitySpec("sensor.battery", "Battery", "diagnostic")

TEMPLATES: dict[str, DeviceTemplate] = {
    "ceiling_light": DeviceTemplate(
        "Ceiling Light", "hue", (("Signify Netherlands B.V.", "Hue white ambiance A19 (LTA001)"),
                                 ("IKEA of Sweden", "TRADFRI bulb E27 WS opal 1000lm (LED1732G11)")),
        (EntitySpec("light", None),), "Hue and TRADFRI bulbs: one light entity each: estimate"),
    "lamp": DeviceTemplate(
        "Lamp", "hue", (("Signify Netherlands B.V.", "Hue color lamp (LCA001)"),
                        ("Signify Netherlands B.V.", "Hue Go (LLC020)")),
        (EntitySpec("light", None),), "one light entity per bulb: estimate"),
    "light_strip": DeviceTemplate(
        "Light Strip", "hue", (("Signify Netherlands B.V.", "Hue lightstrip plus (LCL001)"),),
        (EntitySpec("light", None),), "one light entity: estimate"),
    "outdoor_light": DeviceTemplate(
        "Outdoor Light", "shelly", (("Shelly", "Shelly Plus 1 (SNSW-001X16EU)"),),
        (EntitySpec("light", None),), "relay exposed as a light: estimate"),
    "smart_plug": DeviceTemplate(
        "Plug", "shelly", (("Shelly", "Shelly Plug S (SHPLG-S)"), ("TP-Link", "Kasa Smart Plug (KP115)")),
        (EntitySpec("switch.outlet", None), EntitySpec("sensor.power", "Power"), EntitySpec("sensor.energy", "Energy")),
        "metering plugs: switch + power + energy: estimate"),
    "motion_sensor": DeviceTemplate(
        "Motion Sensor", "hue", (("Signify Netherlands B.V.", "Hue motion sensor (SML001)"),),
        (EntitySpec("binary_sensor.motion", "Motion"), EntitySpec("sensor.illuminance", "Illuminance"),
         EntitySpec("sensor.temperature", "Temperature"), _BATTERY),
        "SML001 reports presence, light level, temperature and battery (deCONZ REST docs, devices/philips/"
        "sml001_motion_sensor); Home Assistant's hue integration makes one entity of each (robmarkcole/"
        "Hue-sensors-HASS README)"),
    "presence_sensor": DeviceTemplate(
        "Presence Sensor", "zha", (("LUMI", "Aqara FP2 (PS-S02D)"),),
        (EntitySpec("binary_sensor.occupancy", "Occupancy"), EntitySpec("sensor.illuminance", "Illuminance")),
        "mmWave presence: occupancy + light level: estimate"),
    "door_sensor": DeviceTemplate(
        "Door Sensor", "zha", (("LUMI", "Aqara door and window sensor (MCCGQ11LM)"),),
        (EntitySpec("binary_sensor.door", "Door"), _BATTERY), "contact sensor + battery: estimate"),
    "window_sensor": DeviceTemplate(
        "Window Sensor", "zha", (("LUMI", "Aqara door and window sensor (MCCGQ11LM)"),),
        (EntitySpec("binary_sensor.window", "Window"), _BATTERY), "contact sensor + battery: estimate"),
    "climate_sensor": DeviceTemplate(
        "Climate Sensor", "zha", (("LUMI", "Aqara temperature and humidity sensor (WSDCGQ11LM)"),),
        (EntitySpec("sensor.temperature", "Temperature"), EntitySpec("sensor.humidity", "Humidity"),
         EntitySpec("sensor.pressure", "Pressure"), _BATTERY),
        "WSDCGQ11LM exposes battery, temperature, humidity, pressure (zigbee2mqtt.io devices/WSDCGQ11LM)"),
    "air_quality_monitor": DeviceTemplate(
        "Air Monitor", "airthings", (("Airthings", "View Plus (2960)"),),
        (EntitySpec("sensor.carbon_dioxide", "CO2"), EntitySpec("sensor.temperature", "Temperature"),
         EntitySpec("sensor.humidity", "Humidity"), _BATTERY), "Airthings View Plus sensors: estimate"),
    "thermostat": DeviceTemplate(
        "Thermostat", "ecobee", (("ecobee", "ecobee3 lite"), ("Google", "Nest Thermostat"),
                                 ("tado", "Smart Thermostat V3+")),
        (EntitySpec("climate", None), EntitySpec("sensor.temperature", "Current Temperature"),
         EntitySpec("sensor.humidity", "Current Humidity")), "climate entity + sensors: estimate"),
    "smart_lock": DeviceTemplate(
        "Lock", "nuki", (("Nuki", "Smart Lock 3.0 Pro"), ("Yale", "Assure Lock 2")),
        (EntitySpec("lock", None), _BATTERY), "lock + battery: estimate"),
    "blind": DeviceTemplate(
        "Blind", "zha", (("IKEA of Sweden", "FYRTUR block-out roller blind"), ("Somfy", "Sonesse 30 WireFree")),
        (EntitySpec("cover.blind", None), _BATTERY), "roller blind: cover + battery: estimate"),
    "garage_door": DeviceTemplate(
        "Garage Door", "ratgdo", (("Chamberlain", "myQ Smart Garage Control (MYQ-G0401)"),),
        (EntitySpec("cover.garage", None), EntitySpec("binary_sensor.garage_door", "Obstruction")),
        "garage door cover: estimate"),
    "tv": DeviceTemplate(
        "TV", "webostv", (("LG Electronics", "OLED55C3"), ("Samsung", "QE55Q80C")),
        (EntitySpec("media_player.tv", None),), "one media_player: estimate"),
    "speaker": DeviceTemplate(
        "Speaker", "sonos", (("Sonos", "One (S18)"), ("Sonos", "Era 100")),
        (EntitySpec("media_player.speaker", None),), "one media_player per player: estimate"),
    "fan": DeviceTemplate(
        "Fan", "dyson_local", (("Dyson", "Pure Cool Tower (TP04)"), ("Xiaomi", "Smart Standing Fan 2")),
        (EntitySpec("fan", None), EntitySpec("sensor.temperature", "Temperature")), "fan + sensor: estimate"),
    "vacuum": DeviceTemplate(
        "Vacuum", "roborock", (("Roborock", "S7"), ("iRobot", "Roomba i7")),
        (EntitySpec("vacuum", None), _BATTERY), "vacuum + battery: estimate"),
    "smoke_alarm": DeviceTemplate(
        "Smoke Alarm", "nest", (("Google", "Nest Protect (2nd gen)"),),
        (EntitySpec("binary_sensor.smoke", "Smoke"), EntitySpec("binary_sensor.carbon_monoxide", "Carbon Monoxide"),
         _BATTERY), "smoke + CO + battery: estimate"),
    "leak_sensor": DeviceTemplate(
        "Leak Sensor", "zha", (("LUMI", "Aqara water leak sensor (SJCGQ11LM)"),),
        (EntitySpec("binary_sensor.moisture", "Moisture"), _BATTERY), "moisture + battery: estimate"),
    "energy_meter": DeviceTemplate(
        "Energy Meter", "shelly", (("Shelly", "Shelly Pro 3EM"), ("HomeWizard", "Wi-Fi P1 Meter (HWE-P1)")),
        (EntitySpec("sensor.power", "Power"), EntitySpec("sensor.energy", "Energy Import")),
        "whole-home power + energy: estimate"),
    "phone": DeviceTemplate(
        "Phone", "mobile_app", (("Apple", "iPhone 14"), ("Google", "Pixel 8"), ("samsung", "SM-S911B")),
        (EntitySpec("device_tracker", None), EntitySpec("sensor.battery", "Battery Level")),
        "mobile_app: device_tracker + battery level: estimate"),
}


class Placement(NamedTuple):
    kinds: frozenset[str]  # area kinds it goes into
    template: str
    probability: float     # per area of those kinds, before the home type's device density (estimate)
    count: tuple[int, int]  # how many when present


def _k(*kinds: str) -> frozenset[str]:
    return frozenset(kinds)


_ROOMS = _k("living", "kitchen", "dining", "bedroom", "office", "cinema", "gym")
PLACEMENTS: tuple[Placement, ...] = (  # every probability and count here: estimate
    Placement(_ROOMS | _k("bathroom", "toilet", "hallway", "entrance", "utility", "garage", "basement", "attic"),
              "ceiling_light", 0.95, (1, 3)),
    Placement(_k("living", "bedroom", "office", "cinema", "dining"), "lamp", 0.6, (1, 3)),
    Placement(_k("living", "kitchen", "cinema"), "light_strip", 0.3, (1, 2)),
    Placement(_k("garden", "patio", "balcony", "driveway", "entrance"), "outdoor_light", 0.7, (1, 3)),
    Placement(_ROOMS | _k("utility", "garage"), "smart_plug", 0.5, (1, 3)),
    Placement(_k("hallway", "entrance", "bathroom", "toilet", "kitchen", "living", "garage", "basement", "driveway",
                 "gym", "utility"), "motion_sensor", 0.7, (1, 1)),
    Placement(_k("living", "office", "bedroom"), "presence_sensor", 0.2, (1, 1)),
    Placement(_k("entrance", "garage", "patio", "balcony"), "door_sensor", 0.85, (1, 1)),
    Placement(_k("living", "bedroom", "kitchen", "office", "dining", "bathroom"), "window_sensor", 0.5, (1, 3)),
    Placement(_k("bedroom", "bathroom", "office", "basement", "attic"), "climate_sensor", 0.6, (1, 1)),
    Placement(_k("living", "office", "bedroom"), "air_quality_monitor", 0.15, (1, 1)),
    Placement(_k("living", "hallway"), "thermostat", 0.45, (1, 1)),
    Placement(_k("entrance", "garage"), "smart_lock", 0.55, (1, 1)),
    Placement(_k("living", "bedroom", "office", "dining", "cinema"), "blind", 0.35, (1, 3)),
    Placement(_k("garage"), "garage_door", 0.8, (1, 2)),
    Placement(_k("living", "bedroom", "cinema", "gym"), "tv", 0.55, (1, 1)),
    Placement(_k("living", "kitchen", "bedroom", "bathroom", "office", "patio", "gym"), "speaker", 0.35, (1, 2)),
    Placement(_k("bedroom", "office", "living"), "fan", 0.2, (1, 1)),
    Placement(_k("living", "hallway"), "vacuum", 0.3, (1, 1)),
    Placement(_k("hallway", "kitchen", "bedroom", "basement"), "smoke_alarm", 0.5, (1, 1)),
    Placement(_k("bathroom", "kitchen", "utility", "basement"), "leak_sensor", 0.35, (1, 2)),
    Placement(_k("utility", "garage", "hallway"), "energy_meter", 0.3, (1, 1)),
)
PHONE_TEMPLATE = "phone"  # one per occupant, no area (Home Assistant's mobile_app devices have none)


def check_catalogue(device_classes: dict[str, DeviceClassSpec] | None = None,
                    templates: dict[str, DeviceTemplate] | None = None) -> None:
    """Refuse a device class Home Assistant lacks, an entity of an unknown class, or a placement of an
    unknown template (run at import, so a bad catalogue stops before anything is generated)."""
    device_classes = DEVICE_CLASSES if device_classes is None else device_classes
    templates = TEMPLATES if templates is None else templates
    for key, spec in device_classes.items():
        if spec.domain not in DOMAINS:
            raise UnknownDeviceClassError(f"{key}: unknown domain {spec.domain!r}; known: {', '.join(DOMAINS)}")
        known = HA_DEVICE_CLASSES.get(spec.domain, frozenset())
        if spec.device_class is not None and spec.device_class not in known:
            raise UnknownDeviceClassError(f"{key}: Home Assistant has no {spec.domain} device class "
                                          f"{spec.device_class!r}; it has {', '.join(sorted(known))}")
    for name, template in templates.items():
        for entity in template.entities:
            if entity.device_class not in device_classes:
                raise UnknownDeviceClassError(f"template {name!r}: unknown device class {entity.device_class!r}; "
                                              f"known: {', '.join(device_classes)}")
    for placement in PLACEMENTS:
        if placement.template not in templates:
            raise UnknownDeviceClassError(f"placement of unknown device type {placement.template!r}")


def placement_frame() -> pl.DataFrame:
    """One row per (placement, area kind): the join key from areas to candidate devices."""
    rows = [(i, kind, p.template, p.probability, p.count[0], p.count[1])
            for i, p in enumerate(PLACEMENTS) for kind in sorted(p.kinds)]
    return pl.DataFrame(rows, schema={"placement": pl.Int32, "area_kind": pl.String, "device_type": pl.String,
                                      "probability": pl.Float64, "count_low": pl.Int32, "count_high": pl.Int32},
                        orient="row")


def entity_spec_frame() -> pl.DataFrame:
    """One row per (device type, entity): what each device contributes to the entities table."""
    rows = []
    for key, template in TEMPLATES.items():
        for order, entity in enumerate(template.entities):
            spec = DEVICE_CLASSES[entity.device_class]
            rows.append((key, order, spec.domain, spec.device_class, spec.unit, spec.state_class, entity.category,
                         entity.name))
    return pl.DataFrame(rows, schema={"device_type": pl.String, "entity_order": pl.Int32, "domain": pl.String,
                                      "device_class": pl.String, "unit_of_measurement": pl.String,
                                      "state_class": pl.String, "entity_category": pl.String,
                                      "entity_name": pl.String}, orient="row")


check_catalogue()
