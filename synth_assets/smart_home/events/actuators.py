"""Active periods of the on/off-like entities before any rule acts: people coming and going, motion
pulses, doors, windows, presence, and the sessions in which occupants use lights, plugs, TVs, speakers,
fans, blinds, the vacuum and the thermostat. Each returns :class:`~.sampling.Intervals` over entity rows;
:func:`emit` turns merged intervals into alternating state writes. Pure numpy: no Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from synth_assets.smart_home.events import models as em
from synth_assets.smart_home.events.frame import Entities, HourlyContext
from synth_assets.smart_home.events.log import ACTIVE_CODE, ATTRIBUTE, ATTRIBUTE_CODE, IDLE_CODE, EventLog
from synth_assets.smart_home.events.occupancy import MINUTES, Occupancy, draws
from synth_assets.smart_home.events.sampling import Intervals, poisson, repeat_rows, times_from_intensity

DARK_BELOW_DEG = 3.0            # sun elevation under which rooms need light (estimate)
CLOUDY_DARK_BELOW_DEG = 12.0    # ... or under this when it rains (estimate)
WARM_C = 22.0                   # fans and open windows above this outdoor temperature (estimate)
SLOTS_PER_ENTITY = 1 << 16      # draws per entity and day, for counter addressing


@dataclass(frozen=True)
class Curves:
    """(homes, MINUTES + 1) running sums of per-minute intensities, starting at 0."""

    active: np.ndarray
    active_dark: np.ndarray
    active_warm: np.ndarray
    motion: np.ndarray
    dark: np.ndarray     # (homes, MINUTES) bool

    def get(self, name: str) -> np.ndarray:
        return getattr(self, name)


def _cumulative(per_minute: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((per_minute.shape[0], 1)), np.cumsum(per_minute, axis=1)], axis=1)


def curves(occ: Occupancy, ctx: HourlyContext) -> Curves:
    rows = np.arange(ctx.hour_of_minute.shape[0])[:, None]
    elevation = ctx.sun_elevation[rows, ctx.hour_of_minute]
    raining = ctx.raining[rows, ctx.hour_of_minute] > 0.5
    dark = (elevation < DARK_BELOW_DEG) | (raining & (elevation < CLOUDY_DARK_BELOW_DEG))
    warm = ctx.temperature[rows, ctx.hour_of_minute] > WARM_C
    active = occ.active.astype(float)
    asleep_home = (occ.home & ~occ.awake).sum(axis=1)
    return Curves(active=_cumulative(active), active_dark=_cumulative(active * dark),
                  active_warm=_cumulative(active * warm),
                  motion=_cumulative(active + em.NIGHT_ACTIVITY * asleep_home), dark=dark)


def occupant_at(occ: Occupancy, home: np.ndarray, seconds: np.ndarray, u: np.ndarray) -> np.ndarray:
    """An occupant at home at each time, drawn with ``u`` (awake ones first); -1 when nobody is home.

    "At home" means this minute and the one before, so the occupant's ``person`` entity (written within
    the minute of an arrival or departure) already says ``home``."""
    minute = np.clip((seconds // 60).astype(np.int64), 0, MINUTES - 1)
    present = occ.home[home, :, minute] & occ.home[home, :, np.maximum(minute - 1, 0)]
    awake = present & occ.awake[home, :, minute]
    pool = np.where(awake.any(axis=1)[:, None], awake, present)
    count = pool.sum(axis=1)
    pick = np.floor(u * count).astype(np.int64)
    chosen = np.argmax(np.cumsum(pool, axis=1) > pick[:, None], axis=1)
    return np.where(count > 0, chosen, -1).astype(np.int8)


def sessions(ents: Entities, rows: np.ndarray, curve: np.ndarray, per_hour: np.ndarray,
             minutes: tuple[float, float], occ: Occupancy, seed: int, day: date, purpose: str,
             home_index: np.ndarray, with_user: bool = True) -> Intervals:
    """Poisson sessions per entity row over its home's intensity ``curve``; log-uniform lengths."""
    home = ents.home[rows]
    counter = ents.counter(home_index)[rows]
    mean = per_hour * curve[home, -1] / 60.0
    count = poisson(mean, draws(seed, day, f"{purpose}/count", counter, 1)[:, 0])
    parent, rank = repeat_rows(count)
    u = draws(seed, day, f"{purpose}/session", counter[parent] * SLOTS_PER_ENTITY + rank, 5)
    start = times_from_intensity(curve, home[parent], u[:, 0], 60.0)
    length = 60.0 * minutes[0] * (minutes[1] / minutes[0]) ** u[:, 1]
    level = np.round(40 + 215 * u[:, 3])
    if not with_user:
        return Intervals.make(rows[parent], start, start + length, level=level)
    user = occupant_at(occ, home[parent], start, u[:, 2])
    end = left_on_until_back(occ, home[parent], start, start + length, u[:, 1])
    end_user = occupant_at(occ, home[parent], np.where(np.isfinite(end), end, 0.0), u[:, 4])   # whoever is home
    return Intervals.make(rows[parent], start, end, start_user=user, end_user=end_user, level=level)


