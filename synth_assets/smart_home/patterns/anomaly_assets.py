"""``smart_home/anomalies``: the events of each analysis day that deviate from their entity's baseline on the
window's days before it (patterns/anomalies.py), scored against ``smart_home/planted_anomalies``.

Each partition is an analysis day D reading events D-(window_days-1)..D (patterns.window: every window of
the run complete before anything is written, else one error naming the missing days and their commands).
Checks: structural ones block; precision and recall against the planted anomalies of D are a WARN (a
statistical measurement: downstream runs), with the table by kind as metadata.
"""


from collections import Counter
from dataclasses import dataclass
from datetime import date

import dagster as dg
import polars as pl

from synth_assets.core import files
from synth_assets.core import metadata as md
from synth_assets.core.checks import Check, Tally, foreign_key, specs, unique_key
from synth_assets.core.identity import FileIdentity
from synth_assets.core.partitions import daily_partitions, days_in_window
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import (
    check_footer,
    read_parquet_checked,
    remove_stale_temp_files,
    write_parquet_atomic,
)
from synth_assets.smart_home import layout
from synth_assets.smart_home.events.anomaly_assets import PLANTED_ANOMALIES
from synth_assets.smart_home.events.anomaly_assets import TABLE as PLANTED_TABLE
from synth_assets.smart_home.events.models import EVENTS_SCHEMA_VERSION
from synth_assets.smart_home.models import EVENTS_SCHEMA, PLANTED_ANOMALIES_SCHEMA
from synth_assets.smart_home.patterns.anomalies import detect_in_blocks, local_day_starts, score
from synth_assets.smart_home.patterns.layout import pattern_command, pattern_identity
from synth_assets.smart_home.patterns.models import ANOMALIES_SCHEMA, ANOMALY_KINDS, GROUP
from synth_assets.smart_home.patterns.window import events_command, require_event_days, window_days
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets.smart_home.views import publish_view

FAMILY = layout.FAMILY
TABLE = "anomalies"
ANOMALIES = dg.AssetKey([FAMILY, TABLE])
EVENTS = dg.AssetKey([FAMILY, "events"])
READ_COLUMNS = ("home_id", "entity_id", "timestamp", "state", "context_user_id")
TARGET = 0.8   # precision and recall the WARN check holds the detector to (the issue names none: estimate)


@dataclass(frozen=True)
class WellFormed(Check):
    def count(self, frame, parents=None) -> Counter:
        return Counter({"unknown_kind": int((~frame["kind"].is_in(list(ANOMALY_KINDS))).sum()),
                        "score_not_positive": int((frame["score"].fill_nan(0.0) <= 0).sum()),
                        "no_reason": int(frame["reason"].is_null().sum()),
                        "outside_analysis_day": int((~frame["on_analysis_day"]).sum())})


ANOMALY_CHECKS = (
    unique_key("one_row_per_anomaly", ["home_id", "entity_id", "kind", "timestamp"]),
    foreign_key("anomaly_entity_exists", "key", "entities", rule="every (home_id, entity_id) exists in entities"),
    WellFormed("well_formed_anomalies", "a kind of ANOMALY_KINDS, a positive score, a reason, a timestamp on the "
                                        "analysis day of the home"),
)
SCORE_CHECK = "anomalies_precision_recall_vs_planted"


def _window_reader(settings: SynthSettings, identity: FileIdentity, days: list[date]):
    """A reader of the window's events of some homes (the columns the detector reads), every file's footer
    checked first."""
    paths = [layout.daily_path(settings.data_path, "events", day) for day in days]
    for day, path in zip(days, paths, strict=True):
        check_footer(path, EVENTS_SCHEMA, f"re-make it: {events_command(day, day)}", identity)
    scan = files.scan_parquet(paths).select(list(READ_COLUMNS))

    def read(home_ids: list[str]) -> pl.DataFrame:   # a range first: row groups are skipped by their statistics
        block = scan.filter(pl.col("home_id").is_between(pl.lit(min(home_ids)), pl.lit(max(home_ids))))
        return block.filter(pl.col("home_id").is_in(home_ids)).collect()

    return read


def _planted(settings: SynthSettings, config, day: date) -> pl.DataFrame | None:
    path = layout.daily_path(settings.data_path, PLANTED_TABLE, day)
    if not path.exists():
        return None
    identity = layout.table_identity(PLANTED_TABLE, config, EVENTS_SCHEMA_VERSION)
    return pl.from_arrow(read_parquet_checked(path, PLANTED_ANOMALIES_SCHEMA, identity=identity,
                                              fix=f"re-run: {pattern_command(PLANTED_TABLE, day)}"))


def _on_analysis_day(detected: pl.DataFrame, homes: pl.DataFrame, day: date) -> pl.DataFrame:
    """``on_analysis_day``: the row's timestamp inside its home's local day ``day``."""
    starts = local_day_starts(homes, day, 1)
    bounds = homes.select("home_id", low=pl.Series(starts[:, 0]), high=pl.Series(starts[:, 1]))
    stamp = pl.col("timestamp").dt.epoch("us")
    return detected.join(bounds, on="home_id", how="left").with_columns(
        on_analysis_day=((stamp >= pl.col("low")) & (stamp < pl.col("high"))).fill_null(False))


