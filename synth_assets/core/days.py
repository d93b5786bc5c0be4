"""The days every family partitions by, and the guards for windows outside them (no dagster).

:mod:`synth_assets.core.partitions` builds the Dagster partition definitions on top of these.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

PARTITIONS_START = date(2020, 1, 1)
DAY_FORMAT = "%Y-%m-%d"
YEAR_FORMAT = "%Y"


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
