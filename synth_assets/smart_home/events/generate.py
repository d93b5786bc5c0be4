"""``smart_home.events`` for one home-local day: every state write of every entity of every home, vectorised
per entity kind over all homes at once, then one sort.

Order of generation: who is home and awake (occupancy), then the sensors and on/off entities that depend
on no rule, then the rules' targets level by level (a chain's second link after its first), cuts by the
away rules, then plug power and the energy counters. Draws come from the day's streams addressed by
(home_index, entity or rule ordinal, rank), so one day's events of a home are a pure function of
(seed, home, day, its entities and rules, the day's context). Pure: no Dagster.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from synth_assets.core.days import PARTITIONS_START
from synth_assets.smart_home.context.calendar import calendar_day
from synth_assets.smart_home.context.external import external_day
from synth_assets.smart_home.context.pricing import electricity_prices_day
from synth_assets.smart_home.context.weather import weather_day
from synth_assets.smart_home.events import actuators as act
from synth_assets.smart_home.events import anomalies as anom
from synth_assets.smart_home.events import carry
from synth_assets.smart_home.events import models as em
from synth_assets.smart_home.events import reactions as rx
from synth_assets.smart_home.events.context_ids import ulids
from synth_assets.smart_home.events.frame import Entities, HourlyContext, hourly_context, prepare_entities
from synth_assets.smart_home.events.log import ATTRIBUTES, INTERVAL_STATES, NUMERIC, STATES, EventLog
from synth_assets.smart_home.events.occupancy import (
    MINUTES,
    STREAM,
    LocalDay,
    Occupancy,
    draws,
    local_days,
    occupancy,
)
from synth_assets.smart_home.events.sampling import Intervals, cut, merge
from synth_assets.smart_home.events.sensors import Signals, numeric_sensors, power_and_energy
from synth_assets.smart_home.models import DEFAULT_ANOMALY_RATE, EVENTS_SCHEMA
from synth_assets.smart_home.people import occupants

SESSION_KINDS = {"light": "active_dark", "switch.outlet": "active", "media_player.tv": "active",
                 "media_player.speaker": "active", "fan": "active_warm", "binary_sensor.window": "active",
                 "binary_sensor.occupancy": "active"}
ROW_SLOTS = 1 << 24          # context-id counter: (home_index, row within the home's day)
MIN_HOMES_PER_WORKER = 50    # below this many homes per thread, one thread


def resolve_rules(rules: pl.DataFrame, ents: Entities, home_index: np.ndarray) -> rx.Rules:
    """The rules of the partition's homes as entity rows."""
    key = ents.frame.select("home_id", "entity_id").with_row_index("row")
    frame = (rules.with_columns(ordinal=pl.int_range(pl.len()).over("home_id"))
             .join(key.rename({"entity_id": "trigger_entity_id", "row": "trigger"}),
                   on=["home_id", "trigger_entity_id"], how="left")
             .join(key.rename({"entity_id": "target_entity_id", "row": "target"}),
                   on=["home_id", "target_entity_id"], how="inner")
             .with_columns(gate_entity=pl.col("condition").str.extract(r"^(sensor\.\S+_illuminance) <"),
                           threshold=pl.when(pl.col("kind") == "temperature_climate").then(
                               pl.col("condition").str.extract(r"< ([0-9.]+) °C").cast(pl.Float64)))
             .join(key.rename({"entity_id": "gate_entity", "row": "gate"}), on=["home_id", "gate_entity"],
                   how="left"))
    home = ents.frame.select("home_id", "home_pos").unique()
    frame = frame.join(home, on="home_id", how="inner").sort("home_pos", "ordinal")   # joins may reorder
    return rx.Rules(kind=frame["kind"].to_numpy().astype(object),
                    trigger=frame["trigger"].fill_null(-1).to_numpy().astype(np.int64),
                    target=frame["target"].to_numpy().astype(np.int64),
                    lag=frame["lag_seconds"].to_numpy(), gate=frame["gate"].fill_null(-1).to_numpy().astype(np.int64),
                    threshold=frame["threshold"].fill_null(np.nan).to_numpy(),
                    counter=rx.rule_counter(home_index[frame["home_pos"].to_numpy()], frame["ordinal"].to_numpy()))


