"""synth_assets.core.partitions: the shared daily/yearly partitions, their mapping, the window guard."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from synth_assets.core import partitions as p
from synth_assets.core.partitions import PartitionOutOfRangeError, check_daily_window, check_not_in_future

UTC = timezone.utc


def _days(start: date, end: date) -> list[str]:
    """Independent of the package: ISO keys of start <= day < end."""
    keys, day = [], start
    while day < end:
        keys.append(day.isoformat())
        day += timedelta(days=1)
    return keys


def _upstream_days(year_key: str, current_time: datetime | None = None) -> list[str]:
    downstream = p.yearly_partitions.subset_with_partition_keys([year_key])
    result = p.daily_to_yearly.get_upstream_mapped_partitions_result_for_partitions(
        downstream, p.yearly_partitions, p.daily_partitions, current_time=current_time)
    return sorted(result.partitions_subset.get_partition_keys())


def test_first_daily_key_is_2020_01_01():
    assert p.PARTITIONS_START == date(2020, 1, 1)
    assert p.daily_partitions.get_first_partition_key() == "2020-01-01"


def test_daily_keys_run_to_yesterday_in_utc():
    now = datetime(2020, 1, 4, 0, 30, tzinfo=UTC)
    assert p.daily_partitions.get_partition_keys(current_time=now) == ["2020-01-01", "2020-01-02", "2020-01-03"]
    assert p.last_complete_day(now) == date(2020, 1, 3)
    # 23:30 in New York on Jan 3 is already Jan 4 in UTC
    new_york = timezone(timedelta(hours=-5))
    assert p.last_complete_day(datetime(2020, 1, 3, 23, 30, tzinfo=new_york)) == date(2020, 1, 3)
    assert p.last_complete_day(datetime(2020, 1, 3, 18, 30, tzinfo=new_york)) == date(2020, 1, 2)


def test_yearly_keys_are_years_including_the_current_one():
    keys = p.yearly_partitions.get_partition_keys(current_time=datetime(2022, 6, 1, tzinfo=UTC))
    assert keys == ["2020", "2021", "2022"]
    assert all(re.fullmatch(r"\d{4}", k) for k in keys)
    assert p.yearly_partitions.get_first_partition_key() == "2020"


@pytest.mark.parametrize("year, n_days", [(2021, 365), (2020, 366), (2024, 366)])
def test_a_year_depends_on_its_days(year, n_days):
    keys = _upstream_days(str(year), current_time=datetime(2026, 1, 15, tzinfo=UTC))
    assert keys == _days(date(year, 1, 1), date(year + 1, 1, 1))
    assert len(keys) == n_days
    assert keys[0] == f"{year}-01-01" and keys[-1] == f"{year}-12-31"


def test_the_current_year_depends_only_on_days_that_exist():
    now = datetime(2021, 3, 10, 12, tzinfo=UTC)
    keys = _upstream_days("2021", current_time=now)
    assert keys == _days(date(2021, 1, 1), date(2021, 3, 10))  # up to yesterday, 2021-03-09


def test_a_day_maps_to_its_year():
    day = p.daily_partitions.subset_with_partition_keys(["2021-06-15", "2021-12-31"])
    result = p.daily_to_yearly.get_downstream_partitions_for_partitions(
        day, p.daily_partitions, p.yearly_partitions, current_time=datetime(2026, 1, 15, tzinfo=UTC))
    assert sorted(result.get_partition_keys()) == ["2021"]


def test_days_in_window():
    assert p.days_in_window(date(2020, 2, 27), date(2020, 3, 2)) == [
        date(2020, 2, 27), date(2020, 2, 28), date(2020, 2, 29), date(2020, 3, 1)]
    assert p.days_in_window(date(2020, 1, 1), date(2020, 1, 1)) == []


@pytest.mark.parametrize("start, end", [
    (date(2020, 1, 1), date(2021, 1, 1)), (date(2020, 1, 1), date(2020, 1, 2)), (date(2024, 2, 29), date(2024, 3, 1)),
])
def test_check_daily_window_accepts_valid_windows(start, end):
    check_daily_window(start, end)


@pytest.mark.parametrize("start, end", [
    (date(2021, 1, 1), date(2021, 1, 1)),       # empty
    (date(2021, 1, 2), date(2021, 1, 1)),       # reversed
    (date(2021, 1, 1), date(2020, 12, 1)),
])
def test_check_daily_window_refuses_empty_and_reversed_windows(start, end):
    with pytest.raises(PartitionOutOfRangeError) as info:
        check_daily_window(start, end)
    last_typed = end - timedelta(days=1)  # the window is exclusive; the user typed the last day
    assert str(start) in str(info.value) and f"last day {last_typed}" in str(info.value)


@pytest.mark.parametrize("last, today, refused", [
    (date(2026, 11, 29), date(2026, 11, 30), False),   # yesterday is the newest partition
    (date(2026, 11, 30), date(2026, 11, 30), True),    # today is not complete yet
    (date(2030, 1, 1), date(2026, 11, 30), True),
])
def test_a_window_reaching_into_the_future_is_refused_naming_the_day(last, today, refused):
    if not refused:
        check_not_in_future(last + timedelta(days=1), today)
        return
    with pytest.raises(PartitionOutOfRangeError) as info:
        check_not_in_future(last + timedelta(days=1), today)
    assert f"partition {last} is in the future" in str(info.value)
    assert str(today - timedelta(days=1)) in str(info.value)


@pytest.mark.parametrize("start, end", [
    (date(2019, 12, 31), date(2020, 1, 2)),
    (date(2019, 1, 1), date(2019, 1, 2)),
    (date(1999, 6, 30), date(2030, 1, 1)),
])
def test_check_daily_window_refuses_days_before_the_first_partition(start, end):
    with pytest.raises(PartitionOutOfRangeError) as info:
        check_daily_window(start, end)
    message = str(info.value)
    assert start.isoformat() in message       # the bad day
    assert "2020-01-01" in message            # the first valid day
    assert isinstance(info.value, ValueError)
