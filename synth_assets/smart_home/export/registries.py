"""A home's ``.storage`` documents, in Home Assistant 2024.3's formats.

Every document is ``{"version", "minor_version", "key", "data"}`` as ``helpers/storage.py`` ``Store``
saves it, indented by two as ``helpers/json.py`` ``save_json`` writes it. The fields of each ``data`` are
those of the release's ``_data_to_save`` and are read back by its ``async_load``:

- ``core.area_registry`` 1.6 (``helpers/area_registry.py``), ``core.floor_registry`` 1.1
  (``helpers/floor_registry.py``; one floor per area level), ``core.device_registry`` 1.5
  (``helpers/device_registry.py``), ``core.entity_registry`` 1.13 (``helpers/entity_registry.py``);
- ``core.config_entries`` 1.1 (``config_entries.py``): one entry per integration the devices use, since
  every device names the config entry that made it (``DeviceEntry.config_entries``);
- ``person`` 2.1 (``components/person``: ``{"items": [...]}``) and ``auth`` 1.1 (``auth/auth_store.py``):
  one user and one person per occupant, with the user ids the events carry (``people.occupants``);
- ``energy`` 1.1 (``components/energy/data.py``): the energy dashboard's grid source and devices.

Ids Home Assistant draws at random (``uuid_util.random_uuid_hex``: entity registry ids, config entry ids)
are 32 hex digits from counter-based words keyed by (seed, home, what): a home's files depend on nothing
else. An entity's ``area_id`` stays null when its device is in an area (it inherits it), as Home Assistant
registers entities. Pure: no Dagster.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import polars as pl

from synth_assets.core.rng import index_words
from synth_assets.smart_home.devices import hex_ids
from synth_assets.smart_home.slugs import slug_column

STORAGE_VERSIONS: dict[str, tuple[int, int]] = {
    "core.area_registry": (1, 6), "core.floor_registry": (1, 1), "core.device_registry": (1, 5),
    "core.entity_registry": (1, 13), "core.config_entries": (1, 1), "person": (2, 1), "auth": (1, 1),
    "energy": (1, 1),
}
WHOLE_HOME_METER = "energy_meter"  # the catalogue's whole-home meter: the energy dashboard's grid source
# every light of the catalogue is dimmable: ColorMode.BRIGHTNESS its one color mode (components/light
# capability_attributes: supported_color_modes; state_attributes: color_mode and brightness, None when off)
LIGHT_COLOR_MODE = "brightness"
FLOOR_NAMES = {-1: "Basement", 0: "Ground Floor", 1: "First Floor", 2: "Attic"}  # naming choice, not data
ADMIN_GROUP, USER_GROUP, READ_ONLY_GROUP = "system-admin", "system-users", "system-read-only"
AUTH_GROUPS = ({"id": ADMIN_GROUP, "name": "Administrators"}, {"id": USER_GROUP, "name": "Users"},
               {"id": READ_ONLY_GROUP, "name": "Read Only"})  # auth/const.py GROUP_NAME_* of the release
MAX_ENTITIES_PER_HOME = 1 << 16
_ID_KEYS = ("smart_home", "export")


def storage_document(key: str, data: Mapping[str, object]) -> dict[str, object]:
    version, minor = STORAGE_VERSIONS[key]
    return {"version": version, "minor_version": minor, "key": key, "data": dict(data)}


def storage_text(document: Mapping[str, object]) -> str:
    """The file's text as Home Assistant writes it (two-space indent, UTF-8 kept)."""
    return json.dumps(document, indent=2, ensure_ascii=False)


def random_hex_ids(seed: int, what: str, home_index: int, count: int) -> pl.Series:
    """``count`` ids of 32 hex digits for ``what`` in one home, independent of every other home."""
    if count >= MAX_ENTITIES_PER_HOME:
        raise ValueError(f"a home with {count} {what} rows exceeds the export's {MAX_ENTITIES_PER_HOME}")
    counter = np.int64(home_index) * MAX_ENTITIES_PER_HOME + np.arange(count, dtype=np.int64)
    return hex_ids(index_words(seed, (*_ID_KEYS, what), counter, 2), what)


