"""Vectorised building blocks of the event generator: Poisson counts and times from uniforms, and on/off
intervals per entity (merge overlapping ones, cut them, turn them into alternating state changes).

Everything works on flat numpy arrays over all entities of all homes in a partition; nothing loops over
rows. Pure: no Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

_EXACT_POISSON_BELOW = 40.0
_EXACT_POISSON_TERMS = 110


def poisson(mean: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Poisson counts by inverse CDF of ``u`` (exact below a mean of 40, normal approximation above)."""
    mean = np.asarray(mean, dtype=float)
    small = mean < _EXACT_POISSON_BELOW
    out = np.maximum(0, np.round(mean + np.sqrt(mean) * _normal(u))).astype(np.int64)
    if small.any():
        m, uu = mean[small], u[small]
        term = np.exp(-m)
        cdf = term.copy()
        k = np.zeros(m.shape, dtype=np.int64)
        for j in range(1, _EXACT_POISSON_TERMS):
            below = uu > cdf
            if not below.any():
                break
            k += below
            term = term * m / j
            cdf = cdf + term
        out[small] = k
    return out


def _normal(u: np.ndarray) -> np.ndarray:
    """Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9)."""
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02,
         -3.066479806614716e01, 2.506628277459239e00)
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01,
         -1.328068155288572e01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00,
         4.374664141464968e00, 2.938163982698783e00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
    u = np.clip(u, 1e-15, 1 - 1e-15)
    q = np.where(u < 0.5, u, 1 - u)
    tail = q < 0.02425
    r = np.sqrt(-2 * np.log(np.where(tail, q, 0.5)))
    x_tail = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / \
             ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
    s = q - 0.5
    t = s * s
    x_mid = (((((a[0] * t + a[1]) * t + a[2]) * t + a[3]) * t + a[4]) * t + a[5]) * s / \
            (((((b[0] * t + b[1]) * t + b[2]) * t + b[3]) * t + b[4]) * t + 1)
    x = np.where(tail, x_tail, x_mid)
    return np.where(u < 0.5, x, -x)


normal_quantile = _normal


def times_from_intensity(cumulative: np.ndarray, rows: np.ndarray, u: np.ndarray, step_s: float) -> np.ndarray:
    """Times (s) with density proportional to per-minute intensities: ``cumulative`` is (curves, minutes+1)
    running sums from 0, ``rows`` the curve of each draw, ``u`` its uniform. Vectorised inverse CDF."""
    total = cumulative[rows, -1]
    target = u * total
    n_cols = cumulative.shape[1]
    flat = (cumulative / np.maximum(cumulative[:, -1:], 1e-300) + np.arange(cumulative.shape[0])[:, None] * 2.0)
    position = np.searchsorted(flat.ravel(), target / np.maximum(total, 1e-300) + rows * 2.0, side="right") - 1
    column = np.clip(position - rows * n_cols, 0, n_cols - 2)
    low, high = cumulative[rows, column], cumulative[rows, column + 1]
    within = np.where(high > low, (target - low) / np.maximum(high - low, 1e-300), 0.5)
    return (column + np.clip(within, 0, 1)) * step_s