def _depths(rules: rx.Rules, n: int) -> np.ndarray:
    depth = np.zeros(n, dtype=np.int64)
    depth[rules.target] = 1
    for _ in range(6):
        has = rules.trigger >= 0
        np.maximum.at(depth, rules.target[has], depth[rules.trigger[has]] + 1)
    return depth


def _covers_and_vacuum(ents: Entities, occ, curves, seed: int, day: date, home_index: np.ndarray) -> Intervals:
    """Blinds open in the morning once it is light and someone is up, close at dusk; the vacuum runs once."""
    rows = ents.rows_of(("cover.blind", "cover.shade"))
    home = ents.home[rows]
    u = draws(seed, day, "cover", ents.counter(home_index)[rows], 4)
    light = ~curves.dark & (occ.active > 0)
    any_light = light.any(axis=1)
    first = np.argmax(light, axis=1)
    last = MINUTES - 1 - np.argmax(light[:, ::-1], axis=1)
    start = (first[home] + 30 * u[:, 0]) * 60.0
    end = (last[home] + 30 * u[:, 1]) * 60.0
    user = act.occupant_at(occ, home, start, u[:, 2])
    end_user = act.occupant_at(occ, home, end, u[:, 3])
    blinds = Intervals.make(rows, start, end, start_user=user, end_user=end_user).take(np.flatnonzero(any_light[home]))
    vac = ents.rows_of("vacuum")
    v = draws(seed, day, "vacuum", ents.counter(home_index)[vac], 3)
    empty = ~occ.anyone_home[ents.home[vac]]
    empty[:, :8 * 60] = False
    runs = empty.any(axis=1) | (v[:, 0] < 0.3)
    begin = np.where(empty.any(axis=1), np.argmax(empty, axis=1), 10 * 60 + 120 * v[:, 1]) * 60.0 + 60 * v[:, 2]
    cleaning = Intervals.make(vac, begin, begin + 60 * (40 + 50 * v[:, 1])).take(np.flatnonzero(runs))
    return Intervals.concat([blinds, cleaning])


def _base_intervals(ents: Entities, occ, curves, seed: int, day: date, home_index: np.ndarray,
                    door_lock_targets: np.ndarray) -> Intervals:
    people, move_home, move_person = act.presence(occ, ents, "person", seed, day, home_index, (0.0, 60.0))
    trackers, _, _ = act.presence(occ, ents, "device_tracker", seed, day, home_index, (30.0, 240.0))
    parts = [people, trackers, act.door_openings(ents, people, move_home, move_person, curves.active, occ, seed,
                                                 day, home_index)]
    motion = ents.rows_of("binary_sensor.motion")
    weight = np.array([em.MOTION_AREA_WEIGHT.get(k, 0.5) for k in ents.frame["area_kind"].fill_null("").to_numpy()
                       [motion]])
    spec = em.SESSIONS["binary_sensor.motion"]
    parts.append(act.sessions(ents, motion, curves.motion, spec.per_active_hour * weight, spec.minutes, occ, seed,
                              day, "motion", home_index, with_user=False))
    for kind, curve in SESSION_KINDS.items():
        rows = ents.rows_of(kind)
        spec = em.SESSIONS[kind]
        user = not kind.startswith("binary_sensor")
        parts.append(act.sessions(ents, rows, curves.get(curve), np.full(len(rows), spec.per_active_hour),
                                  spec.minutes, occ, seed, day, kind, home_index, with_user=user))
    parts.append(_covers_and_vacuum(ents, occ, curves, seed, day, home_index))
    locks = ents.rows_of("lock")
    manual = locks[~np.isin(locks, door_lock_targets)]
    lock_home = np.full(occ.home.shape[0], -1, dtype=np.int64)
    lock_home[ents.home[manual[::-1]]] = manual[::-1]
    # by hand, by the one who comes or goes: unlocked just after arriving, locked just before leaving
    # (before their person entity says so); locks with a door_lock rule follow their door instead
    arriving = np.isfinite(people.start) & (people.start > 0)
    leaving = np.isfinite(people.end) & (people.end > 0)
    start = np.concatenate([people.start[arriving] + 5, people.end[leaving] - 60])
    lock = lock_home[np.concatenate([move_home[arriving], move_home[leaving]])]
    who = np.concatenate([move_person[arriving], move_person[leaving]]).astype(np.int8)
    ok = lock >= 0
    parts.append(Intervals.make(lock[ok], start[ok], start[ok] + 55, start_user=who[ok], end_user=who[ok]))
    return Intervals.concat(parts)


