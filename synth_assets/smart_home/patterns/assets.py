"""The pattern tables of an analysis day: ``time_of_day_patterns`` and, mined once, ``co_occurrence_patterns``
with ``chain_patterns`` (one multi-asset writing both).

Each partition is an analysis day D; it reads the events days D-(window_days-1)..D (patterns.window): the
miners and the time of day their ``smart_home.state_changes`` (made once per events day), the scores the
events' causal links. All windows of a run are checked before anything is written: days before the first
partition or in the future are refused by the core.days guards, missing events or state-changes days by
one error naming them all with the commands that make them. A range is one run
(``BackfillPolicy.single_run``), each day a pure function of (seed, day, smart-home and pattern settings),
written atomically and viewed as ``smart_home.<table>`` in DuckDB.
"""

from dataclasses import dataclass
from datetime import date

import dagster as dg
import polars as pl
import pyarrow as pa

from synth_assets.core import metadata as md
from synth_assets.core.checks import Tally
from synth_assets.core.identity import FileIdentity
from synth_assets.core.partitions import daily_partitions, days_in_window
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import remove_stale_temp_files, write_parquet_atomic
from synth_assets.smart_home import layout
from synth_assets.smart_home.events.models import EVENTS_SCHEMA_VERSION
from synth_assets.smart_home.models import CORRELATIONS_SCHEMA, SmartHomeConfig
from synth_assets.smart_home.patterns import checks
from synth_assets.smart_home.patterns.layout import pattern_command, pattern_identity
from synth_assets.smart_home.patterns.mine import mine_in_blocks
from synth_assets.smart_home.patterns.models import (
    CHAIN_SCHEMA,
    CO_OCCURRENCE_SCHEMA,
    GROUP,
    TIME_OF_DAY_SCHEMA,
    PatternConfig,
)
from synth_assets.smart_home.patterns.state_change_assets import STATE_CHANGE_ASSETS
from synth_assets.smart_home.patterns.time_of_day import activity_profile, time_of_day_in_blocks
from synth_assets.smart_home.patterns.window import (
    causal_rows,
    check_state_changes,
    check_window,
    require_event_days,
    scan_state_changes,
    scan_window,
    window_days,
)
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets.smart_home.views import publish_view

FAMILY = layout.FAMILY
TIME_OF_DAY = dg.AssetKey([FAMILY, "time_of_day_patterns"])
CO_OCCURRENCE = dg.AssetKey([FAMILY, "co_occurrence_patterns"])
CHAINS = dg.AssetKey([FAMILY, "chain_patterns"])
EVENTS, HOMES, ENTITIES, CORRELATIONS, STATE_CHANGES = (
    dg.AssetKey([FAMILY, t]) for t in ("events", "homes", "entities", "correlations", "state_changes"))
MINING_DEPS = [STATE_CHANGES, EVENTS, ENTITIES, CORRELATIONS]   # the scores read the events' causal links
MINING_THREADS = 2          # blocks of homes analysed at once (mine_in_blocks, time_of_day_in_blocks; same rows)
_DEFAULT = PatternConfig()   # check names and rules only; each run judges with its own settings


@dataclass(frozen=True)
class AnalysisRun:
    """The settings of a run and the window of each of its analysis days, all validated up front."""

    config: SmartHomeConfig
    patterns: PatternConfig
    events_identity: FileIdentity
    windows: list[tuple[date, list[date]]]

    @classmethod
    def start(cls, context: dg.AssetExecutionContext, settings: SynthSettings,
              smart_home: SmartHomeSettings) -> "AnalysisRun":
        config, patterns = smart_home.config(settings.seed), smart_home.patterns()
        span = context.partition_time_window
        windows = [(day, window_days(day, patterns.window_days))
                   for day in days_in_window(span.start.date(), span.end.date())]
        identity = layout.table_identity("events", config, EVENTS_SCHEMA_VERSION)
        for day, days in windows:   # every window complete and its files ours before the first write
            require_event_days(settings.data_path, day, days, state_changes=True)
        for day, days in windows:
            check_window(settings.data_path, day, days, identity)
            check_state_changes(settings.data_path, day, days, config)
        return cls(config, patterns, identity, windows)

    def events(self, settings: SynthSettings, day: date, days: list[date]) -> pl.LazyFrame:
        """All columns of the window's events (the scores read their causal links)."""
        return scan_window(settings.data_path, day, days, self.events_identity)

    def state_changes(self, settings: SynthSettings, day: date, days: list[date]) -> pl.LazyFrame:
        """The window's state changes: what the miners and the time of day read."""
        return scan_state_changes(settings.data_path, day, days, self.config)

    def identity(self, table: str) -> FileIdentity:
        return pattern_identity(table, self.config, self.patterns)

    def write(self, settings: SynthSettings, table: str, day: date, frame: pl.DataFrame, schema: pa.Schema) -> None:
        rows = frame.with_columns(analysis_day=pl.lit(day, pl.Date)).select(schema.names)
        write_parquet_atomic(rows.to_arrow(), layout.daily_path(settings.data_path, table, day), schema,
                             self.identity(table))



