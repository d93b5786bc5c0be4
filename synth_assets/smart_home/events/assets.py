"""``smart_home/correlations`` (unpartitioned) and ``smart_home/events`` (one file per home-local day).

Both read their parents' files (refused if made with another seed or config). Events also read the same
day's context partitions (calendar, weather, external_data, electricity_prices); a missing one is an
error naming the table, the day and the command that makes it. A backfill of any range is one run; each
day is a pure function of (seed, day, homes and their rules), so a range run writes the same bytes as
one run per day. Checks are counted per day and reported once per run.
"""


from collections import Counter
from datetime import date, timedelta

import dagster as dg
import polars as pl

from synth_assets.core import files
from synth_assets.core import metadata as md
from synth_assets.core.backfill import daily_backfill_policy
from synth_assets.core.identity import FileIdentity
from synth_assets.core.partitions import daily_partitions, days_in_window
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import (
    CorruptFileError,
    read_parquet_checked,
    remove_stale_temp_files,
    write_parquet_atomic,
)
from synth_assets.smart_home import layout
from synth_assets.smart_home.context import models as context_models
from synth_assets.smart_home.context.assets import SCHEMAS as CONTEXT_SCHEMAS
from synth_assets.smart_home.events.checks import (
    EVENT_CHECKS,
    RulesMeasuredBack,
    correlation_results,
    correlation_specs,
    day_parents,
    event_specs,
    last_states,
)
from synth_assets.smart_home.events.generate import generate_events
from synth_assets.smart_home.events.models import EVENTS_SCHEMA_VERSION
from synth_assets.smart_home.events.rules import generate_correlations
from synth_assets.smart_home.models import CORRELATIONS_SCHEMA, EVENTS_SCHEMA, SmartHomeConfig
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets.smart_home.views import publish_view

GROUP = layout.FAMILY
CORRELATIONS = dg.AssetKey([GROUP, "correlations"])
EVENTS = dg.AssetKey([GROUP, "events"])
DIMENSIONS = ("homes", "areas", "devices", "entities")
CONTEXT_TABLES = ("calendar", "weather", "external_data", "electricity_prices")
WORKERS = 2   # threads over blocks of homes for large partitions (the same rows; see generate_events)


class MissingContextPartitionError(FileNotFoundError):
    """A same-day context partition the events need has not been materialized."""


def context_command(table: str, day: date) -> str:
    return (f"dagster asset materialize -m synth_assets.definitions --select smart_home/{table} "
            f"--partition {day.isoformat()}")


def require_context(settings: SynthSettings, days: list[date]) -> None:
    """Every context day the events of ``days`` read is there (one listing per directory on S3), else an error
    naming the first missing one (by day, then table) and the command that makes it."""
    needed = {layout.daily_path(settings.data_path, table, day): (table, day)
              for day in days for table in CONTEXT_TABLES}
    for path in files.missing_files(list(needed))[:1]:
        table, day = needed[path]
        raise MissingContextPartitionError(
            f"smart_home.{table} has no partition {day.isoformat()} ({path}), which smart_home/events needs for "
            f"that day. Make it with: {context_command(table, day)}")


def read_context(settings: SynthSettings, config: SmartHomeConfig, table: str, day: date) -> pl.DataFrame:
    """One day of a context table, checked (the events asset calls :func:`require_context` first)."""
    path = layout.daily_path(settings.data_path, table, day)
    identity = layout.table_identity(table, config, context_models.SCHEMA_VERSION)
    return pl.from_arrow(read_parquet_checked(path, CONTEXT_SCHEMAS[table], identity=identity,
                                              fix=f"re-run: {context_command(table, day)}"))



def read_correlations(settings: SynthSettings, config: SmartHomeConfig) -> pl.DataFrame:
    return layout.read_made(settings.data_path, "correlations", config, schema=CORRELATIONS_SCHEMA)


def _states_before(settings: SynthSettings, identity: FileIdentity, day: date,
                   kinds: pl.DataFrame) -> pl.DataFrame | None:
    """The last on/off states of the day before ``day`` from its events file, when there is one made with
    this seed, config and schema (else None: the check across that midnight is skipped)."""
    path = layout.daily_path(settings.data_path, "events", day - timedelta(days=1))
    if not path.exists():
        return None
    try:
        before = read_parquet_checked(path, EVENTS_SCHEMA, identity=identity, fix="")
    except CorruptFileError:
        return None
    return last_states(pl.from_arrow(before), kinds)


@dg.asset(key=CORRELATIONS, group_name=GROUP, kinds={"polars", "parquet", "duckdb"}, pool="duckdb",
          deps=[dg.AssetKey([GROUP, "entities"])], check_specs=correlation_specs(CORRELATIONS),
          description="The causal rules planted in each home (motion -> light, door -> lock or chime, temperature "
                      "-> climate, cheap power -> appliance, away -> off, 2-4 entity chains): the ground truth "
                      "of smart_home.events, with rule_id usable as the automation id.")
