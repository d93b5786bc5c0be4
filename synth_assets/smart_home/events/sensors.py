"""Numeric sensors: each samples its signal on the device's cadence and writes when the value, rounded to
the class's precision, changes (Home Assistant writes a state row only on change). Signals: indoor
temperature follows the outdoor temperature and who is up, humidity the outdoor humidity, light level the
sun and rain, CO2 the people at home, pressure a daily level; batteries drain (devices report once a day,
phones charge overnight); power follows occupancy (whole-home meters) or the plug's switch; energy
counters never decrease and continue from one day to the next by a closed form (:func:`energy_start`).
Pure numpy: no Dagster.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from synth_assets.core.rng import index_words, to_uniform
from synth_assets.smart_home.events import models as em
from synth_assets.smart_home.events.actuators import SLOTS_PER_ENTITY
from synth_assets.smart_home.events.frame import Entities, HourlyContext
from synth_assets.smart_home.events.log import EventLog
from synth_assets.smart_home.events.occupancy import MINUTES, Occupancy, draws, small_draws
from synth_assets.smart_home.events.sampling import normal_quantile, repeat_rows
from synth_assets.smart_home.models import OUTDOOR_KINDS

ENTITY_STREAM = ("smart_home", "events", "entity")   # per-entity constants that hold every day
SUNLIGHT_LUX = 60_000.0     # clear-sky horizontal illuminance scale (estimate; direct sun ~100,000 lx)
RAIN_LIGHT = 0.3
EPOCH = np.datetime64(em.ENERGY_EPOCH, "D")


def entity_constants(seed: int, counter: np.ndarray, n: int = 8) -> np.ndarray:
    """Uniforms fixed per entity across days (room offsets, loads, daily energy, battery life)."""
    return to_uniform(index_words(seed, ENTITY_STREAM, counter, n))


def _grid(ents: Entities, rows: np.ndarray, cadence: float, day_length: np.ndarray, phase: np.ndarray):
    n = np.ceil((day_length[ents.home[rows]] - 1.0 - phase) / cadence).astype(np.int64)
    parent, rank = repeat_rows(np.maximum(n, 0))
    return parent, phase[parent] + rank * cadence


def write_on_change(log: EventLog, ent: np.ndarray, t: np.ndarray, value: np.ndarray, decimals: int,
                    floor: bool = False, ordered: bool = True) -> dict[str, np.ndarray]:
    """Round (or floor, for counters) and write the samples whose value differs from the entity's previous
    sample; returns the written reports (ent, t, value, row). ``ordered``: samples come in (ent, t) order."""
    scale = 10.0 ** decimals
    rounded = (np.floor(value * scale) if floor else np.round(value * scale)) / scale
    if not ordered:
        order = np.lexsort((t, ent))
        ent, t, rounded = ent[order], t[order], rounded[order]
    keep = np.r_[True, (ent[1:] != ent[:-1]) | (rounded[1:] != rounded[:-1])][:len(ent)]
    ent, t, rounded = ent[keep], t[keep], rounded[keep]
    rows = log.add(ent, t, value=rounded, decimals=decimals)
    return {"ent": ent, "t": t, "value": rounded, "row": rows}


def centered(u: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-variance noise from uniforms (uniform, not normal: cheap, and it is only jitter)."""
    return (u - 0.5) * np.sqrt(12.0)


def _wave(sig: Signals, ent: np.ndarray, t: np.ndarray, amplitude: float) -> np.ndarray:
    """A slow wiggle of each entity's own period (20-90 min) and phase: the signal between reports."""
    return amplitude * np.sin(sig.wave_rate[ent] * t + sig.wave_phase[ent])


