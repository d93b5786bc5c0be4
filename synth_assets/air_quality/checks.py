"""Air-quality asset checks: integrity of every chunk written, and the seed's distributions.

Bounds come from :class:`AirQualityMeasurement`, factors from :data:`PATTERNS`; nothing is
restated here. Checks are evaluated inside the assets on the data they write (one pass, no re-read),
and the yearly roll-up only publishes a year whose blocking checks pass.
"""

from __future__ import annotations

from collections import Counter

import dagster as dg
import numpy as np
import polars as pl
import pyarrow as pa

from synth_assets.air_quality import effects
from synth_assets.air_quality.measurements import HOURS_PER_DAY
from synth_assets.air_quality.models import DISTRIBUTION_TOLERANCE, PM25_PUBLISHED_TOLERANCE, AirQualityMeasurement
from synth_assets.core import checks

CITIES = "air_quality/city_profiles"
INTEGRITY = [
    checks.in_model_ranges(AirQualityMeasurement),
    checks.not_null(AirQualityMeasurement),
    checks.rows_per_key("rows_per_city_day", {"city_id": pl.col("city_id"), "day": pl.col("timestamp").dt.epoch("d")},
                        HOURS_PER_DAY, f"exactly {HOURS_PER_DAY} rows per city and day, for every selected city",
                        complete_over=("city_id", CITIES), per="day"),
    checks.unique_key("unique_city_timestamp", ["city_id", "timestamp"]),
    checks.foreign_key("city_fk", "city_id", CITIES),
]
INTEGRITY_RULES = {check.name: check.rule for check in INTEGRITY}
DISTRIBUTION = [
    checks.share_within(f"distribution_{name}", expected, DISTRIBUTION_TOLERANCE,
                        f"measured {name.replace('_', ' ')} effect equals the specified factor")
    for name, expected in effects.expected_effects().items()
]
PM25_PUBLISHED = checks.share_within(
    "distribution_annual_pm25_vs_published", 1.0, PM25_PUBLISHED_TOLERANCE,
    "every city's generated annual mean PM2.5 is its published annual mean (reference/city_pm25.csv or "
    "the national figure) within the tolerance; measured on whole years only")
DISTRIBUTION = [*DISTRIBUTION, PM25_PUBLISHED]
DISTRIBUTION_RULES = {check.name.removeprefix("distribution_"): check.rule for check in DISTRIBUTION}


def integrity_specs(asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return checks.specs(asset_key, INTEGRITY)


def distribution_specs(asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return checks.specs(asset_key, DISTRIBUTION)


UNIQUE_CITY_TIMESTAMP = next(c for c in INTEGRITY if isinstance(c, checks.UniqueKey)
                             and set(c.columns) == {"city_id", "timestamp"})
ROWS_PER_CITY_DAY = next(c for c in INTEGRITY if isinstance(c, checks.RowsPerKey))
_US_PER_DAY = 86_400_000_000


def in_time_and_city_order(table: pa.Table) -> bool:
    """Whether rows are strictly increasing in (timestamp, city_id), which also means no key repeats."""
    timestamps = table["timestamp"].to_numpy().view(np.int64)
    city_ids = table["city_id"].to_numpy()
    step_t, step_c = np.diff(timestamps), np.diff(city_ids)
    return bool(np.all((step_t > 0) | ((step_t == 0) & (step_c > 0))))


class IntegrityTally(checks.Tally):
    """Integrity violations of the hourly tables written in one run, summed over their chunks."""

    def __init__(self, city_ids: pl.Series):
        super().__init__(INTEGRITY, {CITIES: city_ids})

    def add(self, table: pa.Table) -> None:  # type: ignore[override]
        if not in_time_and_city_order(table):
            return super().add(pl.from_arrow(table, rechunk=False))
        # Strictly ordered keys are distinct: the same zero the hash count would find, without hashing.
        # Text columns are only checked for nulls, which Arrow counts without converting them to polars.
        text = [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        frame = pl.from_arrow(table.drop_columns(text), rechunk=False)  # a year: one chunk per daily file
        self.rows += frame.height
        for check in self.checks:
            if check is UNIQUE_CITY_TIMESTAMP:
                counts = Counter({"duplicates": 0})
            elif check is ROWS_PER_CITY_DAY and (
                    grid_counts := _rows_per_city_day_on_grid(table, self.parents[CITIES])) is not None:
                counts = grid_counts
            elif isinstance(check, checks.NotNull):
                counts = checks.count_nulls(frame, [c for c in check.columns if c not in text])
                counts.update({c: table[c].null_count for c in check.columns if c in text and table[c].null_count})
            else:
                counts = check.count(frame, self.parents)
            self.counts[check.name].update(counts)


def _rows_per_city_day_on_grid(table: pa.Table, city_ids: pl.Series) -> Counter | None:
    """:data:`ROWS_PER_CITY_DAY`'s counts when every hour of the ordered table holds exactly the selected
    cities: then each city has as many rows on a day as the day has hours, and nothing needs grouping.
    ``None`` when the table is not such a grid (the generic count decides)."""
    n = city_ids.len()
    if n == 0 or table.num_rows % n:
        return None
    ids = table["city_id"].to_numpy().reshape(-1, n)
    stamps = table["timestamp"].to_numpy().view(np.int64).reshape(-1, n)
    if not (np.array_equal(ids, np.broadcast_to(city_ids.to_numpy(), ids.shape)) and (stamps == stamps[:, :1]).all()):
        return None
    _, hours = np.unique(stamps[:, 0] // _US_PER_DAY, return_counts=True)  # UTC days, as timestamp.dt.epoch("d")
    return Counter({"wrong_group_size": n * int((hours != ROWS_PER_CITY_DAY.expected).sum()), "missing_keys": 0})


def distribution_results(grid: effects.Grid) -> list[dg.AssetCheckResult]:
    """The distribution checks measured on a grid."""
    pm25 = grid.values["pm25"]
    worst = effects.worst_pm25_ratio(grid.cities, pm25.mean(axis=1), pm25.shape[1])
    return distribution_results_of(effects.measure_effects(grid), worst, rows=pm25.size)


def distribution_results_of(observed_effects: dict[str, float | None], worst_pm25_ratio: float | None,
                            rows: int) -> list[dg.AssetCheckResult]:
    """The distribution checks from measured effects (e.g. summed from each day's stored sums)."""
    observed = {**observed_effects, PM25_PUBLISHED.name.removeprefix("distribution_"): worst_pm25_ratio}
    return [check.result(observed[check.name.removeprefix("distribution_")], rows_measured=rows)
            for check in DISTRIBUTION]


failed = checks.failed
