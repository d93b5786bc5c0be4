"""Content assets: each loads the rows created on its US-Eastern day(s) and checks the result."""

from datetime import datetime, timezone

import dagster as dg

from synth_assets.content.models import LOAD_ORDER
from synth_assets.content.pipeline import check_specs, load_and_check
from synth_assets.content.settings import ContentSettings
from synth_assets.core import metadata as md
from synth_assets.core.database import open_database
from synth_assets.core.partitions import eastern_daily_partitions
from synth_assets.core.resources import SynthSettings, duckdb_resource
from synth_assets.deployment import content_days

GROUP = "content"
FIRST_DAY, LAST_DAY = content_days()
partitions = eastern_daily_partitions(FIRST_DAY, LAST_DAY)
KEYS = {name: dg.AssetKey([GROUP, name]) for name in LOAD_ORDER}
# A day's content may reference any user created on or before that day.
EARLIER_DAYS = dg.TimeWindowPartitionMapping(start_offset=-100_000, end_offset=0,
                                             allow_nonexistent_upstream_partitions=True)
DEPS = {
    "users": [],
    "content_items": [dg.AssetDep(KEYS["users"], partition_mapping=EARLIER_DAYS)],
    "content_items_auto": [dg.AssetDep(KEYS["users"], partition_mapping=EARLIER_DAYS)],
    "generation_jobs": [dg.AssetDep(KEYS["users"], partition_mapping=EARLIER_DAYS), KEYS["content_items"],
                        KEYS["content_items_auto"]],
}
DESCRIPTIONS = {
    "users": "Platform users created on each US-Eastern day: unique usernames and emails, JSON preferences; "
             "the fixed admin user is created first.",
    "content_items": "Images made by users' generation jobs: Jinja2-built prompts (general + one of 30 domains), "
                     "tags from one global pool, a creator who existed before the item; the admin owns exactly 50.",
    "content_items_auto": "Images made by automated generation; like content_items (each has its completed job), "
                          "the admin owns exactly 50.",
    "generation_jobs": "A completed job (same prompt and settings, finishing as its item is created) behind every "
                       "item of both content tables, plus failed, cancelled, running and pending jobs so that 98 % "
                       "completed.",
}


def _table_asset(table: str) -> dg.AssetsDefinition:
    @dg.asset(key=KEYS[table], group_name=GROUP, kinds={"polars", "duckdb", "postgres"}, deps=DEPS[table],
              partitions_def=partitions, backfill_policy=dg.BackfillPolicy.single_run(), pool="duckdb",
              check_specs=check_specs(table, KEYS[table]), description=DESCRIPTIONS[table])
    def content_table(context: dg.AssetExecutionContext, content: ContentSettings, settings: SynthSettings):
        config = content.config(FIRST_DAY, LAST_DAY, settings.seed)  # the run's master seed
        window = context.partition_time_window
        start, end = window.start.astimezone(timezone.utc), window.end.astimezone(timezone.utc)
        with open_database(content.database_url, duckdb_resource(settings)) as target:
            rows, results, extra = load_and_check(table, config, target, start, end)
        context.log.info(f"{table}: {rows.height:,} rows for {_utc(start)}..{_utc(end)} into {target.description}")
        return dg.MaterializeResult(
            metadata={**md.table_metadata(rows.to_arrow().schema, rows.height, rows.head(5)),
                      "database": target.description, "table": f"{GROUP}.{table}", **extra},
            check_results=results)

    return content_table


def _utc(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


users, content_items, content_items_auto, generation_jobs = (_table_asset(t) for t in LOAD_ORDER)