def friendly_names(entities: pl.DataFrame, devices: pl.DataFrame) -> pl.Series:
    """Each entity's ``friendly_name`` as Home Assistant derives it for ``has_entity_name`` entities:
    ``"<device name> <entity name>"``, the device name for a device's main feature, the name otherwise."""
    joined = entities.select("device_id", "original_name").join(
        devices.select("device_id", pl.col("name").alias("device_name")), on="device_id", how="left",
        maintain_order="left")
    return joined.select(
        pl.when(pl.col("device_name").is_null()).then(pl.col("original_name"))
        .when(pl.col("original_name").is_null()).then(pl.col("device_name"))
        .otherwise(pl.col("device_name") + " " + pl.col("original_name")).alias("friendly_name"))["friendly_name"]


def config_entries(seed: int, home_index: int, devices: pl.DataFrame) -> pl.DataFrame:
    """One config entry per integration of the home's devices: ``integration``, ``entry_id``, ``title``."""
    integrations = sorted(devices["integration"].unique().to_list())
    ids = random_hex_ids(seed, "config_entry", home_index, len(integrations))
    return pl.DataFrame({"integration": integrations, "entry_id": ids,
                         "title": [name.replace("_", " ").title() for name in integrations]})


def _floors(areas: pl.DataFrame) -> pl.DataFrame:
    levels = sorted(areas["level"].unique().to_list())
    names = [FLOOR_NAMES.get(level, f"Level {level}") for level in levels]
    return pl.DataFrame({"level": levels, "name": names, "floor_id": slug_column(pl.Series(names, dtype=pl.String))},
                        schema={"level": pl.Int8, "name": pl.String, "floor_id": pl.String})


def area_registry(areas: pl.DataFrame) -> dict[str, object]:
    floors = _floors(areas)
    rows = areas.join(floors.select("level", "floor_id"), on="level", how="left", maintain_order="left")
    return storage_document("core.area_registry", {"areas": [
        {"aliases": [], "floor_id": row["floor_id"], "icon": None, "id": row["area_id"], "labels": [],
         "name": row["name"], "picture": None} for row in rows.iter_rows(named=True)]})


def floor_registry(areas: pl.DataFrame) -> dict[str, object]:
    return storage_document("core.floor_registry", {"floors": [
        {"aliases": [], "floor_id": row["floor_id"], "icon": None, "level": row["level"], "name": row["name"]}
        for row in _floors(areas).iter_rows(named=True)]})


def device_registry(devices: pl.DataFrame, entries: pl.DataFrame) -> dict[str, object]:
    rows = devices.join(entries.select("integration", "entry_id"), on="integration", how="left",
                        maintain_order="left")
    return storage_document("core.device_registry", {"devices": [
        {"area_id": row["area_id"], "config_entries": [row["entry_id"]], "configuration_url": None,
         "connections": [], "disabled_by": None, "entry_type": None, "hw_version": None, "id": row["device_id"],
         "identifiers": [[row["integration"], row["device_id"]]], "labels": [],
         "manufacturer": row["manufacturer"], "model": row["model"], "name_by_user": None, "name": row["name"],
         "serial_number": None, "sw_version": None, "via_device_id": None}
        for row in rows.iter_rows(named=True)], "deleted_devices": []})


def person_ids(entities: pl.DataFrame) -> pl.Series:
    """A person's storage id: the object id of its ``person`` entity (both are the slug of the name with
    Home Assistant's ``_2`` rule, ``helpers/collection.py`` ``IDManager.generate_id``)."""
    return entities["entity_id"].str.strip_prefix("person.")


