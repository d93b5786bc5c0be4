"""Integer codes of the items and the per-home space of directed item pairs, for counting in numpy. Pure: no Dagster.

The miners count millions of occurrences; on strings every join and group-by pays for hashing them. Each
change therefore carries, once, the dense integer ``code`` of its (home, item), the ``entity_code`` of its
(home, entity), its home's number ``home`` and the row of the previous change of its item
(``previous``, -1 for the first). A directed pair of items of one home is then one integer of
:class:`PairSpace` (items of different homes never pair), and per-pair counts are ``np.bincount``.
Which number a value gets does not matter, only that equal values share it: every table that leaves the
miners is sorted by its strings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from synth_assets.core.sorting import argsort_stable, order_by_group_then_time, sort_ints

CODE_COLUMNS = ("home", "code", "entity_code", "previous")


def _dense(values: np.ndarray) -> np.ndarray:
    """0..k-1 for the k distinct non-negative integers of ``values``, in their order."""
    present = np.zeros(int(values.max()) + 1, dtype=np.int64)
    present[values] = 1
    return (np.cumsum(present) - 1)[values]


def with_item_codes(changes: pl.DataFrame) -> pl.DataFrame:
    """``changes`` (sorted by home_id, with ``row`` = position) with :data:`CODE_COLUMNS`."""
    n = changes.height
    if n == 0:
        return changes.with_columns(*(pl.lit(0, pl.Int64).alias(c) for c in CODE_COLUMNS))
    home_id = changes["home_id"]
    home = (home_id != home_id.shift(1)).fill_null(True).cast(pl.Int64).cum_sum().to_numpy() - 1
    item = changes["item"].cast(pl.Categorical).to_physical().to_numpy().astype(np.int64)
    code = _dense(home * (int(item.max()) + 1) + item)     # (home, item): homes are contiguous
    items = (pl.DataFrame({"code": code, "home": home, "entity_id": changes["entity_id"]})
             .unique("code").sort("code"))                  # one row per item: its entity, cheaply
    entity = items["entity_id"].cast(pl.Categorical).to_physical().to_numpy().astype(np.int64)
    entity_of_code = _dense(items["home"].to_numpy() * (int(entity.max()) + 1) + entity)
    by_item = argsort_stable(code)                          # rows in order within each item
    same = code[by_item[1:]] == code[by_item[:-1]]
    previous = np.full(n, -1, dtype=np.int64)
    previous[by_item[1:][same]] = by_item[:-1][same]
    return changes.with_columns(home=pl.Series(home), code=pl.Series(code),
                                entity_code=pl.Series(entity_of_code[code]), previous=pl.Series(previous))


@dataclass(frozen=True)
class PairSpace:
    """Every directed pair (a, b) of item codes of the same home as one integer in 0..size-1: the home's
    offset + a's index in its home x the home's number of codes + b's index."""

    base: np.ndarray       # per code: its home's offset + its index among the home's codes x their number
    local: np.ndarray      # per code: its index among its home's codes
    code_at: np.ndarray    # the codes by (home, index): code_at[first of home + index]
    first: np.ndarray      # per home: where its codes start in code_at
    width: np.ndarray      # per home: how many codes
    offset: np.ndarray     # per home: where its pairs start
    size: int

    @classmethod
    def of(cls, changes: pl.DataFrame) -> PairSpace:
        codes = changes.select("code", "home").unique("code").sort("code")
        home_of = codes["home"].to_numpy()
        homes = int(home_of.max()) + 1 if len(home_of) else 0
        width = np.bincount(home_of, minlength=homes).astype(np.int64)
        code_at = np.lexsort((codes["code"].to_numpy(), home_of))
        first = np.cumsum(width) - width
        local = np.empty(len(home_of), dtype=np.int64)
        local[code_at] = np.arange(len(home_of)) - first[home_of[code_at]]
        squares = width ** 2
        offset = np.cumsum(squares) - squares
        return cls(offset[home_of] + local * width[home_of], local, code_at, first, width, offset,
                   int(squares.sum()))

    def key(self, code_a: np.ndarray, code_b: np.ndarray) -> np.ndarray:
        return self.base[code_a] + self.local[code_b]

    def codes(self, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The (code_a, code_b) of pair integers ``key``."""
        home = np.searchsorted(self.offset, key, side="right") - 1
        within = key - self.offset[home]
        return (self.code_at[self.first[home] + within // self.width[home]],
                self.code_at[self.first[home] + within % self.width[home]])


class ChangeIndex:
    """Lookups over the changes of one block (its ``code``, ``entity_code``, ``t``), each a sort or a
    ``searchsorted`` instead of a join: the rows of an item, an entity's state before a moment."""

    def __init__(self, changes: pl.DataFrame) -> None:
        self.code, self.t = changes["code"].to_numpy(), changes["t"].to_numpy()
        self.entity = changes["entity_code"].to_numpy()
        codes = int(self.code.max()) + 1 if len(self.code) else 0
        self.entity_of_code = np.zeros(codes, dtype=np.int64)
        self.entity_of_code[self.code] = self.entity
        self.by_code = argsort_stable(self.code)
        self.per_code = np.bincount(self.code, minlength=codes)
        self.first_of_code = np.cumsum(self.per_code) - self.per_code
        self.by_entity = order_by_group_then_time(self.entity, self.t)   # ties: in row order
        self.t0 = int(self.t.min()) if len(self.t) else 0
        self.span = int(self.t.max()) - self.t0 + 1 if len(self.t) else 1
        self.entity_axis = self.entity[self.by_entity] * self.span + (self.t[self.by_entity] - self.t0)

    def rows_of(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each code ``codes[i]``, every row of its item: (i repeated, the rows)."""
        tries = self.per_code[codes]
        which = np.repeat(np.arange(len(codes)), tries)
        within = np.arange(len(which)) - np.repeat(np.cumsum(tries) - tries, tries)
        return which, self.by_code[np.repeat(self.first_of_code[codes], tries) + within]

    def not_in_state(self, item: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Whether ``item``'s entity was not in ``item``'s state just before each moment ``t`` (its last change
        strictly before ``t`` was to another state, or it had none)."""
        entity = self.entity_of_code[item]
        before = np.searchsorted(self.entity_axis, entity * self.span + (t - self.t0), side="left") - 1
        last = self.by_entity[np.maximum(before, 0)]
        known = (before >= 0) & (self.entity[last] == entity)
        return ~known | (self.code[last] != item)


def occurrence_keys(row: np.ndarray, code: np.ndarray, codes: int) -> np.ndarray:
    """(row, item code) as one sorted integer array, for :func:`contains`."""
    return sort_ints(row.astype(np.int64) * codes + code)


def contains(keys: np.ndarray, row: np.ndarray, code: np.ndarray, codes: int) -> np.ndarray:
    """Whether each (row, code) is in ``keys`` (from :func:`occurrence_keys`)."""
    if len(keys) == 0:
        return np.zeros(len(row), dtype=bool)
    query = row.astype(np.int64) * codes + code
    position = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return keys[position] == query


def nearest_rank(counts: np.ndarray, quantile: float) -> np.ndarray:
    """Index within each sorted group of ``counts`` values of polars' ``quantile(q, "nearest")``."""
    return np.floor((counts - 1) * quantile + 0.5).astype(np.int64)


def grouped_quantiles(group: np.ndarray, values: np.ndarray, counts: np.ndarray, wanted: np.ndarray,
                      quantiles: dict[str, float]) -> dict[str, np.ndarray]:
    """For the groups ``wanted`` (each with a value) of ``group`` (0..len(counts)-1, ``counts`` values each):
    the ``quantiles`` by nearest rank and ``"median"`` (the mean of the two middle values of an even
    count), as polars computes them. ``values`` must be in 0..2**32-1."""
    ordered = sort_ints((group.astype(np.int64) << 32) | values.astype(np.int64)) & 0xFFFFFFFF
    n = counts[wanted]
    start = (np.cumsum(counts) - counts)[wanted]
    found = {name: ordered[start + nearest_rank(n, q)].astype(np.float64) for name, q in quantiles.items()}
    upper = ordered[start + n // 2].astype(np.float64)
    lower = ordered[start + np.maximum(n - 1, 0) // 2].astype(np.float64)
    found["median"] = (lower + upper) / 2
    return found
