"""Periods that run past local midnight: the day before's tail, carried into the day.

A lamp switched on at 23:40 and off at 00:25 writes ``on`` on day D and ``off`` on day D+1. Day D+1 gets
that ``off`` by generating the on/off periods of day D again (the same pure functions, from D's context
made in memory: generate.day_before_tail) and keeping those still on at D's last second: each becomes a
period of D+1 from 0 (no write: the state was written on D) to its end less D's length, with the end's
user as generated. D+1's own periods of that entity merge with it, so states alternate across midnight.

An end the day before could not know (a thing left on in an empty home, heating still on) is settled here
with this day's occupancy and temperature reports: off 1-10 minutes after the first return, or, when nobody
is back all day, from the app in the morning (an estimate); heating off at the first report above its
threshold plus the hysteresis. A cause written on the day before is not in this day's file, so a carried
end has no context parent. Pure numpy: no Dagster.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from synth_assets.smart_home.events import models as em
from synth_assets.smart_home.events.actuators import occupant_at
from synth_assets.smart_home.events.frame import Entities
from synth_assets.smart_home.events.occupancy import MINUTES, Occupancy, draws
from synth_assets.smart_home.events.sampling import Intervals

PEOPLE = ("person", "device_tracker")   # home at midnight: the day's own occupancy continues them


def tail(merged: Intervals, length_before: np.ndarray, kinds: np.ndarray) -> Intervals:
    """The day before's merged periods still active at its last second (``length_before`` per entity row),
    as periods of this day from 0 to their end less the day before's length (open ends stay open)."""
    iv = merged.take(np.flatnonzero(merged.end >= length_before[merged.ent] - 1.0))
    iv = iv.take(np.flatnonzero(np.isfinite(iv.end) | ~np.isin(kinds[iv.ent], PEOPLE)))
    end = np.where(np.isfinite(iv.end), np.maximum(iv.end - length_before[iv.ent], 1.0), np.inf)
    return Intervals.make(iv.ent, np.zeros(len(iv)), end, end_user=iv.end_user, level=iv.level)


def settle_open_ends(carried: Intervals, ents: Entities, occ: Occupancy, heating_ends, seed: int, day: date,
                     home_index: np.ndarray) -> Intervals:
    """Carried periods with an open end get one from this day: heating from ``heating_ends(ent)`` (end time
    and cause row, inf where none), anything else when someone is first back, else from the app."""
    open_end = ~np.isfinite(carried.end)
    if not open_end.any():
        return carried
    end, parent, user = carried.end.copy(), carried.end_parent.copy(), carried.end_user.copy()
    climate = open_end & (ents.kind[carried.ent] == "climate")
    end[climate], parent[climate] = heating_ends(carried.ent[climate])
    by_hand = np.flatnonzero(open_end & ~climate)
    ent = carried.ent[by_hand]
    home = ents.home[ent]
    u = draws(seed, day, "carried/off", ents.counter(home_index)[ent], 3)
    anyone = occ.anyone_home[home]
    back = np.where(anyone.any(axis=1), np.argmax(anyone, axis=1), MINUTES)
    low, high = em.OFF_AFTER_RETURN_S
    early, late = em.REMOTE_OFF_HOURS
    returned = back < MINUTES
    off = np.where(returned, back * 60.0 + low + (high - low) * u[:, 0], 3600.0 * (early + (late - early) * u[:, 1]))
    end[by_hand] = np.minimum(off, occ.day.length_s[home] - 2.0)
    # whoever is back switches it off; from the app: the household's first occupant
    user[by_hand] = np.where(returned, occupant_at(occ, home, off, u[:, 2]), 0)
    return Intervals(carried.ent, carried.start, end, carried.start_parent, carried.start_user, parent,
                     user.astype(np.int8), carried.level)
