"""`synth generate-data`: the seed's batch verb, run through `dagster asset materialize`.

City profiles, then every daily partition of the range in one run (single-run backfill), then the
yearly roll-up, with a progress display and a final summary read back from the files written (their
footers, identity checked). With an ``s3://`` data directory the same, over the objects (the log directory
stays local: ``synth_assets.cli.log_dir``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from synth_assets.air_quality import layout
from synth_assets.air_quality.assets import CITY_PROFILES, HOURLY, YEARLY
from synth_assets.air_quality.models import MEASUREMENT_SCHEMA
from synth_assets.core.files import map_files, stat_files
from synth_assets.core.identity import FileIdentity
from synth_assets.core.object_store import Location
from synth_assets.core.partitions import check_daily_window, check_not_in_future, days_in_window
from synth_assets.core.resources import check_air_quality_mode
from synth_assets.core.runner import Step, run_step
from synth_assets.core.storage import check_footer


@dataclass(frozen=True)
class Summary:
    rows: int
    files: int
    bytes: int
    seconds: float

    def lines(self, title: str) -> list[str]:
        return [f"{title}: {self.rows:,} rows in {self.files:,} files, {self.bytes / 1e6:,.1f} MB, "
                f"{self.seconds:.1f} s ({self.rows / self.seconds:,.0f} rows/s end to end)"]


def _files_newer_than(paths: list[Location], since: float) -> int:
    """Files of ``paths`` written since ``since`` (to the second: S3 stamps objects in whole seconds); on S3
    one listing per directory."""
    return sum(stat is not None and stat.mtime >= math.floor(since) for stat in stat_files(paths))


def _rows(paths: list[Location], identity: FileIdentity) -> int:
    """Rows of the daily files, from their footers, each checked (schema, identity) as every reader does."""
    def rows_of(path: Location) -> int:
        return check_footer(path, MEASUREMENT_SCHEMA, "re-run the same command", identity).num_rows

    return sum(map_files(rows_of, paths))


def check_request(mode: str, start: date, end: date) -> None:
    """Refuse an unknown mode or a window outside the partitions before anything runs."""
    check_air_quality_mode(mode)
    check_daily_window(start, end)
    check_not_in_future(end)


def generate(mode: str, start: date, end: date, data_dir: Location, seed: int, log_dir: Path,
             run_config: dict | None = None) -> Summary:
    """Materialize the air-quality family for ``mode`` over ``start <= day < end``."""
    check_request(mode, start, end)
    days = days_in_window(start, end)
    years = [y for y in sorted({d.year for d in days}) if date(y, 1, 1) >= start and date(y + 1, 1, 1) <= end]
    daily_files = [layout.daily_path(data_dir, mode, d) for d in days]
    yearly_files = [layout.yearly_path(data_dir, mode, y) for y in years]
    settings_config = {"air_quality_mode": mode, "data_dir": str(data_dir), "seed": seed}
    resources = {**(run_config or {}).get("resources", {}), "settings": {"config": settings_config}}
    run_config = {**(run_config or {}), "resources": resources}  # the verb's values win over the environment
    began = time.time()
    steps = [
        Step("air_quality/city_profiles", CITY_PROFILES.to_user_string(), run_config=run_config),
        Step("air_quality/hourly_measurements", HOURLY.to_user_string(), run_config=run_config,
             partition_range=(f"{days[0]}", f"{days[-1]}"), unit="days",
             progress=lambda: (_files_newer_than(daily_files, began), len(daily_files))),
    ]
    if years:  # only whole years are rolled up
        steps.append(Step("air_quality/yearly_measurements", YEARLY.to_user_string(), run_config=run_config,
                          partition_range=(str(years[0]), str(years[-1])), unit="years",
                          progress=lambda: (_files_newer_than(yearly_files, began), len(yearly_files))))
    seconds = sum(run_step(step, log_dir) for step in steps)
    rows = _rows(daily_files, layout.hourly_identity(seed, mode))
    size = sum(stat.size for stat in stat_files(daily_files + yearly_files) if stat is not None)
    return Summary(rows=rows, files=len(daily_files) + len(yearly_files), bytes=size, seconds=seconds)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD") from None
