"""Check builders every family uses: one rule, declared once, evaluated on frames or in a database.

A family declares its checks with the builders below (:func:`in_model_ranges`, :func:`not_null`,
:func:`unique_key`, :func:`foreign_key`, :func:`rows_per_key`, :func:`sql_count`,
:func:`share_within`). The same :class:`Check` object then

- declares the Dagster :class:`AssetCheckSpec` (:func:`specs`),
- counts violations on a polars frame (:meth:`Check.count`), summed over the chunks of a run by a
  :class:`Tally`, so a check over a five-year backfill never holds the whole range in memory,
- or renders one SQL query that counts them in DuckDB or PostgreSQL (:meth:`Check.sql`),
- and turns the counts into an :class:`AssetCheckResult` whose metadata explains a failure
  (:meth:`Check.result`).

The ``count_*`` functions are the frame kernels; ``violations_result``/``ratio_result`` the result
builders. Bounds come from the Pydantic models (:mod:`synth_assets.core.bounds`), never restated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import dagster as dg
import polars as pl
from pydantic import BaseModel

from synth_assets.core.bounds import Range, field_ranges, required_fields

# -- frame kernels ---------------------------------------------------------------------------------


def count_out_of_range(frame: pl.DataFrame, bounds: Mapping[str, tuple]) -> Counter:
    """Values outside ``(low, high)`` per column; a :class:`Range` with a strict side excludes it."""
    exprs = [_outside(column, bound).sum().alias(column) for column, bound in bounds.items()]
    row = frame.select(exprs).row(0, named=True)
    return Counter({column: int(n) for column, n in row.items() if n})


def _outside(column: str, bound: tuple) -> pl.Expr:
    low, high = bound[0], bound[1]
    low_strict, high_strict = (bound[2], bound[3]) if len(bound) == 4 else (False, False)
    outside = pl.lit(False)
    if low is not None:
        outside = outside | ((pl.col(column) <= low) if low_strict else (pl.col(column) < low))
    if high is not None:
        outside = outside | ((pl.col(column) >= high) if high_strict else (pl.col(column) > high))
    return outside


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


# -- result builders -------------------------------------------------------------------------------


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


def failed(results: Iterable[dg.AssetCheckResult]) -> list[str]:
    """Names of the blocking checks that did not pass."""
    return [r.check_name for r in results if not r.passed and r.severity == dg.AssetCheckSeverity.ERROR]


# -- declared checks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """A named rule. Subclasses know how to count its violations on a frame and/or in SQL."""

    name: str
    rule: str
    blocking: bool = True

    def spec(self, asset_key: dg.AssetKey) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(self.name, asset=asset_key, description=self.rule, blocking=self.blocking)

    def count(self, frame: pl.DataFrame, parents: Mapping[str, pl.Series]) -> Counter:
        raise NotImplementedError(f"check {self.name!r} is evaluated in the database, not on a frame")

    def sql(self, relation: str, where: str = "TRUE") -> str:
        raise NotImplementedError(f"check {self.name!r} is evaluated on frames, not in the database")

    def result(self, violations: Mapping[str, int] | int, **metadata: object) -> dg.AssetCheckResult:
        if isinstance(violations, int):
            violations = {"rows": violations}
        return violations_result(self.name, violations, rule=self.rule, **metadata)


@dataclass(frozen=True)
class InRanges(Check):
    ranges: Mapping[str, Range] = field(default_factory=dict)

    def count(self, frame, parents=None) -> Counter:
        return count_out_of_range(frame, self.ranges)

    def sql(self, relation: str, where: str = "TRUE") -> str:
        outside = " OR ".join(_sql_outside(column, r) for column, r in self.ranges.items()) or "FALSE"
        return f"SELECT count(*) FROM {relation} t WHERE ({where}) AND ({outside})"


def _sql_outside(column: str, r: Range) -> str:
    parts = []
    if r.low is not None:
        parts.append(f"t.{column} {'<=' if r.low_strict else '<'} {r.low!r}")
    if r.high is not None:
        parts.append(f"t.{column} {'>=' if r.high_strict else '>'} {r.high!r}")
    return " OR ".join(parts)


@dataclass(frozen=True)
class NotNull(Check):
    columns: Sequence[str] = ()

    def count(self, frame, parents=None) -> Counter:
        return count_nulls(frame, self.columns)

    def sql(self, relation: str, where: str = "TRUE") -> str:
        nulls = " OR ".join(f"t.{c} IS NULL" for c in self.columns) or "FALSE"
        return f"SELECT count(*) FROM {relation} t WHERE ({where}) AND ({nulls})"


@dataclass(frozen=True)
class UniqueKey(Check):
    columns: Sequence[str] = ()

    def count(self, frame, parents=None) -> Counter:
        return Counter({"duplicates": count_duplicates(frame, list(self.columns))})

    def sql(self, relation: str, where: str = "TRUE") -> str:
        """Duplicates among the rows ``where`` selects (nulls excluded): the surplus over distinct keys."""
        if len(self.columns) == 1:
            (column,) = self.columns
            return f"SELECT count({column}) - count(DISTINCT {column}) FROM {relation} t WHERE {where}"
        key = ", ".join(self.columns)
        present = " AND ".join(f"{c} IS NOT NULL" for c in self.columns)
        return (f"SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT {key} FROM {relation} t "
                f"WHERE ({where}) AND {present}) d) FROM {relation} t WHERE ({where}) AND {present}")


@dataclass(frozen=True)
class ForeignKey(Check):
    column: str = ""
    parent: str = ""          # the parent's name in ``parents`` (frames) or its relation (SQL)
    parent_column: str = "id"

    def count(self, frame, parents) -> Counter:
        return Counter({"orphans": count_orphans(frame, self.column, parents[self.parent])})

    def sql(self, relation: str, where: str = "TRUE") -> str:
        return (f"SELECT count(*) FROM {relation} t LEFT JOIN {self.parent} p ON p.{self.parent_column} = "
                f"t.{self.column} WHERE ({where}) AND t.{self.column} IS NOT NULL AND p.{self.parent_column} IS NULL")


@dataclass(frozen=True)
class RowsPerKey(Check):
    """Exactly ``expected`` rows per key; with ``complete_over``, every parent id present per ``per``."""

    keys: Mapping[str, pl.Expr] = field(default_factory=dict)
    expected: int = 1
    complete_over: tuple[str, str] | None = None  # (key column, parent name), e.g. every city each day
    per: str | None = None

    def count(self, frame, parents) -> Counter:
        keyed = frame.select(**self.keys)
        counts = Counter({"wrong_group_size": count_wrong_group_sizes(keyed, list(self.keys), self.expected)})
        if self.complete_over:
            column, parent = self.complete_over
            present = keyed.group_by(self.per).agg(pl.col(column).n_unique())
            counts["missing_keys"] += int((parents[parent].len() - present[column]).sum())
        return counts


@dataclass(frozen=True)
class SqlCount(Check):
    """A query that returns the number of violating rows; ``:start``/``:end`` style parameters."""

    query: str = ""

    def sql(self, relation: str = "", where: str = "TRUE") -> str:
        return self.query


@dataclass(frozen=True)
class ShareWithin(Check):
    """An observed share or factor within a relative tolerance of the specified value."""

    expected: float = 1.0
    tolerance: float = 0.0

    def result(self, observed: float | None, **metadata: object) -> dg.AssetCheckResult:  # type: ignore[override]
        return ratio_result(self.name, observed=observed, expected=self.expected, tolerance=self.tolerance,
                            what=self.rule, **metadata)


def in_model_ranges(model: type[BaseModel], name: str = "values_in_model_ranges") -> InRanges:
    return InRanges(name, f"every value inside the {model.__name__} ranges", ranges=field_ranges(model))


def not_null(model: type[BaseModel], name: str = "no_nulls") -> NotNull:
    return NotNull(name, "no null or NaN in any required column", columns=tuple(required_fields(model)))


def unique_key(name: str, columns: Sequence[str], rule: str | None = None) -> UniqueKey:
    return UniqueKey(name, rule or f"no duplicate ({', '.join(columns)})", columns=tuple(columns))


def foreign_key(name: str, column: str, parent: str, parent_column: str = "id",
                rule: str | None = None) -> ForeignKey:
    return ForeignKey(name, rule or f"every {column} exists in {parent}", column=column, parent=parent,
                      parent_column=parent_column)


def rows_per_key(name: str, keys: Mapping[str, pl.Expr], expected: int, rule: str, *,
                 complete_over: tuple[str, str] | None = None, per: str | None = None) -> RowsPerKey:
    return RowsPerKey(name, rule, keys=dict(keys), expected=expected, complete_over=complete_over, per=per)


def sql_count(name: str, query: str, rule: str) -> SqlCount:
    return SqlCount(name, rule, query=query)


def share_within(name: str, expected: float, tolerance: float, rule: str) -> ShareWithin:
    return ShareWithin(name, rule, expected=expected, tolerance=tolerance)


def specs(asset_key: dg.AssetKey, checks: Iterable[Check]) -> list[dg.AssetCheckSpec]:
    return [check.spec(asset_key) for check in checks]


@dataclass
class Tally:
    """Violations of frame checks summed over the chunks of one run."""

    checks: Sequence[Check]
    parents: Mapping[str, pl.Series] = field(default_factory=dict)
    counts: dict[str, Counter] = field(init=False)
    rows: int = 0

    def __post_init__(self) -> None:
        self.counts = {check.name: Counter() for check in self.checks}

    def add(self, frame: pl.DataFrame) -> None:
        self.rows += frame.height
        for check in self.checks:
            self.counts[check.name].update(check.count(frame, self.parents))

    def results(self, **metadata: object) -> list[dg.AssetCheckResult]:
        return [check.result(self.counts[check.name], rows_checked=self.rows, **metadata) for check in self.checks]


def in_database(check: Check, relation: str, where: str = "TRUE") -> SqlCount:
    """``check`` rendered once as the query that counts its violations among ``relation``'s rows."""
    return SqlCount(check.name, check.rule, check.blocking, query=check.sql(relation, where))


def database_results(scalar, queries: Iterable[SqlCount], params: Mapping[str, object],
                     **metadata: object) -> list[dg.AssetCheckResult]:
    """Run each query through ``scalar(sql, **params)`` (a DuckDB or PostgreSQL target) and judge it."""
    return [query.result(int(scalar(query.query, **params) or 0), **metadata) for query in queries]
