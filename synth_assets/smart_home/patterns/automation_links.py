"""What an automation does, read back from its YAML: one *link* per (trigger, action) it pairs, and which
suggested automation duplicates one the home already has. Pure: no Dagster.

A link is ``(trigger_entity_id, trigger_state, target_entity_id, service)``: the entity whose change starts
the automation (null for a ``time`` / ``time_pattern`` trigger), the state it waits for (a state trigger's
``to``; null for numeric and time triggers), an entity an action acts on and that action's service. An
automation whose action is a ``choose`` by trigger id (the generator's ``motion_light`` and
``temperature_climate``) links each trigger only to its own branch; any other automation links every
trigger to every service call of its actions. A trigger on a ``person`` also counts as a trigger on the
home's occupancy (:data:`~.models.OCCUPANCY_ENTITY`): ``not_home`` as ``empty``, ``home`` as ``occupied``,
since that is how an "everyone has left" automation is written in Home Assistant (the generator's
``away_all_off``: a person leaving, with the others ``not_home`` as the condition).

A suggestion duplicates an existing automation of its home (:func:`duplicates`) when

- a link of it has the same trigger entity and target as an existing link *and* the same trigger state or
  the same service (``exact`` when both are the same, else ``variant``: the other side of an automation
  already there, e.g. the chime that stops after a door automation starts it, or a lock locked when the
  door opens that an automation locks when the door closes); or
- it is a time suggestion and its (target, service) is already automated by any trigger: the regular
  time is then that automation's doing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl
import yaml

from synth_assets.smart_home.patterns.models import OCCUPANCY_ENTITY

LINK_SCHEMA = {"home_id": pl.String, "automation_id": pl.String, "trigger_entity_id": pl.String,
               "trigger_state": pl.String, "target_entity_id": pl.String, "service": pl.String}
PERSON_OCCUPANCY = {"not_home": "empty", "home": "occupied"}   # a person's state -> the home's occupancy
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)        # libyaml when present: same result, faster


class AutomationYamlError(ValueError):
    """An automation row whose YAML is not one Home Assistant automation."""


def load_automation(text: str, automation_id: str = "?") -> dict:
    """The one automation of a one-item ``automations.yaml`` text; anything else is refused by id."""
    try:
        loaded = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as error:
        raise AutomationYamlError(f"automation {automation_id}: its YAML does not parse ({error})") from error
    if not isinstance(loaded, list) or len(loaded) != 1 or not isinstance(loaded[0], dict):
        raise AutomationYamlError(f"automation {automation_id}: its YAML is not a list of one automation")
    automation = loaded[0]
    missing = [key for key in ("trigger", "condition", "action") if key not in automation]
    if missing:
        raise AutomationYamlError(f"automation {automation_id}: no {', '.join(missing)}")
    return automation


def _entity_ids(value: object) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _calls(actions: Iterable[Mapping]) -> list[tuple[str, str]]:
    """(target entity, service) of every service call in ``actions``, nested sequences included."""
    found = []
    for action in actions:
        if "service" in action:
            found += [(entity, str(action["service"])) for entity in
                      _entity_ids((action.get("target") or {}).get("entity_id"))]
        for option in action.get("choose") or ():
            found += _calls(option.get("sequence") or ())
    return found


def _trigger_keys(trigger: Mapping) -> list[tuple[str | None, str | None]]:
    platform = trigger.get("platform")
    if platform in ("time", "time_pattern"):
        return [(None, None)]
    state = trigger.get("to") if platform == "state" else None
    keys = [(entity, None if state is None else str(state)) for entity in _entity_ids(trigger.get("entity_id"))]
    keys += [(OCCUPANCY_ENTITY, PERSON_OCCUPANCY[state]) for entity, state in list(keys)
             if entity.startswith("person.") and state in PERSON_OCCUPANCY]
    return list(dict.fromkeys(keys))


def links_of(automation: Mapping) -> list[tuple[str | None, str | None, str, str]]:
    """The links of one automation (a dict in ``automations.yaml``'s shape)."""
    triggers, actions = automation.get("trigger") or [], automation.get("action") or []
    chooses = [option for action in actions for option in action.get("choose") or ()]
    found = []
    if chooses:
        for option in chooses:
            ids = {c.get("id") for c in option.get("conditions") or () if c.get("condition") == "trigger"}
            for trigger in triggers:
                if trigger.get("id") in ids:
                    found += [(*key, *call) for key in _trigger_keys(trigger) for call in
                              _calls(option.get("sequence") or ())]
    else:
        calls = _calls(actions)
        found = [(*key, *call) for trigger in triggers for key in _trigger_keys(trigger) for call in calls]
    return list(dict.fromkeys(found))


def automation_links(rows: pl.DataFrame, id_column: str = "automation_id") -> pl.DataFrame:
    """Links (:data:`LINK_SCHEMA`) of automation rows with ``home_id``, ``id_column`` and ``yaml``."""
    records = [(home_id, automation_id, *link)
               for home_id, automation_id, text in rows.select("home_id", id_column, "yaml").iter_rows()
               for link in links_of(load_automation(text, automation_id))]
    return pl.DataFrame(records, schema=LINK_SCHEMA, orient="row")


def duplicates(candidates: pl.DataFrame, existing: pl.DataFrame) -> pl.DataFrame:
    """``home_id``, ``automation_id`` and ``how`` (``exact`` / ``variant`` / ``time``) of every candidate
    automation with a link that duplicates an existing automation's (both frames in :data:`LINK_SCHEMA`)."""
    keys = ["home_id", "trigger_entity_id", "target_entity_id"]
    stated = candidates.filter(pl.col("trigger_entity_id").is_not_null()).join(
        existing.select(*keys, pl.col("trigger_state").alias("old_state"), pl.col("service").alias("old_service")),
        on=keys)
    same_state = pl.col("trigger_state").eq_missing(pl.col("old_state"))
    same_service = pl.col("service") == pl.col("old_service")
    linked = (stated.filter(same_state | same_service)
              .select("home_id", "automation_id",
                      how=pl.when(same_state & same_service).then(pl.lit("exact")).otherwise(pl.lit("variant"))))
    timed = (candidates.filter(pl.col("trigger_entity_id").is_null())
             .join(existing.select("home_id", "target_entity_id", "service").unique(),
                   on=["home_id", "target_entity_id", "service"])
             .select("home_id", "automation_id", how=pl.lit("time")))
    found = pl.concat([linked, timed])
    return found.sort("home_id", "automation_id", "how").unique(["home_id", "automation_id"], keep="first",
                                                                  maintain_order=True)


def entity_refs(node: object) -> set[str]:
    """Every entity id an automation (or any part of one) names, at any depth."""
    if isinstance(node, Mapping):
        found: set[str] = set()
        for key, value in node.items():
            found |= set(_entity_ids(value)) if key == "entity_id" else entity_refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(entity_refs(item) for item in node))
    return set()
