"""Measure every planted rule back from the events alone (no rule ids are in them).

For each rule, its trigger writes in the firing state (a motion sensor turning on, a door closing for
``door_lock``, a temperature report falling below the rule's threshold, the occupant leaving, the start
of the home's cheapest hour), taken when the target is not already in the state the rule sets
(away: and nobody else is home; gated rules: the light level below the gate), are matched with the
target's next change to that state (``join_asof`` forward). A trigger counts as followed when the change
comes within ``lag * MEASURE_WINDOW_FACTOR + MEASURE_WINDOW_PAD_S``; the same is measured from probe
times every 15 minutes as the baseline. Strength = followed share; lift = strength / baseline share; the
lag is the median delay of the followed triggers. Counts are additive over days (lags as a log-binned
histogram), so a run of many days is measured without holding them. Pure: no Dagster.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import polars as pl

from synth_assets.smart_home.events import models as em
from synth_assets.smart_home.events.log import INTERVAL_STATES

PROBE_EVERY_S = 900
LAG_BIN = math.log(1.05)   # lag histogram bins 5 % wide


def _target_state(kind: str, target_kind: str) -> str:
    active, idle, _ = INTERVAL_STATES[target_kind]
    return {"door_lock": idle, "away_all_off": idle}.get(kind, active)


def _trigger_rows(kind: str, trigger_kind: str | None, events: pl.DataFrame) -> pl.Expr:
    if kind == "door_lock":
        return pl.col("state") == "off"
    if kind == "away_all_off":
        return pl.col("state") == "not_home"
    active, _, _ = INTERVAL_STATES.get(trigger_kind or "", ("on", "off", None))
    return pl.col("state") == active


def measure_day(events: pl.DataFrame, rules: pl.DataFrame, kinds: pl.DataFrame,
                cheapest: pl.DataFrame) -> Counter:
    """Additive counts per rule for one day. ``kinds``: (home_id, entity_id, kind) of the entities;
    ``cheapest``: (home_id, trigger_time) start of each home's cheapest hour that day."""
    if not rules.height or not events.height:
        return Counter()
    rules = (rules.join(kinds.rename({"entity_id": "target_entity_id", "kind": "target_kind"}),
                        on=["home_id", "target_entity_id"], how="left")
             .join(kinds.rename({"entity_id": "trigger_entity_id", "kind": "trigger_kind"}),
                   on=["home_id", "trigger_entity_id"], how="left")
             .with_columns(window=(pl.col("lag_seconds") * em.MEASURE_WINDOW_FACTOR
                                   + em.MEASURE_WINDOW_PAD_S) * 1_000_000))
    # only the writes a measurement can look at: triggers, targets, light-level gates and people
    gates = rules.select("home_id", entity_id=pl.col("condition").str.extract(r"^(sensor\.\S+) < [0-9.]+ lx"))
    relevant = pl.concat([
        rules.select("home_id", entity_id="trigger_entity_id"), rules.select("home_id", entity_id="target_entity_id"),
        gates, kinds.filter(pl.col("kind") == "person").select("home_id", "entity_id")]).drop_nulls().unique()
    ev = events.select("home_id", "entity_id", "timestamp", "state").join(relevant, on=["home_id", "entity_id"])
    triggers = []
    for (kind, trigger_kind), group in rules.group_by("kind", "trigger_kind"):
        if kind == "cheap_power_appliance":
            triggers.append(group.join(cheapest, on="home_id").select("home_id", "rule_id", "trigger_time"))
            continue
        found = group.join(ev.rename({"entity_id": "trigger_entity_id"}), on=["home_id", "trigger_entity_id"])
        if kind == "temperature_climate":
            threshold = pl.col("condition").str.extract(r"< ([0-9.]+) °C").cast(pl.Float64)
            value = pl.col("state").cast(pl.Float64, strict=False)
            found = found.sort("rule_id", "timestamp").with_columns(
                below=value < threshold, before=(value.shift(1).over("home_id", "rule_id") >= threshold))
            found = found.filter(pl.col("below") & pl.col("before"))
        else:
            found = found.filter(_trigger_rows(kind, trigger_kind, ev))
        triggers.append(found.select("home_id", "rule_id", pl.col("timestamp").alias("trigger_time")))
    trig = pl.concat(triggers).with_columns(probe=pl.lit(False))
    day_span = events.group_by("home_id").agg(first=pl.col("timestamp").min(), last=pl.col("timestamp").max())
    probes = (rules.select("home_id", "rule_id").join(day_span, on="home_id")
              .with_columns(trigger_time=pl.datetime_ranges("first", "last", f"{PROBE_EVERY_S}s"))
              .explode("trigger_time").select("home_id", "rule_id", "trigger_time").with_columns(probe=pl.lit(True)))
    trials = (pl.concat([trig, probes.with_columns(pl.col("trigger_time").cast(trig.schema["trigger_time"]))])
              .join(rules.select("home_id", "rule_id", "kind", "target_entity_id", "target_kind", "window"),
                    on=["home_id", "rule_id"]))
    changes = []
    for (kind, target_kind), _ in rules.group_by("kind", "target_kind"):
        wanted = _target_state(kind, target_kind)
        changes.append(ev.filter(pl.col("state") == wanted)
                       .join(rules.filter((pl.col("kind") == kind) & (pl.col("target_kind") == target_kind))
                             .select("home_id", pl.col("target_entity_id").alias("entity_id")).unique(),
                             on=["home_id", "entity_id"])
                       .select("home_id", pl.col("entity_id").alias("target_entity_id"),
                               pl.col("timestamp").alias("change_time"), pl.lit(kind).alias("kind")))
    change = pl.concat(changes).unique().sort("change_time")
    # only trials where the target is not already in the state the rule sets (its last write before)
    wanted = rules.select("kind", "target_kind").unique().with_columns(
        wanted=pl.struct("kind", "target_kind").map_elements(lambda r: _target_state(r["kind"], r["target_kind"]),
                                                             return_dtype=pl.String))
    targets = rules.select("home_id", "target_entity_id").unique()
    before = (ev.join(targets.rename({"target_entity_id": "entity_id"}), on=["home_id", "entity_id"])
              .select("home_id", pl.col("entity_id").alias("target_entity_id"), pl.col("timestamp").alias("seen"),
                      pl.col("state").alias("prior_state")).sort("seen"))
    # before its first write of the day a target is in the other state (states alternate across midnight);
    # a target with no write all day is in an unknown state, and its triggers are not taken
    idle = pl.col("target_kind").replace_strict({k: v[1] for k, v in INTERVAL_STATES.items()}, default=None)
    active = pl.col("target_kind").replace_strict({k: v[0] for k, v in INTERVAL_STATES.items()}, default=None)
    first = before.group_by("home_id", "target_entity_id").agg(first_state=pl.col("prior_state").first())
    at_midnight = pl.when(pl.col("first_state") == active).then(idle).when(pl.col("first_state").is_not_null()) \
        .then(active)
    trials = (trials.join(wanted, on=["kind", "target_kind"]).sort("trigger_time")
              .join_asof(before, left_on="trigger_time", right_on="seen", by=["home_id", "target_entity_id"],
                         strategy="backward", allow_exact_matches=False, check_sortedness=False)
              .join(first, on=["home_id", "target_entity_id"], how="left")
              .with_columns(prior_state=pl.col("prior_state").fill_null(at_midnight))
              .filter(pl.col("probe") | (pl.col("prior_state").is_not_null()
                                         & (pl.col("prior_state") != pl.col("wanted")))))
    trials = _empty_home_only(trials, ev, kinds)
    trials = _gate_holds(trials, ev, rules)
    matched = trials.sort("trigger_time").join_asof(change, left_on="trigger_time", right_on="change_time",
                                                    by=["home_id", "target_entity_id", "kind"], strategy="forward",
                                                    check_sortedness=False)
    lag = (pl.col("change_time") - pl.col("trigger_time")).dt.total_microseconds()
    matched = matched.with_columns(followed=lag.is_not_null() & (lag <= pl.col("window")),
                                   lag_bin=(lag.clip(1) / 1e6).log().truediv(LAG_BIN).round(0).cast(pl.Int64))
    counts = Counter()
    summary = matched.group_by("home_id", "rule_id", "kind", "probe").agg(
        n=pl.len(), followed=pl.col("followed").sum())
    for home, rule, kind, probe, n, followed in summary.iter_rows():
        tag = "probe" if probe else "trigger"
        counts[f"{home}|{rule}|{kind}|{tag}"] += n
        counts[f"{home}|{rule}|{kind}|{tag}_followed"] += followed
    lags = matched.filter(pl.col("followed") & ~pl.col("probe")).group_by("home_id", "rule_id", "kind", "lag_bin").len()
    for home, rule, kind, lag_bin, n in lags.iter_rows():
        counts[f"{home}|{rule}|{kind}|lag|{lag_bin}"] += n
    return counts


