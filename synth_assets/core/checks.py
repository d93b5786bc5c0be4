"""Reusable check builders.

The ``count_*`` functions measure violations on a polars frame and can be summed over chunks, so a
check over a five-year backfill never needs the whole range in memory. The ``*_result`` functions
turn counts and measurements into Dagster :class:`AssetCheckResult` objects with metadata that
explains a failure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import dagster as dg
import polars as pl


def count_out_of_range(frame: pl.DataFrame, bounds: Mapping[str, tuple]) -> Counter:
    """Values outside ``(low, high)`` per column; a :class:`Range` with a strict side excludes it."""
    exprs = []
    for column, bound in bounds.items():
        low, high = bound[0], bound[1]
        low_strict, high_strict = (bound[2], bound[3]) if len(bound) == 4 else (False, False)
        outside = pl.lit(False)
        if low is not None:
            outside = outside | ((pl.col(column) <= low) if low_strict else (pl.col(column) < low))
        if high is not None:
            outside = outside | ((pl.col(column) >= high) if high_strict else (pl.col(column) > high))
        exprs.append(outside.sum().alias(column))
    row = frame.select(exprs).row(0, named=True)
    return Counter({column: int(n) for column, n in row.items() if n})


def count_nulls(frame: pl.DataFrame, columns: Iterable[str]) -> Counter:
    columns = list(columns)
    row = frame.select(pl.col(c).null_count() for c in columns).row(0, named=True)
    nan_cols = [c for c in columns if frame.schema[c].is_float()]
    nans = frame.select(pl.col(c).is_nan().sum() for c in nan_cols).row(0, named=True) if nan_cols else {}
    counts = Counter({c: int(n) for c, n in row.items() if n})
    counts.update({c: int(n) for c, n in nans.items() if n})
    return counts


def count_duplicates(frame: pl.DataFrame, keys: list[str]) -> int:
    return frame.height - frame.select(keys).n_unique()


def count_orphans(frame: pl.DataFrame, column: str, parent_ids: pl.Series) -> int:
    return int(frame.select((~pl.col(column).is_in(parent_ids.implode())).sum()).item())


def count_wrong_group_sizes(frame: pl.DataFrame, keys: list[str], expected: int) -> int:
    sizes = frame.group_by(keys).len()
    return int(sizes.filter(pl.col("len") != expected).height)


def violations_result(check_name: str, violations: Mapping[str, int], *, rule: str,
                      blocking_severity: bool = True, **metadata: object) -> dg.AssetCheckResult:
    """Passed when every count in ``violations`` is zero."""
    total = int(sum(violations.values()))
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=total == 0,
        severity=dg.AssetCheckSeverity.ERROR if blocking_severity else dg.AssetCheckSeverity.WARN,
        description=rule if total == 0 else f"{total} violation(s) of: {rule}",
        metadata={"violations": total, **{f"violations/{k}": int(v) for k, v in violations.items()},
                  **metadata},
    )


def ratio_result(check_name: str, *, observed: float | None, expected: float, tolerance: float,
                 what: str, **metadata: object) -> dg.AssetCheckResult:
    """Passed when ``observed`` is within ``tolerance`` (relative) of ``expected``.

    ``observed=None`` means the window holds no data to measure the effect on (for example no
    coastal city in the selection); that passes with a warning that says so.
    """
    if observed is None:
        return dg.AssetCheckResult(
            check_name=check_name, passed=True, severity=dg.AssetCheckSeverity.WARN,
            description=f"{what}: not measurable on this window", metadata={"expected": expected, **metadata},
        )
    deviation = observed / expected - 1.0
    passed = abs(deviation) <= tolerance
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=passed,
        description=f"{what}: observed {observed:.4f}, expected {expected} ± {tolerance:.0%}",
        metadata={"observed": float(observed), "expected": float(expected),
                  "relative_deviation": float(deviation), "tolerance": float(tolerance), **metadata},
    )
