"""Home Assistant automations suggested from one analysis day's patterns. Pure: no Dagster.

Three kinds (:data:`~.models.SUGGESTION_KINDS`), each a Home Assistant 2024.3 automation (the syntax of
``export/automations.py``; actions are its :func:`~synth_assets.smart_home.export.automations.state_action`,
so a suggestion's service is the one the generator's automations use for that state):

- ``pair``: a co-occurrence pair A=state -> B=state whose target B is actionable
  (:data:`~.models.ACTIONABLE_DOMAINS`) and has a service for that state: a state trigger on A (``to``),
  B's service (after a ``delay`` when the median lag is :data:`DELAY_FROM_SECONDS` or more, as the
  generator's automations). A is :data:`~.models.OCCUPANCY_ENTITY` for the home's occupancy, which Home
  Assistant has no entity for (``zone.home`` counts persons, but the homes' registries have no zone
  entity): ``empty`` is a state trigger of every ``person`` to ``not_home`` with a state condition that all
  of them are ``not_home`` (the form of the generator's ``away_all_off``); ``occupied`` a trigger of every
  person from ``not_home`` to ``home`` (it fires at each arrival; the first is the change to occupied).
- ``chain``: a chain of 3-4 entities A -> B -> C (-> D) whose members after A are all actionable and none of
  whose links is automated yet becomes *one* automation: A's trigger, then each member's service in order,
  each after the median lag of its link (a ``delay`` from :data:`DELAY_FROM_SECONDS`). The generator writes
  one automation per link instead; one trigger with a sequence is what a person would write for a routine
  and runs the steps even when one device is slow to report. A chain contained in a longer suggested chain
  is left out, and so are the pair suggestions of its links (suggested once, as the chain).
- ``time``: a time-of-day pattern of an actionable entity with ``share`` >= :data:`MIN_TIME_SHARE`,
  ``spread_minutes`` <= :data:`MAX_TIME_SPREAD_MINUTES` and at least ``min_support`` days, the most confident
  one of each (entity, state, day type), unless an automation already sets that state: a ``time`` trigger
  at HH:MM:00 with a ``time`` condition on the weekdays of its day type (the home country's weekend from
  ``core.calendar``). The patterns count public holidays as weekend days; the condition cannot (Home
  Assistant knows holidays only through a ``workday`` sensor, which the homes' registries do not have), so a
  weekday suggestion also runs on a holiday.

**Confidence** is the lower end of the 95 % Wilson score interval (:func:`wilson_lower`, Wilson 1927) of
the share the pattern rests on, so few observations give a low value: for a pair, the *precedence* (the share
of B's changes to the state that followed A: how much of what people do the automation would do), out of
B's changes; for a time pattern, the share of days with the change near that time; for a chain, its
weakest link's. A suggestion needs at least :data:`MIN_CONFIDENCE`.

Suggestions that duplicate an automation the home already has are skipped (:mod:`.automation_links`);
most detected pairs are the planted rules, whose automations the home has, so what remains is mostly the
generator's undeclared routines (arrivals, the vacuum when the home empties, blinds at dawn) and the
miner's false positives. Thresholds are estimates (no published standard exists for them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import NamedTuple

import polars as pl
import yaml
from pydantic import BaseModel, Field

from synth_assets.core.calendar import DEFAULT_WEEKEND, WEEKEND_BY_COUNTRY
from synth_assets.core.rng import stable_ints
from synth_assets.smart_home.export.automations import DELAY_FROM_SECONDS, STATE_SERVICES, state_action
from synth_assets.smart_home.patterns.automation_links import LINK_SCHEMA, duplicates
from synth_assets.smart_home.patterns.models import ACTIONABLE_DOMAINS, OCCUPANCY_ENTITY, PatternConfig

WILSON_Z = 1.959963984540054    # the standard normal 0.975 quantile: a 95 % two-sided interval
MIN_CONFIDENCE = 0.3            # estimate
MIN_TIME_SHARE = 0.8            # estimate: the change happens near that time on 4 days of 5 of the type
MAX_TIME_SPREAD_MINUTES = 10.0  # estimate: a routine at a set time, not "some time in the evening"
# (at 0.6 / 20 min the 20-home demo gets 2,268 time suggestions, 113 a home: every lamp of every routine;
# at 0.8 / 10 min 165, 8 a home)
MIN_CHAIN_LENGTH = 3            # a chain of two is a pair
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")   # Home Assistant's, ISO order
SERVICES = pl.DataFrame([(domain, state, call["service"]) for (domain, state), call in STATE_SERVICES.items()],
                        schema={"target_domain": pl.String, "target_state": pl.String, "service": pl.String},
                        orient="row")


class SuggestionBounds(BaseModel):
    """Ranges every suggestion row keeps (the generator's output and the asset's check read them here)."""

    confidence: float = Field(ge=0.0, le=1.0)
    support: int = Field(ge=1)


class UnknownPatternEntityError(ValueError):
    """Pattern rows naming a home or entity the homes' entities do not have (tables made from other homes)."""


