"""The content part of `synth demo`: 10,000 rows per table into the DuckDB file, every day in one run."""

from __future__ import annotations

import time
from pathlib import Path

from synth_assets.content.assets import GROUP
from synth_assets.content.models import LOAD_ORDER
from synth_assets.core.resources import SynthSettings
from synth_assets.core.runner import Step, run_step
from synth_assets.deployment import content_days


def run_demo(settings: SynthSettings, log_dir: Path) -> list[str]:
    """Load the content tables into DuckDB (never a PostgreSQL ``DATABASE_URL``) and say where they are."""
    first, last = content_days()
    began = time.monotonic()
    run_config = {"resources": {"content": {"config": {"database_url": ""}},
                                "settings": {"config": {"data_dir": str(settings.data_path), "seed": settings.seed}}}}
    run_step(Step("content (users, items, jobs)", f"group:{GROUP}", partition_range=(f"{first}", f"{last}"),
                  run_config=run_config), log_dir)
    tables = ", ".join(f"{GROUP}.{table}" for table in LOAD_ORDER)
    return [f"content seed DB: {first} .. {last} in {time.monotonic() - began:.1f} s",
            f"  {settings.duckdb_path}: tables {tables}"]
