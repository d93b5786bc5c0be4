"""What shapes the events and the planted rules, written once: the generator draws with these values and
the checks hold the events to them. Pure: no Dagster.

Every number here is an estimate chosen to look like real homes unless a source is named beside it; the
volumes are calibrated against the published figure in :data:`EVENTS_PER_HOME_DAY_SOURCE`.
"""

from __future__ import annotations

from typing import NamedTuple

EVENTS_SCHEMA_VERSION = 3   # 2: periods run over midnight (the next day writes their end); 3: planted anomalies

EVENTS_PER_HOME_DAY_SOURCE = (
    "Issue 14 cites published smart-home datasets at about 3,000-13,000 events per home per day for 20-90 "
    "sensors. CASAS (Washington State University; Cook et al., 'CASAS: A smart home in a box', IEEE Computer "
    "46(6) 2013) records ambient PIR motion, door, temperature and light-switch sensor events continuously in "
    "volunteers' homes; Home Assistant's recorder writes one `states` row per state change. The band below "
    "scales the issue's figure by entity count: estimate")
EVENTS_PER_ENTITY_DAY = (2.0, 400.0)
"""Per home-day, events / entities within this band (the check). Homes with sensors write about 70-150 per
entity; a home of lights, plugs and speakers only, with one occupant out at work, writes a handful per
entity, so the low end only catches homes left silent (estimate)."""


# --- occupancy (minutes after local midnight; estimates) ----------------------------------------------
ROUTINE_JITTER_MINUTES = 20          # sd of a person's wake/leave/return around the household routine
WEEKEND_LIE_IN_MINUTES = 75          # later wake on days off
OUTING_PROBABILITY = 0.6             # days off: a trip out (shopping, visits)
OUTING_HOURS = (1.0, 4.0)
CHILD_SCHOOL = (7 * 60 + 30, 15 * 60 + 30)
CHILD_BEDTIME = 20 * 60 + 30
SHIFT_AWAY = (21 * 60 + 30, 6 * 60 + 45)   # night shift: leaves before midnight, back after dawn
SHIFT_SLEEP = (7 * 60 + 30, 14 * 60 + 30)
TRIP_DEPART_MINUTES = (7 * 60, 12 * 60)      # a trip's household leaves on its first day, in this window
TRIP_RETURN_MINUTES = (12 * 60, 20 * 60)     # ... and is back the day after its last day, in this window

# --- rule planting (estimates) ------------------------------------------------------------------------


class RuleKindSpec(NamedTuple):
    lag_seconds: tuple[float, float]   # range of a rule's mean lag (drawn per rule)
    fire_probability: float            # share of applicable triggers the automation acts on
    per_home: tuple[int, int]          # at most this many rules of the kind: (small homes, large homes)


RULE_KIND_SPECS: dict[str, RuleKindSpec] = {
    "motion_light": RuleKindSpec((0.4, 2.0), 0.97, (4, 14)),
    "door_lock": RuleKindSpec((15.0, 60.0), 0.95, (1, 3)),
    "door_alarm": RuleKindSpec((1.0, 3.0), 0.95, (1, 3)),
    "temperature_climate": RuleKindSpec((5.0, 30.0), 0.98, (1, 4)),
    "cheap_power_appliance": RuleKindSpec((30.0, 600.0), 0.9, (1, 3)),
    "away_all_off": RuleKindSpec((30.0, 120.0), 0.97, (3, 10)),
    "chain": RuleKindSpec((1.0, 8.0), 0.93, (1, 3)),   # per chain: its links share the kind
}
LAG_JITTER_SD = 0.2            # log-normal sd of one firing's lag around the rule's lag (median = lag)
ILLUMINANCE_GATE_LUX = 30.0    # dimmer rules fire only below this room light level
MOTION_LIGHT_TIMEOUT_S = (90.0, 300.0)   # light off this long after motion clears
CHIME_SECONDS = (6.0, 20.0)              # door_alarm: the speaker plays a chime this long
CHAIN_TARGET_MINUTES = (2.0, 20.0)       # a chain link's target stays active this long
APPLIANCE_RUN_HOURS = (0.75, 2.5)        # cheap_power_appliance: one run
HEATING_BAND_C = (18.5, 20.5)            # temperature_climate: heat below the threshold ...
HEATING_HYSTERESIS_C = 0.6               # ... until this much above it
OFF_AFTER_RETURN_S = (60.0, 600.0)       # a thing left on in an empty home is switched off this long after a return
REMOTE_OFF_HOURS = (8.0, 10.0)           # ... or, nobody back all the next day, from the app in its morning (estimate)
MEASURE_WINDOW_FACTOR = 4.0              # a target change within lag * factor (+ 5 s) counts as caused
MEASURE_WINDOW_PAD_S = 5.0
MIN_TRIGGERS_TO_MEASURE = 3
MIN_LIFT = 3.0                           # caused share / share at random times, for a rule to be "measured back"
LAG_TOLERANCE = 0.5                      # median measured lag within 50 % of the rule's lag (+ 1 s)

# --- sensor reporting (estimates) ---------------------------------------------------------------------