class Signals:
    """The noise-free signals, shared by the sensors and the rules' gates."""

    def __init__(self, ents: Entities, ctx: HourlyContext, occ: Occupancy, seed: int, home_index: np.ndarray):
        self.ents, self.ctx, self.occ = ents, ctx, occ
        self.const = entity_constants(seed, ents.counter(home_index))
        self.outdoor = np.isin(ents.frame["area_kind"].fill_null("").to_numpy(), list(OUTDOOR_KINDS))
        self.active = occ.active
        self.room_offset = 0.6 * normal_quantile(self.const[:, 2])   # °C, a room's own warmth
        self.wave_rate = 2 * np.pi / (1200.0 + 4200.0 * self.const[:, 0])   # radians per second
        self.wave_phase = 2 * np.pi * self.const[:, 1]
        # per home and minute, computed once: the outdoor temperature, the indoor level and the daylight
        rows = np.arange(ctx.hour_of_minute.shape[0])[:, None]
        outside = ctx.temperature[rows, ctx.hour_of_minute]
        self.outside_by_minute = outside
        self.indoor_by_minute = 20.3 + 0.18 * np.clip(outside - 12, -15, 15) + 0.7 * (occ.active > 0)
        elevation = ctx.sun_elevation[rows, ctx.hour_of_minute]
        rain = ctx.raining[rows, ctx.hour_of_minute] > 0.5
        self.sky_by_minute = (SUNLIGHT_LUX * np.maximum(0.0, np.sin(np.radians(elevation)))
                              * np.where(rain, RAIN_LIGHT, 1.0))

    @staticmethod
    def minute(t: np.ndarray) -> np.ndarray:
        return np.clip((t // 60).astype(np.int64), 0, MINUTES - 1)

    def active_at(self, home: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.active[home, self.minute(t)]

    def temperature(self, ent: np.ndarray, t: np.ndarray) -> np.ndarray:
        home, minute = self.ents.home[ent], self.minute(t)
        outdoor = self.outdoor[ent]
        level = np.where(outdoor, self.outside_by_minute[home, minute],
                         self.indoor_by_minute[home, minute] + self.room_offset[ent])
        return level + _wave(self, ent, t, 0.25)

    def lux(self, ent: np.ndarray, t: np.ndarray) -> np.ndarray:
        sky = self.sky_by_minute[self.ents.home[ent], self.minute(t)]
        return sky * np.where(self.outdoor[ent], 1.0, 0.004 + 0.03 * self.const[ent, 3])


NUMERIC_SENSOR_KINDS = ("sensor.temperature", "sensor.humidity", "sensor.illuminance", "sensor.carbon_dioxide",
                        "sensor.pressure")


def numeric_sensors(log: EventLog, ents: Entities, sig: Signals, occ: Occupancy, seed: int, day: date,
                    home_index: np.ndarray, day_length: np.ndarray, kinds: tuple[str, ...] = NUMERIC_SENSOR_KINDS,
                    batteries: bool = True, only: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every numeric sensor of ``kinds`` (of the entity rows ``only``, when given) that depends on no
    actuator, and the batteries; returns the temperature reports (rule triggers). Each sensor draws from its
    own streams, so a subset writes the same values."""
    counter = ents.counter(home_index)
    out = {}
    for kind in kinds:
        rows = ents.rows_of(kind)
        rows = rows if only is None else rows[np.isin(rows, only)]
        report = em.REPORTING[kind]
        phase = sig.const[rows, 4] * report.cadence_s
        parent, t = _grid(ents, rows, report.cadence_s, day_length, phase)
        ent = rows[parent]
        home = ents.home[ent]
        noise = centered(small_draws(seed, day, f"{kind}/noise", counter[ent] * SLOTS_PER_ENTITY
                                     + (t // report.cadence_s).astype(np.int64)))
        if kind == "sensor.temperature":
            value = sig.temperature(ent, t) + 0.03 * noise
        elif kind == "sensor.humidity":
            outside = sig.ctx.at("humidity", home, t)
            value = np.where(sig.outdoor[ent], outside, 45 + 0.3 * (outside - 60) + 6 * (sig.const[ent, 2] - 0.5))
            value = np.clip(value + _wave(sig, ent, t, 1.0) + 0.03 * noise, 0, 100)
        elif kind == "sensor.illuminance":
            value = np.clip(sig.lux(ent, t) * (1 + 0.03 * noise), 0, 100_000)
        elif kind == "sensor.carbon_dioxide":
            people = sig.active_at(home, t) + 0.5 * occ.home.sum(axis=1)[home, np.clip((t // 60).astype(int), 0,
                                                                                         MINUTES - 1)]
            value = np.clip(430 + 140 * people + _wave(sig, ent, t, 25) + 6 * noise, 350, 5_000)
        else:
            day_level = normal_quantile(draws(seed, day, "pressure/day", home_index[home], 1)[:, 0])
            value = 1013 + 7 * day_level + 1.5 * np.sin(4 * np.pi * t / 86_400) + 0.05 * noise
        reports = write_on_change(log, ent, t, value, report.decimals)
        if kind == "sensor.temperature":
            out = reports
    if batteries:
        _batteries(log, ents, sig, occ, day, day_length)
    return out


def _batteries(log: EventLog, ents: Entities, sig: Signals, occ: Occupancy, day: date,
               day_length: np.ndarray) -> None:
    rows = ents.rows_of("sensor.battery")
    phone = ents.person[rows] >= 0
    devices = rows[~phone]
    life = 200 + 500 * sig.const[devices, 5]
    days = (np.datetime64(day, "D") - EPOCH).astype(np.int64)
    level = 100 - 95 * (((days + life * sig.const[devices, 6]) % life) / life)
    t = sig.const[devices, 7] * (day_length[ents.home[devices]] - 2)
    log.add(devices, t, value=np.floor(level), decimals=0)
    phones = rows[phone]
    report = em.REPORTING["phone.battery"]
    parent, t = _grid(ents, phones, report.cadence_s, day_length, sig.const[phones, 4] * report.cadence_s)
    ent = phones[parent]
    awake = occ.awake[ents.home[phones], ents.person[phones]].astype(np.int32)   # (phones, minutes)
    count = np.cumsum(awake, axis=1)
    since = count - np.maximum.accumulate(np.where(awake == 0, count, 0), axis=1)
    minute = np.clip((t // 60).astype(np.int64), 0, MINUTES - 1)
    drain = 5.5 + 2 * sig.const[ent, 5]
    value = np.clip(100 - drain * since[parent, minute] / 60.0, 8, 100)
    write_on_change(log, ent, t, value, 0)


def daily_kwh(const: np.ndarray, is_meter: np.ndarray) -> np.ndarray:
    low = np.where(is_meter, em.ENERGY_METER_KWH_PER_DAY[0], em.PLUG_KWH_PER_DAY[0])
    high = np.where(is_meter, em.ENERGY_METER_KWH_PER_DAY[1], em.PLUG_KWH_PER_DAY[1])
    return low * (high / low) ** const[:, 0]


def energy_start(seed: int, counter: np.ndarray, kwh: np.ndarray, day: date) -> np.ndarray:
    """A counter's reading at the start of ``day``: the expected use since the epoch plus a keyed wobble.
    The next day's start minus this one is the day's use (positive: the wobble is under a day's use)."""
    days = (np.datetime64(day, "D") - EPOCH).astype(np.int64)
    u = to_uniform(index_words(seed, (*ENTITY_STREAM, "energy_day"), counter * np.int64(1 << 16) + days, 1))[:, 0]
    return kwh * (days + em.ENERGY_DAY_SPREAD * u)


def power_and_energy(log: EventLog, ents: Entities, sig: Signals, switch_on, seed: int, day: date,
                     home_index: np.ndarray, day_length: np.ndarray) -> None:
    """Power of whole-home meters and plugs, then every energy counter. ``switch_on``: (ent, start, end) of the
    plugs' switch periods; a plug's sensors find their switch by device."""
    frame = ents.frame
    is_meter = (frame["device_type"] == "energy_meter").fill_null(False).to_numpy()
    counter = ents.counter(home_index)
    switch_of = _switch_of(ents)
    power = ents.rows_of("sensor.power")
    meters = power[is_meter[power]]
    cadence = em.WHOLE_HOME_POWER_CADENCE_S
    parent, t = _grid(ents, meters, cadence, day_length, sig.const[meters, 4] * cadence)
    ent = meters[parent]
    noise = centered(small_draws(seed, day, "power/noise", counter[ent] * SLOTS_PER_ENTITY
                                 + (t // cadence).astype(np.int64)))
    base = 90 + 200 * sig.const[ent, 1]
    value = base + 260 * sig.active_at(ents.home[ent], t) + _wave(sig, ent, t, 40) + 12 * noise
    write_on_change(log, ent, t, np.maximum(value, 0), 1)
    plugs = power[~is_meter[power] & (switch_of[power] >= 0)]
    on_ent, on_start, on_end = switch_on
    sensor_of_switch = np.full(len(ents.kind), -1, dtype=np.int64)
    sensor_of_switch[switch_of[plugs]] = plugs
    sensor = sensor_of_switch[on_ent]
    has = sensor >= 0
    s, e, sensor = on_start[has], np.minimum(on_end[has], day_length[ents.home[sensor[has]]] - 1), sensor[has]
    cad = em.REPORTING["sensor.power"].cadence_s
    n = np.maximum(np.ceil((e - s) / cad).astype(np.int64), 1)
    parent, rank = repeat_rows(n)
    ent, t = sensor[parent], s[parent] + 0.5 + rank * cad
    watts = em.APPLIANCE_WATTS[0] * (em.APPLIANCE_WATTS[1] / em.APPLIANCE_WATTS[0]) ** sig.const[ent, 1]
    noise = centered(small_draws(seed, day, "plug/noise", counter[ent] * SLOTS_PER_ENTITY
                                 + (t // cad).astype(np.int64) % SLOTS_PER_ENTITY))
    off_t = e + 0.5
    inside = off_t < day_length[ents.home[sensor]] - 0.5
    write_on_change(log, np.concatenate([ent, sensor[inside]]), np.concatenate([t, off_t[inside]]),
                    np.concatenate([watts * (1 + 0.02 * noise), np.zeros(inside.sum())]), 1, ordered=False)
    _energy(log, ents, sig, switch_on, switch_of, is_meter, seed, day, home_index, day_length)


def _switch_of(ents: Entities) -> np.ndarray:
    """For every entity, the row of the switch on the same device (-1 when none), by a join on device id."""
    rows = ents.frame.select("device_id").with_row_index("row")
    switches = rows.filter(pl.Series(np.isin(ents.kind, ["switch.outlet"]))).rename({"row": "switch"})
    joined = rows.join(switches, on="device_id", how="left", maintain_order="left")
    return joined["switch"].fill_null(-1).to_numpy().astype(np.int64)


def _energy(log, ents, sig, switch_on, switch_of, is_meter, seed, day, home_index, day_length) -> None:
    rows = ents.rows_of("sensor.energy")
    counter = ents.counter(home_index)[rows]
    kwh = daily_kwh(sig.const[rows], is_meter[rows])
    start = energy_start(seed, counter, kwh, day)
    use = energy_start(seed, counter, kwh, day + np.timedelta64(1, "D").astype(object)) - start
    cadence = em.REPORTING["sensor.energy"].cadence_s
    parent, t = _grid(ents, rows, cadence, day_length, sig.const[rows, 4] * cadence)
    ent = rows[parent]
    home = ents.home[ent]
    length = day_length[home]
    # the share of the day's use by time t: people's activity (meters) or the switch's on-time (plugs)
    activity = np.cumsum(sig.active + 0.3, axis=1)
    total = activity[home, np.clip((length // 60).astype(np.int64) - 1, 0, MINUTES - 1)]
    meter_share = activity[home, np.clip((t // 60).astype(np.int64), 0, MINUTES - 1)] / total
    on_ent, on_start, on_end = switch_on
    switch = switch_of[ent]
    on_time = np.zeros(len(t))
    on_total = np.zeros(len(rows))
    position = np.searchsorted(rows, ent)
    for_switch = np.full(len(ents.kind), -1, dtype=np.int64)
    for_switch[switch_of[rows][switch_of[rows] >= 0]] = np.flatnonzero(switch_of[rows] >= 0)
    k = for_switch[on_ent]
    has = k >= 0
    np.add.at(on_total, k[has], (np.minimum(on_end, 1e9) - on_start)[has])
    order = np.argsort(on_ent[has], kind="stable")
    iv_ent, iv_s, iv_e = on_ent[has][order], on_start[has][order], on_end[has][order]
    lo, hi = np.searchsorted(iv_ent, switch, "left"), np.searchsorted(iv_ent, switch, "right")
    for j in range(int((hi - lo).max(initial=0))):   # a plug's few periods of the day, never per sample
        idx = np.minimum(lo + j, max(len(iv_ent) - 1, 0))
        valid = (lo + j < hi) & (switch >= 0)
        if len(iv_ent):
            on_time += np.where(valid, np.clip(np.minimum(t, iv_e[idx]) - iv_s[idx], 0, None), 0)
    plug_share = np.where(on_total[position] > 0, 0.1 * t / length + 0.9 * on_time / np.maximum(on_total[position],
                                                                                                 1e-9), t / length)
    share = np.clip(np.where(is_meter[ent], meter_share, plug_share), 0, 1)
    write_on_change(log, ent, t, start[position] + use[position] * share, em.REPORTING["sensor.energy"].decimals,
                    floor=True)


def energy_bounds(seed: int, ents: Entities, home_index: np.ndarray, day: date) -> dict[str, np.ndarray]:
    """Every energy counter's closed-form reading at the start of ``day`` and of the next day."""
    rows = ents.rows_of("sensor.energy")
    counter = ents.counter(home_index)[rows]
    is_meter = (ents.frame["device_type"] == "energy_meter").fill_null(False).to_numpy()[rows]
    kwh = daily_kwh(entity_constants(seed, counter), is_meter)
    decimals = em.REPORTING["sensor.energy"].decimals
    start = np.floor(energy_start(seed, counter, kwh, day) * 10**decimals) / 10**decimals
    following = energy_start(seed, counter, kwh, day + np.timedelta64(1, "D").astype(object))
    return {"rows": rows, "start": start, "next_start": following}