def left_on_until_back(occ: Occupancy, home: np.ndarray, start: np.ndarray, end: np.ndarray,
                       u: np.ndarray) -> np.ndarray:
    """Nobody switches a thing off by hand in an empty home: when everyone leaves before a session's end,
    it stays on until someone is back (then 1-10 minutes), or past midnight (an away rule may cut it)."""
    columns = np.arange(MINUTES)[None, :]
    # the grid's minutes past the day's end (25 columns for every day) are nobody's: nobody leaves then
    empty = ~occ.anyone_home & (columns < (occ.day.length_s // 60)[:, None])
    big = np.int64(MINUTES)
    next_empty = np.minimum.accumulate(np.where(empty, columns, big)[:, ::-1], axis=1)[:, ::-1]
    next_home = np.minimum.accumulate(np.where(occ.anyone_home, columns, big)[:, ::-1], axis=1)[:, ::-1]
    first = np.clip((start // 60).astype(np.int64) + 1, 0, MINUTES - 1)
    leaves = next_empty[home, first]
    left_early = leaves * 60.0 < end
    back = next_home[home, np.minimum(leaves, MINUTES - 1)]
    low, high = em.OFF_AFTER_RETURN_S
    moved = np.where(back < big, back * 60.0 + low + (high - low) * u, np.inf)
    return np.where(left_early, moved, end)


def presence(occ: Occupancy, ents: Entities, kind: str, seed: int, day: date, home_index: np.ndarray,
             lag_s: tuple[float, float]) -> tuple[Intervals, np.ndarray, np.ndarray]:
    """Home periods of each occupant's ``person`` / ``device_tracker`` entity from the occupancy grid.

    Returns the intervals and, per interval, the home and occupant (for doors and locks)."""
    n_homes, n_people, _ = occ.home.shape
    lookup = np.full((n_homes, n_people), -1, dtype=np.int64)
    rows = ents.rows_of(kind)
    rows = rows[ents.person[rows] >= 0]
    lookup[ents.home[rows], ents.person[rows]] = rows
    padded = np.zeros((n_homes, n_people, MINUTES + 2), dtype=np.int8)
    padded[:, :, 1:-1] = occ.home
    change = np.diff(padded, axis=2)
    h_on, p_on, m_on = np.nonzero(change == 1)
    h_off, p_off, m_off = np.nonzero(change == -1)
    ent = lookup[h_on, p_on]
    keep = ent >= 0
    ent, h, p, m_on, m_off = ent[keep], h_on[keep], p_on[keep], m_on[keep], m_off[keep]
    u = draws(seed, day, f"{kind}/moves", ents.counter(home_index)[ent] * 2048 + m_on, 2)
    start = np.where(m_on == 0, 0.0, m_on * 60.0 + lag_s[0] + u[:, 0] * (lag_s[1] - lag_s[0]))
    end = m_off * 60.0 + lag_s[0] + u[:, 1] * (lag_s[1] - lag_s[0])
    end = np.where(m_off * 60 >= occ.day.length_s[h], np.inf, end)
    return Intervals.make(ent, start, end), h, p


def door_openings(ents: Entities, moves: Intervals, move_home: np.ndarray, move_person: np.ndarray,
                  curve: np.ndarray, occ: Occupancy, seed: int, day: date, home_index: np.ndarray) -> Intervals:
    """Each arrival and departure opens the home's main door; doors also open at random while people are up."""
    doors = ents.rows_of("binary_sensor.door")
    main = np.full(occ.home.shape[0], -1, dtype=np.int64)
    entrance = doors[ents.frame["area_kind"].to_numpy()[doors] == "entrance"]
    main[ents.home[doors[::-1]]] = doors[::-1]
    main[ents.home[entrance[::-1]]] = entrance[::-1]
    times = np.concatenate([moves.start, moves.end])
    homes = np.concatenate([move_home, move_home])
    # which move of the home: (person, arrival or departure, minute) - unique within the home's day
    move_key = (np.concatenate([move_person, move_person]) * 2 + np.repeat([0, 1], len(moves))) * MINUTES \
        + np.clip(np.nan_to_num(times, posinf=0) // 60, 0, MINUTES - 1).astype(np.int64)
    door = main[homes]
    ok = (door >= 0) & (times > 0) & np.isfinite(times)
    u = draws(seed, day, "door/moves", ents.counter(home_index)[door[ok]] * SLOTS_PER_ENTITY + move_key[ok], 2)
    opened = times[ok] - 5 - 25 * u[:, 0]
    moves_iv = Intervals.make(door[ok], opened, opened + 5 + 35 * u[:, 1])
    spec = em.SESSIONS["binary_sensor.door"]
    random_iv = sessions(ents, doors, curve, np.full(len(doors), spec.per_active_hour), spec.minutes, occ, seed, day,
                         "door", home_index, with_user=False)
    return Intervals.concat([moves_iv, random_iv])


def emit(log: EventLog, ents: Entities, iv: Intervals, day_length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Write each merged interval's start (active state) and end (idle state); returns their rows (-1 when
    outside the day: a period running over midnight has no write at midnight)."""
    kind = ents.interval_kind[iv.ent]
    if (kind < 0).any():
        raise ValueError(f"not on/off-like entities: {sorted(set(ents.kind[iv.ent[kind < 0]]))}")
    active, idle, attribute = ACTIVE_CODE[kind], IDLE_CODE[kind], ATTRIBUTE_CODE[kind]
    last = day_length[ents.home[iv.ent]] - 1.0
    has_start, has_end = iv.start > 0, iv.end < last
    start_rows = np.full(len(iv), -1, dtype=np.int64)
    end_rows = np.full(len(iv), -1, dtype=np.int64)
    is_cover = attribute == ATTRIBUTE["current_position"]
    start_rows[has_start] = log.add(iv.ent[has_start], iv.start[has_start], code=active[has_start],
                                    attribute=attribute[has_start],
                                    level=np.where(is_cover, 100.0, iv.level)[has_start],
                                    parent=iv.start_parent[has_start], user=iv.start_user[has_start])
    end_rows[has_end] = log.add(iv.ent[has_end], iv.end[has_end], code=idle[has_end],
                                attribute=np.where(is_cover, attribute, 0)[has_end],
                                level=np.where(is_cover, 0.0, np.nan)[has_end],
                                parent=iv.end_parent[has_end], user=iv.end_user[has_end])
    return start_rows, end_rows