class Reporting(NamedTuple):
    cadence_s: float     # the device samples this often and writes when the rounded value changes
    decimals: int        # Home Assistant state precision of the class


REPORTING: dict[str, Reporting] = {
    "sensor.temperature": Reporting(90.0, 1),
    "sensor.humidity": Reporting(180.0, 1),
    "sensor.illuminance": Reporting(120.0, 0),   # Hue motion sensor light level (estimate)
    "sensor.carbon_dioxide": Reporting(300.0, 0),
    "sensor.pressure": Reporting(600.0, 1),
    "sensor.power": Reporting(30.0, 1),           # plugs while on; a whole-home meter all day
    "sensor.energy": Reporting(300.0, 2),
    "sensor.battery": Reporting(86_400.0, 0),     # one report a day
    "phone.battery": Reporting(900.0, 0),
}
WHOLE_HOME_POWER_CADENCE_S = 60.0
ENERGY_METER_KWH_PER_DAY = (6.0, 30.0)    # whole-home meter (estimate, typical household 2,000-11,000 kWh/y)
PLUG_KWH_PER_DAY = (0.05, 1.5)
APPLIANCE_WATTS = (15.0, 2_200.0)          # a plug's load while on (log-uniform)
ENERGY_DAY_SPREAD = 0.3                    # keyed day-to-day wobble of a counter's start, as a share of a day's use
ENERGY_EPOCH = "2019-01-01"                # counters count from here (closed-form start of day D)

# --- session rates of actuators and binary sensors per person awake at home, per hour (estimates) -----


class Sessions(NamedTuple):
    per_active_hour: float     # sessions started per hour per person awake at home
    minutes: tuple[float, float]   # log-uniform session length
    dark_only: bool = False    # only when the home is dark (sun down or heavy cloud)


SESSIONS: dict[str, Sessions] = {
    "light": Sessions(0.6, (5.0, 90.0), dark_only=True),
    "switch.outlet": Sessions(0.12, (5.0, 90.0)),
    "media_player.tv": Sessions(0.08, (30.0, 150.0)),
    "media_player.speaker": Sessions(0.08, (10.0, 60.0)),
    "fan": Sessions(0.06, (20.0, 120.0)),
    "binary_sensor.window": Sessions(0.05, (5.0, 90.0)),
    "binary_sensor.occupancy": Sessions(0.8, (3.0, 40.0)),
    "binary_sensor.door": Sessions(0.25, (0.1, 0.6)),
    "binary_sensor.motion": Sessions(6.0, (0.3, 1.5)),   # pulses: on while moving + the sensor's hold time
}
MOTION_AREA_WEIGHT = {"hallway": 2.0, "entrance": 1.5, "kitchen": 1.8, "living": 1.2, "bathroom": 1.0,
                      "toilet": 0.8, "garage": 0.4, "basement": 0.3, "driveway": 0.3, "gym": 0.5, "utility": 0.5}
NIGHT_ACTIVITY = 0.02       # share of a person's daytime motion while asleep (night-time trips)

# --- planted anomalies (events/anomalies.py): the truth the anomaly detector is scored against ------------
# Shapes and times are estimates (no published rate or shape of smart-home anomalies was found); the rate
# per home-day is SmartHomeConfig.anomaly_rate. Times are seconds after local midnight.
ANOMALY_TIME_START_S = (2 * 3600.0, 4 * 3600.0)      # unusual_time: an actuator switched on 02:00-04:00 ...
ANOMALY_TIME_MINUTES = (20.0, 90.0)                  # ... for this long
ANOMALY_DURATION_START_S = (0.5 * 3600.0, 2 * 3600.0)  # unusual_duration: switched on after midnight ...
ANOMALY_DURATION_HOURS = (6.0, 9.0)                    # ... and left on through the night, people at home
# (a thing left on in an empty home until someone is back is normal: actuators.left_on_until_back)
ANOMALY_VALUE_START_S = (8 * 3600.0, 22 * 3600.0)    # unusual_value: a reading far off for a short spell
ANOMALY_VALUE_MINUTES = (5.0, 20.0)
ANOMALY_VALUES: dict[str, tuple[float, float]] = {   # kind -> the spell's reading, inside catalogue.DEVICE_CLASSES
    "sensor.temperature": (45.0, 55.0),              # indoor sensors read ~17-25 °C (a sensor by a heater, a fault)
    "sensor.humidity": (92.0, 99.0),                 # indoor sensors read ~30-60 %
    "sensor.power": (9_000.0, 14_000.0),             # whole-home meters read ~0.1-1 kW
}
ANOMALY_VOLUME_START_S = (9 * 3600.0, 20 * 3600.0)   # unusual_volume: a binary sensor chattering ...
ANOMALY_VOLUME_MINUTES = 60.0                        # ... for an hour ...
ANOMALY_VOLUME_PULSES = (150, 250)                   # ... with this many on/off pulses (normal: < 40 an hour)
ANOMALY_ACTUATORS = ("light", "switch.outlet", "media_player.tv", "media_player.speaker", "fan")
ANOMALY_CHATTER = ("binary_sensor.motion", "binary_sensor.door", "binary_sensor.window", "binary_sensor.occupancy")
