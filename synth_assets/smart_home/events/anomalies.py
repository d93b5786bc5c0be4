"""Anomalies planted in ``smart_home.events`` at a known rate: the plan (which home-days, which entity, which
kind, when) and how it enters the day's events. Pure: no Dagster.

Per home-local day one stream ``(seed, "smart_home", "events", day, "anomaly")`` addressed by the home's
index decides whether the home-day gets an anomaly (probability ``SmartHomeConfig.anomaly_rate``), of which
kind among those the home has a candidate for (uniform), on which candidate (uniform) and when. So the plan
is a pure function of (seed, day, the home, its entities and rules): the ``planted_anomalies`` asset and
the event generator compute the same rows, and adding homes changes no existing home's plan.

Kinds (patterns.models.ANOMALY_KINDS; shapes in events/models.py, estimates):

- ``unusual_time``: a light, plug, TV, speaker or fan switched on between 02:00 and 04:00 for 20-90 min;
- ``unusual_duration``: one switched on after midnight and left on through the night, 6-9 hours;
- ``unusual_value``: an indoor temperature or humidity sensor or a whole-home power meter reading far off
  (inside the device class's range) for 5-20 min;
- ``unusual_volume``: a motion, door, window or presence sensor chattering 150-250 times in an hour.

Candidates are entities no planted rule reacts to or starts (not a trigger, not a target except of an away
rule), so an anomaly is caused by no rule and causes none: it is written with an occupant's user id (by
hand or from the app) or, for sensors, with no context at all. On/off anomalies are periods merged with
the entity's own (so states alternate); a value spell replaces the sensor's own writes inside it and ends
with a write of its own value. Every spell ends inside its local day.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pyarrow as pa

from synth_assets.smart_home.events import models as em
from synth_assets.smart_home.events.actuators import SLOTS_PER_ENTITY, occupant_at
from synth_assets.smart_home.events.frame import Entities
from synth_assets.smart_home.events.log import FIELDS, EventLog
from synth_assets.smart_home.events.occupancy import Occupancy, draws, local_days
from synth_assets.smart_home.events.rules import entity_kinds
from synth_assets.smart_home.events.sampling import Intervals, repeat_rows
from synth_assets.smart_home.models import OUTDOOR_KINDS, PLANTED_ANOMALIES_SCHEMA

KINDS = ("unusual_time", "unusual_duration", "unusual_value", "unusual_volume")   # = patterns.models.ANOMALY_KINDS
PURPOSE = "anomaly"
_WORDS = 8


def candidates(frame: pl.DataFrame, rules: pl.DataFrame) -> pl.DataFrame:
    """(home_id, kind_code, entity_id, entity_kind) of every entity an anomaly may be planted on, sorted.

    ``frame``: entities with ``kind``, ``area_kind`` and ``device_type`` (the generator's Entities.frame, or
    :func:`candidate_frame`); ``rules``: the planted rules (correlations)."""
    busy = pl.concat([rules.select("home_id", entity_id="trigger_entity_id"),
                      rules.filter(pl.col("kind") != "away_all_off").select("home_id", entity_id="target_entity_id")]
                     ).drop_nulls().unique()
    free = frame.select("home_id", "entity_id", "kind", "area_kind", "device_type").join(
        busy, on=["home_id", "entity_id"], how="anti")
    indoor = ~pl.col("area_kind").fill_null("").is_in(list(OUTDOOR_KINDS))
    value = (pl.col("kind").is_in(["sensor.temperature", "sensor.humidity"]) & indoor) | (
        (pl.col("kind") == "sensor.power") & (pl.col("device_type") == "energy_meter"))
    actuator = pl.col("kind").is_in(list(em.ANOMALY_ACTUATORS))
    parts = [free.filter(actuator).with_columns(kind_code=pl.lit(0)),
             free.filter(actuator).with_columns(kind_code=pl.lit(1)),
             free.filter(value).with_columns(kind_code=pl.lit(2)),
             free.filter(pl.col("kind").is_in(list(em.ANOMALY_CHATTER))).with_columns(kind_code=pl.lit(3))]
    return (pl.concat(parts).select("home_id", pl.col("kind_code").cast(pl.Int8), "entity_id",
                                    entity_kind="kind")
            .sort("home_id", "kind_code", "entity_id"))


def candidate_frame(entities: pl.DataFrame, areas: pl.DataFrame, devices: pl.DataFrame) -> pl.DataFrame:
    """The tables as :func:`candidates` reads them (what the generator's Entities.frame holds)."""
    return entity_kinds(entities, areas).join(devices.select("device_id", "device_type"), on="device_id", how="left")


def plan(seed: int, day: date, homes: pl.DataFrame, candidate_rows: pl.DataFrame, rate: float) -> pl.DataFrame:
    """The day's planted anomalies of ``homes`` (home_id, home_index, timezone): one row per home-day that
    gets one, with its entity, kind, spell (seconds after local midnight and UTC) and parameters."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"anomaly rate must be within 0..1, got {rate}")
    homes = homes.select("home_id", "home_index", "timezone").sort("home_index")
    u = draws(seed, day, PURPOSE, homes["home_index"].to_numpy().astype(np.int64), _WORDS)
    local = local_days(homes["timezone"].to_list(), day)
    chosen = homes.with_columns(pl.Series("u", u), pl.Series("start_us", local.start_us)).filter(
        pl.Series(u[:, 0] < rate))
    rows = candidate_rows.join(chosen.select("home_id"), on="home_id", how="semi")
    kinds = (rows.select("home_id", "kind_code").unique().sort("home_id", "kind_code")
             .with_columns(rank=pl.int_range(pl.len()).over("home_id"), n=pl.len().over("home_id")))
    picked = (kinds.join(chosen, on="home_id")
              .filter(pl.col("rank") == (pl.col("u").arr.get(1) * pl.col("n")).floor().cast(pl.Int64))
              .select("home_id", "kind_code", "home_index", "u", "start_us"))
    ents = (rows.join(picked, on=["home_id", "kind_code"])
            .with_columns(rank=pl.int_range(pl.len()).over("home_id"), n=pl.len().over("home_id"))
            .filter(pl.col("rank") == (pl.col("u").arr.get(2) * pl.col("n")).floor().cast(pl.Int64))
            .sort("home_index"))
    return _spells(ents, day)


def _between(low_high: tuple[float, float], u: np.ndarray) -> np.ndarray:
    return low_high[0] + (low_high[1] - low_high[0]) * u


def _spells(ents: pl.DataFrame, day: date) -> pl.DataFrame:
    """When each picked anomaly happens and its parameters, from the home's words 3..7."""
    u = ents["u"].to_numpy().reshape(-1, _WORDS) if ents.height else np.zeros((0, _WORDS))
    code = ents["kind_code"].to_numpy()
    kind = ents["entity_kind"].to_numpy().astype(object)
    start = np.select([code == 0, code == 1, code == 2],
                      [_between(em.ANOMALY_TIME_START_S, u[:, 3]), _between(em.ANOMALY_DURATION_START_S, u[:, 3]),
                       _between(em.ANOMALY_VALUE_START_S, u[:, 3])], _between(em.ANOMALY_VOLUME_START_S, u[:, 3]))
    minutes = np.select([code == 0, code == 1, code == 2],
                        [_between(em.ANOMALY_TIME_MINUTES, u[:, 4]), 60 * _between(em.ANOMALY_DURATION_HOURS, u[:, 4]),
                         _between(em.ANOMALY_VALUE_MINUTES, u[:, 4])], em.ANOMALY_VOLUME_MINUTES)
    start, end = np.round(start, 3), np.round(start + 60.0 * minutes, 3)   # whole milliseconds
    low = np.array([em.ANOMALY_VALUES.get(k, (np.nan, np.nan))[0] for k in kind])
    high = np.array([em.ANOMALY_VALUES.get(k, (np.nan, np.nan))[1] for k in kind])
    decimals = np.array([em.REPORTING.get(k, em.Reporting(0, 0)).decimals for k in kind], dtype=np.int64)
    value = np.round((low + (high - low) * u[:, 5]) * 10.0 ** decimals) / 10.0 ** decimals
    pulses = np.floor(_between(em.ANOMALY_VOLUME_PULSES, u[:, 6]) + 0.5).astype(np.int64)
    start_us = ents["start_us"].to_numpy().astype(np.int64)
    return pl.DataFrame({
        "day": pl.Series([day] * ents.height, dtype=pl.Date), "home_id": ents["home_id"],
        "entity_id": ents["entity_id"], "kind": pl.Series([KINDS[c] for c in code], dtype=pl.String),
        "start": pl.Series(start_us + np.round(start * 1e6).astype(np.int64)).cast(pl.Datetime("us", "UTC")),
        "end": pl.Series(start_us + np.round(end * 1e6).astype(np.int64)).cast(pl.Datetime("us", "UTC")),
        "value": pl.Series(np.where(code == 2, value, np.nan)).fill_nan(None),
        "pulses": pl.Series(np.where(code == 3, pulses, 0), dtype=pl.Int32),
        "start_s": start, "end_s": end, "kind_code": code.astype(np.int8),
    }).with_columns(pulses=pl.when(pl.col("kind_code") == 3).then("pulses"))


def planted_table(spells: pl.DataFrame) -> pa.Table:
    """The plan as written to ``planted_anomalies`` (PLANTED_ANOMALIES_SCHEMA)."""
    return spells.select(PLANTED_ANOMALIES_SCHEMA.names).to_arrow().cast(PLANTED_ANOMALIES_SCHEMA)


# --- into the events -----------------------------------------------------------------------------------


def entity_rows(spells: pl.DataFrame, ents: Entities) -> np.ndarray:
    """The generator's entity row of each planned spell."""
    key = ents.frame.select("home_id", "entity_id").with_row_index("row")
    return spells.join(key, on=["home_id", "entity_id"], how="left", maintain_order="left")["row"].to_numpy()


def on_off_periods(spells: pl.DataFrame, ents: Entities, occ: Occupancy, seed: int, day: date,
                   home_index: np.ndarray) -> Intervals:
    """The on/off anomalies as periods over entity rows: an actuator's spell switched on and off by an
    occupant (one at home, else the household's first, from the app), or a sensor's chatter of pulses."""
    row = entity_rows(spells, ents)
    code = spells["kind_code"].to_numpy()
    start, end = spells["start_s"].to_numpy(), spells["end_s"].to_numpy()
    counter = ents.counter(home_index)
    on = code <= 1
    ent, s, e = row[on], start[on], end[on]
    u = draws(seed, day, f"{PURPOSE}/user", counter[ent], 2)
    home = ents.home[ent]
    user = np.maximum(occupant_at(occ, home, s, u[:, 0]), 0)
    end_user = np.maximum(occupant_at(occ, home, e, u[:, 1]), 0)
    by_hand = Intervals.make(ent, s, e, start_user=user, end_user=end_user, level=np.full(len(ent), 255.0))
    chatter = code == 3
    ent, s, e = row[chatter], start[chatter], end[chatter]
    parent, rank = repeat_rows(spells["pulses"].fill_null(0).to_numpy()[chatter].astype(np.int64))
    slot = (e - s)[parent] / np.maximum(spells["pulses"].fill_null(1).to_numpy()[chatter][parent], 1)
    v = draws(seed, day, f"{PURPOSE}/pulse", counter[ent][parent] * SLOTS_PER_ENTITY + rank, 2)
    pulse_start = s[parent] + slot * (rank + 0.2 * v[:, 0])
    pulses = Intervals.make(ent[parent], pulse_start, pulse_start + slot * (0.3 + 0.2 * v[:, 1]))
    return Intervals.concat([by_hand, pulses])


def with_readings(log: EventLog, spells: pl.DataFrame, ents: Entities) -> EventLog:
    """``log`` with each value spell planted: the sensor's own writes inside it dropped, its reading at the
    start and its own value (the last it sampled) written back at the end. Causes are renumbered."""
    spells = spells.filter(pl.col("kind_code") == 2)
    if not spells.height:
        return log
    sensor = entity_rows(spells, ents)
    start, end, value = spells["start_s"].to_numpy(), spells["end_s"].to_numpy(), spells["value"].to_numpy()
    c = log.columns()
    spell_of = np.full(len(ents.kind), -1, dtype=np.int64)
    spell_of[sensor] = np.arange(len(sensor))
    s = spell_of[c["ent"]]
    own = s >= 0
    inside = own & (c["t"] >= start[np.maximum(s, 0)]) & (c["t"] <= end[np.maximum(s, 0)])
    # the value to write back: the sensor's last own sample at or before the spell's end
    before_end = np.flatnonzero(own & (c["t"] <= end[np.maximum(s, 0)]))
    last = np.full(len(sensor), -1, dtype=np.int64)
    order = before_end[np.lexsort((c["t"][before_end], s[before_end]))]
    last[s[order]] = order                      # the latest row of each spell wins
    back = np.where(last >= 0, c["value"][np.maximum(last, 0)], np.nan)
    decimals = np.array([em.REPORTING[k].decimals for k in ents.kind[sensor]], dtype=np.int8)
    keep = ~inside
    renumber = np.cumsum(keep) - 1
    out = EventLog()
    parent = c["parent"][keep]
    out.add(c["ent"][keep], c["t"][keep], **{f: c[f][keep] for f in FIELDS if f not in ("ent", "t", "parent")},
            parent=np.where(parent >= 0, renumber[np.maximum(parent, 0)], -1))
    ok = ~np.isnan(back)
    out.add(sensor, start, value=value, decimals=decimals)
    out.add(sensor[ok], end[ok], value=back[ok], decimals=decimals[ok])
    return out
