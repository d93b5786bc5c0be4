"""Checks of the Home Assistant export, declared once with the core builders.

- ``registries_reference_existing_ids``: every id a ``.storage`` document points to (entity -> device,
  area, config entry; device -> area, config entry; area -> floor; person -> user, device tracker; energy
  preferences -> entity) is
  defined in the same home's documents. References and definitions are listed as ``home/kind:id`` strings
  and held by :func:`core.checks.foreign_key`.
- ``recorder_rows_match_events``: per home, counted in the written ``home-assistant_v2.db``
  (recorder.audit_database): ``states`` rows = the home's events over the span that Home Assistant records
  (:func:`expected_states`: a write equal to the entity's previous one in state and attributes is not),
  ``states_meta`` rows = their entities, and no broken ``old_state_id`` link, repeated write, wrong
  ``last_changed_ts``, state without attributes or attribute hash that is not the FNV-1a of its JSON.
- the ``automations`` table: one row per (home, automation), each a planted rule (each chain link is one); the
  ``home_descriptions`` table: one row per existing home.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl

from synth_assets.core.checks import Check, Tally, foreign_key, specs, unique_key
from synth_assets.smart_home.export.recorder import audit_database

REFERENCE_CHECK = foreign_key("registries_reference_existing_ids", "reference", "defined",
                              rule="every id referenced in .storage (device, area, floor, config entry, user, "
                                   "tracker) is defined in the same home's .storage")


RULE_BREAKS = ("broken_old_state_links", "repeated_writes", "wrong_last_changed", "states_without_attributes",
               "attribute_hash_mismatches")  # recorder.audit_database counts that are 0 in a correct file


def recorded_rows(events: pl.DataFrame) -> pl.DataFrame:
    """The events Home Assistant 2024.3 records, in time order: each but a write whose state and attributes
    equal the entity's previous write (``StateMachine.async_set`` fires nothing for it). Read from the events
    alone, apart from the export's own de-duplication (recorder.recorded_events)."""
    ordered = events.sort("timestamp", "entity_id", maintain_order=True)
    repeat = (pl.col("state").eq_missing(pl.col("state").shift(1).over("entity_id"))
              & pl.col("attributes").eq_missing(pl.col("attributes").shift(1).over("entity_id"))
              & pl.col("entity_id").is_first_distinct().not_())
    return ordered.filter(~repeat)


def expected_states(events: pl.DataFrame) -> int:
    """How many ``states`` rows a home's events give: :func:`recorded_rows`."""
    return recorded_rows(events).height


def recorder_row_counts(home_id: str, events: pl.DataFrame, database: Path) -> dict[str, object]:
    """One home's row of the ROWS_CHECK frame: what its events give against what the written file holds."""
    audit = audit_database(database)
    return {"home_id": home_id, "events_in_span": events.height, "expected_states": expected_states(events),
            "entities_with_events": events["entity_id"].n_unique(), "recorder_states": audit["states"],
            "recorder_states_meta": audit["states_meta"], **{name: audit[name] for name in RULE_BREAKS}}


@dataclass(frozen=True)
class RecorderRowsMatchEvents(Check):
    """Frame: one row per home with ``recorder_states`` and ``recorder_states_meta`` (counted in the written
    file), ``expected_states`` (:func:`expected_states`), ``entities_with_events`` and each of
    :data:`RULE_BREAKS` (counted in the file)."""

    def count(self, frame: pl.DataFrame, parents=None) -> Counter:
        counts = Counter({
            "states_not_recorded_events": frame.filter(pl.col("recorder_states") != pl.col("expected_states")).height,
            "states_meta_not_entities": frame.filter(
                pl.col("recorder_states_meta") != pl.col("entities_with_events")).height})
        counts.update({name: int(frame[name].sum()) for name in RULE_BREAKS})
        return counts


ROWS_CHECK = RecorderRowsMatchEvents(
    "recorder_rows_match_events",
    "per home, in the written database: states rows = the events Home Assistant records, states_meta = their "
    "entities; no broken old_state_id link, repeated write, wrong last_changed_ts or attribute hash mismatch")
CHECKS = (REFERENCE_CHECK, ROWS_CHECK)