def _check_entities(pairs: pl.DataFrame, chains: pl.DataFrame, times: pl.DataFrame, entities: pl.DataFrame) -> None:
    named = pl.concat([pairs.select("home_id", entity_id="entity_a"), pairs.select("home_id", entity_id="entity_b"),
                       chains.select("home_id", entity_id="chain").explode("entity_id"),
                       times.select("home_id", "entity_id")]).filter(pl.col("entity_id") != OCCUPANCY_ENTITY)
    unknown = named.unique().join(entities.select("home_id", "entity_id"), on=["home_id", "entity_id"], how="anti")
    if unknown.height:
        shown = ", ".join(f"{h}/{e}" for h, e in unknown.sort(pl.all()).head(5).iter_rows())
        raise UnknownPatternEntityError(
            f"{unknown.height} entities of the pattern tables are not in smart_home.entities ({shown}): the pattern "
            f"tables were made from other homes; re-make them with this run's settings")


class Suggestions(NamedTuple):
    frame: pl.DataFrame            # AUTOMATION_SUGGESTIONS_SCHEMA's columns
    skipped: dict[str, int]        # why candidates were not suggested, by reason


def wilson_lower(successes: pl.Expr, trials: pl.Expr, z: float = WILSON_Z) -> pl.Expr:
    """Lower end of the Wilson score interval of ``successes / trials`` (E. B. Wilson, "Probable inference,
    the law of succession, and statistical inference", JASA 22(158), 1927)."""
    n = trials.cast(pl.Float64)
    p = successes.cast(pl.Float64) / n
    centre = p + z * z / (2 * n)
    margin = z * (p * (1 - p) / n + z * z / (4 * n * n)).sqrt()
    return ((centre - margin) / (1 + z * z / n)).clip(0.0, 1.0)


def suggestion_id(home_id: str, kind: str, *signature: object) -> str:
    """Stable across days and runs: a digest of what the suggestion does (core.rng.stable_ints)."""
    words = stable_ints("smart_home", "automation_suggestions", home_id, kind, *signature)
    return "suggestion_" + "".join(f"{w:08x}" for w in words[:2])


_DID = {"on": "turned on", "off": "turned off", "open": "opened", "closed": "closed", "locked": "locked",
        "unlocked": "unlocked", "playing": "started playing", "idle": "stopped", "heat": "started heating",
        "cleaning": "started cleaning", "docked": "docked", "home": "came home", "not_home": "left",
        "empty": "became empty", "occupied": "became occupied"}


def did(state: str) -> str:
    return _DID.get(state, f"changed to {state}")


def _subject(entity_id: str) -> str:
    return "the home" if entity_id == OCCUPANCY_ENTITY else entity_id


def _lag(seconds: float) -> str:
    return "under a second" if seconds < 1 else f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def _delay(seconds: float) -> list[dict]:
    return [{"delay": {"seconds": int(round(seconds))}}] if seconds >= DELAY_FROM_SECONDS else []


def _actionable(frame: pl.DataFrame, entity: str, state: str) -> pl.DataFrame:
    """Rows whose ``entity`` is actionable, with the ``service`` that leads it to ``state``."""
    return (frame.with_columns(target_domain=pl.col(entity).str.split(".").list.first(), target_state=pl.col(state))
            .filter(pl.col("target_domain").is_in(ACTIONABLE_DOMAINS))
            .join(SERVICES, on=["target_domain", "target_state"], how="inner"))


