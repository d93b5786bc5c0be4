"""Partition definitions shared by every family, and the guard for windows outside them."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import dagster as dg

PARTITIONS_START = date(2020, 1, 1)
DAY_FORMAT = "%Y-%m-%d"
YEAR_FORMAT = "%Y"

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


class PartitionOutOfRangeError(ValueError):
    """A partition window that is empty or starts before the first partition."""


def days_in_window(start: date, end: date) -> list[date]:
    """The days ``start <= day < end``."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


def last_complete_day(now: datetime | None = None) -> date:
    """The newest daily partition: yesterday in UTC."""
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).date() - timedelta(days=1)


def check_daily_window(start: date, end: date) -> None:
    """Refuse a window that is empty, reversed or starts before ``PARTITIONS_START``.

    ``end`` is exclusive; messages name the last day (``end - 1``), the day a user typed.
    """
    if end <= start:
        last = end - timedelta(days=1)
        raise PartitionOutOfRangeError(f"empty partition window: the last day {last} is before the first day "
                                       f"{start}; give a last day on or after the first")
    if start < PARTITIONS_START:
        raise PartitionOutOfRangeError(
            f"partition {start:%Y-%m-%d} is before the first partition {PARTITIONS_START:%Y-%m-%d}; "
            f"choose a day from {PARTITIONS_START:%Y-%m-%d} on"
        )


def check_not_in_future(end: date, today: date | None = None) -> None:
    """Refuse a window (``end`` exclusive) reaching past the newest daily partition (yesterday, UTC)."""
    newest = last_complete_day() if today is None else today - timedelta(days=1)
    last = end - timedelta(days=1)
    if last > newest:
        raise PartitionOutOfRangeError(
            f"partition {last} is in the future: daily partitions run from {PARTITIONS_START} up to "
            f"yesterday ({newest}, UTC); choose a last day on or before {newest}")


def eastern_daily_partitions(first: date, last: date) -> dg.DailyPartitionsDefinition:
    """One partition per US-Eastern day, ``first`` .. ``last`` inclusive (the content family)."""
    return dg.DailyPartitionsDefinition(
        start_date=first.strftime(DAY_FORMAT), end_date=(last + timedelta(days=1)).strftime(DAY_FORMAT),
        timezone="America/New_York", fmt=DAY_FORMAT)
