"""A home's ``configuration.yaml`` for Home Assistant 2024.3.

``homeassistant:`` carries the home's name, coordinates, elevation (its city's ``altitude_m`` from the
air-quality city table, with that table's ``altitude_source`` as a comment: 0 where the altitude is
unknown, an estimate the table marks as such), time zone,
country and unit system: ``metric`` for every home, also in the countries whose new installations Home
Assistant sets to ``us_customary`` (``util/location.py``: US, MM, LR). The events record temperatures in
°C; under ``us_customary`` a temperature sensor's state is converted to °F before it is written
(``components/sensor``: a temperature's unit follows ``hass.config.units``), so a recorded °C history
belongs to a metric installation. One consistent choice, not the country's custom.
``recorder:`` keeps ``purge_keep_days`` covering the exported span and turns ``auto_purge`` off, so the
nightly purge (relative to the day Home Assistant runs, not to the data) never deletes the exported
history. ``automation: !include automations.yaml`` loads the home's automations. ``default_config:``
gives the usual frontend, history and energy panels. Pure: no Dagster.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import yaml

UNIT_SYSTEM = "metric"  # the events' units (°C, kWh, lx): see the module note for US homes
AUTOMATIONS_FILE = "automations.yaml"
CONFIGURATION_FILE = "configuration.yaml"


def purge_keep_days(span_days: int) -> int:
    """Days of history the recorder keeps: the exported span, plus the day Home Assistant is started on."""
    if span_days < 1:
        raise ValueError(f"an export spans at least one day, got {span_days}")
    return span_days + 1


def configuration_yaml(home: Mapping[str, object], elevation_m: float, span_days: int,
                       elevation_source: str | None = None) -> str:
    """The file's text. ``home``: a row of ``smart_home.homes``; the name is ``"<city> <type> <home_id>"``;
    ``elevation_source`` (the city table's ``altitude_source``) is written beside the value as a comment."""
    if not math.isfinite(elevation_m):
        raise ValueError(f"elevation of {home['home_id']} is not a number: {elevation_m}")
    core = {
        "name": f"{home['city_name']} {str(home['home_type']).replace('_', ' ')} ({home['home_id']})",
        "latitude": round(float(home["latitude"]), 6), "longitude": round(float(home["longitude"]), 6),
        "elevation": int(round(elevation_m)), "unit_system": UNIT_SYSTEM,
        "time_zone": str(home["timezone"]), "country": str(home["country_code"]),
    }
    recorder = {"purge_keep_days": purge_keep_days(span_days), "auto_purge": False}
    body = yaml.safe_dump({"homeassistant": core, "default_config": None, "recorder": recorder},
                          sort_keys=False, allow_unicode=True, default_flow_style=False)
    body = body.replace("default_config: null\n", "default_config:\n")
    if elevation_source:
        body = body.replace("\n  elevation: ", f"\n  # elevation: {elevation_source}\n  elevation: ", 1)
    return f"# Synthetic home {home['home_id']} (synth_assets smart_home export, Home Assistant 2024.3)\n" \
           f"{body}automation: !include {AUTOMATIONS_FILE}\n"
