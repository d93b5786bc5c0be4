"""The stream's landing asset: JSON-lines files from `synth stream --sink file:...` -> daily Parquet.

With an ``s3://`` data directory the landing files are the objects of ``--sink file:s3://...`` (one per
batch, listed once) and each day is written whole as an object, with the same bytes as on disk.

Lines that cannot be parsed (a truncated last line, garbage) are skipped, logged as a warning and
listed in the materialization's metadata as ``PATH:LINE: reason`` (``stream/bad_lines``, ``bad_lines``).
"""

import dagster as dg
import polars as pl

from synth_assets.air_quality import layout
from synth_assets.air_quality.assets import GROUP, HOURLY
from synth_assets.air_quality.models import MEASUREMENT_SCHEMA
from synth_assets.air_quality.stream.landing import LANDED_COLUMNS, land_day, read_landing
from synth_assets.core import metadata as md
from synth_assets.core.files import glob_files
from synth_assets.core.partitions import daily_partitions, days_in_window
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import CorruptFileError, read_parquet_checked, write_parquet_atomic

STREAMED = dg.AssetKey([GROUP, "streamed_measurements"])
LANDING_GLOB = "*.jsonl"
LANDED_SCHEMA = pl.DataFrame(schema=LANDED_COLUMNS).to_arrow().schema
BAD_LINES_SHOWN = 20  # listed in the metadata and the warning; the count covers all


def landing_dir(settings: SynthSettings):
    return layout.stream_landing_dir(settings.data_path)


@dg.asset(
    key=STREAMED, group_name=GROUP, kinds={"polars", "parquet"}, partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description="Messages of the live stream simulator (`synth stream --sink file:data/air_quality/stream/"
                "live.jsonl`) landed per UTC day: validated, duplicates removed; compared with the batch day.",
)
def streamed_measurements(context: dg.AssetExecutionContext, settings: SynthSettings) -> dg.MaterializeResult:
    window = context.partition_time_window
    files = glob_files(landing_dir(settings), LANDING_GLOB)  # on S3 one listing of the landing prefix
    landing = read_landing(files)  # each file read once, whatever the number of days
    totals = {"rows": 0, "messages": 0, "duplicates_removed": 0, "invalid": 0}
    last, bad_lines = None, dict.fromkeys(landing.bad_lines)
    for day in days_in_window(window.start.date(), window.end.date()):
        landed = land_day(landing, day)
        target = layout.streamed_day_path(settings.data_path, day)
        write_parquet_atomic(landed.frame.to_arrow(), target, LANDED_SCHEMA, identity=layout.streamed_identity())
        for key, value in (("rows", landed.frame.height), ("messages", landed.messages),
                           ("duplicates_removed", landed.duplicates_removed), ("invalid", landed.invalid)):
            totals[key] += value
        last = (day, landed.frame)
    day, frame = last
    report = _bad_lines_report(list(bad_lines))
    if bad_lines:
        context.log.warning(f"skipped {len(bad_lines)} unparseable line(s) of the landing files:\n{report}")
    return dg.MaterializeResult(metadata={
        **md.table_metadata(frame.to_arrow().schema, totals["rows"], frame.head(5)),
        **{f"stream/{k}": v for k, v in totals.items()}, "landing_files": len(files),
        "stream/bad_lines": len(bad_lines), "bad_lines": dg.MetadataValue.text(report or "none"),
        "compared_with_batch": _comparison(settings, day, frame),
    })


def _bad_lines_report(bad_lines: list[str]) -> str:
    shown = bad_lines[:BAD_LINES_SHOWN]
    more = len(bad_lines) - len(shown)
    return "\n".join(shown + ([f"... and {more} more"] if more else []))


def _comparison(settings: SynthSettings, day, streamed: pl.DataFrame) -> dg.MarkdownMetadataValue:
    """Mean PM2.5 per city: streamed vs the batch file of the same day (same patterns, other draws)."""
    batch_path = layout.daily_path(settings.data_path, settings.air_quality_mode, day)
    if streamed.is_empty() or not batch_path.exists():
        return dg.MetadataValue.md(f"No comparison for {day}: needs streamed messages and "
                                   f"{HOURLY.to_user_string()} for that day.")
    try:
        batch_table = read_parquet_checked(batch_path, MEASUREMENT_SCHEMA, fix="re-materialize that day",
                                           identity=layout.hourly_identity(settings.seed, settings.air_quality_mode))
    except CorruptFileError as exc:  # a comparison is informative: say why there is none, do not fail the landing
        return dg.MetadataValue.md(f"No comparison for {day}: {exc}")
    batch = pl.from_arrow(batch_table).group_by("city_name").agg(batch_pm25=pl.col("pm25").mean())
    stream = streamed.group_by("city_name").agg(stream_pm25=pl.col("pm25").mean(), messages=pl.len())
    both = stream.join(batch, on="city_name").sort("messages", descending=True)
    return md.markdown_preview(both, rows=15)
