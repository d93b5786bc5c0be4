"""``smart_home/state_changes``: each events day's rows that the pattern analysis reads (group ``smart_home_patterns``).

A thin asset over :func:`.state_change_days.state_change_rows`: for each events day of the run it reads the
day's events file (refused if made with another seed, config or events version, with the command that
re-makes it), keeps the mined rows and columns and writes them atomically with their identity. A range
is one run; each day is a pure function of its events file, so re-making a day gives the same bytes. The
3 AM job makes the day's events and then this (it is in the job's group); the pattern tables read a window
of these files instead of scanning every event of it.
"""


import dagster as dg

from synth_assets.core import files
from synth_assets.core import metadata as md
from synth_assets.core.checks import Tally, unique_key
from synth_assets.core.partitions import daily_partitions, days_in_window
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import check_footer, remove_stale_temp_files
from synth_assets.smart_home import layout
from synth_assets.smart_home.events.models import EVENTS_SCHEMA_VERSION
from synth_assets.smart_home.models import EVENTS_SCHEMA
from synth_assets.smart_home.patterns.models import GROUP
from synth_assets.smart_home.patterns.state_change_days import (
    ORDER,
    STATE_CHANGES_SCHEMA,
    TABLE,
    state_change_rows,
    write_state_changes,
)
from synth_assets.smart_home.patterns.window import events_command, require_event_days
from synth_assets.smart_home.settings import SmartHomeSettings

STATE_CHANGES = dg.AssetKey([layout.FAMILY, TABLE])
EVENTS = dg.AssetKey([layout.FAMILY, "events"])
CHECKS = [unique_key("unique_home_entity_timestamp", ORDER, "one row per (home_id, entity_id, timestamp), "
                                                            "as in the events")]


@dg.asset(key=STATE_CHANGES, group_name=GROUP, kinds={"polars", "parquet"}, deps=[EVENTS],
          partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run(),
          check_specs=[check.spec(STATE_CHANGES) for check in CHECKS],
          description="Per events day, the rows the pattern analysis reads: real changes of discrete entities and "
                      "every temperature report (home_id, entity_id, timestamp, state, kind, value), sorted by "
                      "home; the 3 AM analysis reads a window of these instead of every event.")
def state_changes(context: dg.AssetExecutionContext, settings: SynthSettings,
                  smart_home: SmartHomeSettings) -> dg.MaterializeResult:
    config = smart_home.config(settings.seed)
    span = context.partition_time_window
    days = days_in_window(span.start.date(), span.end.date())
    require_event_days(settings.data_path, days[-1], days)   # every events day there before the first write
    events_identity = layout.table_identity("events", config, EVENTS_SCHEMA_VERSION)
    remove_stale_temp_files(layout.daily_dir(settings.data_path, TABLE))
    tally = Tally(CHECKS)
    events_rows = 0
    for day in days:
        path = layout.daily_path(settings.data_path, "events", day)
        footer = check_footer(path, EVENTS_SCHEMA, f"re-make it: {events_command(day, day)}", events_identity)
        events_rows += footer.num_rows
        rows = state_change_rows(files.scan_parquet([path]))   # only the mined columns are read
        write_state_changes(rows, settings.data_path, day, config)
        tally.add(rows)
    context.log.info(f"smart_home.state_changes: {tally.rows:,} of {events_rows:,} events over {len(days)} day(s)")
    return dg.MaterializeResult(
        metadata={**md.table_metadata(STATE_CHANGES_SCHEMA, tally.rows, None), "days": len(days),
                  "share_of_events": round(tally.rows / events_rows, 4) if events_rows else 0.0,
                  "directory": dg.MetadataValue.path(str(layout.daily_dir(settings.data_path, TABLE)))},
        check_results=[result._replace(asset_key=STATE_CHANGES) for result in tally.results()])


STATE_CHANGE_ASSETS = [state_changes]
