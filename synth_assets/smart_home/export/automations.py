"""``automations.yaml`` of a home from its planted rules (``smart_home.correlations``), in Home Assistant
2024.3's syntax (``components/automation/config.py`` ``PLATFORM_SCHEMA``: ``id``, ``alias``,
``description``, ``mode``, ``trigger`` (``platform: state`` / ``numeric_state``), ``condition``,
``action`` with ``service`` + ``target``; the plural ``triggers``/``actions`` keys came in later releases).

One automation per rule; the links of a chain (same ``chain_id``, ordered by ``step``) become one
automation whose id is the ``chain_id``: the first link's trigger, then each link's target in turn.
A planted lag of :data:`DELAY_FROM_SECONDS` or more becomes a ``delay`` before the action; shorter lags are
the devices' reaction time. A rule's ``condition`` of the form ``<entity_id> <|<=|>|>= <number> [unit]``
becomes a ``numeric_state`` condition, ``<entity_id> [==] <state>`` a ``state`` condition (a door's
``closed`` / ``open`` as ``off`` / ``on``), parts joined by `` and `` one condition each; any other text
is kept in the description. A rule without a trigger entity (``cheap_power_appliance``: the start of the
day's cheapest hour by the dynamic tariff) gets an hourly ``time_pattern`` trigger: the export has no
price entity to test, so the price gate stays in the description. Pure: no Dagster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import polars as pl
import yaml

from synth_assets.smart_home.models import RULE_KINDS

DELAY_FROM_SECONDS = 5.0
AUTOMATION_COLUMNS = ("home_id", "automation_id", "alias", "yaml")
_NUMERIC = re.compile(r"^\s*(?P<entity>[a-z0-9_]+\.[a-z0-9_]+)\s*(?P<op><=|>=|<|>)\s*(?P<value>-?\d+(?:\.\d+)?)"
                      r"\s*[^\s]*\s*$")
_EQUALS = re.compile(r"^\s*(?P<entity>[a-z0-9_]+\.[a-z0-9_]+)\s*(?:==\s*)?(?P<state>[\w.-]+)\s*$")
STATE_WORDS = {"closed": "off", "open": "on"}  # a door or window sensor's words -> its binary state

# (trigger domain, device class or None) -> the state the rule's kind waits for
TRIGGER_STATES: dict[str, dict[str, str]] = {
    "motion_light": {"binary_sensor": "on"},
    "door_lock": {"binary_sensor": "off"},       # the door closed
    "door_alarm": {"binary_sensor": "on"},       # the door opened
    "away_all_off": {"person": "not_home", "device_tracker": "not_home", "binary_sensor": "off"},
}
DEFAULT_TRIGGER_STATES = {"binary_sensor": "on", "person": "not_home", "device_tracker": "not_home",
                          "light": "on", "switch": "on"}  # a chain link's trigger: the state that starts it
# services that switch a target on (cause) or off (away_all_off), by the target's domain
ON_SERVICES = {"light": "light.turn_on", "switch": "switch.turn_on", "fan": "fan.turn_on", "lock": "lock.lock",
               "cover": "cover.close_cover", "climate": "climate.turn_on", "media_player": "media_player.turn_on",
               "vacuum": "vacuum.start", "siren": "siren.turn_on", "alarm_control_panel":
               "alarm_control_panel.alarm_trigger", "humidifier": "humidifier.turn_on"}
OFF_SERVICES = {"light": "light.turn_off", "switch": "switch.turn_off", "fan": "fan.turn_off", "lock": "lock.lock",
                "cover": "cover.close_cover", "climate": "climate.turn_off", "media_player": "media_player.turn_off",
                "vacuum": "vacuum.return_to_base", "siren": "siren.turn_off", "humidifier": "humidifier.turn_off"}


class UnknownRuleError(ValueError):
    """A correlations row the automation generator cannot express."""


def _domain(entity_id: str) -> str:
    return entity_id.split(".", 1)[0]


def _service(kind: str, target: str) -> str:
    services = OFF_SERVICES if kind == "away_all_off" else ON_SERVICES
    domain = _domain(target)
    return services.get(domain, f"homeassistant.turn_{'off' if kind == 'away_all_off' else 'on'}")


def _trigger(kind: str, trigger_entity: str | None) -> dict[str, object]:
    if trigger_entity is None:  # cheap_power_appliance: planted at the start of the day's cheapest hour
        return {"platform": "time_pattern", "minutes": 0}
    state = TRIGGER_STATES.get(kind, DEFAULT_TRIGGER_STATES).get(_domain(trigger_entity))
    trigger: dict[str, object] = {"platform": "state", "entity_id": trigger_entity}
    if state is not None:
        trigger["to"] = state
    return trigger


def _one_condition(text: str) -> dict[str, object] | None:
    if match := _NUMERIC.match(text):
        value = float(match["value"])
        bound = "below" if match["op"] in ("<", "<=") else "above"
        return {"condition": "numeric_state", "entity_id": match["entity"],
                bound: int(value) if value.is_integer() else value}
    if match := _EQUALS.match(text):
        state = STATE_WORDS.get(match["state"], match["state"]) if match["entity"].startswith("binary_sensor.") \
            else match["state"]
        return {"condition": "state", "entity_id": match["entity"], "state": state}
    return None


def _condition(text: str | None) -> list[dict[str, object]]:
    """Conditions of a rule's gate: parts joined by `` and `` each parsed, or none if any part is not."""
    if not text:
        return []
    parts = [_one_condition(part) for part in text.split(" and ")]
    return [] if any(part is None for part in parts) else parts