class _Home:
    """One home's names, persons and weekend, for building its automations."""

    def __init__(self, names: Mapping[str, str], persons: list[str], country_code: str) -> None:
        self.names, self.persons = names, persons
        self.weekend = WEEKEND_BY_COUNTRY.get(country_code, DEFAULT_WEEKEND)

    def name(self, entity_id: str) -> str:
        return "Home occupancy" if entity_id == OCCUPANCY_ENTITY else self.names.get(entity_id, entity_id)

    def trigger(self, entity_id: str, state: str) -> tuple[list[dict], list[dict]]:
        """(triggers, conditions) for ``entity_id`` entering ``state``."""
        if entity_id != OCCUPANCY_ENTITY:
            return [{"platform": "state", "entity_id": entity_id, "to": state}], []
        if state == "empty":
            return ([{"platform": "state", "entity_id": self.persons, "to": "not_home"}],
                    [{"condition": "state", "entity_id": self.persons, "state": "not_home"}])
        return [{"platform": "state", "entity_id": self.persons, "from": "not_home", "to": "home"}], []

    def weekdays(self, day_type: str) -> list[str]:
        days = [d for d in range(1, 8) if (d in self.weekend) == (day_type == "weekend")]
        return [WEEKDAY_NAMES[d - 1] for d in days]


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)   # libyaml: the same text as export.automations_yaml, 5x faster


def dump_yaml(node: object) -> str:
    """YAML text with the options of ``export.automations.automations_yaml``."""
    return yaml.dump(node, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)


def _automation(sid: str, alias: str, reason: str, trigger: list, condition: list, action: list) -> str:
    return dump_yaml([{"id": sid, "alias": alias, "description": reason, "mode": "single",
                       "trigger": trigger, "condition": condition, "action": action}])


def _pair_rows(pairs: pl.DataFrame) -> pl.DataFrame:
    found = _actionable(pairs.filter(pl.col("entity_a") != pl.col("entity_b")), "entity_b", "state_b")
    changes_b = (pl.col("support") / pl.col("precedence")).round().clip(lower_bound=pl.col("support"))
    return found.with_columns(changes_b=changes_b.cast(pl.Int64),
                              confidence=wilson_lower(pl.col("support"), changes_b))


def _chain_links(chains: pl.DataFrame) -> pl.DataFrame:
    """One row per consecutive link of each chain (``chain_key`` numbers the chains)."""
    return (chains.with_row_index("chain_key")
            .with_columns(entity_a=pl.col("chain").list.slice(0, pl.col("length") - 1),
                          state_a=pl.col("states").list.slice(0, pl.col("length") - 1),
                          entity_b=pl.col("chain").list.slice(1), state_b=pl.col("states").list.slice(1))
            .with_columns(first=pl.col("chain").list.first(), first_state=pl.col("states").list.first())
            .explode("entity_a", "state_a", "entity_b", "state_b")
            .with_columns(step=pl.int_range(pl.len()).over("chain_key") + 1))


def _links(rows: pl.DataFrame, trigger: str | None, trigger_state: str | None) -> pl.DataFrame:
    return rows.select("home_id", "automation_id",
                       trigger_entity_id=pl.col(trigger) if trigger else pl.lit(None, pl.String),
                       trigger_state=pl.col(trigger_state) if trigger_state else pl.lit(None, pl.String),
                       target_entity_id="target_entity_id", service="service").cast(LINK_SCHEMA)


