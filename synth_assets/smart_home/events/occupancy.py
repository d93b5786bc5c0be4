"""Who is home and awake in each home, minute by minute over its local day (pure numpy, no Dagster).

The minute grid is *elapsed* minutes since local midnight (1,380 / 1,440 / 1,500 on DST days); routines
are wall-clock times, mapped through each home's DST shift. A person's day follows the household's
routine columns in ``homes`` (wake, leave, return, bedtime, shift workers, children) jittered per
(home, person, day), and the day's ``calendar`` row: vacation (nobody home), workday, work from home,
school day. On days off the household goes out together once with some probability. Draws come from the
words of ``(seed, "smart_home", "events", day, "occupancy")`` addressed by (home_index, person), so a
home's day never depends on the other homes or days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from synth_assets.core.rng import index_words, to_uniform
from synth_assets.smart_home.events import models as em
from synth_assets.smart_home.models import MAX_OCCUPANTS

MINUTES = 25 * 60          # columns of the grid: the longest local day
STREAM = ("smart_home", "events")
PERSON_WORDS = 8
HOUSEHOLD_SLOT = MAX_OCCUPANTS + 1   # the home's own words sit after its persons'


def draws(seed: int, day: date, purpose: str, counter: np.ndarray, n_words: int) -> np.ndarray:
    """``(len(counter), n_words)`` uniforms of the day's stream for ``purpose``, addressed by ``counter``."""
    return to_uniform(index_words(seed, (*STREAM, day.isoformat(), purpose), np.asarray(counter), n_words))


def small_draws(seed: int, day: date, purpose: str, counter: np.ndarray) -> np.ndarray:
    """One uniform per counter with 16-bit resolution, four counters sharing one 64-bit word (noise on
    millions of sensor samples, where a quarter of the hashing matters and 1/65536 steps do not)."""
    counter = np.asarray(counter, dtype=np.int64)
    words = index_words(seed, (*STREAM, day.isoformat(), purpose), counter >> 2, 1)[:, 0]
    chunk = (words >> ((counter & 3).astype(np.uint64) * np.uint64(16))) & np.uint64(0xFFFF)
    return (chunk.astype(np.float64) + 0.5) / 65536.0


@dataclass(frozen=True)
class LocalDay:
    """Per home: UTC start of its local day (µs since the epoch), length (s), and the DST jump in it."""

    start_us: np.ndarray
    length_s: np.ndarray
    jump_minute: np.ndarray    # elapsed minute at which the wall clock jumps (MINUTES when it does not)
    jump: np.ndarray           # wall minutes added from then on (+60 spring, -60 autumn, 0)

    def wall_minutes(self) -> np.ndarray:
        """(homes, MINUTES) wall-clock minute of every elapsed minute."""
        m = np.arange(MINUTES)[None, :]
        return m + np.where(m >= self.jump_minute[:, None], self.jump[:, None], 0)