@dataclass(frozen=True)
class DayInputs:
    """What the generation of one home-local day reads besides the entities and rules."""

    day: date
    local: LocalDay
    occ: Occupancy
    ctx: HourlyContext
    curves: act.Curves
    sig: Signals
    day_length: np.ndarray   # per home, seconds
    ent_length: np.ndarray   # per entity row


def day_inputs(seed: int, day: date, homes: pl.DataFrame, ents: Entities, home_index: np.ndarray,
               calendar: pl.DataFrame, day_before: pl.DataFrame, weather: pl.DataFrame, external: pl.DataFrame,
               prices: pl.DataFrame) -> DayInputs:
    local = local_days(homes["timezone"].to_list(), day)
    occ = occupancy(homes, calendar, day, seed, local, previous_day=day_before)
    ctx = hourly_context(homes, local, day, weather, external, prices)
    day_length = local.length_s.astype(float)
    return DayInputs(day, local, occ, ctx, act.curves(occ, ctx), Signals(ents, ctx, occ, seed, home_index),
                     day_length, day_length[ents.home])


def on_off_periods(log: EventLog, ents: Entities, resolved: rx.Rules, d: DayInputs, seed: int,
                   home_index: np.ndarray, temperature_reports: dict[str, np.ndarray],
                   carried: Intervals, planted: Intervals) -> tuple[rx.Written, Intervals]:
    """Every on/off-like entity's periods of the day, level by level (a rule's target after its trigger),
    written to ``log``; ``carried``: the day before's periods still on at midnight (carry.py); ``planted``:
    the day's on/off anomalies (anomalies.py), merged with their entity's own periods after the rules."""
    day, occ, ctx = d.day, d.occ, d.ctx
    depth = _depths(resolved, len(ents.kind))
    interval_rows = np.flatnonzero(np.isin(ents.kind, list(INTERVAL_STATES)))
    base = _base_intervals(ents, occ, d.curves, seed, day, home_index, resolved.target[resolved.of("door_lock")])
    done, periods = rx.Written.empty(), []
    prices_by_minute = ctx.price[np.arange(len(home_index))[:, None], ctx.hour_of_minute]
    all_rules = np.arange(len(resolved.kind))
    for level in range(int(depth[interval_rows].max(initial=0)) + 1):
        now = interval_rows[depth[interval_rows] == level]
        targeted = all_rules[np.isin(resolved.target, now)]
        parts = [base.take(np.flatnonzero(np.isin(base.ent, now))),
                 carried.take(np.flatnonzero(np.isin(carried.ent, now)))]
        if len(targeted):
            parts += [rx.started(resolved, targeted, done, seed, day, d.sig.lux),
                      rx.locked_after_closing(resolved, targeted, done, occ, ents.home, seed, day),
                      rx.heating(resolved, targeted, temperature_reports, seed, day),
                      rx.cheap_runs(resolved, targeted, prices_by_minute, d.local.length_s // 60, ents.home, seed,
                                    day)]
        merged = merge(Intervals.concat(parts), d.ent_length)
        if len(targeted):
            cut_ent, cut_at, cut_parent = rx.away_cuts(resolved, targeted, done, occ, ents.home, seed, day)
            merged = cut(merged, cut_ent, cut_at, cut_parent)
        if np.isin(planted.ent, now).any():
            merged = merge(Intervals.concat([merged, planted.take(np.flatnonzero(np.isin(planted.ent, now)))]),
                           d.ent_length)
        start_rows, end_rows = act.emit(log, ents, merged, d.day_length)
        done.extend(merged, start_rows, end_rows)
        periods.append(merged)
    return done, Intervals.concat(periods)


