"""``automations.yaml`` of a home from its planted rules (``smart_home.correlations``), in Home Assistant
2024.3's syntax (``components/automation/config.py`` ``PLATFORM_SCHEMA``: ``id``, ``alias``,
``description``, ``mode``, ``trigger`` (``platform: state`` / ``numeric_state``), ``condition``,
``action`` with ``service`` + ``target``; the plural ``triggers``/``actions`` keys came in later releases).

One automation per rule, and one per chain link (id = the link's ``rule_id``): its trigger is the previous
link's target reaching its active state (the first link's: the chain's sensor), as the events are generated:
each link's change has the previous link's change as context parent, which is what Home Assistant records
when a link's own automation runs on that change (``components/automation``: the run's context has the
trigger's context as parent).

Each action's service is the one that leads to the state the planted events give the target
(:func:`planted_state`: the rule kind's side of ``events.log.INTERVAL_STATES`` for the target's kind), e.g.
``cover.open_cover`` for a blind the chain opens, ``media_player.media_play`` for a speaker that plays,
``climate.set_hvac_mode`` with ``hvac_mode: heat`` for a thermostat that heats (:data:`STATE_SERVICES`, the
services of each domain in Home Assistant 2024.3's ``components/<domain>/__init__.py``).
Two kinds plant both changes of their target, and their automation has a trigger per change (with an ``id``)
and a ``choose`` by trigger id: ``motion_light`` (on with motion, the illuminance gate on that branch; off
once motion has been clear for :data:`MOTION_LIGHT_OFF_AFTER_SECONDS`) and ``temperature_climate``
(``numeric_state`` below the threshold: heat; above it + ``HEATING_HYSTERESIS_C``: off).
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

from synth_assets.smart_home.catalogue import entity_kind
from synth_assets.smart_home.events.log import INTERVAL_STATES
from synth_assets.smart_home.events.models import HEATING_HYSTERESIS_C, MOTION_LIGHT_TIMEOUT_S
from synth_assets.smart_home.models import RULE_KINDS

DELAY_FROM_SECONDS = 5.0
AUTOMATION_COLUMNS = ("home_id", "automation_id", "alias", "yaml")
_NUMERIC = re.compile(r"^\s*(?P<entity>[a-z0-9_]+\.[a-z0-9_]+)\s*(?P<op><=|>=|<|>)\s*(?P<value>-?\d+(?:\.\d+)?)"
                      r"\s*[^\s]*\s*$")
_EQUALS = re.compile(r"^\s*(?P<entity>[a-z0-9_]+\.[a-z0-9_]+)\s*(?:==\s*)?(?P<state>[\w.-]+)\s*$")
STATE_WORDS = {"closed": "off", "open": "on"}  # a door or window sensor's words -> its binary state

# (rule kind) -> (trigger domain -> the state the rule waits for); a chain link waits for its trigger's active state
TRIGGER_STATES: dict[str, dict[str, str]] = {
    "motion_light": {"binary_sensor": "on"},
    "door_lock": {"binary_sensor": "off"},       # the door closed
    "door_alarm": {"binary_sensor": "on"},       # the door opened
    "away_all_off": {"person": "not_home", "device_tracker": "not_home", "binary_sensor": "off"},
}
IDLE_TARGET_KINDS = ("away_all_off", "door_lock")  # rules that put their target in its idle state (off, locked)
# (target domain, state) -> the service call that leads to that state (Home Assistant 2024.3 services)
STATE_SERVICES: dict[tuple[str, str], dict[str, object]] = {
    ("light", "on"): {"service": "light.turn_on"}, ("light", "off"): {"service": "light.turn_off"},
    ("switch", "on"): {"service": "switch.turn_on"}, ("switch", "off"): {"service": "switch.turn_off"},
    ("fan", "on"): {"service": "fan.turn_on"}, ("fan", "off"): {"service": "fan.turn_off"},
    ("cover", "open"): {"service": "cover.open_cover"}, ("cover", "closed"): {"service": "cover.close_cover"},
    ("media_player", "on"): {"service": "media_player.turn_on"},
    ("media_player", "off"): {"service": "media_player.turn_off"},
    ("media_player", "playing"): {"service": "media_player.media_play"},
    ("media_player", "idle"): {"service": "media_player.media_stop"},   # a stopped player reports idle
    ("lock", "locked"): {"service": "lock.lock"}, ("lock", "unlocked"): {"service": "lock.unlock"},
    ("climate", "heat"): {"service": "climate.set_hvac_mode", "data": {"hvac_mode": "heat"}},
    ("climate", "off"): {"service": "climate.turn_off"},
    ("vacuum", "cleaning"): {"service": "vacuum.start"},
    ("vacuum", "docked"): {"service": "vacuum.return_to_base"},         # returning, then docked
}
# motion_light switches off once motion has cleared for a while: the events draw that time per firing from
# MOTION_LIGHT_TIMEOUT_S; an automation has one value, its middle
MOTION_LIGHT_OFF_AFTER_SECONDS = int(round(sum(MOTION_LIGHT_TIMEOUT_S) / 2))
DEFAULT_STATES = ("on", "off")  # an entity kind without interval states (e.g. a siren): on / off


class UnknownRuleError(ValueError):
    """A correlations row the automation generator cannot express."""


def _domain(entity_id: str) -> str:
    return entity_id.split(".", 1)[0]


def entity_kinds(entities: pl.DataFrame) -> dict[str, str]:
    """entity_id -> kind (``domain`` or ``domain.device_class``), as the event generator keys its states."""
    return dict(entities.select("entity_id", entity_kind()).iter_rows())


def _kind(entity_id: str, kinds: Mapping[str, str]) -> str:
    return kinds.get(entity_id) or _domain(entity_id)


def _states(kind: str) -> tuple[str, str]:
    """(active, idle) state of an entity kind (``domain`` or ``domain.device_class``), as the events write."""
    states = INTERVAL_STATES.get(kind) or INTERVAL_STATES.get(kind.split(".", 1)[0])
    return (states[0], states[1]) if states else DEFAULT_STATES


def planted_state(rule_kind: str, target_kind: str) -> str:
    """The state a rule of ``rule_kind`` puts its target in: idle for away_all_off and door_lock, else active."""
    active, idle = _states(target_kind)
    return idle if rule_kind in IDLE_TARGET_KINDS else active


def state_action(target: str, state: str) -> dict[str, object]:
    """The service call (``service``, ``data`` when needed, ``target``) that leads ``target`` to ``state``."""
    call = STATE_SERVICES.get((_domain(target), state))
    if call is None:
        call = {"service": f"homeassistant.turn_{'off' if state == 'off' else 'on'}"}
    return {"service": call["service"], **({"data": dict(call["data"])} if "data" in call else {}),
            "target": {"entity_id": target}}


def service_call(rule_kind: str, target: str, kinds: Mapping[str, str]) -> dict[str, object]:
    """The action that leads ``target`` to the state a rule of ``rule_kind`` plants for it."""
    return state_action(target, planted_state(rule_kind, _kind(target, kinds)))


def _trigger(kind: str, trigger_entity: str | None, kinds: Mapping[str, str]) -> dict[str, object]:
    if trigger_entity is None:  # cheap_power_appliance: planted at the start of the day's cheapest hour
        return {"platform": "time_pattern", "minutes": 0}
    if kind in TRIGGER_STATES:
        state = TRIGGER_STATES[kind].get(_domain(trigger_entity))
    else:  # a chain link waits for its trigger's active state; temperature_climate for any change
        state = _states(_kind(trigger_entity, kinds))[0] if kind == "chain" else None
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


def automation(rule: Mapping[str, object], names: Mapping[str, str],
               kinds: Mapping[str, str]) -> dict[str, object]:
    """One automation (a dict in ``automations.yaml``'s shape) for a correlations row (a rule or chain link);
    ``names``: entity_id -> friendly name, ``kinds``: entity_id -> entity kind (``domain[.device_class]``)."""
    kind, rule_id = str(rule["kind"]), str(rule["rule_id"])
    if kind not in RULE_KINDS:
        raise UnknownRuleError(f"rule {rule_id} has an unknown kind {kind!r}; known kinds are {', '.join(RULE_KINDS)}")

    def name(entity_id: object) -> str:
        return names.get(str(entity_id), str(entity_id))

    trigger, target = rule["trigger_entity_id"], str(rule["target_entity_id"])
    if trigger is None:
        alias = f"Cheapest hour starts {name(target)}"
    else:
        alias = f"{name(trigger)} {'turns off' if kind == 'away_all_off' else 'starts'} {name(target)}"
    conditions = _condition(rule["condition"])
    description = f"Planted rule {rule_id} ({kind})"
    if rule["chain_id"] is not None:
        description += f", link {rule['step']} of {rule['chain_id']}"
    if rule["condition"] and not conditions:
        description += f"; condition: {rule['condition']}"
    lag = float(rule["lag_seconds"] or 0.0)
    delay: list[dict[str, object]] = [{"delay": {"seconds": int(round(lag))}}] if lag >= DELAY_FROM_SECONDS else []
    found = {"id": rule_id, "alias": alias, "description": description, "mode": "single",
             "trigger": [_trigger(kind, trigger, kinds)], "condition": conditions,
             "action": [*delay, service_call(kind, target, kinds)]}
    if kind == "temperature_climate" and trigger is not None and len(conditions) == 1 \
            and conditions[0].get("entity_id") == trigger and "below" in conditions[0]:
        above = round(float(conditions[0]["below"]) + HEATING_HYSTERESIS_C, 2)
        found.update(_choose([
            ("heat", {"platform": "numeric_state", "entity_id": trigger, "below": conditions[0]["below"]}, [],
             [*delay, state_action(target, "heat")]),
            ("off", {"platform": "numeric_state", "entity_id": trigger, "above": above}, [],
             [*delay, state_action(target, "off")])]))
    elif kind == "motion_light":
        found.update(_choose([
            ("on", found["trigger"][0], conditions, found["action"]),
            ("off", {**found["trigger"][0], "to": "off", "for": {"seconds": MOTION_LIGHT_OFF_AFTER_SECONDS}}, [],
             [state_action(target, "off")])]))
    return found


def _choose(branches: list[tuple[str, dict, list, list]]) -> dict[str, object]:
    """``trigger`` / ``condition`` / ``action`` of an automation with one trigger per branch (``id``, trigger,
    the branch's conditions, its actions), the action a ``choose`` by trigger id."""
    return {"trigger": [{**trigger, "id": trigger_id} for trigger_id, trigger, _, _ in branches],
            "condition": [],
            "action": [{"choose": [{"conditions": [{"condition": "trigger", "id": trigger_id}, *conditions],
                                    "sequence": actions} for trigger_id, _, conditions, actions in branches]}]}


def home_automations(correlations: pl.DataFrame, names: Mapping[str, str],
                     kinds: Mapping[str, str]) -> list[dict[str, object]]:
    """Automations of one home's correlations rows, one per row in ``rule_id`` order; ``names``: entity_id ->
    friendly name; ``kinds``: entity_id -> kind (:func:`entity_kinds`; an entity not in it counts as its
    domain)."""
    return [automation(row, names, kinds) for row in correlations.sort("rule_id").iter_rows(named=True)]


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