def correlations(context: dg.AssetExecutionContext, settings: SynthSettings,
                 smart_home: SmartHomeSettings) -> dg.MaterializeResult:
    config = smart_home.config(settings.seed)
    homes, areas, entities = (layout.read_made(settings.data_path, t, config) for t in ("homes", "areas", "entities"))
    frame = generate_correlations(config.seed, homes, entities, areas)
    results = correlation_results(frame, entities)
    path = layout.table_path(settings.data_path, "correlations")
    identity = layout.table_identity("correlations", config)
    written = write_parquet_atomic(frame.to_arrow(), path, schema=CORRELATIONS_SCHEMA, identity=identity)
    view = publish_view(settings, "correlations", path, expected=CORRELATIONS_SCHEMA, identity=identity,
                        fix=layout.remake_hint("correlations"))
    per_home = frame.group_by("home_id").len().join(homes.select("home_id", "home_type"), on="home_id")
    context.log.info(f"smart_home.correlations: {written.rows:,} rules -> {path}")
    return dg.MaterializeResult(
        metadata={**md.table_metadata(CORRELATIONS_SCHEMA, written.rows, frame.head(8)), "path": str(path),
                  "duckdb_view": view,
                  "rules_by_kind": md.markdown_preview(frame.group_by("kind").len().sort("kind"), rows=10),
                  "rules_per_home_by_type": md.markdown_preview(per_home.group_by("home_type").agg(
                      min=pl.col("len").min(), mean=pl.col("len").mean().round(1), max=pl.col("len").max())
                      .sort("home_type"), rows=10)},
        check_results=results)


# No duckdb pool: a chunk of days writes Parquet files for minutes and the DuckDB file only for the moment of
# its view (publish_view, whose connection waits for a writer elsewhere), so multi_run chunks run side by side.
@dg.asset(key=EVENTS, group_name=GROUP, kinds={"numpy", "parquet", "duckdb"},
          deps=[CORRELATIONS, *(dg.AssetKey([GROUP, t]) for t in DIMENSIONS),
                *(dg.AssetKey([GROUP, t]) for t in CONTEXT_TABLES)],
          partitions_def=daily_partitions, backfill_policy=daily_backfill_policy(),  # SYNTH_BACKFILL_POLICY
          check_specs=event_specs(EVENTS),
          description="Home Assistant state changes of every entity over each home-local day, driven by occupancy, "
                      "time of day, the sun, weather, calendar, prices and the planted rules; causes recorded as "
                      "context parents, manual changes with the occupant's user id.")
def events(context: dg.AssetExecutionContext, settings: SynthSettings,
           smart_home: SmartHomeSettings) -> dg.MaterializeResult:
    window = context.partition_time_window
    days = days_in_window(window.start.date(), window.end.date())
    config = smart_home.config(settings.seed)
    require_context(settings, days)   # every day's context is there before any day is written
    homes, areas, devices, entities = (layout.read_made(settings.data_path, t, config) for t in DIMENSIONS)
    rules = read_correlations(settings, config)
    identity = layout.table_identity("events", config, EVENTS_SCHEMA_VERSION)
    remove_stale_temp_files(layout.daily_dir(settings.data_path, "events"))
    counts = {check.name: Counter() for check in EVENT_CHECKS}
    rows, preview, per_home_day = 0, None, []
    states_before = None   # the day before's last on/off states, for the check across midnight
    for day in days:
        ctx = {table: read_context(settings, config, table, day) for table in CONTEXT_TABLES}
        table = generate_events(config.seed, day, homes, entities, devices, areas, rules, ctx["calendar"],
                                ctx["weather"], ctx["external_data"], ctx["electricity_prices"], workers=WORKERS,
                                anomaly_rate=config.anomaly_rate)
        frame = pl.from_arrow(table)
        parents = day_parents(config.seed, day, homes, entities, devices, areas, rules, ctx["electricity_prices"])
        if states_before is None:
            states_before = _states_before(settings, identity, day, parents["kinds"])
        for check in EVENT_CHECKS:
            counts[check.name].update(check.count(frame, {**parents, "states_before": states_before}))
        states_before = last_states(frame, parents["kinds"])
        write_parquet_atomic(table, layout.daily_path(settings.data_path, "events", day), EVENTS_SCHEMA, identity)
        rows += table.num_rows
        preview = frame.head(8) if preview is None else preview
        per_home_day.append(frame.group_by("home_id").len())
    view = publish_view(settings, "events", layout.daily_glob(settings.data_path, "events"), expected=EVENTS_SCHEMA,
                        identity=identity, fix=layout.remake_hint("events"))
    results = [check.result(counts[check.name], rules=rules) if isinstance(check, RulesMeasuredBack)
               else check.result(counts[check.name], rows_checked=rows) for check in EVENT_CHECKS]
    by_type = (pl.concat(per_home_day).join(homes.select("home_id", "home_type"), on="home_id")
               .group_by("home_type").agg(home_days=pl.len(), min=pl.col("len").min(),
                                          mean=pl.col("len").mean().round(0), max=pl.col("len").max())
               .sort("home_type"))
    context.log.info(f"smart_home.events: {rows:,} events in {len(days)} day file(s)")
    return dg.MaterializeResult(
        metadata={**md.table_metadata(EVENTS_SCHEMA, rows, preview), "days_in_run": len(days),
                  "homes": homes.height, "events_per_home_day_by_type": md.markdown_preview(by_type, rows=10),
                  "directory": dg.MetadataValue.path(str(layout.daily_dir(settings.data_path, "events"))),
                  "table": f"{GROUP}.events", "duckdb_view": view},
        check_results=results)


EVENT_ASSETS = [correlations, events]
