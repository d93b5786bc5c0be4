"""What the planted rules do to their targets, given the trigger's state writes already generated.

Each rule kind becomes intervals of its target (or cuts of them) whose start or end carries the row of
the trigger's write as its cause, as Home Assistant records an automation's change with the trigger's
context as parent. Firing, lag jitter and lengths are drawn per (rule, trigger write) from the day's
stream addressed by (home_index, rule ordinal, the trigger period's start second or report rank), so a
home's day depends on nothing else. Pure numpy: no Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from synth_assets.smart_home.events import models as em
from synth_assets.smart_home.events.actuators import SLOTS_PER_ENTITY, occupant_at
from synth_assets.smart_home.events.frame import ENTITY_SLOTS
from synth_assets.smart_home.events.occupancy import MINUTES, Occupancy, draws
from synth_assets.smart_home.events.sampling import Intervals, normal_quantile, repeat_rows

SECOND_SLOTS = 1 << 17   # > seconds in a 25-hour day: draws addressed by (rule, second of the trigger's start)


@dataclass(frozen=True)
class Rules:
    """The partition's rules resolved to entity rows (trigger -1 for the cheap-power rules)."""

    kind: np.ndarray
    trigger: np.ndarray
    target: np.ndarray
    lag: np.ndarray
    gate: np.ndarray        # entity row of the illuminance sensor gating the rule, or -1
    threshold: np.ndarray   # temperature_climate: heat below this (°C), else NaN
    counter: np.ndarray     # (home_index, rule ordinal) for draws

    def of(self, kind: str) -> np.ndarray:
        return np.flatnonzero(self.kind == kind)


@dataclass
class Written:
    """Finalised on/off entities: their merged intervals and the rows of their writes (-1: none that day)."""

    ent: np.ndarray
    start: np.ndarray
    end: np.ndarray
    start_row: np.ndarray
    end_row: np.ndarray

    def extend(self, iv: Intervals, start_rows: np.ndarray, end_rows: np.ndarray) -> None:
        self.ent = np.concatenate([self.ent, iv.ent])
        self.start = np.concatenate([self.start, iv.start])
        self.end = np.concatenate([self.end, iv.end])
        self.start_row = np.concatenate([self.start_row, start_rows])
        self.end_row = np.concatenate([self.end_row, end_rows])

    @staticmethod
    def empty() -> Written:
        z = np.zeros(0, dtype=np.int64)
        return Written(z, z.astype(float), z.astype(float), z, z)


