"""The work calendar: working days from the official 2026 calendar, and deadline arithmetic."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from chuishao.actors import SYSTEM
from chuishao.catalog.calendar import (
    CalendarError,
    Deadline,
    elapsed_fraction,
    work_calendar,
    work_calendar_invalidate,
)
from chuishao.catalog.calendar_io import calendar_load_official, work_schedule_set
from chuishao.catalog.models import CalendarDay, DayKind, DaySource, TimeType
from chuishao.geo.models import Jurisdiction, Kind

SH = ZoneInfo("Asia/Shanghai")
WD, WH = TimeType.WORKING_DAYS, TimeType.WORKING_HOURS

pytestmark = pytest.mark.django_db


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Test transactions roll back; a calendar cached by an earlier test must not leak in.
    work_calendar_invalidate()
    yield
    work_calendar_invalidate()


@pytest.fixture
def official():
    calendar_load_official(actor=SYSTEM, years=[2025, 2026])
    return work_calendar()


@pytest.fixture
def city():
    return Jurisdiction.objects.create(kind=Kind.CITY, code="3301", name="杭州", boundary={})


# --- working days from the official calendar ------------------------------------------------


def test_2026_spring_festival_holiday_and_adjusted_saturdays(official):
    # State Council 2026: 2/15–2/23 off; Saturdays 2/14 and 2/28 worked (checked against chinesecalendar).
    for day in ["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-23"]:
        assert not official.is_working_day(d(day)), day
    assert official.is_working_day(d("2026-02-14"))
    assert official.is_working_day(d("2026-02-28"))
    assert not official.is_working_day(d("2026-02-21"))
    assert official.is_working_day(d("2026-02-13"))
    assert official.is_working_day(d("2026-02-24"))


def test_2026_national_day_holiday_and_adjusted_workdays(official):
    for day in ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07", "2026-09-25"]:
        assert not official.is_working_day(d(day)), day
    assert official.is_working_day(d("2026-09-20"))  # Sunday worked
    assert official.is_working_day(d("2026-10-10"))  # Saturday worked
    assert official.is_working_day(d("2026-10-08"))
    assert not official.is_working_day(d("2026-10-11"))


def test_plain_weekends_and_weekdays(official):
    assert official.is_working_day(d("2026-03-09"))  # Monday
    assert not official.is_working_day(d("2026-03-07"))  # Saturday
    assert not official.is_working_day(d("2026-03-08"))  # Sunday


# --- working days --------------------------------------------------------------------------


def test_working_days_cross_the_spring_festival(official):
    # Friday 2/13: the next working day is the adjusted Saturday 2/14, the one after is Tuesday 2/24.
    assert official.add(at("2026-02-13T10:00"), 1, WD) == Deadline(
        due=at("2026-02-14T10:00"), provisional=False
    )
    assert official.add(at("2026-02-13T10:00"), 2, WD).due == at("2026-02-24T10:00")
    assert official.add(at("2026-02-13T10:00"), 3, WD).due == at("2026-02-25T10:00")


def test_adjusted_saturday_counts_as_a_working_day(official):
    # Friday 2/27 + 1 → Saturday 2/28 (worked), + 2 → Monday 3/2.
    assert official.add(at("2026-02-27T15:00"), 1, WD).due == at("2026-02-28T15:00")
    assert official.add(at("2026-02-27T15:00"), 2, WD).due == at("2026-03-02T15:00")


def test_working_days_across_national_day(official):
    # Wednesday 9/30 + 1 → Thursday 10/8; + 3 → Saturday 10/10 (worked).
    assert official.add(at("2026-09-30T09:30"), 1, WD).due == at("2026-10-08T09:30")
    assert official.add(at("2026-09-30T09:30"), 3, WD).due == at("2026-10-10T09:30")


def test_working_days_filed_friday_evening_end_of_monday(official):
    assert official.add(at("2026-03-06T19:00"), 1, WD).due == at("2026-03-09T17:30")
    assert official.add(at("2026-03-06T19:00"), 2, WD).due == at("2026-03-10T17:30")
    # Saturday counts from Monday too.
    assert official.add(at("2026-03-07T10:00"), 1, WD).due == at("2026-03-09T17:30")


def test_working_days_before_opening_counts_that_day(official):
    assert official.add(at("2026-03-09T07:45"), 1, WD).due == at("2026-03-09T17:30")
    assert official.add(at("2026-03-09T07:45"), 5, WD).due == at("2026-03-13T17:30")


def test_working_days_at_lunch_keep_the_clock_time(official):
    assert official.add(at("2026-03-09T12:30"), 1, WD).due == at("2026-03-10T12:30")


def test_working_days_fraction_is_share_of_working_hours(official):
    # A working day is 7 h, so half a day is 3.5 h: Monday 10:00 + 1 day → Tuesday 10:00, + 3.5 h → 15:00.
    assert official.add(at("2026-03-09T10:00"), Decimal("1.5"), WD).due == at("2026-03-10T15:00")


# --- working hours --------------------------------------------------------------------------


def test_working_hours_skip_the_lunch_break(official):
    assert official.add(at("2026-03-09T11:00"), 2, WH).due == at("2026-03-09T14:30")


def test_working_hours_run_overnight(official):
    assert official.add(at("2026-03-09T16:30"), 2, WH).due == at("2026-03-10T10:00")


def test_working_hours_over_a_weekend(official):
    assert official.add(at("2026-03-06T17:00"), 1, WH).due == at("2026-03-09T09:30")


def test_working_hours_from_outside_working_time(official):
    assert official.add(at("2026-03-09T07:00"), 1, WH).due == at("2026-03-09T10:00")
    assert official.add(at("2026-03-09T12:15"), 1, WH).due == at("2026-03-09T14:30")
    assert official.add(at("2026-03-09T22:00"), Decimal("0.5"), WH).due == at("2026-03-10T09:30")


def test_working_hours_that_end_with_a_period_end_there(official):
    assert official.add(at("2026-03-09T09:00"), 3, WH).due == at("2026-03-09T12:00")
    assert official.add(at("2026-03-09T09:00"), 7, WH).due == at("2026-03-09T17:30")


def test_working_hours_across_the_spring_festival(official):
    # Friday 2/13 17:00: 0.5 h that day, then the adjusted Saturday 2/14 from 09:00: 3 h + 0.5 h.
    assert official.add(at("2026-02-13T17:00"), 4, WH).due == at("2026-02-14T14:00")
    # 2/14 17:00 + 1 h: nothing until Tuesday 2/24.
    assert official.add(at("2026-02-14T17:00"), 1, WH).due == at("2026-02-24T09:30")


# --- clock and natural time -----------------------------------------------------------------


def test_clock_hours_run_round_the_clock(official):
    assert official.add(at("2026-02-17T23:50"), Decimal("0.5"), TimeType.CLOCK_HOURS).due == at(
        "2026-02-18T00:20"
    )
    assert official.add(at("2026-02-17T23:00"), 0.5, "clock_hours").due == at("2026-02-17T23:30")


def test_clock_hours_accept_any_timezone(official):
    start = dt.datetime(2026, 3, 9, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    due = official.add(start, 2, TimeType.CLOCK_HOURS).due
    assert due == start + dt.timedelta(hours=2)
    assert due.utcoffset() == dt.timedelta(hours=8)


def test_natural_days_ignore_holidays(official):
    assert official.add(at("2026-09-30T10:00"), 7, TimeType.NATURAL_DAYS) == Deadline(
        due=at("2026-10-07T10:00"), provisional=False
    )


def test_working_hours_use_local_time_for_utc_input(official):
    start = dt.datetime(2026, 3, 9, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai
    assert official.add(start, 2, WH).due == at("2026-03-09T14:30")


# --- provisional years ----------------------------------------------------------------------


def test_year_without_data_is_provisional_with_fixed_holidays(official):
    # 2031 has no official data: Wednesday 1/1 is off, so Tuesday 2030-12-31 + 1 → Thursday 1/2.
    deadline = official.add(at("2030-12-31T10:00"), 1, WD)
    assert deadline == Deadline(due=at("2031-01-02T10:00"), provisional=True)
    # Tuesday 9/30 + 1: 10/1–10/3 (Wed–Fri) and the weekend are off → Monday 10/6.
    assert official.add(at("2031-09-30T10:00"), 1, WD).due == at("2031-10-06T10:00")
    assert not official.is_working_day(d("2031-05-02"))
    assert official.is_working_day(d("2031-02-03"))  # no lunar holidays are guessed


def test_crossing_into_an_unloaded_year_is_provisional(official):
    assert official.add(at("2026-12-30T10:00"), 1, WD).provisional is False
    assert official.add(at("2026-12-31T10:00"), 1, WD) == Deadline(
        due=at("2027-01-04T10:00"), provisional=True
    )


def test_nothing_loaded_still_answers(db):
    calendar = work_calendar()
    assert calendar.add(at("2026-02-16T10:00"), 1, WD) == Deadline(
        due=at("2026-02-17T10:00"), provisional=True
    )
    assert calendar.add(at("2026-02-16T10:00"), 1, TimeType.CLOCK_HOURS).provisional is False


# --- cities ---------------------------------------------------------------------------------


def test_city_day_overrides_official_day(official, city):
    CalendarDay.objects.create(date=d("2026-03-10"), kind=DayKind.HOLIDAY, source=DaySource.CITY, city=city)
    CalendarDay.objects.create(date=d("2026-02-23"), kind=DayKind.WORKDAY, source=DaySource.CITY, city=city)
    work_calendar_invalidate()
    local, national = work_calendar(city.pk), work_calendar()
    assert not local.is_working_day(d("2026-03-10"))
    assert national.is_working_day(d("2026-03-10"))
    assert local.is_working_day(d("2026-02-23"))
    assert not national.is_working_day(d("2026-02-23"))
    assert local.add(at("2026-03-09T10:00"), 1, WD).due == at("2026-03-11T10:00")


def test_city_work_schedule(official, city):
    work_schedule_set(actor=SYSTEM, city=city, periods=[["08:30", "12:00"], ["14:00", "18:00"]])
    local = work_calendar(city.pk)
    assert local.add(at("2026-03-09T11:00"), 2, WH).due == at("2026-03-09T15:00")
    assert local.add(at("2026-03-06T19:00"), 1, WD).due == at("2026-03-09T18:00")
    assert work_calendar().add(at("2026-03-09T11:00"), 2, WH).due == at("2026-03-09T14:30")


def test_default_work_schedule_row_applies_to_every_city(official, city):
    work_schedule_set(actor=SYSTEM, city=None, periods=[["08:00", "12:00"], ["13:00", "17:00"]])
    assert work_calendar(city.pk).add(at("2026-03-09T11:00"), 2, WH).due == at("2026-03-09T14:00")


# --- working time elapsed -------------------------------------------------------------------


def test_working_time_between(official):
    cal = official
    assert cal.working_time_between(at("2026-03-09T09:00"), at("2026-03-09T17:30")) == dt.timedelta(hours=7)
    assert cal.working_time_between(at("2026-03-06T16:30"), at("2026-03-09T10:00")) == dt.timedelta(hours=2)
    assert cal.working_time_between(at("2026-02-13T17:00"), at("2026-02-24T09:30")) == dt.timedelta(hours=8)
    assert cal.working_time_between(at("2026-03-09T10:00"), at("2026-03-09T09:00")) == dt.timedelta(0)


def test_elapsed_fraction(official):
    start, due = at("2026-03-09T09:00"), at("2026-03-09T14:30")  # 4 working hours
    assert official.elapsed_fraction(start, due, at("2026-03-09T12:00"), WH) == pytest.approx(0.75)
    # The lunch break uses none of the deadline.
    assert official.elapsed_fraction(start, due, at("2026-03-09T13:30"), WH) == pytest.approx(0.75)
    assert official.elapsed_fraction(start, due, at("2026-03-09T14:00"), WH) == pytest.approx(0.875)
    assert official.elapsed_fraction(start, due, at("2026-03-09T14:30"), WH) == pytest.approx(1.0)
    assert official.elapsed_fraction(start, due, at("2026-03-09T08:00"), WH) == 0.0
    assert official.elapsed_fraction(
        start, due, at("2026-03-09T12:00"), TimeType.CLOCK_HOURS
    ) == pytest.approx(3 / 5.5)
    assert elapsed_fraction(start, due, at("2026-03-09T12:00"), WH) == pytest.approx(0.75)


# --- input checks, cache, speed -------------------------------------------------------------


def test_naive_datetimes_and_bad_input_are_refused(official):
    with pytest.raises(CalendarError):
        official.add(dt.datetime(2026, 3, 9, 10, 0), 1, WD)  # noqa: DTZ001
    with pytest.raises(CalendarError):
        official.add(at("2026-03-09T10:00"), -1, WD)
    with pytest.raises(CalendarError):
        official.add(at("2026-03-09T10:00"), 1, "fortnights")


def test_cache_is_reused_and_refreshed_on_change(official, settings, city):
    settings.CHUISHAO_CALENDAR_RECHECK_SECONDS = 3600
    first = work_calendar()
    assert work_calendar() is first
    # A row written outside the services shows up once the revision is checked again.
    CalendarDay.objects.create(date=d("2026-03-10"), kind=DayKind.HOLIDAY, source=DaySource.OFFICIAL)
    assert work_calendar() is first
    settings.CHUISHAO_CALENDAR_RECHECK_SECONDS = 0
    fresh = work_calendar()
    assert fresh is not first
    assert not fresh.is_working_day(d("2026-03-10"))


def test_service_writes_invalidate_the_cache(official, settings, city):
    settings.CHUISHAO_CALENDAR_RECHECK_SECONDS = 3600
    before = work_calendar(city.pk)
    work_schedule_set(actor=SYSTEM, city=city, periods=[["08:00", "16:00"]])
    after = work_calendar(city.pk)
    assert after is not before
    assert after.add(at("2026-03-09T15:00"), 2, WH).due == at("2026-03-10T09:00")


def test_deadline_is_fast(official, settings):
    settings.CHUISHAO_CALENDAR_RECHECK_SECONDS = 3600
    start = at("2026-02-12T16:45")
    runs = 2000
    began = time.perf_counter()
    for _ in range(runs):
        work_calendar().add(start, 5, WD)
        work_calendar().add(start, 4, WH)
    per_call = (time.perf_counter() - began) / (2 * runs)
    assert per_call < 0.001