def day_before_tail(seed: int, day: date, homes: pl.DataFrame, ents: Entities, resolved: rx.Rules,
                    home_index: np.ndarray, calendar_before: pl.DataFrame, candidates: pl.DataFrame,
                    anomaly_rate: float) -> Intervals:
    """The periods of the day before still on at its end (carry.tail), from the same pure functions: its
    context made in memory as the context assets make it, the reports of the heating rules' temperature
    sensors and its on/off periods; no other sensor. The day before's own carry is not regenerated; before
    the first partition day there is nothing to carry."""
    before = day - timedelta(days=1)
    if before < PARTITIONS_START:   # the first day of the data: nothing runs into it
        return Intervals.concat([])
    d = day_inputs(seed, before, homes, ents, home_index, calendar_before,
                   pl.from_arrow(calendar_day(homes, before - timedelta(days=1), seed)),
                   pl.from_arrow(weather_day(homes, before, seed)), pl.from_arrow(external_day(homes, before, seed)),
                   pl.from_arrow(electricity_prices_day(homes, before, seed)))
    scratch = EventLog()
    reports = numeric_sensors(scratch, ents, d.sig, d.occ, seed, before, home_index, d.day_length,
                              kinds=("sensor.temperature",), batteries=False,
                              only=resolved.trigger[resolved.of("temperature_climate")])
    planted = anom.on_off_periods(anom.plan(seed, before, homes, candidates, anomaly_rate), ents, d.occ, seed, before,
                                  home_index)
    _, periods = on_off_periods(scratch, ents, resolved, d, seed, home_index, reports, Intervals.concat([]), planted)
    return carry.tail(periods, d.ent_length, ents.kind)


def generate_events(seed: int, day: date, homes: pl.DataFrame, entities: pl.DataFrame, devices: pl.DataFrame,
                    areas: pl.DataFrame, rules: pl.DataFrame, calendar: pl.DataFrame, weather: pl.DataFrame,
                    external: pl.DataFrame, prices: pl.DataFrame, workers: int = 1,
                    anomaly_rate: float = DEFAULT_ANOMALY_RATE) -> pa.Table:
    """The day's events of ``homes`` in ``EVENTS_SCHEMA``, sorted (home_id, timestamp, entity_id).

    ``workers`` > 1 splits the homes into that many blocks generated in threads (numpy, Arrow and polars
    release the GIL); a home's events depend only on the home, so the rows are the same. ``anomaly_rate``:
    anomalies planted per home-day (anomalies.py)."""
    homes = homes.sort("home_index")
    if workers > 1 and homes.height >= workers * MIN_HOMES_PER_WORKER:
        blocks = _contiguous(homes, workers)
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda block: generate_events(seed, day, block, entities, devices, areas, rules,
                                                                calendar, weather, external, prices,
                                                                anomaly_rate=anomaly_rate), blocks))
        return pa.concat_tables(parts).combine_chunks()
    home_index = homes["home_index"].to_numpy().astype(np.int64)
    ents = prepare_entities(seed, homes, entities, devices, areas)
    resolved = resolve_rules(rules, ents, home_index)
    # the day before's calendar rows from the same pure generator as the calendar files (night shifts, trips)
    calendar_before = pl.from_arrow(calendar_day(homes, day - timedelta(days=1), seed))
    d = day_inputs(seed, day, homes, ents, home_index, calendar, calendar_before, weather, external, prices)
    log = EventLog()
    temperature_reports = numeric_sensors(log, ents, d.sig, d.occ, seed, day, home_index, d.day_length)
    candidates = anom.candidates(ents.frame, rules)
    carried = carry.settle_open_ends(
        day_before_tail(seed, day, homes, ents, resolved, home_index, calendar_before, candidates, anomaly_rate),
        ents, d.occ, lambda ent: rx.heating_off(resolved, ent, temperature_reports, seed, day), seed, day, home_index)
    spells = anom.plan(seed, day, homes, candidates, anomaly_rate)
    done, _ = on_off_periods(log, ents, resolved, d, seed, home_index, temperature_reports, carried,
                             anom.on_off_periods(spells, ents, d.occ, seed, day, home_index))
    switches = np.isin(ents.kind[done.ent], ["switch.outlet"])
    on_until = np.minimum(done.end[switches], d.ent_length[done.ent[switches]] - 1.0)   # the day's part
    power_and_energy(log, ents, d.sig, (done.ent[switches], done.start[switches], on_until), seed, day,
                     home_index, d.day_length)
    return assemble(anom.with_readings(log, spells, ents), ents, homes, d.local.start_us, seed, day)