def _view(settings: SynthSettings, run: AnalysisRun, table: str, schema: pa.Schema) -> str:
    fix = f"re-make its days with this run's settings ({pattern_command(table, run.windows[0][0])})"
    return publish_view(settings, table, layout.daily_glob(settings.data_path, table), expected=schema,
                        identity=run.identity(table), fix=fix)


def _common_metadata(settings: SynthSettings, run: AnalysisRun, table: str, schema: pa.Schema, rows: int,
                     preview: pl.DataFrame | None, view: str) -> dict:
    return {**md.table_metadata(schema, rows, preview), "analysis_days": len(run.windows),
            "window_days": run.patterns.window_days,
            "first_window": f"{run.windows[0][1][0]}..{run.windows[0][1][-1]}",
            "directory": dg.MetadataValue.path(str(layout.daily_dir(settings.data_path, table))),
            "table": f"{FAMILY}.{table}", "duckdb_view": view}


@dg.asset(key=TIME_OF_DAY, group_name=GROUP, kinds={"polars", "parquet", "duckdb"}, pool="duckdb",
          deps=[STATE_CHANGES, HOMES, ENTITIES], partitions_def=daily_partitions,
          backfill_policy=dg.BackfillPolicy.single_run(),
          check_specs=checks.structural_specs(TIME_OF_DAY, checks.time_of_day_checks(_DEFAULT)),
          description="The recurring home-local times each discrete entity enters a state, split by weekday and "
                      "weekend, over the trailing window of events (support, share of days, spread).")
def time_of_day_patterns_asset(context: dg.AssetExecutionContext, settings: SynthSettings,
                               smart_home: SmartHomeSettings) -> dg.MaterializeResult:
    run = AnalysisRun.start(context, settings, smart_home)
    homes = layout.read_made(settings.data_path, "homes", run.config)
    tally = Tally(checks.time_of_day_checks(run.patterns),
                  parents={checks.ENTITY_KEYS: checks.entity_keys(
                      layout.read_made(settings.data_path, "entities", run.config))})
    remove_stale_temp_files(layout.daily_dir(settings.data_path, "time_of_day_patterns"))
    frames = []
    for day, days in run.windows:
        found = time_of_day_in_blocks(run.state_changes(settings, day, days), homes, days, run.patterns,
                                      workers=MINING_THREADS)
        run.write(settings, "time_of_day_patterns", day, found, TIME_OF_DAY_SCHEMA)
        frame = found.with_columns(analysis_day=pl.lit(day, pl.Date)).select(TIME_OF_DAY_SCHEMA.names)
        tally.add(frame)
        frames.append(frame)
    view = _view(settings, run, "time_of_day_patterns", TIME_OF_DAY_SCHEMA)
    every = pl.concat(frames)
    profile = activity_profile(every)
    context.log.info(f"smart_home.time_of_day_patterns: {every.height:,} rows over {len(frames)} analysis day(s)")
    return dg.MaterializeResult(
        metadata={**_common_metadata(settings, run, "time_of_day_patterns", TIME_OF_DAY_SCHEMA, every.height,
                                     every.head(8), view),
                  "rows_by_day_type": md.markdown_preview(every.group_by("day_type").agg(
                      rows=pl.len(), homes=pl.col("home_id").n_unique(), mean_share=pl.col("share").mean().round(3))
                      .sort("day_type")),
                  "activity_profile": md.line_plot(
                      profile["hour"].to_list(), {c: profile[c].to_list() for c in profile.columns[1:]},
                      title="recurring state changes by home-local hour (share-weighted)", xlabel="hour",
                      ylabel="routine changes")},
        check_results=checks.tally_results(tally, TIME_OF_DAY))


def _pair_counts(pairs: pl.DataFrame) -> pl.DataFrame:
    domain = r"^([a-z_]+)\."
    return (pairs.group_by(domain_a=pl.col("entity_a").str.extract(domain, 1),
                           domain_b=pl.col("entity_b").str.extract(domain, 1))
            .agg(pairs=pl.len()).sort("pairs", "domain_a", "domain_b", descending=[True, False, False]))


