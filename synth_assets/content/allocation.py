"""Which rows every US-Eastern day owns, computed from (seed, config) alone, before any row exists.

This is the first of the two steps that make every day a partition that stands alone (the way
dbldatagen scales): per table, how many rows each day gets and which global row indices it owns
(``[offset[d], offset[d] + count[d])``), where the admin's items are, and how many jobs each day has.
The second step (users, items, generation_jobs) generates a day's rows from streams keyed by
(table, day) and reaches other rows only through their global index.

* users: the admin is global index 0, created the instant the range begins; the other users are
  split over the days by the growth curve. It depends on the users config only, so changing item
  counts never changes a user.
* content_items / content_items_auto: split by the same curve, but only from the first day on which
  a user other than the admin exists (an item's creator must exist before it). The admin's
  ``ADMIN_ITEMS_PER_TABLE`` items sit at global indices drawn from (seed, table).
* generation_jobs: a day's jobs are the completed jobs of its items (both tables, in that order),
  then its share of the jobs that did not complete (:attr:`ContentConfig.other_jobs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import polars as pl

from synth_assets.content import timeline
from synth_assets.content.models import ADMIN_ITEMS_PER_TABLE, CONTENT_TABLES, ContentConfig
from synth_assets.core.ids import uuid4_from_bytes
from synth_assets.core.rng import index_words, rng_for


@dataclass(frozen=True)
class TableAllocation:
    counts: np.ndarray   # rows per day
    offsets: np.ndarray  # global index of each day's first row (len = days + 1; the last is the total)

    def indices(self, day_index: int) -> np.ndarray:
        return np.arange(self.offsets[day_index], self.offsets[day_index + 1], dtype=np.int64)


@dataclass(frozen=True)
class Allocation:
    days: tuple[date, ...]
    users: TableAllocation
    items: dict[str, TableAllocation]       # content_items, content_items_auto
    admin_items: dict[str, np.ndarray]      # sorted global item indices owned by the admin, per table
    other_jobs: TableAllocation             # jobs that did not complete, per day
    jobs: TableAllocation                   # every job, per day
    first_user_day: int                     # first day with a user other than the admin (-1: none)

    def day_index(self, day: date) -> int:
        index = (day - self.days[0]).days
        if not 0 <= index < len(self.days):
            raise ValueError(f"{day} is outside the configured range {self.days[0]}..{self.days[-1]}")
        return index


def _table(counts: np.ndarray) -> TableAllocation:
    offsets = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return TableAllocation(counts=counts, offsets=offsets)


def users_per_day(config: ContentConfig) -> np.ndarray:
    """Users created on each day, the admin included (on the first day). Depends on the users config only."""
    days = timeline.days_of(config.start, config.end)
    counts = timeline.allocate(config.users - 1, timeline.day_weights(days))
    counts[0] += 1
    return counts


def admin_item_indices(config: ContentConfig, table: str) -> np.ndarray:
    """The global indices of the admin's items in ``table``, from (seed, table) alone."""
    n = getattr(config, table)
    rng = rng_for(config.seed, "content", table, "admin_items")
    return np.sort(rng.choice(n, min(ADMIN_ITEMS_PER_TABLE, n), replace=False)).astype(np.int64)


@lru_cache(maxsize=16)
def allocate_content(config: ContentConfig) -> Allocation:
    days = timeline.days_of(config.start, config.end)
    weights = timeline.day_weights(days)
    users = _table(users_per_day(config))
    others_by_day = users.counts - np.eye(1, len(days), 0, dtype=np.int64)[0]  # without the admin
    with_users = np.flatnonzero(others_by_day)
    first_user_day = int(with_users[0]) if with_users.size else -1
    item_weights = weights * (np.arange(len(days)) >= first_user_day) if first_user_day >= 0 else weights * 0
    items = {table: _table(timeline.allocate(getattr(config, table), item_weights)) for table in CONTENT_TABLES}
    other = _table(timeline.allocate(config.other_jobs, weights))
    jobs = _table(sum(items[t].counts for t in CONTENT_TABLES) + other.counts)
    return Allocation(days=tuple(days), users=users, items=items,
                      admin_items={t: admin_item_indices(config, t) for t in CONTENT_TABLES},
                      other_jobs=other, jobs=jobs, first_user_day=first_user_day)


def days_in_window(config: ContentConfig, first: date, last: date) -> list[date]:
    """The configured days between ``first`` and ``last`` (inclusive); empty if they do not overlap."""
    return timeline.days_of(max(first, config.start), min(last, config.end)) if first <= config.end \
        and last >= config.start else []


def row_ids(config: ContentConfig, table: str, index: np.ndarray) -> pl.Series:
    """The id (a version-4 UUID) of each global row index of ``table``: wherever a row is referenced,
    its id is computed from (seed, table, index) without generating the row. User 0 is the admin."""
    index = np.asarray(index, dtype=np.int64)
    words = index_words(config.seed, ("content", table, "id"), index, 2)
    ids = uuid4_from_bytes(words.view(np.uint8).reshape(-1, 16))
    if table == "users":  # user 0 is the admin, whose id is configured
        ids = pl.select(pl.when(pl.Series(index == 0)).then(pl.lit(str(config.admin_user_id))).otherwise(ids)
                        .alias("id")).to_series()
    return ids


def concat_days(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The numpy draws of several days, row-concatenated key by key (days in order)."""
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