def _gate_holds(trials: pl.DataFrame, ev: pl.DataFrame, rules: pl.DataFrame) -> pl.DataFrame:
    """Triggers of a rule gated on a light level count only when the gate sensor's last report is below
    the gate (the rule's condition, "sensor.x_illuminance < 30 lx")."""
    gates = rules.select("home_id", "rule_id", gate=pl.col("condition").str.extract(r"^(sensor\.\S+) < [0-9.]+ lx"),
                         below=pl.col("condition").str.extract(r"< ([0-9.]+) lx").cast(pl.Float64)).drop_nulls()
    if not gates.height:
        return trials
    gated = trials.join(gates, on=["home_id", "rule_id"], how="left")
    gate_ids = gates.select("home_id", pl.col("gate").alias("entity_id")).unique()
    readings = (ev.join(gate_ids, on=["home_id", "entity_id"])
                .select("home_id", pl.col("entity_id").alias("gate"), pl.col("timestamp").alias("read"),
                        pl.col("state").cast(pl.Float64, strict=False).alias("lux")).sort("read"))
    gated = gated.sort("trigger_time").join_asof(readings, left_on="trigger_time", right_on="read",
                                                 by=["home_id", "gate"], strategy="backward", check_sortedness=False)
    keep = pl.col("probe") | pl.col("gate").is_null() | pl.col("lux").is_null() | (pl.col("lux") < pl.col("below"))
    return gated.filter(keep).select(trials.columns)


