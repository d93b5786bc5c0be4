"""Checks of ``smart_home.events`` and ``smart_home.correlations``, declared once with the core builders.

Events (evaluated per day and summed over a run): unique key, entities that exist, numeric states inside
their device class's range (catalogue.DEVICE_CLASSES), energy counters that never decrease within the day
nor across its boundaries (the closed-form start of the day and of the next), rows sorted and inside the
home's local day, on/off states that alternate, causes and users that exist, events per home-day within
the band of models.EVENTS_PER_ENTITY_DAY, and every planted rule measured back (measure.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import dagster as dg
import polars as pl

from synth_assets.core.checks import Check, specs, unique_key
from synth_assets.smart_home.catalogue import DEVICE_CLASSES
from synth_assets.smart_home.checks import OneOf
from synth_assets.smart_home.events import measure
from synth_assets.smart_home.events import models as em
from synth_assets.smart_home.events.log import INTERVAL_STATES
from synth_assets.smart_home.models import RULE_KINDS

KEY = ["home_id", "entity_id"]


@dataclass(frozen=True)
class PairExists(Check):
    """Every (home_id, <column>) pair exists among ``parent``'s (home_id, entity_id); nulls are fine."""

    column: str = "entity_id"
    parent: str = "entities"

    def count(self, frame, parents) -> Counter:
        pairs = frame.select("home_id", pl.col(self.column).alias("entity_id")).drop_nulls()
        return Counter({"orphans": pairs.join(parents[self.parent].select(KEY), on=KEY, how="anti").height})


@dataclass(frozen=True)
class NumericStatesInRange(Check):
    """Numeric sensors' states parse as numbers inside their device class's (low, high)."""

    def count(self, frame, parents) -> Counter:
        bounds = pl.DataFrame([(k, s.low, s.high) for k, s in DEVICE_CLASSES.items() if s.domain == "sensor"],
                              orient="row", schema={"kind": pl.String, "low": pl.Float64, "high": pl.Float64})
        rows = frame.select(*KEY, "state").join(parents["kinds"].join(bounds, on="kind"), on=KEY)
        value = pl.col("state").cast(pl.Float64, strict=False)
        bad = rows.select(not_a_number=value.is_null().sum(),
                          outside=((value < pl.col("low")) | (value > pl.col("high").fill_null(float("inf")))).sum())
        return Counter({k: int(v or 0) for k, v in bad.row(0, named=True).items()})


@dataclass(frozen=True)
class EnergyCounters(Check):
    """Energy counters never decrease: within the day, from the day's start reading, and up to the next
    day's start (both from the closed form in sensors.energy_start)."""

    def count(self, frame, parents) -> Counter:
        bounds: pl.DataFrame = parents["energy_bounds"]
        rows = (frame.select(*KEY, "timestamp", "state").join(bounds, on=KEY)
                .with_columns(value=pl.col("state").cast(pl.Float64)).sort(*KEY, "timestamp"))
        step = pl.col("value").diff().over(KEY)
        per = rows.group_by(KEY).agg(first=pl.col("value").first(), last=pl.col("value").last(),
                                     start=pl.col("start").first(), next_start=pl.col("next_start").first())
        return Counter({"decreasing_within_day": int(rows.select((step < 0).sum()).item() or 0),
                        "below_day_start": int(per.select((pl.col("first") < pl.col("start") - 0.01).sum()).item()),
                        "above_next_day_start": int(per.select((pl.col("last") > pl.col("next_start")).sum()).item())})


@dataclass(frozen=True)
class SortedWithinLocalDay(Check):
    """Rows are in (home_id, timestamp, entity_id) order and inside their home's local day [start, end)."""

    def count(self, frame, parents) -> Counter:
        key = frame.select("home_id", "timestamp", "entity_id")
        unsorted = key.height - key.with_row_index().sort("home_id", "timestamp", "entity_id").select(
            (pl.col("index") == pl.int_range(pl.len())).sum()).item() if key.height else 0
        span = key.join(parents["day_bounds"], on="home_id", how="left")
        outside = span.select(((pl.col("timestamp") < pl.col("start")) | (pl.col("timestamp") >= pl.col("end"))
                               | pl.col("start").is_null()).sum()).item()
        return Counter({"out_of_order": int(unsorted), "outside_local_day": int(outside or 0)})


def interval_rows(frame: pl.DataFrame, kinds: pl.DataFrame) -> pl.DataFrame:
    """The writes of on/off-like entities, sorted by entity and time."""
    kinds = kinds.filter(pl.col("kind").is_in(list(INTERVAL_STATES)))
    return frame.select(*KEY, "timestamp", "state").join(kinds.select(KEY), on=KEY).sort(*KEY, "timestamp")


def last_states(frame: pl.DataFrame, kinds: pl.DataFrame) -> pl.DataFrame:
    """Each on/off-like entity's last state of the day (``states_before`` of the next day's check)."""
    return interval_rows(frame, kinds).group_by(KEY).agg(pl.col("state").last())