def _pairs(rules: Rules, which: np.ndarray, ent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rule, item, rank) for every item of ``ent`` whose entity is the trigger of a rule in ``which``."""
    order = np.argsort(ent, kind="stable")
    sorted_ent = ent[order]
    lo = np.searchsorted(sorted_ent, rules.trigger[which], side="left")
    hi = np.searchsorted(sorted_ent, rules.trigger[which], side="right")
    parent, rank = repeat_rows(hi - lo)
    return which[parent], order[lo[parent] + rank], rank


def _draw(rules: Rules, rule: np.ndarray, slot: np.ndarray, seed: int, day: date, kind: str,
          slots: int = SLOTS_PER_ENTITY) -> np.ndarray:
    u = draws(seed, day, f"rule/{kind}", rules.counter[rule] * slots + slot, 4)
    u[:, 1] = rules.lag[rule] * np.exp(em.LAG_JITTER_SD * normal_quantile(u[:, 1]))   # this firing's lag
    return u


def _span(u: np.ndarray, bounds: tuple[float, float], scale: float = 1.0) -> np.ndarray:
    return scale * (bounds[0] + (bounds[1] - bounds[0]) * u)


def _by_start(rules: Rules, rule: np.ndarray, done: Written, item: np.ndarray, seed: int, day: date,
              kind: str) -> np.ndarray:
    """Draws for (rule, trigger period) addressed by the period's start second, not its rank, so a period
    carried over midnight (carry.py) changes no other period's draws. Merged periods of an entity start
    more than a second apart, so the second is unique."""
    return _draw(rules, rule, np.floor(done.start[item]).astype(np.int64), seed, day, kind, SECOND_SLOTS)


def started(rules: Rules, which: np.ndarray, done: Written, seed: int, day: date, lux) -> Intervals:
    """motion_light, door_alarm and chain links: the target turns on after the trigger turns on."""
    parts = []
    for kind in ("motion_light", "door_alarm", "chain"):
        mine = which[rules.kind[which] == kind]
        rule, item, _ = _pairs(rules, mine, done.ent)
        u = _by_start(rules, rule, done, item, seed, day, kind)
        s, e, srow, erow = done.start[item], done.end[item], done.start_row[item], done.end_row[item]
        fire = (u[:, 0] < em.RULE_KIND_SPECS[kind].fire_probability) & (srow >= 0)
        gate = rules.gate[rule]
        if kind == "motion_light":
            fire &= (gate < 0) | (lux(np.maximum(gate, 0), s) < em.ILLUMINANCE_GATE_LUX)
            end = e + _span(u[:, 2], em.MOTION_LIGHT_TIMEOUT_S)
            end_parent = erow
        elif kind == "door_alarm":
            end, end_parent = s + u[:, 1] + _span(u[:, 2], em.CHIME_SECONDS), np.full(len(s), -1)
        else:
            end, end_parent = s + u[:, 1] + _span(u[:, 2], em.CHAIN_TARGET_MINUTES, 60.0), np.full(len(s), -1)
        start = s + u[:, 1]
        level = np.round(60 + 195 * u[:, 3])
        parts.append(Intervals.make(rules.target[rule], start, end, start_parent=srow, end_parent=end_parent,
                                    level=level).take(np.flatnonzero(fire)))
    return Intervals.concat(parts)


def locked_after_closing(rules: Rules, which: np.ndarray, done: Written, occ: Occupancy, home_of: np.ndarray,
                         seed: int, day: date) -> Intervals:
    """door_lock: someone unlocks before the door opens; the rule locks it after the door closes."""
    mine = which[rules.kind[which] == "door_lock"]
    rule, item, _ = _pairs(rules, mine, done.ent)
    u = _by_start(rules, rule, done, item, seed, day, "door_lock")
    s, e, erow = done.start[item], done.end[item], done.end_row[item]
    target = rules.target[rule]
    fire = (u[:, 0] < em.RULE_KIND_SPECS["door_lock"].fire_probability) & (erow >= 0)
    opened = s - 3 - 15 * u[:, 2]
    user = occupant_at(occ, home_of[target], np.maximum(s, 0), u[:, 3])
    lock_end = np.where(fire, e + u[:, 1], e + 600 + 3000 * u[:, 2])   # not fired: locked by hand later
    by_hand = occupant_at(occ, home_of[target], np.where(np.isfinite(lock_end), lock_end, 0.0), u[:, 0])
    return Intervals.make(target, opened, lock_end, start_user=user,
                          end_parent=np.where(fire, erow, -1), end_user=np.where(fire, -1, by_hand))


def heating(rules: Rules, which: np.ndarray, reports: dict[str, np.ndarray], seed: int, day: date) -> Intervals:
    """temperature_climate: heat from the report that falls below the threshold until one rises above it
    plus the hysteresis; both changes follow the report by the rule's lag."""
    mine = which[rules.kind[which] == "temperature_climate"]
    rule, item, rank = _pairs(rules, mine, reports["ent"])
    if not len(rule):
        return Intervals.concat([])
    order = np.lexsort((reports["t"][item], rule))
    rule, item, rank = rule[order], item[order], rank[order]
    value, t, row = reports["value"][item], reports["t"][item], reports["row"][item]
    threshold = rules.threshold[rule]
    state = np.where(value < threshold, 1.0, np.where(value >= threshold + em.HEATING_HYSTERESIS_C, 0.0, np.nan))
    first = np.r_[True, rule[1:] != rule[:-1]]
    state[first & np.isnan(state)] = 0.0
    filled = np.where(np.isnan(state), 0, np.arange(len(state)))
    state = state[np.maximum.accumulate(filled)]
    prev = np.where(first, 0.0, np.r_[0.0, state[:-1]])
    last = np.r_[rule[1:] != rule[:-1], True]
    starts = np.flatnonzero((state == 1) & (prev == 0))
    ends = np.flatnonzero((state == 0) & (prev == 1))
    # runs still on at a rule's last report run past midnight: pair them with "no end"
    open_runs = np.flatnonzero((state == 1) & last)
    end_index = np.sort(np.concatenate([ends, open_runs]))
    u = _draw(rules, rule, rank, seed, day, "temperature_climate")
    is_open = np.isin(end_index, open_runs) & ~np.isin(end_index, ends)
    start_t = t[starts] + u[starts, 1]
    end_t = np.where(is_open, np.inf, t[end_index] + u[end_index, 1])
    return Intervals.make(rules.target[rule[starts]], start_t, end_t, start_parent=row[starts],
                          end_parent=np.where(is_open, -1, row[end_index]),
                          level=threshold[starts] + 1.0)


