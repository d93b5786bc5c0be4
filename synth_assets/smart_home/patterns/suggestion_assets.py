"""``smart_home/automation_suggestions``: the day's Home Assistant automation suggestions (patterns.suggestions)
as a table and as one ``automations.yaml`` per home.

Each partition is an analysis day D. It reads D's ``co_occurrence_patterns``, ``chain_patterns`` and
``time_of_day_patterns`` (patterns.layout.read_pattern_day: a missing or foreign day is an error naming the
command that makes it), the homes' automations (``smart_home.automations``), entities and devices; every
day of the run is read before anything is written. Files: the table
``<data_dir>/smart_home/automation_suggestions/<yyyy>/<yyyy-mm-dd>.parquet`` (view
``smart_home.automation_suggestions``) and ``.../<yyyy>/<yyyy-mm-dd>/<home_id>.yaml`` per home with
suggestions (a list of automations Home Assistant loads as an ``automations.yaml``), the day's directory
built aside and swapped in with renames.
"""


import shutil
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pyarrow as pa

from synth_assets.core import metadata as md
from synth_assets.core import object_store
from synth_assets.core.checks import Check, Tally, foreign_key, in_model_ranges, specs, unique_key
from synth_assets.core.object_store import Location, S3Path
from synth_assets.core.partitions import daily_partitions, days_in_window
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import (
    remove_stale_temp_files,
    swap_in_directory,
    write_parquet_atomic,
)
from synth_assets.smart_home import layout
from synth_assets.smart_home.export.automations import AUTOMATION_COLUMNS
from synth_assets.smart_home.export.registries import friendly_names
from synth_assets.smart_home.models import SmartHomeConfig
from synth_assets.smart_home.patterns.automation_links import (
    AutomationYamlError,
    automation_links,
    duplicates,
    entity_refs,
    load_automation,
)
from synth_assets.smart_home.patterns.layout import pattern_command, pattern_identity, read_pattern_day
from synth_assets.smart_home.patterns.models import (
    AUTOMATION_SUGGESTIONS_SCHEMA,
    CHAIN_SCHEMA,
    CO_OCCURRENCE_SCHEMA,
    GROUP,
    TIME_OF_DAY_SCHEMA,
    PatternConfig,
)
from synth_assets.smart_home.patterns.suggestions import SuggestionBounds, suggest_automations
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets.smart_home.views import publish_view

FAMILY = layout.FAMILY
TABLE = "automation_suggestions"
SUGGESTIONS = dg.AssetKey([FAMILY, TABLE])
UPSTREAM = {t: dg.AssetKey([FAMILY, t]) for t in ("co_occurrence_patterns", "chain_patterns", "time_of_day_patterns",
                                                  "automations", "entities", "devices", "homes")}
PATTERN_TABLES = {"co_occurrence_patterns": CO_OCCURRENCE_SCHEMA, "chain_patterns": CHAIN_SCHEMA,
                  "time_of_day_patterns": TIME_OF_DAY_SCHEMA}
AUTOMATIONS_SCHEMA = pa.schema([(column, pa.large_string()) for column in AUTOMATION_COLUMNS])
"""``smart_home.automations`` as export/assets.py writes it (polars strings)."""
ENTITY_KEYS = "entity_keys"
SEP = "/"

YAML_IS_ONE_AUTOMATION = Check("yaml_is_one_automation",
                               "every suggestion's YAML parses as a list of one automation with trigger, condition "
                               "and action")
NO_DUPLICATE = Check("no_duplicate_of_an_existing_automation",
                     "no suggestion does what an automation of its home already does (patterns.automation_links)")
FRAME_CHECKS = [in_model_ranges(SuggestionBounds, "confidence_and_support_in_range"),
                unique_key("unique_suggestion_id", ["analysis_day", "suggestion_id"]),
                foreign_key("yaml_entities_exist", "entity_key", ENTITY_KEYS, rule="every entity id a suggestion's "
                            "YAML names is one of its home's smart_home.entities")]


def replace_directory(files: dict[str, str], target: Location) -> None:
    """``target`` holding exactly ``files`` (name -> text): built aside, then swapped in with renames; on S3
    each file an object uploaded whole and the earlier version's other objects deleted
    (:func:`object_store.replace_objects`: no swap of the whole prefix)."""
    if isinstance(target, S3Path):
        object_store.replace_objects(files, target)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    built = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        built.mkdir()
        for name, text in files.items():
            (built / name).write_text(text, encoding="utf-8")
        swap_in_directory(built, target)
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise


def yaml_dir(data_dir: Location, day: date) -> Location:
    """``<data_dir>/smart_home/automation_suggestions/<yyyy>/<yyyy-mm-dd>/``: one ``<home_id>.yaml`` per home."""
    return layout.daily_path(data_dir, TABLE, day).with_suffix("")


def read_automations(data_dir: Path, config: SmartHomeConfig) -> pl.DataFrame:
    return layout.read_made(data_dir, "automations", config, schema=AUTOMATIONS_SCHEMA)


def entity_keys(entities: pl.DataFrame) -> pl.Series:
    return entities.select(pl.format("{}" + SEP + "{}", "home_id", "entity_id")).to_series()