@dataclass(frozen=True)
class StatesAlternate(Check):
    """On/off-like entities (binary sensors, lights, switches, locks, covers, people ...) never write the
    same state twice in a row: within the day, and across the midnight before it when the day before's last
    states are known (``parents["states_before"]``: from the same run, or the day before's file)."""

    def count(self, frame, parents) -> Counter:
        rows = interval_rows(frame, parents["kinds"])
        repeated = int(rows.select((pl.col("state") == pl.col("state").shift(1).over(KEY)).sum()).item() or 0)
        before = parents.get("states_before")
        across = 0 if before is None else (
            rows.group_by(KEY).agg(pl.col("state").first()).join(before, on=KEY, suffix="_before")
            .filter(pl.col("state") == pl.col("state_before")).height)
        return Counter({"repeated_state": repeated, "repeated_across_midnight": across})


@dataclass(frozen=True)
class ContextLinks(Check):
    """Context ids are unique 26-character ULIDs; a parent is an earlier write's context in the same home;
    a user is one of the home's occupants; no write has both."""

    def count(self, frame, parents) -> Counter:
        ids = frame.select("home_id", "context_id", "timestamp")
        parent = (frame.filter(pl.col("context_parent_id").is_not_null())
                  .select("home_id", pl.col("context_parent_id").alias("context_id"), pl.col("timestamp").alias("at"))
                  .join(ids, on=["home_id", "context_id"], how="left"))
        users = frame.filter(pl.col("context_user_id").is_not_null()).select("home_id", "context_user_id")
        return Counter({
            "duplicate_context_id": frame.height - frame["context_id"].n_unique(),
            "malformed_context_id": int(frame.select((~pl.col("context_id").str.contains(
                r"^[0-9A-HJKMNP-TV-Z]{26}$")).sum()).item() or 0),
            "unknown_or_later_parent": int(parent.select((pl.col("timestamp").is_null()
                                                          | (pl.col("timestamp") > pl.col("at"))).sum()).item() or 0),
            "unknown_user": users.join(parents["users"], on=["home_id", "context_user_id"], how="anti").height,
            "parent_and_user": int(frame.select((pl.col("context_parent_id").is_not_null()
                                                 & pl.col("context_user_id").is_not_null()).sum()).item() or 0)})


@dataclass(frozen=True)
class EventsPerHomeDay(Check):
    """Each home-day has between EVENTS_PER_ENTITY_DAY[0] and [1] events per entity it has."""

    def count(self, frame, parents) -> Counter:
        per = (parents["entity_counts"].join(frame.group_by("home_id").len(), on="home_id", how="left")
               .with_columns(rate=pl.col("len").fill_null(0) / pl.col("entities")))
        low, high = em.EVENTS_PER_ENTITY_DAY
        return Counter({"home_days_outside_band": per.filter((pl.col("rate") < low) | (pl.col("rate") > high)).height})


@dataclass(frozen=True)
class RulesMeasuredBack(Check):
    """Every rule with enough triggers in the run is measured back: lift >= MIN_LIFT over random times and
    median lag within LAG_TOLERANCE of its lag. Counts are additive per day (measure.measure_day)."""

    def count(self, frame, parents) -> Counter:
        return measure.measure_day(frame, parents["rules"], parents["kinds"], parents["cheapest"])

    def result(self, violations, **metadata) -> dg.AssetCheckResult:  # type: ignore[override]
        rules = metadata.pop("rules")
        strengths = measure.rule_strengths(Counter(violations), rules)
        failing = strengths.filter(pl.col("measurable") & ~pl.col("measured_back"))
        summary = measure.by_kind(strengths)
        return dg.AssetCheckResult(
            check_name=self.name, passed=failing.height == 0,
            description=self.rule if failing.height == 0 else f"{failing.height} rule(s) not measured back",
            metadata={"rules": strengths.height, "measurable": int(strengths["measurable"].sum()),
                      "measured_back": int(strengths["measured_back"].sum()),
                      "strength_by_kind": dg.MetadataValue.md(_markdown(summary)),
                      **({"failing": dg.MetadataValue.md(_markdown(failing.head(10)))} if failing.height else {}),
                      **metadata})


