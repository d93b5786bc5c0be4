"""``smart_home/prompt_automation_pairs``: requests in words paired with the automation YAML that does them
(training.prompt_pairs), for fine-tuning a language model.

Each partition is an analysis day D: every automation of ``smart_home.automations`` and D's
``automation_suggestions``, phrased 1-3 ways. Files: the table
``<data_dir>/smart_home/prompt_automation_pairs/<yyyy>/<yyyy-mm-dd>.parquet`` (view
``smart_home.prompt_automation_pairs``) and beside it ``<yyyy-mm-dd>.<split>.jsonl`` for each split, one
``{"prompt": ..., "completion": ...}`` per line (the format fine-tuning tools read), each written
atomically. Every day of the run is read before anything is written.
"""


from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import yaml

from synth_assets.core import metadata as md
from synth_assets.core.checks import Check, Tally, share_within, specs, unique_key
from synth_assets.core.partitions import daily_partitions, days_in_window
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import (
    remove_stale_temp_files,
    write_parquet_atomic,
    write_text_atomic,
)
from synth_assets.smart_home import layout
from synth_assets.smart_home.export.registries import friendly_names
from synth_assets.smart_home.patterns.layout import pattern_command, pattern_identity, read_pattern_day
from synth_assets.smart_home.patterns.models import AUTOMATION_SUGGESTIONS_SCHEMA
from synth_assets.smart_home.patterns.suggestion_assets import read_automations
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets.smart_home.training.prompt_pairs import (
    PROMPT_PAIRS_SCHEMA,
    PROMPT_PAIRS_SCHEMA_VERSION,
    SPLIT_SHARES,
    SPLITS,
    prompt_pairs,
)
from synth_assets.smart_home.views import publish_view

FAMILY = layout.FAMILY
TABLE = "prompt_automation_pairs"
TRAINING_GROUP = "smart_home_training"
PROMPT_PAIRS = dg.AssetKey([FAMILY, TABLE])
UPSTREAM = {t: dg.AssetKey([FAMILY, t]) for t in ("automations", "automation_suggestions", "entities", "devices",
                                                  "areas", "homes")}
SPLIT_MEASURED_FROM_HOMES = 20
"""Below this many homes a split's share of homes is not judged: a partial block of ten moves it too much."""
SPLIT_TOLERANCE = {"train": 0.15, "validation": 0.6, "test": 0.6}
"""Relative tolerances that admit any partial last block from 20 homes on (train 0.68-0.92, others 0.04-0.16)."""

PROMPT_NOT_EMPTY = Check("prompt_not_empty", "every pair has a prompt with words in it")
COMPLETION_IS_ONE_AUTOMATION = Check("completion_is_one_automation",
                                     "every completion parses as YAML into one automation with trigger, condition "
                                     "and action")
SPLIT_CHECKS = [share_within(f"split_share_{split}", SPLIT_SHARES[split], SPLIT_TOLERANCE[split],
                             f"share of homes in {split} ({SPLIT_SHARES[split]:.0%}), judged from "
                             f"{SPLIT_MEASURED_FROM_HOMES} homes") for split in SPLITS]
UNIQUE = unique_key("unique_pair_id", ["analysis_day", "pair_id"])


def jsonl_path(data_dir: Path, day: date, split: str) -> Path:
    return layout.daily_path(data_dir, TABLE, day).with_suffix(f".{split}.jsonl")


def _jsonl(frame: pl.DataFrame) -> str:
    return frame.select("prompt", "completion").write_ndjson() if frame.height else ""


def is_one_automation(text: str) -> bool:
    """A YAML mapping with an automation's trigger, condition and action."""
    try:
        loaded = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and all(key in loaded for key in ("trigger", "condition", "action"))


def judge(frame: pl.DataFrame) -> list[dg.AssetCheckResult]:
    empty = int(frame.select((pl.col("prompt").is_null() | (pl.col("prompt").str.strip_chars() == "")).sum()).item())
    malformed = sum(not is_one_automation(text) for text in frame["completion"])
    unique = Tally([UNIQUE])
    unique.add(frame)
    homes = frame.group_by("split").agg(pl.col("home_id").n_unique())
    total = frame["home_id"].n_unique()
    shares = {split: n / total for split, n in homes.iter_rows()} if total else {}
    measured = total >= SPLIT_MEASURED_FROM_HOMES
    return [PROMPT_NOT_EMPTY.result(empty, rows_checked=frame.height),
            COMPLETION_IS_ONE_AUTOMATION.result(malformed, rows_checked=frame.height), *unique.results(),
            *[check.result(shares.get(split, 0.0) if measured else None, homes=total)
              for check, split in zip(SPLIT_CHECKS, SPLITS, strict=True)]]


