"""Jobs, the nightly schedule and the sensor that refreshes a year after its days changed."""

from datetime import datetime

import dagster as dg

from synth_assets.air_quality.assets import HOURLY, YEARLY

daily_job = dg.define_asset_job(
    "air_quality_daily_job", selection=dg.AssetSelection.assets(HOURLY),
    description="Hourly measurements for one day (or a range of days, in one run).")

yearly_job = dg.define_asset_job(
    "air_quality_yearly_job", selection=dg.AssetSelection.assets(YEARLY),
    description="Roll the daily files of a year up into its yearly Parquet and refresh the DuckDB view.")

nightly_schedule = dg.build_schedule_from_partitioned_job(
    daily_job, name="air_quality_nightly", hour_of_day=0, minute_of_hour=30,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="00:30 UTC: materialize yesterday's daily partition (the yearly refresh follows).")


def years_of_run(tags: dict[str, str]) -> list[str]:
    """The yearly partition keys touched by a daily run (one day or a range of days)."""
    if "dagster/partition" in tags:
        first = last = tags["dagster/partition"]
    elif "dagster/asset_partition_range_start" in tags:
        first, last = tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]
    else:
        return []
    first_year, last_year = datetime.fromisoformat(first).year, datetime.fromisoformat(last).year
    return [str(year) for year in range(first_year, last_year + 1)]


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[daily_job], request_job=yearly_job,
    name="air_quality_yearly_refresh", default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a successful daily run, re-roll the year(s) it touched.")
def yearly_refresh_sensor(context: dg.RunStatusSensorContext):
    run = context.dagster_run
    for year in years_of_run(run.tags):
        yield dg.RunRequest(run_key=f"{run.run_id}:{year}", partition_key=year)
