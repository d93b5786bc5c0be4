"""Dagster partition definitions shared by every family (the days and window guards: :mod:`.days`)."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

# The pure parts live in core/days.py (generator modules import them without dagster); re-exported here.
from synth_assets.core.days import (  # noqa: F401
    DAY_FORMAT,
    PARTITIONS_START,
    YEAR_FORMAT,
    PartitionOutOfRangeError,
    check_daily_window,
    check_not_in_future,
    days_in_window,
    last_complete_day,
)

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=PARTITIONS_START.strftime(DAY_FORMAT), timezone="UTC", fmt=DAY_FORMAT
)
"""One partition per UTC day from 2020-01-01 up to yesterday."""

yearly_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *",
    start=PARTITIONS_START.strftime(YEAR_FORMAT),
    fmt=YEAR_FORMAT,
    timezone="UTC",
    end_offset=1,  # the current, still growing year is a partition too
)
"""One partition per calendar year (keys '2020', '2021', ...), including the current year."""

daily_to_yearly = dg.TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True)
"""A year depends on its days; days of the current year that have not happened yet are ignored."""


def eastern_daily_partitions(first: date, last: date) -> dg.DailyPartitionsDefinition:
    """One partition per US-Eastern day, ``first`` .. ``last`` inclusive (the content family)."""
    return dg.DailyPartitionsDefinition(
        start_date=first.strftime(DAY_FORMAT), end_date=(last + timedelta(days=1)).strftime(DAY_FORMAT),
        timezone="America/New_York", fmt=DAY_FORMAT)