def judge(frame: pl.DataFrame, existing_links: pl.DataFrame, keys: pl.Series) -> list[dg.AssetCheckResult]:
    """The checks on suggestion rows, each read back from the written YAML."""
    malformed, refs, readable = 0, [], []
    for home_id, suggestion_id, text in frame.select("home_id", "suggestion_id", "yaml").iter_rows():
        try:
            named = entity_refs(load_automation(text, suggestion_id))
        except AutomationYamlError:
            malformed += 1
            continue
        refs += [f"{home_id}{SEP}{e}" for e in sorted(named)]
        readable.append(suggestion_id)
    tally = Tally(FRAME_CHECKS[:2])
    tally.add(frame)
    fk = Tally(FRAME_CHECKS[2:], parents={ENTITY_KEYS: keys})
    fk.add(pl.DataFrame({"entity_key": refs}, schema={"entity_key": pl.String}))
    links = automation_links(frame.filter(pl.col("suggestion_id").is_in(readable)), "suggestion_id")
    return [YAML_IS_ONE_AUTOMATION.result(malformed, rows_checked=frame.height),
            NO_DUPLICATE.result({"duplicates": duplicates(links, existing_links).height}, rows_checked=frame.height),
            *tally.results(), *fk.results()]


@dg.asset(key=SUGGESTIONS, group_name=GROUP, kinds={"polars", "parquet", "yaml", "duckdb"}, pool="duckdb",
          deps=list(UPSTREAM.values()), partitions_def=daily_partitions,
          backfill_policy=dg.BackfillPolicy.single_run(),
          check_specs=specs(SUGGESTIONS, [YAML_IS_ONE_AUTOMATION, NO_DUPLICATE, *FRAME_CHECKS]),
          description="Home Assistant automations suggested from the analysis day's co-occurrence pairs, 3-4 entity "
                      "chains and regular times, each with a confidence (Wilson lower bound) and a reason; those "
                      "duplicating an automation the home has are skipped. Table + one automations.yaml per home.")
def automation_suggestions(context: dg.AssetExecutionContext, settings: SynthSettings,
                           smart_home: SmartHomeSettings) -> dg.MaterializeResult:
    config, patterns = smart_home.config(settings.seed), smart_home.patterns()
    span = context.partition_time_window
    days = days_in_window(span.start.date(), span.end.date())
    inputs = {day: _patterns_of(settings.data_path, config, patterns, day) for day in days}   # all before a write
    dims = {t: layout.read_made(settings.data_path, t, config)
            for t in ("homes", "entities", "devices")}
    entities = dims["entities"].with_columns(friendly_name=friendly_names(dims["entities"], dims["devices"]))
    existing = automation_links(read_automations(settings.data_path, config))
    identity = pattern_identity(TABLE, config, patterns)
    remove_stale_temp_files(layout.daily_dir(settings.data_path, TABLE))
    frames, skipped = [], Counter()
    for day in days:
        found = suggest_automations(day, *inputs[day], existing, entities, dims["homes"], patterns)
        frame = found.frame
        write_parquet_atomic(frame.to_arrow(), layout.daily_path(settings.data_path, TABLE, day),
                             AUTOMATION_SUGGESTIONS_SCHEMA, identity)
        replace_directory({f"{home_id}.yaml": "".join(part["yaml"])
                           for (home_id,), part in frame.group_by("home_id", maintain_order=True)},
                          yaml_dir(settings.data_path, day))
        frames.append(frame)
        skipped.update(found.skipped)
    view = publish_view(settings, TABLE, layout.daily_glob(settings.data_path, TABLE),
                        expected=AUTOMATION_SUGGESTIONS_SCHEMA, identity=identity,
                        fix=f"re-make its days with this run's settings ({pattern_command(TABLE, days[0])})")
    every = pl.concat(frames)
    context.log.info(f"smart_home.automation_suggestions: {every.height:,} suggestions over {len(days)} day(s)")
    by_kind = every.group_by("kind").agg(suggestions=pl.len(), homes=pl.col("home_id").n_unique(),
                                         median_confidence=pl.col("confidence").median().round(3)).sort("kind")
    return dg.MaterializeResult(
        metadata={**md.table_metadata(AUTOMATION_SUGGESTIONS_SCHEMA, every.height,
                                      every.select("home_id", "kind", "confidence", "reason").head(8)),
                  "by_kind": md.markdown_preview(by_kind),
                  "skipped": md.markdown_preview(pl.DataFrame({"reason": list(skipped),
                                                               "candidates": list(skipped.values())}),
                                                 rows=len(skipped)),
                  "skipped_duplicates": skipped["pair_duplicate_exact"] + skipped["pair_duplicate_variant"]
                  + skipped["time_target_automated"],
                  "analysis_days": len(days), "table": f"{FAMILY}.{TABLE}", "duckdb_view": view,
                  "directory": dg.MetadataValue.path(str(layout.daily_dir(settings.data_path, TABLE)))},
        check_results=judge(every, existing, entity_keys(dims["entities"])))


def _patterns_of(data_dir: Path, config: SmartHomeConfig, patterns: PatternConfig,
                 day: date) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return tuple(read_pattern_day(data_dir, table, day, schema, pattern_identity(table, config, patterns))
                 for table, schema in PATTERN_TABLES.items())


SUGGESTION_ASSETS = [automation_suggestions]
