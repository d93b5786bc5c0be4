"""The 03:00 pattern schedule: the day it requests in the configured zone, on by default, a bad zone named
without breaking the code location; the job it runs and the code location that holds both."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from synth_assets.core.partitions import daily_partitions
from synth_assets.definitions import defs
from synth_assets.smart_home.patterns import schedule
from synth_assets.smart_home.patterns.assets import CHAINS, CO_OCCURRENCE, STATE_CHANGES, TIME_OF_DAY

DAILY_JOB = "smart_home_patterns_daily"


def _tick(definition: dg.ScheduleDefinition, tick: datetime):
    """The schedule evaluated in a code location of the family's assets (the partition key is validated)."""
    location = dg.Definitions(assets=list(defs.assets), resources=defs.resources, schedules=[definition])
    repository = location.get_repository_def()
    context = dg.build_schedule_context(scheduled_execution_time=tick, repository_def=repository)
    return repository.get_schedule_def(definition.name).evaluate_tick(context)


def _requested(definition: dg.ScheduleDefinition, tick: datetime) -> dg.RunRequest:
    (request,) = _tick(definition, tick).run_requests
    return request


@pytest.mark.parametrize(("zone", "tick", "expected"), [
    ("UTC", datetime(2024, 1, 22, 3, 0, tzinfo=ZoneInfo("UTC")), "2024-01-21"),
    ("America/New_York", datetime(2024, 1, 22, 3, 0, tzinfo=ZoneInfo("America/New_York")), "2024-01-21"),
    ("Europe/Berlin", datetime(2024, 7, 1, 3, 0, tzinfo=ZoneInfo("Europe/Berlin")), "2024-06-30"),   # summer time
    # 03:00 in Tokyo is 18:00 UTC of the day before: its local yesterday has no partition yet, the newest is asked
    ("Asia/Tokyo", datetime(2024, 1, 22, 3, 0, tzinfo=ZoneInfo("Asia/Tokyo")), "2024-01-20"),
])
def test_the_tick_at_three_requests_the_day_before_in_its_zone(zone, tick, expected):
    definition = schedule.build_schedule({schedule.TIMEZONE_VARIABLE: zone})
    assert definition.cron_schedule == "0 3 * * *" and definition.execution_timezone == zone
    request = _requested(definition, tick)
    assert request.partition_key == expected and request.run_key == expected
    assert date.fromisoformat(expected) < tick.astimezone(ZoneInfo("UTC")).date()   # a UTC day that has ended


def test_the_schedule_is_on_by_default_and_defaults_to_utc():
    definition = schedule.build_schedule({})
    assert definition.default_status == dg.DefaultScheduleStatus.RUNNING
    assert definition.execution_timezone == "UTC"
    assert definition.job_name == DAILY_JOB


def test_a_bad_zone_loads_but_every_tick_names_the_variable():
    definition = schedule.build_schedule({schedule.TIMEZONE_VARIABLE: "Mars/Olympus_Mons"})
    assert "SYNTH_SMART_HOME_PATTERN_TIMEZONE='Mars/Olympus_Mons'" in definition.description
    with pytest.raises(Exception, match="SYNTH_SMART_HOME_PATTERN_TIMEZONE='Mars/Olympus_Mons' is not an IANA"):
        _tick(definition, datetime(2024, 1, 22, 3, tzinfo=ZoneInfo("UTC")))


def test_the_analysis_day_is_never_a_future_partition():
    tick = datetime(2024, 3, 5, 3, 0, tzinfo=ZoneInfo("Pacific/Kiritimati"))   # UTC+14: still 2024-03-04 13:00 UTC
    assert schedule.analysis_day(tick) == date(2024, 3, 3)
    assert schedule.analysis_day(datetime(2024, 3, 5, 3, tzinfo=ZoneInfo("America/Los_Angeles"))) == date(2024, 3, 4)


def test_the_code_location_holds_the_job_and_schedule_over_the_day_and_its_patterns():
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_job_def(DAILY_JOB)
    assert job.partitions_def == daily_partitions
    selected = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    assert {"smart_home/events", "smart_home/calendar", "smart_home/weather", "smart_home/external_data",
            "smart_home/electricity_prices", "smart_home/carbon_intensity"} <= selected
    assert {k.to_user_string() for k in (STATE_CHANGES, TIME_OF_DAY, CO_OCCURRENCE, CHAINS)} <= selected
    assert {"smart_home/anomalies", "smart_home/planted_anomalies", "smart_home/automation_suggestions"} <= selected
    assert not {"smart_home/homes", "smart_home/correlations", "smart_home/ha_export"} & selected
    scheduled = defs.resolve_schedule_def("smart_home_patterns_3am")
    assert scheduled.default_status == dg.DefaultScheduleStatus.RUNNING and scheduled.job_name == DAILY_JOB
