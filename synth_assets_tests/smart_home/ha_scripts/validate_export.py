"""Run in the Home Assistant 2024.3 tool environment: load one exported home with Home Assistant's own code.

``python validate_export.py <config_dir> <scratch_dir>`` prints one JSON object:
- the registries, config entries, auth users and persons as Home Assistant's loaders read them, and
  every dangling reference (entity -> device / area, device -> area / config entry / floor, person -> user);
- the automations as the automation integration's config validator returns them (with its errors);
- the recorder started on a copy of the database: the schema version it found, whether it migrated,
  the tables and columns of the file against ``db_schema.Base.metadata``, the states read back through
  ``history.get_significant_states`` and the hourly statistics through ``statistics_during_period``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sqlite3
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from homeassistant import config as conf_util
from homeassistant import loader
from homeassistant.auth import auth_manager_from_config
from homeassistant.components.automation.config import async_validate_config_item
from homeassistant.components.energy.data import DEVICE_CONSUMPTION_SCHEMA, ENERGY_SOURCE_SCHEMA
from homeassistant.components.recorder import CONFIG_SCHEMA as RECORDER_CONFIG_SCHEMA
from homeassistant.components.recorder import db_schema, get_instance, history
from homeassistant.components.recorder.models import bytes_to_ulid_or_none, bytes_to_uuid_hex_or_none
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.components.recorder.util import session_scope
from homeassistant.config_entries import ConfigEntries
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity, template, translation
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import floor_registry as fr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers import label_registry as lr
from homeassistant.helpers import recorder as recorder_helper
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


def file_schema(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as connection:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(r[1] for r in connection.execute(f'PRAGMA table_info("{t}")')) for t in tables}


async def registries(hass: HomeAssistant) -> dict:
    await lr.async_load(hass)
    await fr.async_load(hass)
    await ar.async_load(hass)
    await dr.async_load(hass)
    await er.async_load(hass)
    hass.config_entries = ConfigEntries(hass, {})
    await hass.config_entries.async_initialize()
    hass.auth = await auth_manager_from_config(hass, [], [])
    areas, devices, entities = ar.async_get(hass), dr.async_get(hass), er.async_get(hass)
    floors = fr.async_get(hass)
    entry_ids = {entry.entry_id for entry in hass.config_entries.async_entries()}
    users = {user.id for user in await hass.auth.async_get_users()}
    persons = (await Store(hass, 2, "person").async_load() or {}).get("items", [])
    dangling = []
    for device in devices.devices.values():
        if device.area_id is not None and areas.async_get_area(device.area_id) is None:
            dangling.append(f"device {device.id} -> area {device.area_id}")
        dangling += [f"device {device.id} -> config entry {e}" for e in device.config_entries if e not in entry_ids]
    for area in areas.async_list_areas():
        if area.floor_id is not None and floors.async_get_floor(area.floor_id) is None:
            dangling.append(f"area {area.id} -> floor {area.floor_id}")
    for entry in entities.entities.values():
        if entry.device_id is not None and devices.async_get(entry.device_id) is None:
            dangling.append(f"entity {entry.entity_id} -> device {entry.device_id}")
        if entry.area_id is not None and areas.async_get_area(entry.area_id) is None:
            dangling.append(f"entity {entry.entity_id} -> area {entry.area_id}")
        if entry.config_entry_id is not None and entry.config_entry_id not in entry_ids:
            dangling.append(f"entity {entry.entity_id} -> config entry {entry.config_entry_id}")
    dangling += [f"person {p['id']} -> user {p['user_id']}" for p in persons if p.get("user_id") not in users]
    trackers = {t for p in persons for t in p["device_trackers"]}
    dangling += [f"person tracker {t}" for t in trackers if entities.async_get(t) is None]
    return {"areas": len(areas.areas), "floors": len(floors.floors), "devices": len(devices.devices),
            "entities": len(entities.entities), "config_entries": len(entry_ids), "users": len(users),
            "persons": len(persons), "dangling": dangling,
            "entity_ids": sorted(entities.entities), "device_ids": sorted(devices.devices),
            "area_ids": sorted(areas.areas), "user_ids": sorted(users)}


async def automations(hass: HomeAssistant, config_dir: Path) -> dict:
    items = load_yaml(str(config_dir / "automations.yaml")) or []
    valid, errors = [], []
    for item in items:
        result = await async_validate_config_item(hass, "automation", item)
        if result is None or result.validation_failed:
            errors.append(f"{item.get('id')}: {getattr(result, 'validation_error', 'invalid')}")
        else:
            valid.append(item["id"])
    return {"valid": valid, "errors": errors}


async def energy(hass: HomeAssistant, config_dir: Path) -> dict:
    """The energy preferences through the energy integration's schemas; their statistic ids in the database."""
    prefs = (await Store(hass, 1, "energy").async_load()) or {}
    errors = []
    try:
        ENERGY_SOURCE_SCHEMA(prefs.get("energy_sources", []))
        for device in prefs.get("device_consumption", []):
            DEVICE_CONSUMPTION_SCHEMA(device)
    except Exception as err:  # noqa: BLE001 - reported, not raised
        errors.append(str(err))
    wanted = {f["stat_energy_from"] for s in prefs.get("energy_sources", []) for f in s.get("flow_from", [])}
    wanted |= {d["stat_consumption"] for d in prefs.get("device_consumption", [])}
    with sqlite3.connect(config_dir / "home-assistant_v2.db") as connection:
        known = {r[0] for r in connection.execute("SELECT statistic_id FROM statistics_meta")}
    return {"errors": errors, "statistics": len(wanted), "missing_statistics": sorted(wanted - known)}