def _automation_entries(seed: int, home_index: int, automations: pl.DataFrame) -> list[dict[str, object]]:
    """Registry entries of the home's automations (platform ``automation``, unique_id = the automation id)."""
    ids = random_hex_ids(seed, "automation_registry", home_index, automations.height)
    return [{"aliases": [], "area_id": None, "capabilities": None, "config_entry_id": None, "device_class": None,
             "device_id": None, "disabled_by": None, "entity_category": None, "entity_id": row["entity_id"],
             "hidden_by": None, "icon": None, "id": registry_id, "has_entity_name": False, "labels": [],
             "name": None, "options": {}, "original_device_class": None, "original_icon": None,
             "original_name": row["alias"], "platform": "automation", "supported_features": 0,
             "translation_key": None, "unique_id": row["automation_id"], "previous_unique_id": None,
             "unit_of_measurement": None}
            for row, registry_id in zip(automations.iter_rows(named=True), ids.to_list(), strict=True)]


def entity_registry(seed: int, home_index: int, entities: pl.DataFrame, devices: pl.DataFrame,
                    entries: pl.DataFrame, automations: pl.DataFrame | None = None) -> dict[str, object]:
    ids = random_hex_ids(seed, "entity_registry", home_index, entities.height)
    rows = (entities.with_columns(registry_id=ids, is_person=pl.col("domain") == "person")
            .with_columns(unique_id=pl.when(pl.col("is_person")).then(pl.col("entity_id").str.strip_prefix("person."))
                          .otherwise(pl.col("device_id") + "-" + pl.col("entity_id").str.split(".").list.get(1)))
            .join(devices.select("device_id", pl.col("integration")), on="device_id", how="left",
                  maintain_order="left")
            .join(entries.select("integration", "entry_id"), on="integration", how="left", maintain_order="left"))
    documents = []
    for row in rows.iter_rows(named=True):
        capabilities = {"state_class": row["state_class"]} if row["state_class"] else None
        if row["domain"] == "light":   # the registry keeps the entity's capability_attributes
            capabilities = {"supported_color_modes": [LIGHT_COLOR_MODE]}
        documents.append({
            "aliases": [], "area_id": None if row["device_id"] else row["area_id"], "capabilities": capabilities,
            "config_entry_id": row["entry_id"], "device_class": None, "device_id": row["device_id"],
            "disabled_by": None, "entity_category": row["entity_category"], "entity_id": row["entity_id"],
            "hidden_by": None, "icon": None, "id": row["registry_id"], "has_entity_name": not row["is_person"],
            "labels": [], "name": None, "options": {}, "original_device_class": row["device_class"],
            "original_icon": None, "original_name": row["original_name"], "platform": row["platform"],
            "supported_features": 0, "translation_key": None, "unique_id": row["unique_id"],
            "previous_unique_id": None, "unit_of_measurement": row["unit_of_measurement"]})
    if automations is not None:
        documents += _automation_entries(seed, home_index, automations)
    return storage_document("core.entity_registry", {"entities": documents, "deleted_entities": []})


def config_entries_document(entries: pl.DataFrame) -> dict[str, object]:
    return storage_document("core.config_entries", {"entries": [
        {"entry_id": row["entry_id"], "version": 1, "minor_version": 1, "domain": row["integration"],
         "title": row["title"], "data": {}, "options": {}, "pref_disable_new_entities": False,
         "pref_disable_polling": False, "source": "user", "unique_id": None, "disabled_by": None}
        for row in entries.iter_rows(named=True)]})


def person_document(people: pl.DataFrame, entities: pl.DataFrame, devices: pl.DataFrame) -> dict[str, object]:
    """``people``: the home's rows of ``people.occupants`` (position, name, user_id)."""
    persons = entities.filter(pl.col("domain") == "person").with_columns(person_id=person_ids(
        entities.filter(pl.col("domain") == "person")))
    trackers = (entities.filter(pl.col("domain") == "device_tracker").select("entity_id", "device_id")
                .join(devices.select("device_id", "occupant_name"), on="device_id")
                .group_by("occupant_name", maintain_order=True).agg(pl.col("entity_id")))
    if people["name"].n_unique() != people.height or persons["original_name"].n_unique() != persons.height:
        raise ValueError("a home's occupants and their person entities must have distinct names "
                         f"(occupants {people['name'].to_list()}, persons {persons['original_name'].to_list()})")
    rows = (people.sort("position")   # an occupant's person entity is the one named after them
            .join(persons.select("original_name", "person_id"), left_on="name", right_on="original_name",
                  how="left", maintain_order="left")
            .join(trackers, left_on="name", right_on="occupant_name", how="left", maintain_order="left"))
    return storage_document("person", {"items": [
        {"id": row["person_id"], "name": row["name"], "user_id": row["user_id"],
         "device_trackers": row["entity_id"] or [], "picture": None} for row in rows.iter_rows(named=True)]})