def _markdown(frame: pl.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return head + "\n".join("| " + " | ".join("" if v is None else str(v) for v in row) + " |"
                            for row in frame.iter_rows())


EVENT_CHECKS: tuple[Check, ...] = (
    unique_key("events_key_unique", ["home_id", "entity_id", "timestamp"]),
    PairExists("event_entity_exists", "every (home_id, entity_id) exists in smart_home.entities"),
    NumericStatesInRange("numeric_states_in_device_class_range",
                         "numeric sensor states are numbers inside catalogue.DEVICE_CLASSES ranges"),
    EnergyCounters("energy_counters_monotonic", "energy counters never decrease, within and across days"),
    SortedWithinLocalDay("sorted_within_local_day", "rows sorted (home_id, timestamp, entity_id), inside the "
                         "home's local day"),
    StatesAlternate("binary_states_alternate", "on/off-like entities never repeat a state in consecutive writes, "
                    "within a day nor across the midnight before it"),
    ContextLinks("context_links_valid", "ULID context ids; parents are earlier writes of the home; users are "
                 "its occupants"),
    EventsPerHomeDay("events_per_home_day_in_band", "events per home-day / entities within "
                     f"{em.EVENTS_PER_ENTITY_DAY} (models.EVENTS_PER_ENTITY_DAY)"),
    RulesMeasuredBack("planted_rules_measured_back", "every measurable planted rule is found in the events: "
                      f"lift >= {em.MIN_LIFT} and median lag within {em.LAG_TOLERANCE:.0%} of its lag",
                      blocking=False),   # a statistical measurement: a failure is reported, downstream still runs
)

@dataclass(frozen=True)
class ChainsLinked(Check):
    """Chain links are numbered 1..n within their chain (n = 1-3: 2-4 entities) and each link's trigger is
    the previous link's target; rules outside chains have neither chain_id nor step."""

    def count(self, frame, parents=None) -> Counter:
        chains = frame.filter(pl.col("kind") == "chain").sort("home_id", "chain_id", "step")
        previous = pl.col("target_entity_id").shift(1).over("home_id", "chain_id")
        bad = chains.select(
            numbering=(pl.col("step") != pl.int_range(1, pl.len() + 1).over("home_id", "chain_id")).sum(),
            unlinked=((pl.col("step") > 1) & (pl.col("trigger_entity_id") != previous)).sum(),
            too_long=(pl.col("step") > 3).sum()).row(0, named=True)
        stray = frame.filter((pl.col("kind") != "chain") & (pl.col("chain_id").is_not_null()
                                                             | pl.col("step").is_not_null())).height
        return Counter({**{k: int(v or 0) for k, v in bad.items()}, "stray_chain_fields": stray})


CORRELATION_CHECKS: tuple[Check, ...] = (
    unique_key("rule_id_unique_per_home", ["home_id", "rule_id"]),
    PairExists("rule_trigger_exists", "every trigger (home_id, trigger_entity_id) exists in smart_home.entities",
               column="trigger_entity_id"),
    PairExists("rule_target_exists", "every target (home_id, target_entity_id) exists in smart_home.entities",
               column="target_entity_id"),
    OneOf("rule_kind_known", f"kind is one of {', '.join(RULE_KINDS)}", column="kind", values=RULE_KINDS),
    ChainsLinked("chains_linked", "chain links numbered 1..n (2-4 entities), each triggered by the previous target"),
)


def event_specs(asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return specs(asset_key, EVENT_CHECKS)


def correlation_specs(asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return specs(asset_key, CORRELATION_CHECKS)


def correlation_results(frame: pl.DataFrame, entities: pl.DataFrame) -> list[dg.AssetCheckResult]:
    parents = {"entities": entities}
    return [check.result(check.count(frame, parents)) for check in CORRELATION_CHECKS]


def day_parents(seed: int, day, homes: pl.DataFrame, entities: pl.DataFrame, devices: pl.DataFrame,
                areas: pl.DataFrame, rules: pl.DataFrame, prices: pl.DataFrame) -> dict[str, object]:
    """What the event checks compare one day's rows with: entities and their kinds, occupants' user ids,
    each home's local day, energy counter bounds, the cheapest hours, and the rules."""
    from synth_assets.smart_home.events.frame import prepare_entities
    from synth_assets.smart_home.events.occupancy import local_days
    from synth_assets.smart_home.events.sensors import energy_bounds
    from synth_assets.smart_home.people import occupants

    homes = homes.sort("home_index")
    local = local_days(homes["timezone"].to_list(), day)
    ents = prepare_entities(seed, homes, entities, devices, areas)
    bounds = energy_bounds(seed, ents, homes["home_index"].to_numpy(), day)
    energy = ents.frame.select(KEY)[bounds["rows"]].with_columns(start=pl.Series(bounds["start"]),
                                                                 next_start=pl.Series(bounds["next_start"]))
    starts = measure.day_starts(homes, local.start_us)
    return {
        "entities": ents.frame.select(KEY), "kinds": ents.frame.select(*KEY, "kind"),
        "users": occupants(seed, homes).select("home_id", pl.col("user_id").alias("context_user_id")),
        "entity_counts": ents.frame.group_by("home_id").agg(entities=pl.len()),
        "day_bounds": starts.with_columns(end=pl.col("start") + pl.duration(
            seconds=pl.Series(local.length_s)).cast(pl.Duration("us"))),
        "energy_bounds": energy, "rules": rules,
        "cheapest": measure.cheapest_hours(prices, homes, starts)}