def local_days(timezones: list[str], day: date) -> LocalDay:
    """Local midnight to midnight of ``day`` in each zone (one Python step per distinct zone)."""
    zones = sorted(set(timezones))
    per_zone = {}
    for name in zones:
        tz = ZoneInfo(name)
        start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(timezone.utc)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz).astimezone(timezone.utc)
        jump_minute, jump = MINUTES, 0
        offsets = [(start + timedelta(minutes=15 * k)).astimezone(tz).utcoffset() for k in range(101)]
        for k in range(1, len(offsets)):
            if offsets[k] != offsets[k - 1]:
                jump_minute, jump = 15 * k, int((offsets[k] - offsets[k - 1]).total_seconds() // 60)
                break
        per_zone[name] = (int(start.timestamp() * 1_000_000), int((end - start).total_seconds()), jump_minute, jump)
    rows = np.array([per_zone[z] for z in timezones], dtype=np.int64).reshape(-1, 4)
    return LocalDay(start_us=rows[:, 0], length_s=rows[:, 1], jump_minute=rows[:, 2], jump=rows[:, 3])


@dataclass(frozen=True)
class Occupancy:
    """(homes, persons, minutes) masks over elapsed minutes; persons beyond a home's occupants are False."""

    home: np.ndarray
    awake: np.ndarray
    day: LocalDay

    @property
    def active(self) -> np.ndarray:
        """(homes, minutes): people at home and awake."""
        return (self.home & self.awake).sum(axis=1)

    @property
    def anyone_home(self) -> np.ndarray:
        return self.home.any(axis=1)


def _between(wall: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """wall in [start, end) with (homes, persons) bounds broadcast over minutes; end may pass midnight."""
    s, e = start[..., None], end[..., None]
    w = wall[:, None, :]
    return ((w >= s) & (w < e)) | ((e > 1440) & (w < e - 1440))


def _aligned(homes: pl.DataFrame, calendar_day: pl.DataFrame, day: date) -> pl.DataFrame:
    cal = homes.select("home_id").join(calendar_day, on="home_id", how="left", maintain_order="left")
    if cal["is_vacation"].null_count():
        missing = cal.filter(pl.col("is_vacation").is_null())["home_id"].head(3).to_list()
        raise ValueError(f"no calendar row for home(s) {missing} on {day}")
    return cal


def occupancy(homes: pl.DataFrame, calendar_day: pl.DataFrame, day: date, seed: int,
              local: LocalDay, previous_day: pl.DataFrame | None = None) -> Occupancy:
    """Each home's people over its local ``day``; ``calendar_day`` has one row per home (any order), and
    ``previous_day`` the day before's (night shifts end and trips come home the morning after; unset: the
    day before is taken to be like this one)."""
    cal = _aligned(homes, calendar_day, day)
    prev = cal if previous_day is None else _aligned(homes, previous_day, day)
    n, p = homes.height, MAX_OCCUPANTS
    index = homes["home_index"].to_numpy().astype(np.int64)
    u = draws(seed, day, "occupancy", (index[:, None] * (p + 2) + np.arange(p)[None, :]).ravel(), PERSON_WORDS)
    u = u.reshape(n, p, PERSON_WORDS)
    hh = draws(seed, day, "occupancy", index * (p + 2) + HOUSEHOLD_SLOT, 8)
    jitter = em.ROUTINE_JITTER_MINUTES * np.sqrt(-2 * np.log(u[..., 0])) * np.cos(2 * np.pi * u[..., 1])
    col = lambda c: homes[c].to_numpy().astype(np.int64)[:, None]  # noqa: E731
    occupants, adults, shift = col("occupants"), col("adults"), col("shift_workers")
    person = np.arange(p)[None, :]
    exists = person < occupants
    is_adult = person < adults
    is_shift = is_adult & (person >= adults - shift)
    flag = lambda c, frame=cal: frame[c].to_numpy().astype(bool)[:, None]  # noqa: E731
    workday, wfh, school, vacation = flag("is_workday"), flag("is_work_from_home_day"), flag("is_school_day"), \
        flag("is_vacation")
    workday_before, vacation_before = flag("is_workday", prev), flag("is_vacation", prev)
    day_off = ~workday | wfh
    wake = col("wake_minute") + jitter + np.where(~workday, em.WEEKEND_LIE_IN_MINUTES, 0)
    bed = np.where(is_adult, col("bedtime_minute"), em.CHILD_BEDTIME) + jitter * 0.5
    leave = np.where(is_adult, col("leave_minute"), em.CHILD_SCHOOL[0]) + jitter
    back = np.where(is_adult, col("return_minute"), em.CHILD_SCHOOL[1]) + 40 * (u[..., 2] - 0.5)
    commutes = np.where(is_adult, workday & ~wfh & ~is_shift, school & ~is_adult)
    out_start = 600 + hh[:, :1] * 360
    out_end = out_start + 60 * (em.OUTING_HOURS[0] + hh[:, 1:2] * (em.OUTING_HOURS[1] - em.OUTING_HOURS[0]))
    outing = day_off & (hh[:, 2:3] < em.OUTING_PROBABILITY) & ~(is_shift & workday)

    wall = local.wall_minutes()
    away = _between(wall, leave, back) & commutes[..., None] if commutes.shape[0] else np.zeros((n, p, MINUTES), bool)
    away |= _between(wall, np.broadcast_to(out_start, leave.shape), np.broadcast_to(out_end, leave.shape)) \
        & outing[..., None]
    # a night shift starts in the evening of a workday and ends the next morning
    w = wall[:, None, :]
    night_from = (is_shift & workday)[..., None]
    night_until = (is_shift & workday_before)[..., None]
    away |= (night_until & (w < em.SHIFT_AWAY[1])) | (night_from & (w >= em.SHIFT_AWAY[0]))
    sleeps_by_day = _between(wall, np.full_like(wake, em.SHIFT_SLEEP[0]), np.full_like(wake, em.SHIFT_SLEEP[1]))
    awake = np.where(night_until, ~sleeps_by_day, _between(wall, wake, bed)) | (night_from & (w >= em.SHIFT_AWAY[0]))
    # trips: leave on the morning of their first day, come home in the afternoon after their last
    depart = (em.TRIP_DEPART_MINUTES[0] + hh[:, 3:4] * (em.TRIP_DEPART_MINUTES[1] - em.TRIP_DEPART_MINUTES[0]))
    arrive = (em.TRIP_RETURN_MINUTES[0] + hh[:, 4:5] * (em.TRIP_RETURN_MINUTES[1] - em.TRIP_RETURN_MINUTES[0]))
    leaving = (vacation & ~vacation_before)[..., None] & (w >= depart[..., None])
    returning = (~vacation & vacation_before)[..., None] & (w < arrive[..., None])
    away_all_day = (vacation & vacation_before)[..., None]
    within = np.arange(MINUTES)[None, None, :] < (local.length_s // 60)[:, None, None]
    home = exists[..., None] & ~away_all_day & ~leaving & ~returning & ~away & within
    return Occupancy(home=home, awake=awake & exists[..., None] & within, day=local)
