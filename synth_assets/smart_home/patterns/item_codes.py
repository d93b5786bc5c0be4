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

CODE_COLUMNS = ("home", "code", "entity_code", "previous")


def dense_codes(changes: pl.DataFrame, column: str) -> np.ndarray:
    """0..k-1 per distinct (home_id, ``column``) value of ``changes``."""
    physical = (changes.select(pl.concat_str("home_id", column, separator="|").cast(pl.Categorical).to_physical())
                .to_series().to_numpy())
    return np.unique(physical, return_inverse=True)[1].astype(np.int64)


def with_item_codes(changes: pl.DataFrame) -> pl.DataFrame:
    """``changes`` (sorted by home_id, with ``row`` = position) with :data:`CODE_COLUMNS`."""
    n = changes.height
    if n == 0:
        return changes.with_columns(*(pl.lit(0, pl.Int64).alias(c) for c in CODE_COLUMNS))
    code = dense_codes(changes, "item")
    rows = np.arange(n, dtype=np.int64)
    by_item = np.lexsort((rows, code))
    same = code[by_item[1:]] == code[by_item[:-1]]
    previous = np.full(n, -1, dtype=np.int64)
    previous[by_item[1:][same]] = by_item[:-1][same]
    home_id = changes["home_id"]
    home = (home_id != home_id.shift(1)).fill_null(True).cast(pl.Int64).cum_sum().to_numpy() - 1
    return changes.with_columns(home=pl.Series(home), code=pl.Series(code),
                                entity_code=pl.Series(dense_codes(changes, "entity_id")),
                                previous=pl.Series(previous))


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


def nearest_rank(counts: np.ndarray, quantile: float) -> np.ndarray:
    """Index within each sorted group of ``counts`` values of polars' ``quantile(q, "nearest")``."""
    return np.floor((counts - 1) * quantile + 0.5).astype(np.int64)


def grouped_quantiles(group: np.ndarray, values: np.ndarray, counts: np.ndarray, wanted: np.ndarray,
                      quantiles: dict[str, float]) -> dict[str, np.ndarray]:
    """For the groups ``wanted`` (each with a value) of ``group`` (0..len(counts)-1, ``counts`` values each):
    the ``quantiles`` by nearest rank and ``"median"`` (the mean of the two middle values of an even
    count), as polars computes them. ``values`` must be in 0..2**32-1."""
    ordered = np.sort((group.astype(np.int64) << 32) | values.astype(np.int64)) & 0xFFFFFFFF
    n = counts[wanted]
    start = (np.cumsum(counts) - counts)[wanted]
    found = {name: ordered[start + nearest_rank(n, q)].astype(np.float64) for name, q in quantiles.items()}
    upper = ordered[start + n // 2].astype(np.float64)
    lower = ordered[start + np.maximum(n - 1, 0) // 2].astype(np.float64)
    found["median"] = (lower + upper) / 2
    return found