async def configuration(hass: HomeAssistant) -> dict:
    """configuration.yaml read by Home Assistant's loader (``!include`` resolved) and checked against the core
    and recorder config schemas of the release."""
    loaded = await conf_util.async_hass_config_yaml(hass)
    errors = []
    core = recorder_conf = {}
    try:
        core = conf_util.CORE_CONFIG_SCHEMA(loaded["homeassistant"])
        recorder_conf = RECORDER_CONFIG_SCHEMA({"recorder": loaded["recorder"]})["recorder"]
    except Exception as err:  # noqa: BLE001 - reported, not raised
        errors.append(str(err))
    return {"errors": errors, "time_zone": core.get("time_zone"), "country": core.get("country"),
            "unit_system": str(core.get("unit_system")), "purge_keep_days": recorder_conf.get("purge_keep_days"),
            "auto_purge": recorder_conf.get("auto_purge"), "automations": len(loaded.get("automation") or []),
            "default_config": "default_config" in loaded}


async def recorder(hass: HomeAssistant, config_dir: Path, scratch: Path) -> dict:
    database = scratch / "home-assistant_v2.db"
    shutil.copy(config_dir / "home-assistant_v2.db", database)
    expected = {t.name: sorted(c.name for c in t.columns) for t in db_schema.Base.metadata.sorted_tables}
    before = file_schema(database)
    with sqlite3.connect(database) as connection:
        states_in_file = connection.execute("SELECT COUNT(*) FROM states").fetchone()[0]
        entity_ids = [r[0] for r in connection.execute("SELECT entity_id FROM states_meta")]
        statistic_ids = [r[0] for r in connection.execute("SELECT statistic_id FROM statistics_meta")]
        first, last = connection.execute("SELECT MIN(last_updated_ts), MAX(last_updated_ts) FROM states").fetchone()
        hourly_in_file = connection.execute("SELECT COUNT(*) FROM statistics").fetchone()[0]
    began = time.monotonic()
    ok = await async_setup_component(hass, "recorder", {"recorder": {
        "db_url": f"sqlite:///{database}", "auto_purge": False, "purge_keep_days": 3650, "commit_interval": 0}})
    instance = get_instance(hass)
    ready = await instance.async_db_ready
    print(f"recorder ready after {time.monotonic() - began:.1f} s", file=sys.stderr, flush=True)
    start, end = datetime.fromtimestamp(first - 1, UTC), datetime.fromtimestamp(last + 1, UTC)
    states = await instance.async_add_executor_job(
        lambda: history.get_significant_states(hass, start, end, entity_ids, significant_changes_only=False,
                                               include_start_time_state=False))
    stats = await instance.async_add_executor_job(
        statistics_during_period, hass, datetime.fromtimestamp(first - 7200, UTC), None, set(statistic_ids),
        "hour", None, {"mean", "min", "max", "state", "sum"})
    with sqlite3.connect(database) as connection:
        versions = [r[0] for r in connection.execute("SELECT schema_version FROM schema_changes")]
    def history_faults() -> dict:  # the read-back history against core.py async_set's rules (2024.3)
        repeated = wrong = 0
        for rows in states.values():
            for before, after in zip(rows, rows[1:]):
                repeated += after.state == before.state and after.attributes == before.attributes
                changed = after.last_updated if after.state != before.state else before.last_changed
                wrong += after.last_changed != changed
        return {"repeated_states": repeated, "last_changed_not_last_change": wrong}

    def read_contexts() -> dict:  # decoded by the recorder's own functions (models/context.py)
        with session_scope(hass=hass, read_only=True) as session:
            rows = session.query(db_schema.States.context_id_bin, db_schema.States.context_user_id_bin,
                                 db_schema.States.context_parent_id_bin).all()
        return {bytes_to_ulid_or_none(c): [bytes_to_uuid_hex_or_none(u), bytes_to_ulid_or_none(p)]
                for c, u, p in rows}

    contexts = await instance.async_add_executor_job(read_contexts)

    def read_events() -> list:  # the recorded events, joined and decoded with the recorder's own tables
        with session_scope(hass=hass, read_only=True) as session:
            rows = (session.query(db_schema.EventTypes.event_type, db_schema.EventData.shared_data,
                                  db_schema.Events.context_id_bin, db_schema.Events.context_parent_id_bin,
                                  db_schema.Events.time_fired_ts)
                    .join(db_schema.EventTypes, db_schema.Events.event_type_id == db_schema.EventTypes.event_type_id)
                    .join(db_schema.EventData, db_schema.Events.data_id == db_schema.EventData.data_id).all())
        return [[t, json.loads(d), bytes_to_ulid_or_none(c), bytes_to_ulid_or_none(p), f] for t, d, c, p, f in rows]

    recorded_events = await instance.async_add_executor_job(read_events)
    return {"setup": ok, "ready": ready, "schema_version": instance.schema_version, "schema_changes": versions,
            "missing_tables": sorted(set(expected) - set(before)),
            "column_differences": {t: [sorted(set(expected[t]) ^ set(before.get(t, [])))] for t in expected
                                   if set(expected[t]) != set(before.get(t, []))},
            "states_in_file": states_in_file,
            "states_read": sum(len(rows) for rows in states.values()), "entities_read": len(states),
            "history": history_faults(),
            "statistics_in_file": hourly_in_file, "statistics_read": sum(len(r) for r in stats.values()),
            "contexts": contexts, "events": recorded_events}


