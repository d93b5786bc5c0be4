"""The smart-home part of `synth demo`: 20 homes with their areas, devices and entities, their planted
rules, 14 days of events with the context days they need, the automations and home descriptions, and
one Home Assistant export (the first home over the 14 days)."""

from __future__ import annotations

import time
from pathlib import Path

from synth_assets.core.resources import SynthSettings
from synth_assets.core.runner import Step, run_step
from synth_assets.smart_home.assets import GROUP
from synth_assets.smart_home.layout import DIMENSION_TABLES, family_path

DEMO_HOMES = 20
DEMO_EVENT_DAYS = ("2024-01-08", "2024-01-21")   # two winter weeks: heating rules fire in the north
EVENT_CONTEXT = ("calendar", "weather", "external_data", "electricity_prices")
DEMO_CONTEXT = (*EVENT_CONTEXT, "carbon_intensity")   # the events read the first four


def run_demo(settings: SynthSettings, log_dir: Path) -> list[str]:
    """Materialize homes -> areas -> devices -> entities for the demo homes and say where they are."""
    began = time.monotonic()
    run_config = {"resources": {"smart_home": {"config": {"homes": DEMO_HOMES}},
                                "settings": {"config": {"data_dir": str(settings.data_path), "seed": settings.seed}}}}
    select = ",".join(f"{GROUP}/{table}" for table in DIMENSION_TABLES)
    run_step(Step(f"smart home ({', '.join(DIMENSION_TABLES)}, correlations)", f"{select},{GROUP}/correlations",
                  run_config=run_config), log_dir)
    context = ",".join(f"{GROUP}/{table}" for table in DEMO_CONTEXT)
    run_step(Step(f"smart home context ({', '.join(DEMO_CONTEXT)})", context,
                  partition_range=DEMO_EVENT_DAYS, run_config=run_config), log_dir)
    run_step(Step(f"smart home events {DEMO_EVENT_DAYS[0]}..{DEMO_EVENT_DAYS[1]}", f"{GROUP}/events",
                  partition_range=DEMO_EVENT_DAYS, run_config=run_config), log_dir)
    run_step(Step("smart home automations and home descriptions", f"{GROUP}/automations,{GROUP}/home_descriptions",
                  run_config=run_config), log_dir)
    run_step(Step(f"smart home Home Assistant export (first home, {DEMO_EVENT_DAYS[0]}..{DEMO_EVENT_DAYS[1]})",
                  f"{GROUP}/ha_export", partition_range=DEMO_EVENT_DAYS, run_config=run_config), log_dir)
    tables = ", ".join(f"{GROUP}.{table}" for table in (*DIMENSION_TABLES, "correlations", *DEMO_CONTEXT, "events",
                                                         "automations", "home_descriptions"))
    return [f"smart home: {DEMO_HOMES} homes, events {DEMO_EVENT_DAYS[0]}..{DEMO_EVENT_DAYS[1]} in "
            f"{time.monotonic() - began:.1f} s",
            f"  {family_path(settings.data_path)}/; {settings.duckdb_path}: views {tables}",
            f"  Home Assistant config directory: {family_path(settings.data_path)}/ha/home_00001/ "
            f"(docs/smart_home_export.md)"]
