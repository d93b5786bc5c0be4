"""Air-quality asset checks: integrity of every chunk written, and the seed's distributions.

Bounds come from :class:`AirQualityMeasurement`, factors from :data:`PATTERNS`; nothing is
restated here. Checks are evaluated inside the assets on the data they write (one pass, no re-read),
and the yearly roll-up only publishes a year whose blocking checks pass.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import dagster as dg
import polars as pl
import pyarrow as pa

from synth_assets.air_quality import effects
from synth_assets.air_quality.measurements import HOURS_PER_DAY
from synth_assets.air_quality.models import DISTRIBUTION_TOLERANCE, AirQualityMeasurement
from synth_assets.core import checks
from synth_assets.core.bounds import field_ranges, required_fields

BOUNDS = field_ranges(AirQualityMeasurement)
REQUIRED = required_fields(AirQualityMeasurement)

INTEGRITY_RULES = {
    "values_in_model_ranges": "every value inside the AirQualityMeasurement ranges",
    "no_nulls": "no null or NaN in any column",
    "rows_per_city_day": f"exactly {HOURS_PER_DAY} rows per city and day, for every selected city",
    "unique_city_timestamp": "no duplicate (city_id, timestamp)",
    "city_fk": "every city_id exists in air_quality/city_profiles",
}
DISTRIBUTION_RULES = {
    name: f"measured {name.replace('_', ' ')} effect equals the specified factor"
    for name in effects.expected_effects()
}


def integrity_specs(asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(name, asset=asset_key, description=rule, blocking=True)
            for name, rule in INTEGRITY_RULES.items()]


def distribution_specs(asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(f"distribution_{name}", asset=asset_key, description=rule, blocking=True)
            for name, rule in DISTRIBUTION_RULES.items()]


@dataclass
class IntegrityTally:
    """Integrity violations summed over the chunks of one run."""

    city_ids: pl.Series
    counts: dict[str, Counter] = field(default_factory=lambda: {name: Counter() for name in INTEGRITY_RULES})
    rows: int = 0

    def add(self, table: pa.Table) -> None:
        frame = pl.from_arrow(table)
        self.rows += frame.height
        self.counts["values_in_model_ranges"].update(checks.count_out_of_range(frame, BOUNDS))
        self.counts["no_nulls"].update(checks.count_nulls(frame, REQUIRED))
        with_day = frame.select("city_id", day=pl.col("timestamp").dt.epoch("d"))
        self.counts["rows_per_city_day"]["wrong_group_size"] += checks.count_wrong_group_sizes(
            with_day, ["city_id", "day"], HOURS_PER_DAY)
        cities_per_day = with_day.group_by("day").agg(pl.col("city_id").n_unique())
        self.counts["rows_per_city_day"]["missing_cities"] += int(
            (self.city_ids.len() - cities_per_day["city_id"]).sum())
        self.counts["unique_city_timestamp"]["duplicates"] += checks.count_duplicates(
            frame, ["city_id", "timestamp"])
        self.counts["city_fk"]["orphans"] += checks.count_orphans(frame, "city_id", self.city_ids)

    def results(self) -> list[dg.AssetCheckResult]:
        return [checks.violations_result(name, self.counts[name], rule=rule, rows_checked=self.rows)
                for name, rule in INTEGRITY_RULES.items()]


def distribution_results(grid: effects.Grid) -> list[dg.AssetCheckResult]:
    observed = effects.measure_effects(grid)
    rows = grid.values["pm25"].size
    return [
        checks.ratio_result(f"distribution_{name}", observed=observed[name], expected=expected,
                            tolerance=DISTRIBUTION_TOLERANCE, what=DISTRIBUTION_RULES[name],
                            rows_measured=rows)
        for name, expected in effects.expected_effects().items()
    ]


def failed(results: list[dg.AssetCheckResult]) -> list[str]:
    return [r.check_name for r in results if not r.passed and r.severity == dg.AssetCheckSeverity.ERROR]