def person_attributes(entities: pl.DataFrame, person: Mapping[str, object]) -> pl.Series:
    """Each entity's extra recorded attributes as the inside of a JSON object (null for all but persons):
    ``components/person`` ``Person.extra_state_attributes`` in its order, ``editable``, ``id``, ``source``
    (the tracker that sets it), ``user_id``; ``device_trackers`` is one of its unrecorded attributes."""
    fragments = {}
    for item in person["data"]["items"]:  # one per occupant
        values = {"editable": True, "id": item["id"]}
        if item["device_trackers"]:
            values["source"] = item["device_trackers"][0]
        if item["user_id"]:
            values["user_id"] = item["user_id"]
        fragments[f"person.{item['id']}"] = json.dumps(values, separators=(",", ":"), ensure_ascii=False)[1:-1]
    return entities["entity_id"].replace_strict(fragments, default=None, return_dtype=pl.String).alias("extra_attrs")


def energy_document(entities: pl.DataFrame, devices: pl.DataFrame) -> dict[str, object]:
    """The energy dashboard's preferences (``components/energy/data.py`` ``EnergyPreferences``): the whole-home
    meters' energy sensors as grid consumption, every other energy sensor as a device's consumption."""
    energy = (entities.filter((pl.col("domain") == "sensor") & (pl.col("device_class") == "energy"))
              .join(devices.select("device_id", "device_type"), on="device_id", how="left", maintain_order="left"))
    grid = energy.filter(pl.col("device_type") == WHOLE_HOME_METER)["entity_id"].to_list()
    others = energy.filter(pl.col("device_type").ne_missing(WHOLE_HOME_METER))["entity_id"].to_list()
    sources = [{"type": "grid", "flow_from": [
        {"stat_energy_from": entity_id, "stat_cost": None, "entity_energy_price": None, "number_energy_price": None}
        for entity_id in grid], "flow_to": [], "cost_adjustment_day": 0.0}] if grid else []
    return storage_document("energy", {"energy_sources": sources,
                                       "device_consumption": [{"stat_consumption": e} for e in others]})


def auth_document(people: pl.DataFrame) -> dict[str, object]:
    """One user per occupant (the first an owner and administrator), no credentials (see docs: how to log in)."""
    users = [{"id": row["user_id"], "group_ids": [ADMIN_GROUP if row["position"] == 0 else USER_GROUP],
              "is_owner": row["position"] == 0, "is_active": True, "name": row["name"], "system_generated": False,
              "local_only": False} for row in people.sort("position").iter_rows(named=True)]
    return storage_document("auth", {"users": users, "groups": list(AUTH_GROUPS), "credentials": [],
                                     "refresh_tokens": []})


def home_storage(seed: int, home: Mapping[str, object], areas: pl.DataFrame, devices: pl.DataFrame,
                 entities: pl.DataFrame, people: pl.DataFrame,
                 automations: pl.DataFrame | None = None) -> dict[str, dict[str, object]]:
    """Every ``.storage`` document of one home, by file name (the storage key); ``automations``: the
    home's automation entities (automation_events.automation_entities), registered after its devices'."""
    home_index = int(home["home_index"])
    entries = config_entries(seed, home_index, devices)
    documents = [area_registry(areas), floor_registry(areas), device_registry(devices, entries),
                 entity_registry(seed, home_index, entities, devices, entries, automations),
                 config_entries_document(entries),
                 person_document(people, entities, devices), auth_document(people), energy_document(entities, devices)]
    return {str(document["key"]): document for document in documents}