def _contiguous(homes: pl.DataFrame, n: int) -> list[pl.DataFrame]:
    """``homes`` (sorted by home_index) cut into ``n`` consecutive blocks of near-equal size."""
    bounds = np.linspace(0, homes.height, n + 1).astype(int)
    return [homes[bounds[i]:bounds[i + 1]] for i in range(n)]


def _order(home: np.ndarray, timestamp: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Row order by (home, timestamp, entity_id rank): one packed uint64 sort when the ranges fit."""
    if not len(home):
        return np.zeros(0, dtype=np.int64)
    relative = (timestamp - timestamp.min()).astype(np.uint64)
    bits_t = int(relative.max()).bit_length()
    bits_r = int(rank.max()).bit_length()
    bits_h = int(home.max()).bit_length()
    if bits_t + bits_r + bits_h > 64:
        return np.lexsort((rank, timestamp, home))
    key = (home.astype(np.uint64) << np.uint64(bits_t + bits_r)) | (relative << np.uint64(bits_r)) \
        | rank.astype(np.uint64)
    # keys are unique (the table's key), so any sort gives the same order; polars sorts in parallel
    return pl.Series(key).arg_sort().to_numpy().astype(np.int64)


def _fixed_width_strings(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A numpy ``S<k>`` array as an Arrow string array without a per-row copy (null where not ``valid``)."""
    width = values.dtype.itemsize
    offsets = pa.py_buffer(np.arange(len(values) + 1, dtype=np.int32) * np.int32(width))
    bitmap = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    data = pa.py_buffer(np.ascontiguousarray(values).view(np.uint8))
    return pa.Array.from_buffers(pa.string(), len(values), [bitmap, offsets, data])


def _take(values: pa.Array, index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``values`` gathered at ``index`` (null where not ``valid``)."""
    mask = None if valid is None else ~valid
    return values.take(pa.array(np.where(valid, index, 0) if valid is not None else index, mask=mask))


def assemble(log: EventLog, ents: Entities, homes: pl.DataFrame, start_us: np.ndarray, seed: int,
             day: date) -> pa.Table:
    """Sort the log by (home, time, entity_id), give every write a context id and resolve the causes."""
    c = log.columns()
    home = ents.home[c["ent"]]
    timestamp = start_us[home] + np.round(c["t"] * 1e6).astype(np.int64)
    order = _order(home, timestamp, ents.rank[c["ent"]])
    c = {k: v[order] for k, v in c.items() if k != "t"}
    home, timestamp = home[order], timestamp[order]
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    first_of_home = np.searchsorted(home, np.arange(homes.height))
    rank_in_home = np.arange(len(home)) - first_of_home[home]
    home_index = homes["home_index"].to_numpy().astype(np.int64)
    context = ulids(timestamp // 1000, seed, (*STREAM, day.isoformat(), "context"),
                    home_index[home] * ROW_SLOTS + rank_in_home)
    has_parent = c["parent"] >= 0
    has_user = c["user"] >= 0
    time = pa.array(timestamp, type=EVENTS_SCHEMA.field("timestamp").type)
    columns = {
        "home_id": _home_ids(homes, home),
        "entity_id": _take(ents.frame["entity_id"].to_arrow().cast(pa.string()), c["ent"]),
        "timestamp": time, "last_changed": time,
        "state": _states(c),
        "attributes": _attributes(c),
        "context_id": _fixed_width_strings(context),
        "context_parent_id": _fixed_width_strings(context[position[np.maximum(c["parent"], 0)]], has_parent),
        "context_user_id": _take(_user_ids(seed, homes), home * 8 + c["user"], has_user),
    }
    return pa.table([columns[name] for name in EVENTS_SCHEMA.names], schema=EVENTS_SCHEMA)


def _home_ids(homes: pl.DataFrame, home: np.ndarray) -> pa.Array:
    """The home_id of each row: fixed-width ids are repeated as bytes (rows are grouped by home)."""
    ids = homes["home_id"].to_numpy().astype("S")
    widths = homes["home_id"].str.len_bytes()
    if widths.n_unique() == 1:
        return _fixed_width_strings(ids[home])
    return _take(homes["home_id"].to_arrow().cast(pa.string()), home)


def _user_ids(seed: int, homes: pl.DataFrame) -> pa.Array:
    """user_id by (home position * 8 + occupant position)."""
    people = occupants(seed, homes)
    pos = homes.select("home_id").with_row_index("home_pos").join(people, on="home_id")   # placed by index
    slots = np.full(homes.height * 8, None, dtype=object)
    slots[(pos["home_pos"].to_numpy() * 8 + pos["position"].to_numpy()).astype(np.int64)] = pos["user_id"].to_list()
    return pa.array(slots, type=pa.string())


def _states(c: dict[str, np.ndarray]) -> pa.Array:
    """State strings: the code's text, or the number at its decimals (integers without a point, as Home
    Assistant writes ``str(round(value, decimals))``: "21.0" at one decimal, "450" at none)."""
    numeric = c["code"] == NUMERIC
    pool = [pa.array(STATES, type=pa.string())]
    index = np.maximum(c["code"], 0).astype(np.int64)
    offset = len(STATES)
    for decimals in np.unique(c["decimals"][numeric]):
        rows = np.flatnonzero(numeric & (c["decimals"] == decimals))
        if decimals == 0:
            text = pa.array(np.round(c["value"][rows]).astype(np.int64)).cast(pa.string())
        else:
            rounded = np.round(c["value"][rows], int(decimals))
            text = pa.array(rounded).cast(pa.string())
            whole = rounded == np.round(rounded)
            if whole.any():
                text = pc.if_else(pa.array(whole), pc.binary_join_element_wise(text, ".0", ""), text)
        pool.append(text.cast(pa.string()))
        index[rows] = offset + np.arange(len(rows))
        offset += len(rows)
    return pa.concat_arrays(pool).take(pa.array(index))


def _attributes(c: dict[str, np.ndarray]) -> pa.Array:
    """JSON of the state's varying attribute, e.g. ``{"brightness": 180}``; null when none."""
    rows = np.flatnonzero((c["attribute"] > 0) & ~np.isnan(c["level"]))
    value = np.round(c["level"][rows], 1)
    integral = value == np.round(value)
    number = pc.if_else(pa.array(integral), pa.array(np.round(value).astype(np.int64)).cast(pa.string()),
                        pa.array(value).cast(pa.string()))
    names = pa.array([a or "" for a in ATTRIBUTES], type=pa.string()).take(pa.array(c["attribute"][rows]))
    text = pc.binary_join_element_wise('{"', names, '": ', number, "}", "")
    index = np.full(len(c["ent"]), -1, dtype=np.int64)
    index[rows] = np.arange(len(rows))
    return _take(text.cast(pa.string()), index, index >= 0)