@dg.asset(key=PROMPT_PAIRS, group_name=TRAINING_GROUP, kinds={"polars", "parquet", "json", "duckdb"}, pool="duckdb",
          deps=list(UPSTREAM.values()), partitions_def=daily_partitions,
          backfill_policy=dg.BackfillPolicy.single_run(),
          check_specs=specs(PROMPT_PAIRS, [PROMPT_NOT_EMPTY, COMPLETION_IS_ONE_AUTOMATION, UNIQUE, *SPLIT_CHECKS]),
          description="Natural-language requests paired with the Home Assistant automation YAML that does them "
                      "(every automation of the homes and the day's suggestions, 1-3 phrasings each), split "
                      "train/validation/test by whole homes; Parquet + one JSONL per split.")
def prompt_automation_pairs(context: dg.AssetExecutionContext, settings: SynthSettings,
                            smart_home: SmartHomeSettings) -> dg.MaterializeResult:
    config, patterns = smart_home.config(settings.seed), smart_home.patterns()
    span = context.partition_time_window
    days = days_in_window(span.start.date(), span.end.date())
    suggestions_identity = pattern_identity("automation_suggestions", config, patterns)
    suggested = {day: read_pattern_day(settings.data_path, "automation_suggestions", day,
                                       AUTOMATION_SUGGESTIONS_SCHEMA, suggestions_identity) for day in days}
    dims = {t: layout.read_made(settings.data_path, t, config)
            for t in ("homes", "entities", "devices", "areas")}
    entities = dims["entities"].with_columns(friendly_name=friendly_names(dims["entities"], dims["devices"]))
    existing = read_automations(settings.data_path, config).select(
        "home_id", pl.lit("automation").alias("source"), "automation_id", "yaml").cast(pl.String)
    identity = pattern_identity(TABLE, config, patterns, PROMPT_PAIRS_SCHEMA_VERSION)
    remove_stale_temp_files(layout.daily_dir(settings.data_path, TABLE))
    frames = []
    for day in days:
        rows = pl.concat([existing, suggested[day].select(
            "home_id", pl.lit("suggestion").alias("source"), pl.col("suggestion_id").alias("automation_id"), "yaml")])
        frame = prompt_pairs(config.seed, day, rows, entities, dims["areas"], dims["homes"])
        write_parquet_atomic(frame.to_arrow(), layout.daily_path(settings.data_path, TABLE, day), PROMPT_PAIRS_SCHEMA,
                             identity)
        for split in SPLITS:
            write_text_atomic(jsonl_path(settings.data_path, day, split),
                              _jsonl(frame.filter(pl.col("split") == split)))
        frames.append(frame)
    view = publish_view(settings, TABLE, layout.daily_glob(settings.data_path, TABLE), expected=PROMPT_PAIRS_SCHEMA,
                        identity=identity,
                        fix=f"re-make its days with this run's settings ({pattern_command(TABLE, days[0])})")
    every = pl.concat(frames)
    by_split = every.group_by("split", "source").agg(pairs=pl.len(), homes=pl.col("home_id").n_unique(),
                                                     automations=pl.struct("home_id", "automation_id").n_unique())
    context.log.info(f"smart_home.prompt_automation_pairs: {every.height:,} pairs over {len(days)} day(s)")
    return dg.MaterializeResult(
        metadata={**md.table_metadata(PROMPT_PAIRS_SCHEMA, every.height,
                                      every.select("home_id", "source", "split", "prompt").head(8)),
                  "by_split": md.markdown_preview(by_split.sort("split", "source")),
                  "analysis_days": len(days), "table": f"{FAMILY}.{TABLE}", "duckdb_view": view,
                  "jsonl": dg.MetadataValue.path(str(jsonl_path(settings.data_path, days[-1], "train"))),
                  "directory": dg.MetadataValue.path(str(layout.daily_dir(settings.data_path, TABLE)))},
        check_results=judge(every))


PROMPT_PAIR_ASSETS = [prompt_automation_pairs]