def suggest_automations(day: date, pairs: pl.DataFrame, chains: pl.DataFrame, times: pl.DataFrame,
                        existing: pl.DataFrame, entities: pl.DataFrame, homes: pl.DataFrame,
                        config: PatternConfig) -> Suggestions:
    """Suggestions of ``day`` from its pattern rows (``pairs`` in CO_OCCURRENCE_SCHEMA's, ``chains`` in
    CHAIN_SCHEMA's and ``times`` in TIME_OF_DAY_SCHEMA's columns, ``analysis_day`` optional); ``existing``: the
    links of the homes' automations (:func:`.automation_links.automation_links`); ``entities``: ``home_id``,
    ``entity_id``, ``domain``, ``friendly_name``; ``homes``: ``home_id``, ``country_code``."""
    _check_entities(pairs, chains, times, entities)
    skipped: dict[str, int] = {}
    span = f"in the {config.window_days} days to {day.isoformat()}"
    scored = _pair_rows(pairs)
    skipped["pair_not_actionable"] = pairs.height - scored.height
    pair_rows = scored.with_columns(automation_id=pl.format("{}|{}|{}|{}", "entity_a", "state_a", "entity_b",
                                                           "state_b"),
                                    target_entity_id="entity_b")
    pair_dups = duplicates(_links(pair_rows, "entity_a", "state_a"), existing)
    for how in ("exact", "variant"):
        skipped[f"pair_duplicate_{how}"] = int((pair_dups["how"] == how).sum())
    pair_rows = pair_rows.join(pair_dups, on=["home_id", "automation_id"], how="anti")
    low = pair_rows.filter(pl.col("confidence") < MIN_CONFIDENCE)
    skipped["pair_low_confidence"] = low.height
    pair_rows = pair_rows.filter(pl.col("confidence") >= MIN_CONFIDENCE)

    links = _chain_links(chains.filter(pl.col("length") >= MIN_CHAIN_LENGTH))
    links = (links.join(scored.select("home_id", "entity_a", "state_a", "entity_b", "state_b", "confidence",
                                      pl.col("lag_seconds").alias("link_lag"), "service"),
                        on=["home_id", "entity_a", "state_a", "entity_b", "state_b"], how="left")
             .with_columns(automation_id=pl.col("chain_key").cast(pl.String), target_entity_id="entity_b"))
    acting = links.filter(pl.col("service").is_not_null())   # a step automated, or the trigger acting on a member
    automated = pl.concat([duplicates(_links(acting, "entity_a", "state_a"), existing),
                           duplicates(_links(acting, "first", "first_state"), existing)])
    bad = (links.filter(pl.col("service").is_null() | pl.col("confidence").is_null()).select("automation_id")
           .vstack(automated.select("automation_id")).unique())
    chain_ok = links.join(bad, on="automation_id", how="anti")
    skipped["chain_automated_or_not_actionable"] = links["chain_key"].n_unique() - chain_ok["chain_key"].n_unique()
    weak = chain_ok.filter((pl.col("confidence").min().over("chain_key") < MIN_CONFIDENCE)
                           | (pl.col("chain").list.n_unique() < pl.col("length")))   # or an entity set twice
    skipped["chain_low_confidence_or_repeated"] = weak["chain_key"].n_unique()
    chain_ok = chain_ok.join(weak.select("chain_key").unique(), on="chain_key", how="anti")

    times = _actionable(times, "entity_id", "state")
    time_rows = times.filter((pl.col("share") >= MIN_TIME_SHARE) & (pl.col("spread_minutes") <= MAX_TIME_SPREAD_MINUTES)
                             & (pl.col("support") >= config.min_support))
    skipped["time_not_regular"] = times.height - time_rows.height
    time_rows = time_rows.with_columns(automation_id=pl.format("{}|{}|{}|{}", "entity_id", "state", "day_type",
                                                              "minute_of_day"),
                                       target_entity_id="entity_id", confidence=wilson_lower(pl.col("support"),
                                                                                             pl.col("days")))
    time_dups = duplicates(_links(time_rows, None, None), existing)
    skipped["time_target_automated"] = time_dups.height
    time_rows = time_rows.join(time_dups, on=["home_id", "automation_id"], how="anti")
    skipped["time_low_confidence"] = int((time_rows["confidence"] < MIN_CONFIDENCE).sum())
    time_rows = time_rows.filter(pl.col("confidence") >= MIN_CONFIDENCE)
    best = (time_rows.sort("confidence", "minute_of_day", descending=[True, False])
            .unique(["home_id", "entity_id", "state", "day_type"], keep="first", maintain_order=True))
    skipped["time_not_best_of_entity"] = time_rows.height - best.height   # one time per entity, state and day type
    time_rows = best

    homes_of = _homes(entities, homes)
    records = []
    chain_records, covered = _chains(chain_ok, homes_of, span)
    skipped["chain_inside_longer"] = chain_ok["chain_key"].n_unique() - len(chain_records)
    records += chain_records
    for row in pair_rows.sort("home_id", "entity_a", "state_a", "entity_b", "state_b").iter_rows(named=True):
        if (row["home_id"], row["entity_a"], row["state_a"], row["entity_b"], row["state_b"]) in covered:
            skipped["pair_in_suggested_chain"] = skipped.get("pair_in_suggested_chain", 0) + 1
            continue
        records.append(_pair(row, homes_of[row["home_id"]], span))
    records += [_time(row, homes_of[row["home_id"]], span)
                for row in time_rows.sort("home_id", "entity_id", "day_type", "minute_of_day").iter_rows(named=True)]
    skipped.setdefault("pair_in_suggested_chain", 0)
    frame = pl.DataFrame(records, schema=_COLUMNS, orient="row").with_columns(
        pl.lit(day).alias("analysis_day")).select("analysis_day", *_COLUMNS)
    return Suggestions(frame.sort("home_id", "suggestion_id"), skipped)


_COLUMNS = {"home_id": pl.String, "suggestion_id": pl.String, "kind": pl.String, "trigger_entity_id": pl.String,
            "trigger_state": pl.String, "target_entity_id": pl.String, "target_state": pl.String,
            "service": pl.String, "confidence": pl.Float64, "support": pl.Int32, "reason": pl.String,
            "yaml": pl.String}