def export_specs(asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return specs(asset_key, CHECKS)


def _data(storage: Mapping[str, Mapping], key: str) -> Mapping:
    return storage[key]["data"]


def references(home_id: str, storage: Mapping[str, Mapping]) -> tuple[list[str], list[str]]:
    """(referenced, defined) ``home/kind:id`` strings of one home's ``.storage`` documents."""
    def tag(kind: str, value: object) -> str:
        return f"{home_id}/{kind}:{value}"

    areas = _data(storage, "core.area_registry")["areas"]
    floors = _data(storage, "core.floor_registry")["floors"]
    devices = _data(storage, "core.device_registry")["devices"]
    entities = _data(storage, "core.entity_registry")["entities"]
    entries = _data(storage, "core.config_entries")["entries"]
    persons = _data(storage, "person")["items"]
    users = _data(storage, "auth")["users"]
    defined = ([tag("area", a["id"]) for a in areas] + [tag("floor", f["floor_id"]) for f in floors]
               + [tag("device", d["id"]) for d in devices] + [tag("entity", e["entity_id"]) for e in entities]
               + [tag("entry", e["entry_id"]) for e in entries] + [tag("user", u["id"]) for u in users])
    referenced = [tag("floor", a["floor_id"]) for a in areas if a["floor_id"]]
    for device in devices:
        referenced += [tag("entry", e) for e in device["config_entries"]]
        referenced += [tag("area", device["area_id"])] if device["area_id"] else []
    for entity in entities:
        referenced += [tag("device", entity["device_id"])] if entity["device_id"] else []
        referenced += [tag("area", entity["area_id"])] if entity["area_id"] else []
        referenced += [tag("entry", entity["config_entry_id"])] if entity["config_entry_id"] else []
    for person in persons:
        referenced += [tag("user", person["user_id"])] if person["user_id"] else []
        referenced += [tag("entity", tracker) for tracker in person["device_trackers"]]
    energy = storage["energy"]["data"] if "energy" in storage else {"energy_sources": [], "device_consumption": []}
    referenced += [tag("entity", flow["stat_energy_from"]) for source in energy["energy_sources"]
                   for flow in source.get("flow_from", [])]
    referenced += [tag("entity", device["stat_consumption"]) for device in energy["device_consumption"]]
    return referenced, defined


def export_results(storages: Mapping[str, Mapping[str, Mapping]], rows: pl.DataFrame) -> list[dg.AssetCheckResult]:
    """Both checks over every exported home: ``storages`` by home id, ``rows`` as ROWS_CHECK reads it."""
    referenced, defined = [], []
    for home_id, storage in storages.items():
        refs, defs = references(home_id, storage)
        referenced += refs
        defined += defs
    tally = Tally((REFERENCE_CHECK,), {"defined": pl.Series("defined", defined, dtype=pl.String)})
    tally.add(pl.DataFrame({"reference": referenced}, schema={"reference": pl.String}))
    return [*tally.results(homes=len(storages)), ROWS_CHECK.result(ROWS_CHECK.count(rows), homes=rows.height)]


TABLE_CHECKS: dict[str, tuple[Check, ...]] = {
    "automations": (
        unique_key("automation_unique_per_home", ["home_id", "automation_id"]),
        foreign_key("automation_is_a_planted_rule", "home_automation", "rules",
                    rule="every (home_id, automation_id) is a rule_id of smart_home.correlations"),
    ),
    "home_descriptions": (
        unique_key("description_unique_per_home", ["home_id"]),
        foreign_key("description_home_exists", "home_id", "homes"),
    ),
}


def table_specs(table: str, asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return specs(asset_key, TABLE_CHECKS[table])


def table_results(table: str, frame: pl.DataFrame, homes: pl.DataFrame,
                  rules: pl.DataFrame | None = None) -> list[dg.AssetCheckResult]:
    """The checks of ``automations`` (``rules``: smart_home.correlations) or ``home_descriptions`` on the
    frame the asset writes."""
    parents = {"homes": homes["home_id"]}
    if table == "automations":
        parents["rules"] = rules.select(pl.col("home_id") + "/" + pl.col("rule_id"))[:, 0].unique()
        frame = frame.with_columns(home_automation=pl.col("home_id") + "/" + pl.col("automation_id"))
    tally = Tally(TABLE_CHECKS[table], parents)
    tally.add(frame)
    return tally.results()
