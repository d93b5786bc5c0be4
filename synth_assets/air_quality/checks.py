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
        frame = pl.from_arrow(table, rechunk=False)  # a year read from daily files: one chunk per file
        if not in_time_and_city_order(table):
            return super().add(frame)
        # Strictly ordered keys are distinct: the same zero the hash count would find, without hashing.
        self.rows += frame.height
        for check in self.checks:
            counts = (Counter({"duplicates": 0}) if check is UNIQUE_CITY_TIMESTAMP
                      else check.count(frame, self.parents))
            self.counts[check.name].update(counts)


def distribution_results(grid: effects.Grid) -> list[dg.AssetCheckResult]:
    observed = {**effects.measure_effects(grid),
                PM25_PUBLISHED.name.removeprefix("distribution_"): effects.worst_pm25_ratio(grid)}
    rows = grid.values["pm25"].size
    return [check.result(observed[check.name.removeprefix("distribution_")], rows_measured=rows)
            for check in DISTRIBUTION]


failed = checks.failed