def _homes(entities: pl.DataFrame, homes: pl.DataFrame) -> dict[str, _Home]:
    names = {home_id: dict(part.select("entity_id", "friendly_name").iter_rows())
             for (home_id,), part in entities.group_by("home_id")}
    persons = {home_id: sorted(part["entity_id"].to_list())
               for (home_id,), part in entities.filter(pl.col("domain") == "person").group_by("home_id")}
    return {home_id: _Home(names.get(home_id, {}), persons.get(home_id, []), country)
            for home_id, country in homes.select("home_id", "country_code").iter_rows()}


def _pair(row: Mapping, home: _Home, span: str) -> tuple:
    a, sa, b, sb = row["entity_a"], row["state_a"], row["entity_b"], row["state_b"]
    sid = suggestion_id(row["home_id"], "pair", a, sa, b, sb)
    reason = (f"{b} {did(sb)} a median {_lag(row['lag_seconds'])} after {_subject(a)} {did(sa)}, "
              f"{row['support']} of the {row['changes_b']} times it {did(sb)} {span}")
    trigger, condition = home.trigger(a, sa)
    text = _automation(sid, f"Suggested: {home.name(b)} {sb} when {home.name(a)} {sa}", reason, trigger, condition,
                       [*_delay(row["lag_seconds"]), state_action(b, sb)])
    return (row["home_id"], sid, "pair", a, sa, b, sb, row["service"], row["confidence"], row["support"], reason,
            text)


def _chains(links: pl.DataFrame, homes: Mapping[str, _Home], span: str) -> tuple[list[tuple], set[tuple]]:
    """Chain suggestions (those inside a longer suggested chain of the home left out) and their links."""
    chains = []
    for (_key,), part in links.sort("chain_key", "step").group_by("chain_key", maintain_order=True):
        steps = list(part.iter_rows(named=True))
        items = [(steps[0]["entity_a"], steps[0]["state_a"])] + [(s["entity_b"], s["state_b"]) for s in steps]
        chains.append((steps[0]["home_id"], items, steps))
    keys = {(home_id, "|".join(f"{e}={s}" for e, s in items) + "|") for home_id, items, _ in chains}
    records, covered = [], set()
    for home_id, items, steps in sorted(chains, key=lambda c: (c[0], c[1])):
        key = "|".join(f"{e}={s}" for e, s in items) + "|"
        if any(other != key and h == home_id and ("|" + key) in ("|" + other) for h, other in keys):
            continue
        home = homes[home_id]
        (a, sa), (last, last_state) = items[0], items[-1]
        sid = suggestion_id(home_id, "chain", *[part for item in items for part in item])
        support = int(steps[0]["support"])
        path = ", then ".join(f"{e} {did(s)}" for e, s in items[1:])
        reason = (f"{support} times {span}, {_subject(a)} {did(sa)} and then {path} (a median "
                  f"{_lag(steps[0]['lag_seconds'])} from first to last); none of these steps is automated yet")
        trigger, condition = home.trigger(a, sa)
        action = [call for s in steps for call in (*_delay(s["link_lag"]), state_action(s["entity_b"], s["state_b"]))]
        alias = "Suggested: " + " -> ".join(f"{home.name(e)} {s}" for e, s in items)
        confidence = min(float(s["confidence"]) for s in steps)
        records.append((home_id, sid, "chain", a, sa, last, last_state, steps[-1]["service"], confidence, support,
                        reason, _automation(sid, alias, reason, trigger, condition, action)))
        covered |= {(home_id, s["entity_a"], s["state_a"], s["entity_b"], s["state_b"]) for s in steps}
    return records, covered


def _time(row: Mapping, home: _Home, span: str) -> tuple:
    entity, state, minute = row["entity_id"], row["state"], int(row["minute_of_day"])
    at = f"{minute // 60:02d}:{minute % 60:02d}"
    sid = suggestion_id(row["home_id"], "time", entity, state, row["day_type"], minute)
    reason = (f"{entity} {did(state)} around {at} (spread {row['spread_minutes']:.0f} min) on {row['support']} of "
              f"the {row['days']} {row['day_type']} days {span}")
    text = _automation(sid, f"Suggested: {home.name(entity)} {state} at {at} on {row['day_type']}s", reason,
                       [{"platform": "time", "at": f"{at}:00"}],
                       [{"condition": "time", "weekday": home.weekdays(row["day_type"])}],
                       [state_action(entity, state)])
    return (row["home_id"], sid, "time", None, None, entity, state, row["service"], row["confidence"],
            row["support"], reason, text)
