"""The daily pattern analysis: a job for one day and the 03:00 schedule that runs it for the day before.

``smart_home_patterns_daily`` materializes, for one daily partition, what a user wants to find each
morning: the day's context tables, its events and every daily asset of the ``smart_home_patterns`` group
(the day's ``state_changes``, which the pattern tables read for their window, and the pattern tables;
anything added to the group later, such as the anomalies, joins it without an edit here). The dimension
tables and the planted rules are not daily: they are made once, before.

The schedule fires at 03:00 (cron ``0 3 * * *``) in the zone ``SYNTH_SMART_HOME_PATTERN_TIMEZONE`` (IANA
name, default UTC), read when the code location loads (a schedule's zone is part of its definition), and
requests the day before the tick's local date; partitions are UTC days that exist up to yesterday (UTC),
so east of UTC, where 03:00 comes before UTC midnight, it requests the newest existing partition. It is
on by default (``DefaultScheduleStatus.RUNNING``): it runs whenever the daemon does (``make ui``). A zone
name the IANA database does not know does not stop the code location from loading (the other families
keep working): the schedule's every tick then fails with a message naming the variable and its value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg

from synth_assets.core.days import last_complete_day
from synth_assets.smart_home.events.anomaly_assets import PLANTED_ANOMALIES
from synth_assets.smart_home.events.assets import CONTEXT_TABLES, EVENTS
from synth_assets.smart_home.patterns.models import GROUP

TIMEZONE_VARIABLE = "SYNTH_SMART_HOME_PATTERN_TIMEZONE"
DEFAULT_TIMEZONE = "UTC"
CRON = "0 3 * * *"
DAY_CONTEXT = (*CONTEXT_TABLES, "carbon_intensity")

daily_job = dg.define_asset_job(
    "smart_home_patterns_daily",
    selection=(dg.AssetSelection.assets(*(dg.AssetKey(["smart_home", t]) for t in DAY_CONTEXT), EVENTS,
                                        PLANTED_ANOMALIES)   # the truth the anomaly scores read
               | dg.AssetSelection.groups(GROUP)),
    description="One day of the smart homes: its context tables, its events and every daily table of the "
                "smart_home_patterns group (the day's state changes; time of day, co-occurrence, chains, ... "
                "for that analysis day).")


def schedule_timezone(environ: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """The zone of the 03:00 tick and, when the variable names no zone, the error its ticks report."""
    env = os.environ if environ is None else environ
    name = (env.get(TIMEZONE_VARIABLE) or DEFAULT_TIMEZONE).strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_TIMEZONE, (f"environment variable {TIMEZONE_VARIABLE}={name!r} is not an IANA time zone "
                                  f"(e.g. Europe/Berlin, America/New_York); the 03:00 pattern schedule cannot run: "
                                  f"set it to a zone name or unset it for {DEFAULT_TIMEZONE}, then reload the code "
                                  f"location")
    return name, None


def analysis_day(tick: datetime, now_utc_day: date | None = None) -> date:
    """The day a tick at ``tick`` (aware, in the schedule's zone) analyses: the day before its local date,
    at most the newest daily partition (yesterday in UTC)."""
    newest = last_complete_day(tick) if now_utc_day is None else now_utc_day - timedelta(days=1)
    return min(tick.date() - timedelta(days=1), newest)


def build_schedule(environ: Mapping[str, str] | None = None) -> dg.ScheduleDefinition:
    zone, problem = schedule_timezone(environ)

    def previous_day(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        if problem:
            raise ValueError(problem)
        day = analysis_day(context.scheduled_execution_time.astimezone(ZoneInfo(zone)))
        key = day.isoformat()
        return dg.RunRequest(run_key=key, partition_key=key)

    return dg.ScheduleDefinition(
        name="smart_home_patterns_3am", cron_schedule=CRON, execution_timezone=zone, job=daily_job,
        execution_fn=previous_day, default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(f"03:00 {zone}: the day before's context, events and pattern tables "
                     f"({TIMEZONE_VARIABLE} sets the zone)" if problem is None else problem))


daily_schedule = build_schedule()
