"""synth_assets.core.calendar: local time across DST, weekends by country, seasons, public holidays."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import polars as pl
import pytest

from synth_assets.air_quality.cities import select_cities
from synth_assets.core import calendar as cal

UTC = timezone.utc


def _hours(first: str, n: int) -> np.ndarray:
    return np.datetime64(first, "h") + np.arange(n).astype("timedelta64[h]")


def _zoneinfo_calendar(hours: list[datetime], zone: str) -> dict[str, list[int]]:
    local = [h.astimezone(ZoneInfo(zone)) for h in hours]
    return {"hour": [t.hour for t in local], "weekday": [t.isoweekday() for t in local],
            "month": [t.month for t in local], "day_of_year": [t.timetuple().tm_yday for t in local]}


@pytest.mark.parametrize("first_utc, zones", [
    (datetime(2021, 3, 13, tzinfo=UTC), ["America/New_York", "Asia/Kolkata", "America/New_York", "Europe/London"]),
    (datetime(2021, 3, 27, tzinfo=UTC), ["Europe/London", "Australia/Sydney", "Europe/Berlin"]),
    (datetime(2021, 10, 30, tzinfo=UTC), ["Europe/London", "Asia/Tokyo", "America/Sao_Paulo"]),
    (datetime(2021, 10, 2, tzinfo=UTC), ["Australia/Sydney", "Pacific/Auckland", "America/Santiago"]),
    (datetime(2020, 12, 31, tzinfo=UTC), ["Asia/Kolkata", "America/Mexico_City", "Pacific/Auckland"]),
    (datetime(2020, 2, 28, tzinfo=UTC), ["America/Sao_Paulo", "Africa/Cairo"]),
])
def test_local_calendar_matches_zoneinfo(first_utc, zones):
    hours = [first_utc + timedelta(hours=i) for i in range(72)]
    calendar = cal.local_calendar(_hours(first_utc.strftime("%Y-%m-%dT%H"), 72), zones)
    for row, zone in enumerate(zones):
        expected = _zoneinfo_calendar(hours, zone)
        for field in ("hour", "weekday", "month", "day_of_year"):
            assert getattr(calendar, field).shape == (len(zones), 72)
            assert getattr(calendar, field)[row].tolist() == expected[field], (zone, field)


def test_the_dst_windows_really_change_the_offset():
    # guards the test above: the windows used do contain a DST change
    for zone, before, after in [("America/New_York", datetime(2021, 3, 13, 12), datetime(2021, 3, 15, 12)),
                                ("Europe/London", datetime(2021, 10, 30, 12), datetime(2021, 11, 1, 12)),
                                ("Australia/Sydney", datetime(2021, 10, 2, 12), datetime(2021, 10, 4, 12))]:
        tz = ZoneInfo(zone)
        assert before.replace(tzinfo=UTC).astimezone(tz).utcoffset() != \
            after.replace(tzinfo=UTC).astimezone(tz).utcoffset(), zone


def test_london_dst_transitions_2021():
    # Clocks go forward 2021-03-28 at 01:00 UTC (01:00 GMT -> 02:00 BST) and back 2021-10-31 at 01:00 UTC
    spring = cal.local_calendar(_hours("2021-03-28T00", 3), ["Europe/London"])
    assert spring.hour[0].tolist() == [0, 2, 3]
    autumn = cal.local_calendar(_hours("2021-10-31T00", 3), ["Europe/London"])
    assert autumn.hour[0].tolist() == [1, 1, 2]     # 01:00 BST, then 01:00 GMT again


def test_sydney_dst_in_the_southern_hemisphere():
    # AEDT (UTC+11) ends 2021-04-04 at 03:00 local = 16:00 UTC on 04-03; AEST is UTC+10
    hours = _hours("2021-04-03T15", 3)
    assert cal.local_calendar(hours, ["Australia/Sydney"]).hour[0].tolist() == [2, 2, 3]
    # and starts again 2021-10-03 at 02:00 local (16:00 UTC on 10-02) -> 03:00 AEDT
    hours = _hours("2021-10-02T15", 3)
    assert cal.local_calendar(hours, ["Australia/Sydney"]).hour[0].tolist() == [1, 3, 4]


def test_local_calendar_half_hour_zone_and_dst_hours():
    calendar = cal.local_calendar(_hours("2021-03-14T05", 3), ["America/New_York", "Asia/Kolkata"])
    # New York: 05 UTC = 00 EST, 06 UTC = 01 EST, 07 UTC = 03 EDT (02:00 does not exist that day)
    assert calendar.hour[0].tolist() == [0, 1, 3]
    # Kolkata is +05:30: 05 UTC = 10:30, hour 10
    assert calendar.hour[1].tolist() == [10, 11, 12]


def test_local_dates_and_iso_weekday():
    dates = cal.local_dates(_hours("2021-12-31T13", 3), ["Asia/Tokyo", "America/Los_Angeles"])
    assert dates.dtype == np.dtype("datetime64[D]")
    # Tokyo is UTC+9: 13 UTC on 12-31 is 22:00 on 12-31, 15 UTC is 00:00 on 2022-01-01
    assert dates[0].astype(str).tolist() == ["2021-12-31", "2021-12-31", "2022-01-01"]
    assert dates[1].astype(str).tolist() == ["2021-12-31"] * 3
    days = np.arange(np.datetime64("2021-06-01"), np.datetime64("2021-06-15"))
    assert cal.iso_weekday(days).tolist() == [d.isoweekday() for d in days.astype(object)]


def test_weekend_mask_by_country():
    iso_weekdays = np.tile(np.arange(1, 8), (5, 1))  # Monday=1 .. Sunday=7 for each location
    codes = ["US", "EG", "IR", "AF", "SA"]
    mask = cal.weekend_mask(iso_weekdays, codes)
    weekend = {code: [d for d, flag in zip(range(1, 8), row) if flag] for code, row in zip(codes, mask)}
    assert weekend == {"US": [6, 7], "EG": [5, 6], "IR": [5], "AF": [4, 5], "SA": [5, 6]}


def test_weekend_mask_on_real_dates_saudi_arabia_vs_uk():
    # 2021-06-04 is a Friday, 2021-06-05 a Saturday, 2021-06-06 a Sunday
    days = np.tile(np.array(["2021-06-04", "2021-06-05", "2021-06-06"], dtype="datetime64[D]"), (2, 1))
    mask = cal.weekend_mask(cal.iso_weekday(days), ["SA", "GB"])
    np.testing.assert_array_equal(mask, [[True, True, False], [False, True, True]])


def test_weekend_table_agrees_with_the_holidays_package():
    # the documented exceptions, kept as the seed had them (see the comment on WEEKEND_BY_COUNTRY)
    known_differences = {"AF", "LY"}
    for code in [*cal.WEEKEND_BY_COUNTRY, "GB", "US", "JP"]:
        ours = set(cal.WEEKEND_BY_COUNTRY.get(code, cal.DEFAULT_WEEKEND))
        theirs = {day + 1 for day in holidays.country_holidays(code).weekend}  # Monday = 0 there
        assert (ours == theirs) == (code not in known_differences), code


def test_winter_and_summer_by_hemisphere():
    months = np.tile(np.arange(1, 13), (2, 1))
    latitude = np.array([[40.7], [-23.5]])
    winter = cal.winter_mask(months, latitude)
    summer = cal.summer_mask(months, latitude)
    as_months = lambda row: [mo for mo, flag in zip(range(1, 13), row) if flag]  # noqa: E731
    assert as_months(winter[0]) == [1, 2, 12] and as_months(summer[0]) == [6, 7, 8]
    assert as_months(winter[1]) == [6, 7, 8] and as_months(summer[1]) == [1, 2, 12]
    assert not (winter & summer).any()


def _mask_of(pairs: list[tuple[str, str]]) -> list[bool]:
    dates = np.array([[day] for _, day in pairs], dtype="datetime64[D]")
    return cal.holiday_mask(dates, [code for code, _ in pairs])[:, 0].tolist()


def test_holiday_mask_known_days():
    pairs = [
        ("GB", "2021-12-27"),  # Christmas Day fell on a Saturday: the substitute day is Monday 27th
        ("GB", "2021-12-28"),  # Boxing Day (Sunday) substitute
        ("GB", "2021-12-29"),
        ("US", "2021-11-25"),  # Thanksgiving: fourth Thursday of November
        ("US", "2021-11-26"),
        ("GB", "2021-11-25"),  # not a holiday in GB
        ("IN", "2021-01-26"),  # Republic Day (Delhi, Mumbai are reference cities)
        ("BR", "2021-09-07"),  # Independence Day (São Paulo)
        ("JP", "2021-07-23"),  # Sports Day, moved for the Tokyo Olympics
        ("JP", "2021-10-11"),  # its usual date, not a holiday that year
    ]
    assert _mask_of(pairs) == [True, True, False, True, False, False, True, True, True, False]


def test_holiday_mask_over_a_year_boundary_and_shape():
    days = np.arange(np.datetime64("2021-12-30"), np.datetime64("2022-01-05"))
    dates = np.stack([days, days])
    mask = cal.holiday_mask(dates, ["GB", "US"])
    assert mask.shape == (2, 6)
    # GB: 2022-01-01 is a Saturday, so Monday 01-03 is the substitute; US observes it on Friday 2021-12-31
    assert days[mask[0]].astype(str).tolist() == ["2022-01-01", "2022-01-03"]
    assert days[mask[1]].astype(str).tolist() == ["2021-12-31", "2022-01-01"]


def test_holiday_mask_rejects_unknown_country_and_bad_shapes():
    dates = np.array([["2021-01-01"]], dtype="datetime64[D]")
    with pytest.raises(ValueError, match="'XX'"):
        cal.holiday_mask(dates, ["XX"])
    with pytest.raises(ValueError, match="rows"):
        cal.holiday_mask(dates, ["GB", "US"])
    with pytest.raises(ValueError, match="NaT"):
        cal.holiday_mask(np.array([["NaT"]], dtype="datetime64[D]"), ["GB"])


def test_every_reference_city_country_has_a_holiday_calendar():
    codes = sorted(set(select_cities("full")["country_code"].to_list()))
    dates = np.tile(np.arange(np.datetime64("2021-01-01"), np.datetime64("2022-01-01")), (len(codes), 1))
    per_country = cal.holiday_mask(dates, codes).sum(axis=1)
    assert len(codes) > 100 and (per_country > 0).all()


def test_holiday_table_rows_and_agreement_with_the_mask():
    table = cal.holiday_table(["US", "GB", "DE"], date(2021, 1, 1), date(2022, 1, 1))
    assert table.columns == ["country_code", "date", "name"]
    assert table.schema["date"] == pl.Date
    assert table.equals(table.sort(["country_code", "date", "name"]))
    rows = set(table.iter_rows())
    assert ("GB", date(2021, 12, 27), "Christmas Day (observed)") in rows
    assert ("US", date(2021, 11, 25), "Thanksgiving Day") in rows
    assert ("DE", date(2021, 10, 3), "German Unity Day") in rows  # English, not "Tag der Deutschen Einheit"
    days = np.arange(np.datetime64("2021-01-01"), np.datetime64("2022-01-01"))
    mask = cal.holiday_mask(np.tile(days, (3, 1)), ["DE", "GB", "US"])
    for row, code in enumerate(["DE", "GB", "US"]):
        from_table = table.filter(pl.col("country_code") == code)["date"].unique().sort().to_list()
        assert from_table == days[mask[row]].astype(object).tolist(), code


def test_holiday_table_window_is_end_exclusive():
    table = cal.holiday_table(["GB"], date(2021, 12, 27), date(2021, 12, 28))
    assert table["date"].to_list() == [date(2021, 12, 27)]
    assert cal.holiday_table(["GB"], date(2021, 12, 29), date(2021, 12, 31)).height == 0
    with pytest.raises(ValueError, match="'ZZ'"):
        cal.holiday_table(["ZZ"], date(2021, 1, 1), date(2021, 2, 1))