@dg.multi_asset(
    name="co_occurrence_and_chain_patterns", group_name=GROUP, pool="duckdb", partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    specs=[dg.AssetSpec(CO_OCCURRENCE, kinds={"polars", "parquet", "duckdb"}, deps=MINING_DEPS,
                        description="Directed entity-state pairs that change together within max_lag_seconds over "
                                    "the trailing window (support, confidence, precedence, lift, median lag)."),
           dg.AssetSpec(CHAINS, kinds={"polars", "parquet", "duckdb"}, deps=MINING_DEPS,
                        description="Ordered chains of 2-4 entity-state changes (A -> B -> C -> D) built from the "
                                    "passing pairs, with support and median lag to the last entity.")],
    check_specs=[*checks.structural_specs(CO_OCCURRENCE, checks.co_occurrence_checks(_DEFAULT)),
                 *checks.structural_specs(CHAINS, checks.chain_checks(_DEFAULT)),
                 *checks.score_specs(CO_OCCURRENCE, CHAINS)])
def co_occurrence_and_chain_patterns(context: dg.AssetExecutionContext, settings: SynthSettings,
                                     smart_home: SmartHomeSettings):
    run = AnalysisRun.start(context, settings, smart_home)
    entities = layout.read_made(settings.data_path, "entities", run.config)
    home_ids = entities["home_id"].unique().sort().to_list()
    entity_keys = checks.entity_keys(entities)
    correlations = layout.read_made(settings.data_path, "correlations", run.config, CORRELATIONS_SCHEMA)
    pair_tally = Tally(checks.co_occurrence_checks(run.patterns), parents={checks.ENTITY_KEYS: entity_keys})
    chain_tally = Tally(checks.chain_checks(run.patterns), parents={checks.ENTITY_KEYS: entity_keys})
    for table in ("co_occurrence_patterns", "chain_patterns"):
        remove_stale_temp_files(layout.daily_dir(settings.data_path, table))
    pairs, chains, scores = [], [], []
    for day, days in run.windows:
        events = run.events(settings, day, days)
        mined = mine_in_blocks(run.state_changes(settings, day, days), home_ids, len(days) * 86_400.0,
                               run.patterns, workers=MINING_THREADS)
        scores.append(checks.score_in_blocks(mined, correlations, entities,
                                             lambda block, scan=events: causal_rows(scan, block), home_ids,
                                             run.patterns.min_pair_support))
        run.write(settings, "co_occurrence_patterns", day, mined.co_occurrence, CO_OCCURRENCE_SCHEMA)
        run.write(settings, "chain_patterns", day, mined.chains, CHAIN_SCHEMA)
        for found, schema, tally, kept in ((mined.co_occurrence, CO_OCCURRENCE_SCHEMA, pair_tally, pairs),
                                           (mined.chains, CHAIN_SCHEMA, chain_tally, chains)):
            frame = found.with_columns(analysis_day=pl.lit(day, pl.Date)).select(schema.names)
            tally.add(frame)
            kept.append(frame)
    views = {table: _view(settings, run, table, schema) for table, schema in
             (("co_occurrence_patterns", CO_OCCURRENCE_SCHEMA), ("chain_patterns", CHAIN_SCHEMA))}
    all_pairs, all_chains = pl.concat(pairs), pl.concat(chains)
    scored = checks.combine_scores(scores)
    pair_score, chain_score = checks.score_results(scored, CO_OCCURRENCE, CHAINS)
    scores_md = md.markdown_preview(scored, rows=10)
    context.log.info(f"smart_home patterns: {all_pairs.height:,} pairs, {all_chains.height:,} chains over "
                     f"{len(run.windows)} analysis day(s); {pair_score.description}")
    yield dg.MaterializeResult(
        asset_key=CO_OCCURRENCE,
        metadata={**_common_metadata(settings, run, "co_occurrence_patterns", CO_OCCURRENCE_SCHEMA, all_pairs.height,
                                     all_pairs.head(8), views["co_occurrence_patterns"]),
                  "pairs_by_domain": md.markdown_preview(_pair_counts(all_pairs), rows=12), "scores": scores_md},
        check_results=[*checks.tally_results(pair_tally, CO_OCCURRENCE), pair_score])
    yield dg.MaterializeResult(
        asset_key=CHAINS,
        metadata={**_common_metadata(settings, run, "chain_patterns", CHAIN_SCHEMA, all_chains.height,
                                     all_chains.head(8), views["chain_patterns"]),
                  "chains_by_length": md.markdown_preview(all_chains.group_by("length").agg(
                      chains=pl.len(), homes=pl.col("home_id").n_unique(), median_support=pl.col("support").median())
                      .sort("length")), "scores": scores_md},
        check_results=[*checks.tally_results(chain_tally, CHAINS), chain_score])


PATTERN_ASSETS = [*STATE_CHANGE_ASSETS, time_of_day_patterns_asset, co_occurrence_and_chain_patterns]
