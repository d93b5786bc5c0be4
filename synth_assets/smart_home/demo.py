"""The smart-home part of `synth demo`: 20 homes with their areas, devices and entities, their planted
rules, 28 days of events with the context days they need, the automations and home descriptions, one Home
Assistant export (the first home over the first 14 days) and one pattern-analysis day (the last, reading
all 28 days: the default window)."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import polars as pl

from synth_assets.core.files import read_text, scan_parquet
from synth_assets.core.object_store import S3Path, duckdb_views_problem
from synth_assets.core.resources import SynthSettings
from synth_assets.core.runner import Step, run_step
from synth_assets.smart_home.assets import GROUP
from synth_assets.smart_home.export.home_export import ARCHIVE_SUFFIX
from synth_assets.smart_home.layout import DIMENSION_TABLES, daily_path, family_path
from synth_assets.smart_home.training.assets import model_path

DEMO_HOMES = 20
DEMO_EVENT_DAYS = ("2024-01-08", "2024-02-04")   # four winter weeks (heating rules fire in the north): one window
DEMO_EXPORT_DAYS = ("2024-01-08", "2024-01-21")  # the Home Assistant export keeps two weeks
DEMO_ANALYSIS_DAY = DEMO_EVENT_DAYS[1]
DEMO_WINDOW_DAYS = 28                             # the default window: every demo day
PATTERN_TABLES = ("time_of_day_patterns", "co_occurrence_patterns", "chain_patterns")
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
    run_step(Step(f"smart home events {DEMO_EVENT_DAYS[0]}..{DEMO_EVENT_DAYS[1]} (their planted anomalies and the "
                  f"state changes the pattern analysis reads)", f"{GROUP}/events,{GROUP}/planted_anomalies,"
                  f"{GROUP}/state_changes",
                  partition_range=DEMO_EVENT_DAYS, run_config=run_config), log_dir)
    run_step(Step("smart home automations and home descriptions", f"{GROUP}/automations,{GROUP}/home_descriptions",
                  run_config=run_config), log_dir)
    run_step(Step(f"smart home Home Assistant export (first home, {DEMO_EXPORT_DAYS[0]}..{DEMO_EXPORT_DAYS[1]})",
                  f"{GROUP}/ha_export", partition_range=DEMO_EXPORT_DAYS, run_config=run_config), log_dir)
    analysis_config = {"resources": {**run_config["resources"], "smart_home": {"config": {
        "homes": DEMO_HOMES, "pattern_window_days": DEMO_WINDOW_DAYS}}}}
    run_step(Step(f"smart home patterns of analysis day {DEMO_ANALYSIS_DAY} ({', '.join(PATTERN_TABLES)})",
                  ",".join(f"{GROUP}/{table}" for table in PATTERN_TABLES), partition=DEMO_ANALYSIS_DAY,
                  run_config=analysis_config), log_dir)
    training = ",".join(f"{GROUP}/{t}" for t in ("device_graph_nodes", "device_graph_edges", "home_type_classifier"))
    run_step(Step(f"smart home device graph and home-type classifier of {DEMO_ANALYSIS_DAY}", training,
                  partition=DEMO_ANALYSIS_DAY, run_config=analysis_config), log_dir)
    run_step(Step(f"smart home anomalies of analysis day {DEMO_ANALYSIS_DAY}", f"{GROUP}/anomalies",
                  partition=DEMO_ANALYSIS_DAY, run_config=analysis_config), log_dir)
    run_step(Step(f"smart home automation suggestions and prompt/automation pairs of {DEMO_ANALYSIS_DAY}",
                  f"{GROUP}/automation_suggestions,{GROUP}/prompt_automation_pairs", partition=DEMO_ANALYSIS_DAY,
                  run_config=analysis_config), log_dir)
    day = date.fromisoformat(DEMO_ANALYSIS_DAY)  # counted from the day's files: on S3 there are no views to ask
    found = [_rows(settings, table, day).height for table in PATTERN_TABLES]
    suggestions = _rows(settings, "automation_suggestions", day)
    suggested = (suggestions.height, suggestions["home_id"].n_unique())
    phrased = _rows(settings, "prompt_automation_pairs", day).height
    tables = ", ".join(f"{GROUP}.{table}" for table in (*DIMENSION_TABLES, "correlations", *DEMO_CONTEXT, "events",
                                                         "automations", "home_descriptions", *PATTERN_TABLES))
    on_s3 = isinstance(settings.data_path, S3Path)
    views = f"no DuckDB views ({duckdb_views_problem(settings.data_path)})" if on_s3 else (
        f"{settings.duckdb_path}: views {tables}")
    export = (f"one tar per home: {family_path(settings.data_path)}/ha/home_00001{ARCHIVE_SUFFIX}" if on_s3
              else f"config directory: {family_path(settings.data_path)}/ha/home_00001/")
    return [f"smart home: {DEMO_HOMES} homes, events {DEMO_EVENT_DAYS[0]}..{DEMO_EVENT_DAYS[1]} in "
            f"{time.monotonic() - began:.1f} s",
            f"  {family_path(settings.data_path)}/; {views}",
            f"  Home Assistant {export} (docs/smart_home_export.md)",
            f"  patterns of {DEMO_ANALYSIS_DAY} ({DEMO_WINDOW_DAYS}-day window): {found[0]:,} recurring times of day, "
            f"{found[1]:,} pairs, {found[2]:,} chains; scores in the checks (docs/smart_home_patterns.md)",
            f"  device graph and home-type classifier of {DEMO_ANALYSIS_DAY}: {_model_summary(settings)} "
            f"(docs/smart_home_training.md)",
            f"  {suggested[0]:,} automation suggestions for {suggested[1]} homes "
            f"({family_path(settings.data_path)}/automation_suggestions/), {phrased:,} prompt/automation pairs "
            f"(JSONL per split beside the table)"]


def _rows(settings: SynthSettings, table: str, day: date) -> pl.DataFrame:
    """The rows of ``table``'s file of ``day`` (the demo has just written it)."""
    return scan_parquet([daily_path(settings.data_path, table, day)]).collect()


def _model_summary(settings: SynthSettings) -> str:
    metrics = json.loads(read_text(model_path(settings.data_path, date.fromisoformat(DEMO_ANALYSIS_DAY))))["metrics"]
    return (f"accuracy {metrics['accuracy']:.2f} (majority class {metrics['majority_baseline_accuracy']:.2f}) over "
            f"{metrics['n_homes']} homes, {metrics['n_folds']} folds")