def score_result(scores: pl.DataFrame | None, missing_days: list[date]) -> dg.AssetCheckResult:
    """Precision and recall of the run's days (summed) against the planted anomalies, a WARN below TARGET."""
    if scores is None:
        return dg.AssetCheckResult(
            check_name=SCORE_CHECK, passed=False, severity=dg.AssetCheckSeverity.WARN,
            description="no planted anomalies to score against: materialize "
                        f"smart_home/{PLANTED_TABLE} for {', '.join(d.isoformat() for d in missing_days)}")
    total = (scores.group_by("kind", maintain_order=True).agg(pl.col("detected", "true_detected", "planted",
                                                                    "found").sum())
             .with_columns(precision=pl.col("true_detected") / pl.col("detected"),
                           recall=pl.col("found") / pl.col("planted")).fill_nan(None))
    overall = total.filter(pl.col("kind") == "all").row(0, named=True)
    precision, recall = overall["precision"], overall["recall"]
    passed = (precision is None or precision >= TARGET) and (recall is None or recall >= TARGET)
    return dg.AssetCheckResult(
        check_name=SCORE_CHECK, passed=passed, severity=dg.AssetCheckSeverity.WARN,
        description=f"overall precision {precision} / recall {recall} against planted_anomalies (target {TARGET})",
        metadata={"precision": dg.MetadataValue.float(float(precision if precision is not None else float("nan"))),
                  "recall": dg.MetadataValue.float(float(recall if recall is not None else float("nan"))),
                  "planted": int(overall["planted"]), "detected": int(overall["detected"]),
                  "by_kind": md.markdown_preview(total, rows=10)})


@dg.asset(key=ANOMALIES, group_name=GROUP, kinds={"polars", "parquet", "duckdb"}, pool="duckdb",
          deps=[EVENTS, PLANTED_ANOMALIES, *(dg.AssetKey([FAMILY, t]) for t in ("homes", "devices", "entities"))],
          partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run(),
          check_specs=[*specs(ANOMALIES, ANOMALY_CHECKS),
                       dg.AssetCheckSpec(SCORE_CHECK, asset=ANOMALIES, blocking=False,
                                         description="precision and recall against smart_home.planted_anomalies")],
          description="Events of the analysis day that deviate from their entity's baseline on the window's days "
                      "before it (unusual time, duration, value, volume), with a score and a reason; scored "
                      "against the planted anomalies.")
def anomalies(context: dg.AssetExecutionContext, settings: SynthSettings,
              smart_home: SmartHomeSettings) -> dg.MaterializeResult:
    config, patterns = smart_home.config(settings.seed), smart_home.patterns()
    span = context.partition_time_window
    windows = [(day, window_days(day, patterns.window_days)) for day in days_in_window(span.start.date(),
                                                                                       span.end.date())]
    for day, days in windows:   # every window complete before the first write
        require_event_days(settings.data_path, day, days)
    homes, devices, entities = (layout.read_made(settings.data_path, t, config)
                                for t in ("homes", "devices", "entities"))
    entities = entities.join(devices.select("device_id", "device_type"), on="device_id", how="left")
    events_identity = layout.table_identity("events", config, EVENTS_SCHEMA_VERSION)
    identity = pattern_identity(TABLE, config, patterns)
    remove_stale_temp_files(layout.daily_dir(settings.data_path, TABLE))
    tally = Tally(ANOMALY_CHECKS, parents={"entities": entities.select(
        pl.format("{}/{}", "home_id", "entity_id")).to_series()})
    # every events footer and planted-anomaly file checked before the first write
    readers = {day: _window_reader(settings, events_identity, days) for day, days in windows}
    truth = {day: _planted(settings, config, day) for day, _ in windows}
    found, scores, missing = [], [], []
    for day, _ in windows:
        detected = detect_in_blocks(readers[day], entities, homes, day, patterns.window_days)
        tally.add(_on_analysis_day(detected, homes, day).with_columns(key=pl.format("{}/{}", "home_id",
                                                                                    "entity_id")))
        write_parquet_atomic(detected.to_arrow(), layout.daily_path(settings.data_path, TABLE, day),
                             ANOMALIES_SCHEMA, identity)
        planted = truth[day]
        if planted is None:
            missing.append(day)
        else:
            scores.append(score(detected, planted))
        found.append(detected)
    view = publish_view(settings, TABLE, layout.daily_glob(settings.data_path, TABLE), expected=ANOMALIES_SCHEMA,
                        identity=identity,
                        fix=f"re-make its days with this run's settings ({pattern_command(TABLE, windows[0][0])})")
    frame = pl.concat(found)
    context.log.info(f"smart_home.anomalies: {frame.height} in {len(windows)} analysis day(s)")
    return dg.MaterializeResult(
        metadata={**md.table_metadata(ANOMALIES_SCHEMA, frame.height, frame.head(8)),
                  "analysis_days": len(windows), "window_days": patterns.window_days,
                  "by_kind": md.markdown_preview(frame.group_by("kind").len().sort("kind"), rows=10),
                  "directory": dg.MetadataValue.path(str(layout.daily_dir(settings.data_path, TABLE))),
                  "table": f"{FAMILY}.{TABLE}", "duckdb_view": view},
        check_results=[*tally.results(), score_result(pl.concat(scores) if scores and not missing else None,
                                                      missing)])


ANOMALY_ASSETS = [anomalies]