def _steps(kind: str, links: list[Mapping[str, object]]) -> list[dict[str, object]]:
    steps: list[dict[str, object]] = []
    for link in links:
        lag = float(link["lag_seconds"] or 0.0)
        if lag >= DELAY_FROM_SECONDS:
            steps.append({"delay": {"seconds": int(round(lag))}})
        target = str(link["target_entity_id"])
        steps.append({"service": _service(str(link["kind"]) if kind == "chain" else kind, target),
                      "target": {"entity_id": target}})
    return steps


def _alias(kind: str, links: list[Mapping[str, object]], names: Mapping[str, str]) -> str:
    def name(entity_id: object) -> str:
        return names.get(str(entity_id), str(entity_id))

    first = links[0]
    if first["trigger_entity_id"] is None:
        return f"Cheapest hour starts {' then '.join(name(link['target_entity_id']) for link in links)}"
    targets = " then ".join(name(link["target_entity_id"]) for link in links)
    verb = "turns off" if kind == "away_all_off" else "starts"
    return f"{name(first['trigger_entity_id'])} {verb} {targets}"


def automation(kind: str, automation_id: str, links: list[Mapping[str, object]],
               names: Mapping[str, str]) -> dict[str, object]:
    """One automation (a dict in ``automations.yaml``'s shape) for a rule or the ordered links of a chain."""
    unknown = {str(link["kind"]) for link in links} - set(RULE_KINDS)
    if kind not in RULE_KINDS or unknown:
        raise UnknownRuleError(f"rule {automation_id} has an unknown kind {sorted(unknown) or kind}; "
                               f"known kinds are {', '.join(RULE_KINDS)}")
    first = links[0]
    conditions = _condition(first["condition"])
    description = f"Planted rule {automation_id} ({kind})"
    if first["condition"] and not conditions:
        description += f"; condition: {first['condition']}"
    return {"id": automation_id, "alias": _alias(kind, links, names), "description": description,
            "mode": "single", "trigger": [_trigger(str(first["kind"]), first["trigger_entity_id"])],
            "condition": conditions, "action": _steps(kind, links)}


def home_automations(correlations: pl.DataFrame, names: Mapping[str, str]) -> list[dict[str, object]]:
    """Automations of one home's correlations rows, chains folded; ``names``: entity_id -> friendly name."""
    automations = []
    singles = correlations.filter(pl.col("chain_id").is_null()).sort("rule_id")
    for row in singles.iter_rows(named=True):
        automations.append(automation(row["kind"], row["rule_id"], [row], names))
    chains = correlations.filter(pl.col("chain_id").is_not_null()).sort("chain_id", "step")
    for (chain_id,), links in chains.group_by("chain_id", maintain_order=True):
        automations.append(automation("chain", str(chain_id), list(links.iter_rows(named=True)), names))
    return automations


def automations_yaml(automations: list[dict[str, object]]) -> str:
    """The file's text; an empty list when the home has no rules (Home Assistant accepts ``[]``)."""
    return yaml.safe_dump(automations, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)


def automation_rows(home_id: str, automations: list[dict[str, object]]) -> pl.DataFrame:
    """One row per automation: ``home_id``, ``automation_id``, ``alias`` and its YAML."""
    return pl.DataFrame({"home_id": [home_id] * len(automations),
                         "automation_id": [str(a["id"]) for a in automations],
                         "alias": [str(a["alias"]) for a in automations],
                         "yaml": [automations_yaml([a]) for a in automations]},
                        schema={c: pl.String for c in AUTOMATION_COLUMNS})
