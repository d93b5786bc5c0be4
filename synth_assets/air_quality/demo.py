"""The air-quality part of `synth demo`: the sample cities over the default range, then the roll-ups."""

from __future__ import annotations

from pathlib import Path

from synth_assets.air_quality import generate_data_command, layout
from synth_assets.air_quality.models import DEFAULT_RANGE
from synth_assets.core import object_store
from synth_assets.core.resources import SynthSettings

MODE = "sample"


def run_demo(settings: SynthSettings, log_dir: Path) -> list[str]:
    """Materialize the sample and return what to print: the summary and where the files are."""
    start, end = DEFAULT_RANGE
    summary = generate_data_command.generate(MODE, start, end, settings.data_path, settings.seed, log_dir)
    data = settings.data_path
    views_problem = object_store.duckdb_views_problem(data)
    return [*summary.lines(f"air quality ({MODE})"),
            f"  {layout.hourly_dir(data, MODE)}/YYYY/YYYY-MM-DD.parquet   one file per day",
            f"  {layout.yearly_dir(data, MODE)}/YYYY.parquet              one file per year",
            f"  {settings.duckdb_path}: view air_quality.measurements" if views_problem is None
            else f"  no DuckDB view: {views_problem}"]