def heating_off(rules: Rules, ent: np.ndarray, reports: dict[str, np.ndarray], seed: int,
                day: date) -> tuple[np.ndarray, np.ndarray]:
    """Heating of climate entities ``ent`` already on at midnight: off at the first report at or above its
    rule's threshold plus the hysteresis, after the lag :func:`heating` draws for that report. Returns (time,
    cause row), inf and -1 where no report gets there."""
    end, parent = np.full(len(ent), np.inf), np.full(len(ent), -1, dtype=np.int64)
    mine = rules.of("temperature_climate")
    rule, item, rank = _pairs(rules, mine[np.isin(rules.target[mine], ent)], reports["ent"])
    if not len(rule):
        return end, parent
    lag = _draw(rules, rule, rank, seed, day, "temperature_climate")[:, 1]
    warm = np.flatnonzero(reports["value"][item] >= rules.threshold[rule] + em.HEATING_HYSTERESIS_C)
    target, t = rules.target[rule[warm]], reports["t"][item[warm]]
    order = np.lexsort((t, target))
    first = order[np.r_[True, target[order][1:] != target[order][:-1]]] if len(order) else order
    at = np.searchsorted(target[first], ent)
    found = at < len(first)
    found[found] = target[first][at[found]] == ent[found]
    pick = warm[first[at[found]]]
    end[found] = reports["t"][item[pick]] + lag[pick]
    parent[found] = reports["row"][item[pick]]
    return end, parent


def cheap_runs(rules: Rules, which: np.ndarray, price_by_minute: np.ndarray, day_minutes: np.ndarray,
               home_of: np.ndarray, seed: int, day: date) -> Intervals:
    """cheap_power_appliance: the plug starts at the beginning of its home's cheapest hour, plus the lag."""
    mine = which[rules.kind[which] == "cheap_power_appliance"]
    if not len(mine):
        return Intervals.concat([])
    u = _draw(rules, mine, np.zeros(len(mine), dtype=np.int64), seed, day, "cheap_power_appliance")
    home = home_of[rules.target[mine]]
    prices = np.where(np.arange(MINUTES)[None, :] < day_minutes[:, None], price_by_minute, np.inf)[home]
    cheapest = np.argmin(prices, axis=1) * 60.0
    start = cheapest + u[:, 1]
    fire = u[:, 0] < em.RULE_KIND_SPECS["cheap_power_appliance"].fire_probability
    iv = Intervals.make(rules.target[mine], start, start + _span(u[:, 2], em.APPLIANCE_RUN_HOURS, 3600.0))
    return iv.take(np.flatnonzero(fire))


def away_cuts(rules: Rules, which: np.ndarray, done: Written, occ: Occupancy, home_of: np.ndarray, seed: int,
              day: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """away_all_off: when the first occupant leaves an empty home, the target turns off after the lag.
    Returns (target entity, time, cause row) of each cut."""
    mine = which[rules.kind[which] == "away_all_off"]
    rule, item, _ = _pairs(rules, mine, done.ent)
    u = _by_start(rules, rule, done, item, seed, day, "away_all_off")
    left, erow = done.end[item], done.end_row[item]
    home = home_of[rules.target[rule]]
    after = np.clip((np.nan_to_num(left, posinf=0) // 60).astype(np.int64) + 1, 0, MINUTES - 1)
    empty = ~occ.anyone_home[home, after]
    fire = (erow >= 0) & empty & (u[:, 0] < em.RULE_KIND_SPECS["away_all_off"].fire_probability)
    keep = np.flatnonzero(fire)
    return rules.target[rule][keep], (left + u[:, 1])[keep], erow[keep]


def rule_counter(home_index: np.ndarray, ordinal: np.ndarray) -> np.ndarray:
    return home_index.astype(np.int64) * ENTITY_SLOTS + ordinal
