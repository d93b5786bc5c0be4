"""Natural-language requests paired with the Home Assistant automation that does them, for fine-tuning a
language model (``prompt_automation_pairs``). Pure: no Dagster.

Every automation of a home (its ``smart_home.automations`` rows, and the day's ``automation_suggestions``)
is read back from its YAML (:func:`~synth_assets.smart_home.patterns.automation_links.load_automation`) and
described in words from what it does, not from its id: each trigger as a clause ("motion is detected in
the kitchen", "the garage door opens", "everyone has left", "it is 07:05 on a weekday"), each condition
("if it is darker than 30 lx in the hall"), each action ("turn on the kitchen ceiling light", "lock the
entrance lock"), with the entities' friendly names (Home Assistant's, ``export.registries.friendly_names``)
and the areas' names; an automation with a ``choose`` by trigger (motion lights, heating) gets a clause
per branch. The clauses fill :data:`TEMPLATES`; each automation gets 1 to :data:`MAX_PHRASINGS` distinct
templates drawn from the stream ``(seed, "smart_home", "prompt_automation_pairs", home_id, automation_id)``
(core.rng), so the same automation is phrased the same way every run.

The completion is the automation itself as one YAML mapping (Home Assistant's automation editor shows
one automation that way), without ``id`` and ``description`` (a generator's id and a planted rule's note
are not something a request can ask for) and without the suggestions' "Suggested:" alias prefix.

The split puts whole homes in one of train / validation / test (:func:`home_splits`): homes are dealt in
blocks of ten consecutive homes, each block holding exactly 8 / 1 / 1 in an order drawn per block (the
stream ``(seed, "smart_home", "prompt_split", block)``), so no home's requests leak across splits, the
shares are exact per full block, and adding homes changes no existing home's split. 80/10/10 is a common
convention, an estimate here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import polars as pl
import pyarrow as pa

from synth_assets.core.rng import rng_for, stable_ints
from synth_assets.smart_home.patterns.automation_links import load_automation
from synth_assets.smart_home.patterns.suggestions import dump_yaml

PROMPT_PAIRS_SCHEMA_VERSION = 1
SPLITS = ("train", "validation", "test")
SPLIT_BLOCK = (8, 1, 1)              # homes of each split per block of ten (estimate: the common 80/10/10)
SPLIT_SHARES = {split: n / sum(SPLIT_BLOCK) for split, n in zip(SPLITS, SPLIT_BLOCK, strict=True)}
SOURCES = ("automation", "suggestion")
MAX_PHRASINGS = 3
SUGGESTED_PREFIX = "Suggested: "

PROMPT_PAIRS_SCHEMA = pa.schema([
    ("analysis_day", pa.date32()),
    ("pair_id", pa.string()),          # stable digest of (home, source, automation, template)
    ("home_id", pa.string()),
    ("source", pa.string()),           # one of SOURCES
    ("automation_id", pa.string()),    # the automation's id, or the suggestion's suggestion_id
    ("template", pa.int8()),           # index into TEMPLATES
    ("prompt", pa.string()),
    ("completion", pa.string()),       # one automation as a YAML mapping
    ("split", pa.string()),            # one of SPLITS, by home
])

TEMPLATES = (
    "{Action} when {trigger}{condition}.",
    "When {trigger}, {action}{condition}.",
    "Can you {action} whenever {trigger}{condition}?",
    "I'd like the house to {action} as soon as {trigger}{condition}.",
    "Create an automation that will {action} when {trigger}{condition}.",
    "Automatically {action} every time {trigger}{condition}.",
    "Whenever {trigger}, please {action}{condition}.",
    "Set up a rule: if {trigger}, {action}{condition}.",
)

_ACTIONS = {"light.turn_on": "turn on {}", "light.turn_off": "turn off {}", "switch.turn_on": "switch on {}",
            "switch.turn_off": "switch off {}", "fan.turn_on": "turn on {}", "fan.turn_off": "turn off {}",
            "cover.open_cover": "open {}", "cover.close_cover": "close {}", "lock.lock": "lock {}",
            "lock.unlock": "unlock {}", "media_player.media_play": "start playing on {}",
            "media_player.media_stop": "stop {}", "media_player.turn_on": "turn on {}",
            "media_player.turn_off": "turn off {}", "climate.turn_off": "turn off {}",
            "vacuum.start": "start {}", "vacuum.return_to_base": "send {} back to its dock",
            "homeassistant.turn_on": "turn on {}", "homeassistant.turn_off": "turn off {}"}
_BECOMES = {"on": "turns on", "off": "turns off", "open": "opens", "closed": "closes", "locked": "is locked",
            "unlocked": "is unlocked", "playing": "starts playing", "idle": "stops playing", "heat": "starts heating",
            "cleaning": "starts cleaning", "docked": "is back on its dock"}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class PromptPairError(ValueError):
    """An automation the phrasing cannot describe (an unknown trigger platform or service)."""


class HomeWords:
    """How one home's entities and areas are said: ``entities`` rows with ``entity_id``, ``domain``,
    ``device_class``, ``unit_of_measurement``, ``area_id``, ``friendly_name``; ``areas``: ``area_id``, ``name``."""

    def __init__(self, entities: pl.DataFrame, areas: pl.DataFrame) -> None:
        area_names = dict(areas.select("area_id", "name").iter_rows())
        self.rows = {row["entity_id"]: {**row, "area": area_names.get(row["area_id"])}
                     for row in entities.iter_rows(named=True)}

    def _row(self, entity_id: str) -> dict:
        return self.rows.get(entity_id) or {"friendly_name": entity_id, "domain": entity_id.split(".")[0],
                                            "device_class": None, "unit_of_measurement": None, "area": None}

    def thing(self, entity_id: str) -> str:
        row = self._row(entity_id)
        name = row["friendly_name"] or entity_id
        return name if row["domain"] == "person" else f"the {name.lower()}"

    def place(self, entity_id: str) -> str:
        area = self._row(entity_id)["area"]
        return f"the {area.lower()}" if area else "the house"

    def becomes(self, entity_id: str, state: str | None, trigger: Mapping) -> str:
        row = self._row(entity_id)
        kind = row["device_class"] if row["domain"] == "binary_sensor" else row["domain"]
        held = trigger.get("for")
        if kind == "motion":
            if state == "off" and held:
                return f"there has been no motion in {self.place(entity_id)} for {_duration(held)}"
            return f"motion is detected in {self.place(entity_id)}" if state == "on" else \
                f"motion stops in {self.place(entity_id)}"
        if kind in ("door", "window"):
            opening = "opens" if state == "on" else "closes"
            return f"the {kind} in {self.place(entity_id)} {opening}"
        if kind == "person":
            return f"{self.thing(entity_id)} {'comes home' if state == 'home' else 'leaves home'}"
        return f"{self.thing(entity_id)} {_BECOMES.get(state or '', 'changes')}"

    def measure(self, entity_id: str, bound: str, value: object) -> str:
        row = self._row(entity_id)
        unit = f" {row['unit_of_measurement']}" if row["unit_of_measurement"] else ""
        what = {"temperature": "the temperature", "illuminance": "the light level", "humidity": "the humidity"}.get(
            row["device_class"])
        subject = f"{what} in {self.place(entity_id)}" if what else self.thing(entity_id)
        return f"{subject} {'drops below' if bound == 'below' else 'rises above'} {value}{unit}"


def _duration(held: object) -> str:
    seconds = int(held.get("seconds", 0)) + 60 * int(held.get("minutes", 0)) if isinstance(held, Mapping) else 0
    return f"{seconds // 60} minutes" if seconds >= 120 and seconds % 60 == 0 else \
        f"{round(seconds / 60)} minutes" if seconds >= 120 else f"{seconds} seconds"


def _ids(value: object) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _days(weekdays: list[str]) -> str:
    chosen = sorted(_WEEKDAYS.index(d) for d in weekdays)
    if chosen == [0, 1, 2, 3, 4]:
        return "on a weekday"
    if chosen == [5, 6]:
        return "on a weekend day"
    names = [_DAY_NAMES[i] for i in chosen]
    return "on a " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1])


def trigger_clause(trigger: Mapping, words: HomeWords, conditions: list[Mapping]) -> str:
    """A trigger as a clause ("motion is detected in the kitchen"); a time trigger takes its weekday condition."""
    platform = trigger.get("platform")
    if platform == "time":
        days = [c for c in conditions if c.get("condition") == "time" and c.get("weekday")]
        when = f" {_days(_ids(days[0]['weekday']))}" if days else ""
        return f"it is {str(trigger['at'])[:5]}{when}"
    if platform == "time_pattern":
        return "a new hour starts"
    entities = _ids(trigger.get("entity_id"))
    if platform == "numeric_state":
        bound = "below" if "below" in trigger else "above"
        return words.measure(entities[0], bound, trigger[bound])
    if platform != "state":
        raise PromptPairError(f"no words for a {platform!r} trigger")
    if len(entities) > 1 and all(e.startswith("person.") for e in entities):
        return "everyone has left" if trigger.get("to") == "not_home" else "someone comes home"
    return " or ".join(words.becomes(e, trigger.get("to"), trigger) for e in entities)


def condition_clause(conditions: list[Mapping], words: HomeWords, said: set[str] = frozenset()) -> str:
    """Conditions as " if ..." (persons away said together); conditions on an entity in ``said`` (the trigger
    already names it) are left out."""
    parts, away = [], []
    for condition in conditions:
        kind, entities = condition.get("condition"), _ids(condition.get("entity_id"))
        if set(entities) <= said:
            continue
        if kind == "numeric_state":
            bound = "below" if "below" in condition else "above"
            measured = words.measure(entities[0], bound, condition[bound])
            parts.append(measured.replace("drops below", "is below").replace("rises above", "is above"))
        elif kind == "state" and condition.get("state") == "not_home" and all(e.startswith("person.")
                                                                            for e in entities):
            away += [words.thing(e) for e in entities]
        elif kind == "state":
            parts.append(" and ".join(words.becomes(e, condition.get("state"), {}).replace(" turns ", " is ")
                                      for e in entities))
    if away:
        parts.append((away[0] + " is" if len(away) == 1 else ", ".join(away[:-1]) + " and " + away[-1] + " are")
                     + " away")
    return (" if " + " and ".join(parts)) if parts else ""


def action_clause(actions: list[Mapping], words: HomeWords) -> str:
    """Actions in order ("turn on the hall light, then after 30 seconds open the blind"); a delay before the
    first action is said after it ("turn off the lamp after 2 minutes")."""
    parts, wait = [], None
    for action in actions:
        if "delay" in action:
            wait = _duration(action["delay"])
            continue
        service = str(action.get("service"))
        targets = _ids((action.get("target") or {}).get("entity_id"))
        things = " and ".join(words.thing(t) for t in targets)
        if service == "climate.set_hvac_mode":
            text = f"set {things} to {action.get('data', {}).get('hvac_mode', 'heat')}"
        elif service in _ACTIONS:
            text = _ACTIONS[service].format(things)
        else:
            raise PromptPairError(f"no words for the service {service!r}")
        if wait:
            text = f"{text} after {wait}" if not parts else f"after {wait} {text}"
        parts.append(text)
        wait = None
    return ", then ".join(parts)


def describe(automation: Mapping, words: HomeWords) -> list[tuple[str, str, str]]:
    """(action, trigger, condition) clauses: one per ``choose`` branch, else one for the whole automation."""
    triggers, conditions, actions = automation["trigger"], automation["condition"] or [], automation["action"]
    said = {e for t in triggers for e in _ids(t.get("entity_id"))}
    chooses = [option for action in actions for option in action.get("choose") or ()]
    if not chooses:
        trigger = " or ".join(trigger_clause(t, words, conditions) for t in triggers)
        rest = [c for c in conditions if c.get("condition") != "time"]
        return [(action_clause(actions, words), trigger, condition_clause(rest, words, said))]
    clauses = []
    for option in chooses:
        ids = {c.get("id") for c in option["conditions"] if c.get("condition") == "trigger"}
        branch = [c for c in option["conditions"] if c.get("condition") != "trigger"]
        trigger = " or ".join(trigger_clause(t, words, conditions) for t in triggers if t.get("id") in ids)
        clauses.append((action_clause(option["sequence"], words), trigger, condition_clause(branch, words, said)))
    return clauses


def phrase(template: str, clauses: list[tuple[str, str, str]]) -> str:
    (action, trigger, condition), *more = clauses
    text = template.format(Action=action[:1].upper() + action[1:], action=action, trigger=trigger,
                           condition=condition)
    for extra_action, extra_trigger, extra_condition in more:
        text = text[:-1] + f", and {extra_action} when {extra_trigger}{extra_condition}" + text[-1]
    return text


def completion(automation: Mapping) -> str:
    """The automation as one YAML mapping, without its id and description."""
    kept = {key: value for key, value in automation.items() if key not in ("id", "description")}
    if str(kept.get("alias", "")).startswith(SUGGESTED_PREFIX):
        kept["alias"] = str(kept["alias"])[len(SUGGESTED_PREFIX):]
    return dump_yaml(kept)


def home_splits(seed: int, homes: pl.DataFrame) -> pl.DataFrame:
    """``home_id`` -> ``split``: blocks of ten consecutive ``home_index`` hold exactly :data:`SPLIT_BLOCK`."""
    deck = np.repeat(np.arange(len(SPLITS)), SPLIT_BLOCK)
    index = homes["home_index"].to_numpy().astype(np.int64) - 1
    blocks = np.unique(index // len(deck))
    dealt = {int(b): rng_for(seed, "smart_home", "prompt_split", int(b)).permutation(deck) for b in blocks}
    split = [SPLITS[dealt[int(i) // len(deck)][int(i) % len(deck)]] for i in index]
    return pl.DataFrame({"home_id": homes["home_id"], "split": pl.Series(split, dtype=pl.String)})


def _pair_id(home_id: str, source: str, automation_id: str, template: int) -> str:
    words = stable_ints("smart_home", "prompt_automation_pairs", home_id, source, automation_id, template)
    return "pair_" + "".join(f"{w:08x}" for w in words[:2])


def prompt_pairs(seed: int, day: date, automations: pl.DataFrame, entities: pl.DataFrame, areas: pl.DataFrame,
                 homes: pl.DataFrame) -> pl.DataFrame:
    """Rows of :data:`PROMPT_PAIRS_SCHEMA` for ``automations`` (``home_id``, ``source``, ``automation_id``,
    ``yaml``: one-item automations.yaml texts); ``entities`` with ``friendly_name``; ``homes`` with
    ``home_index``."""
    records = []
    entities_of = entities.partition_by("home_id", as_dict=True)
    areas_of = areas.partition_by("home_id", as_dict=True)
    for (home_id,), part in automations.sort("home_id", "source", "automation_id").group_by("home_id",
                                                                                          maintain_order=True):
        words = HomeWords(entities_of.get((home_id,), entities.clear()), areas_of.get((home_id,), areas.clear()))
        for source, automation_id, text in part.select("source", "automation_id", "yaml").iter_rows():
            automation = load_automation(text, automation_id)
            clauses, done = describe(automation, words), completion(automation)
            rng = rng_for(seed, "smart_home", "prompt_automation_pairs", home_id, automation_id)
            chosen = rng.permutation(len(TEMPLATES))[: int(rng.integers(1, MAX_PHRASINGS + 1))]
            records += [(_pair_id(home_id, source, automation_id, int(t)), home_id, source, automation_id, int(t),
                         phrase(TEMPLATES[t], clauses), done) for t in sorted(chosen)]
    frame = pl.DataFrame(records, orient="row", schema={
        "pair_id": pl.String, "home_id": pl.String, "source": pl.String, "automation_id": pl.String,
        "template": pl.Int8, "prompt": pl.String, "completion": pl.String})
    return (frame.join(home_splits(seed, homes), on="home_id", how="left")
            .select(pl.lit(day).alias("analysis_day"), *frame.columns, "split"))