def _empty_home_only(trials: pl.DataFrame, ev: pl.DataFrame, kinds: pl.DataFrame) -> pl.DataFrame:
    """away_all_off triggers count only when every other occupant's last write is not_home (the rule's
    condition); probes and other kinds pass through."""
    away = trials.filter((pl.col("kind") == "away_all_off") & ~pl.col("probe")).with_row_index("trial")
    if not away.height:
        return trials
    persons = kinds.filter(pl.col("kind") == "person").select("home_id", pl.col("entity_id").alias("person"))
    seen = (ev.join(persons.rename({"person": "entity_id"}), on=["home_id", "entity_id"])
            .select("home_id", pl.col("entity_id").alias("person"), pl.col("timestamp").alias("seen"),
                    pl.col("state").alias("person_state")).sort("seen"))
    trigger_person = away.select("trial", "home_id", "rule_id")
    others = (away.select("trial", "home_id", "trigger_time").join(persons, on="home_id")
              .join(trigger_person, on=["trial", "home_id"]).sort("trigger_time")
              .join_asof(seen, left_on="trigger_time", right_on="seen", by=["home_id", "person"],
                         strategy="backward", check_sortedness=False))
    occupied = others.filter(pl.col("person_state").fill_null("home") == "home")["trial"].unique()
    # the trigger person's own write is not_home at the trigger time, so it never counts as home
    keep = away.filter(~pl.col("trial").is_in(occupied.implode())).drop("trial")
    return pl.concat([trials.filter(~((pl.col("kind") == "away_all_off") & ~pl.col("probe"))), keep],
                     how="vertical_relaxed")


def rule_strengths(counts: Counter, rules: pl.DataFrame) -> pl.DataFrame:
    """Per rule: triggers, strength (followed share), baseline share, lift, median lag and whether it is
    measured back (enough triggers, lift >= MIN_LIFT, median lag within tolerance of the planted lag)."""
    rows = []
    for home, rule, kind, lag in rules.select("home_id", "rule_id", "kind", "lag_seconds").iter_rows():
        key = f"{home}|{rule}|{kind}|"
        n, hit = counts.get(key + "trigger", 0), counts.get(key + "trigger_followed", 0)
        probes, probe_hit = counts.get(key + "probe", 0), counts.get(key + "probe_followed", 0)
        bins = sorted((int(k.rsplit("|", 1)[1]), v) for k, v in counts.items() if k.startswith(key + "lag|"))
        median = None
        if bins:
            total, running = sum(v for _, v in bins), 0
            for b, v in bins:
                running += v
                if running * 2 >= total:
                    median = math.exp(b * LAG_BIN)
                    break
        strength = hit / n if n else None
        baseline = (probe_hit + 0.5) / (probes + 1)
        lift = strength / baseline if strength is not None else None
        measurable = n >= em.MIN_TRIGGERS_TO_MEASURE
        lag_ok = median is not None and abs(median - lag) <= em.LAG_TOLERANCE * lag + 1.0
        rows.append((home, rule, kind, lag, n, strength, baseline, lift, median, measurable,
                     measurable and lift is not None and lift >= em.MIN_LIFT and lag_ok))
    return pl.DataFrame(rows, orient="row", schema={
        "home_id": pl.String, "rule_id": pl.String, "kind": pl.String, "lag_seconds": pl.Float64,
        "triggers": pl.Int64, "strength": pl.Float64, "baseline": pl.Float64, "lift": pl.Float64,
        "median_lag_seconds": pl.Float64, "measurable": pl.Boolean, "measured_back": pl.Boolean})


def by_kind(strengths: pl.DataFrame) -> pl.DataFrame:
    return (strengths.group_by("kind").agg(
        rules=pl.len(), measurable=pl.col("measurable").sum(), measured_back=pl.col("measured_back").sum(),
        mean_strength=pl.col("strength").filter(pl.col("measurable")).mean().round(3),
        median_lift=pl.col("lift").filter(pl.col("measurable")).median().round(1),
        median_lag_ratio=(pl.col("median_lag_seconds") / pl.col("lag_seconds")).filter(pl.col("measurable"))
        .median().round(3))
        .sort("kind"))


def cheapest_hours(prices: pl.DataFrame, homes: pl.DataFrame, day_start: pl.DataFrame) -> pl.DataFrame:
    """(home_id, trigger_time): the start of each home's cheapest priced hour of its local day."""
    joined = homes.select("home_id", "country_code", "timezone").join(prices, on=["country_code", "timezone"])
    best = joined.sort("dynamic_usd_per_kwh", "timestamp").group_by("home_id").first()
    return (best.join(day_start, on="home_id")
            .select("home_id", pl.max_horizontal("timestamp", "start").alias("trigger_time")))


def day_starts(homes: pl.DataFrame, start_us: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame({"home_id": homes["home_id"],
                         "start": pl.Series(start_us).cast(pl.Datetime("us", "UTC"))})