async def main(config_dir: Path, scratch: Path) -> dict:
    logging.basicConfig(level=logging.WARNING)
    collect = Collect()
    logging.getLogger().addHandler(collect)
    hass = HomeAssistant(str(config_dir))
    hass.config.skip_pip = True
    loader.async_setup(hass)
    translation.async_setup(hass)
    entity.async_setup(hass)
    template.async_setup(hass)
    await ir.async_load(hass)
    recorder_helper.async_initialize_recorder(hass)
    await hass.async_start()
    # the registries and auth are read from a copy: loaders may save (e.g. migrate) what they loaded
    copy = scratch / "config"
    shutil.copytree(config_dir, copy)
    hass.config.config_dir = str(copy)
    result = {"registries": await registries(hass), "automations": await automations(hass, config_dir),
              "configuration": await configuration(hass), "energy": await energy(hass, config_dir),
              "recorder": await recorder(hass, config_dir, scratch)}
    result["warnings"] = [m for m in collect.messages
                          if any(word in m.lower() for word in ("migrat", "upgrade", "schema", "rebuild"))]
    return result


if __name__ == "__main__":
    try:
        output = asyncio.new_event_loop().run_until_complete(main(Path(sys.argv[1]), Path(sys.argv[2])))
        print("RESULT " + json.dumps(output, default=str), flush=True)
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    os._exit(0)  # the recorder's thread is not stopped: its copy of the database is scratch