def repeat_rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each parent row repeated ``counts`` times: the parent index and the 0-based rank within it."""
    parent = np.repeat(np.arange(len(counts)), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return parent, np.arange(parent.size) - first[parent]


FIRST_WRITE_S = 1e-3   # the earliest write of a day, seconds after local midnight


@dataclass(frozen=True)
class Intervals:
    """Active periods of entities (seconds since local midnight) and who or what started / ended each."""

    ent: np.ndarray
    start: np.ndarray
    end: np.ndarray
    start_parent: np.ndarray   # global event row of the trigger, or -1
    start_user: np.ndarray     # occupant position, or -1
    end_parent: np.ndarray
    end_user: np.ndarray
    level: np.ndarray          # an attribute of the active state (brightness, position), NaN when none

    @staticmethod
    def make(ent, start, end, start_parent=None, start_user=None, end_parent=None, end_user=None, level=None):
        n = len(ent)
        fill = lambda a, v, t: np.full(n, v, dtype=t) if a is None else np.asarray(a, dtype=t)  # noqa: E731
        return Intervals(np.asarray(ent, np.int64), np.asarray(start, float), np.asarray(end, float),
                         fill(start_parent, -1, np.int64), fill(start_user, -1, np.int8),
                         fill(end_parent, -1, np.int64), fill(end_user, -1, np.int8), fill(level, np.nan, float))

    def __len__(self) -> int:
        return len(self.ent)

    def take(self, index) -> Intervals:
        return Intervals(*(getattr(self, f)[index] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(parts: list[Intervals]) -> Intervals:
        parts = [p for p in parts if len(p)]
        if not parts:
            return Intervals.make(np.zeros(0), np.zeros(0), np.zeros(0))
        return Intervals(*(np.concatenate([getattr(p, f) for p in parts]) for f in Intervals.__dataclass_fields__))


def merge(iv: Intervals, day_length: np.ndarray, min_gap_s: float = 1.0) -> Intervals:
    """Overlapping (or closer than ``min_gap_s``) intervals of an entity become one; starts clipped to the day.

    The merged interval keeps the start of its first member and the end of the member that ends last, so
    the states of an entity alternate: on at each start, off at each end. An end past the day's last second
    is kept as it is (the next day carries it over: generate.carried_over); :func:`~.actuators.emit` writes
    no end for it. ``day_length`` per entity."""
    if not len(iv):
        return iv
    last = day_length[iv.ent] - 1.0
    # a period drawn to begin before midnight (a lock unlocked just before a door opens at 00:00:05) begins
    # at the day's first millisecond, with a write; a start of exactly 0 is a state held from the day before
    iv = replace(iv, start=np.where(iv.start < 0, FIRST_WRITE_S, iv.start))
    iv = iv.take(np.flatnonzero(np.minimum(iv.end, last) > iv.start + 0.05))
    iv = iv.take(np.lexsort((iv.start, iv.ent)))
    span = 200_000.0  # > any day in seconds: entities never overlap on the shifted axis
    start, end = iv.start + iv.ent * span, np.minimum(iv.end, day_length[iv.ent] - 1.0) + iv.ent * span
    reach = np.maximum.accumulate(end)
    new = np.ones(len(iv), dtype=bool)
    new[1:] = start[1:] > reach[:-1] + min_gap_s
    group = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    # the member reaching furthest in each group gives the end (ties: the later member)
    end_key = np.lexsort((np.arange(len(iv)), iv.end, group))
    last_of_group = end_key[np.r_[np.flatnonzero(np.diff(group[end_key])), len(iv) - 1]]
    out = iv.take(first)
    return replace(out, end=iv.end[last_of_group], end_parent=iv.end_parent[last_of_group],
                   end_user=iv.end_user[last_of_group])


def cut(iv: Intervals, ent: np.ndarray, at: np.ndarray, parent: np.ndarray) -> Intervals:
    """End each interval at the first cut of its entity strictly inside it (``parent``: the cut's cause)."""
    if not len(iv) or not len(ent):
        return iv
    span = 200_000.0
    order = np.argsort(ent * span + at, kind="stable")
    keys = (ent * span + at)[order]
    position = np.searchsorted(keys, iv.ent * span + iv.start, side="right")
    inside = position < len(keys)
    cut_key = np.where(inside, keys[np.minimum(position, len(keys) - 1)], np.inf)
    hit = inside & (cut_key < iv.ent * span + np.minimum(iv.end, span - 1.0))   # a cut of this entity
    source = order[np.minimum(position, len(keys) - 1)]
    return replace(iv, end=np.where(hit, at[source], iv.end),
                   end_parent=np.where(hit, parent[source], iv.end_parent),
                   end_user=np.where(hit, -1, iv.end_user).astype(np.int8))
