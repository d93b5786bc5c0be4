"""The smart-home part of `synth demo`: 20 homes with their areas, devices and entities."""

from __future__ import annotations

import time
from pathlib import Path

from synth_assets.core.resources import SynthSettings
from synth_assets.core.runner import Step, run_step
from synth_assets.smart_home.assets import GROUP
from synth_assets.smart_home.layout import DIMENSION_TABLES, family_path

DEMO_HOMES = 20


def run_demo(settings: SynthSettings, log_dir: Path) -> list[str]:
    """Materialize homes -> areas -> devices -> entities for the demo homes and say where they are."""
    began = time.monotonic()
    run_config = {"resources": {"smart_home": {"config": {"homes": DEMO_HOMES}},
                                "settings": {"config": {"data_dir": str(settings.data_path), "seed": settings.seed}}}}
    select = ",".join(f"{GROUP}/{table}" for table in DIMENSION_TABLES)
    run_step(Step(f"smart home ({', '.join(DIMENSION_TABLES)})", select, run_config=run_config), log_dir)
    tables = ", ".join(f"{GROUP}.{table}" for table in DIMENSION_TABLES)
    return [f"smart home: {DEMO_HOMES} homes in {time.monotonic() - began:.1f} s",
            f"  {family_path(settings.data_path)}/*.parquet; {settings.duckdb_path}: views {tables}"]
