"""Writing the work calendar: chinesecalendar loads, CSV and iCalendar imports, the command, the admin."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from chuishao.actors import SYSTEM
from chuishao.catalog.calendar import work_calendar, work_calendar_invalidate
from chuishao.catalog.calendar_io import (
    CalendarImportError,
    calendar_import,
    calendar_load_official,
    work_schedule_set,
)
from chuishao.catalog.models import CalendarDay, CalendarYear, DayKind, DaySource, WorkSchedule
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction, Kind

pytestmark = pytest.mark.django_db


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def calendar_events() -> list[Event]:
    return list(Event.objects.filter(chain="calendar").order_by("seq"))


def rows() -> list[tuple]:
    return list(
        CalendarDay.objects.order_by("date", "source").values_list("date", "kind", "name", "source", "city")
    )


@pytest.fixture(autouse=True)
def _fresh_cache():
    work_calendar_invalidate()
    yield
    work_calendar_invalidate()


@pytest.fixture
def city():
    return Jurisdiction.objects.create(kind=Kind.CITY, code="3301", name="杭州", boundary={})


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def ics(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"


def problems_of(excinfo) -> str:
    return "\n".join(excinfo.value.messages)


# --- chinesecalendar ------------------------------------------------------------------------


def test_load_official_stores_days_in_chinese_and_marks_years():
    assert calendar_load_official(actor=SYSTEM, years=[2026]) == [2026]
    spring = CalendarDay.objects.get(date=d("2026-02-16"))
    assert (spring.kind, spring.name, spring.source, spring.city_id) == (
        DayKind.HOLIDAY,
        "春节",
        "official",
        None,
    )
    assert CalendarDay.objects.get(date=d("2026-02-14")).kind == DayKind.WORKDAY
    assert CalendarDay.objects.get(date=d("2026-10-10")).name == "国庆节"
    assert CalendarDay.objects.get(date=d("2026-09-25")).name == "中秋节"
    assert CalendarDay.objects.get(date=d("2026-04-06")).name == "清明节"
    assert CalendarDay.objects.get(date=d("2026-01-01")).name == "元旦"
    assert not CalendarDay.objects.filter(date__year=2025).exists()
    year = CalendarYear.objects.get()
    assert year.year == 2026
    assert year.loaded_from.startswith("chinesecalendar 1.")
    [event] = calendar_events()
    assert event.verb == "calendar.official_loaded"
    assert event.after["years"] == [2026]
    assert event.after["created"] == CalendarDay.objects.count()


def test_load_official_twice_changes_nothing():
    calendar_load_official(actor=SYSTEM, years=[2025, 2026])
    before = list(CalendarDay.objects.values_list("id", "date", "kind", "name"))
    loaded_at = list(CalendarYear.objects.values_list("year", "loaded_at"))
    calendar_load_official(actor=SYSTEM, years=[2025, 2026])
    assert list(CalendarDay.objects.values_list("id", "date", "kind", "name")) == before
    assert list(CalendarYear.objects.values_list("year", "loaded_at")) == loaded_at
    assert len(calendar_events()) == 1


def test_load_official_replaces_a_wrong_official_row():
    calendar_load_official(actor=SYSTEM, years=[2026])
    CalendarDay.objects.filter(date=d("2026-02-16")).update(kind=DayKind.WORKDAY, name="wrong")
    CalendarDay.objects.create(date=d("2026-03-10"), kind=DayKind.HOLIDAY, name="stray")
    calendar_load_official(actor=SYSTEM, years=[2026])
    assert CalendarDay.objects.get(date=d("2026-02-16")).name == "春节"
    assert not CalendarDay.objects.filter(date=d("2026-03-10")).exists()
    assert calendar_events()[-1].after["updated"] == 1
    assert calendar_events()[-1].after["deleted"] == 1


def test_load_official_refuses_a_year_it_does_not_know():
    with pytest.raises(CalendarImportError) as excinfo:
        calendar_load_official(actor=SYSTEM, years=[2026, 2031])
    assert "2031" in problems_of(excinfo)
    assert not CalendarDay.objects.exists()
    assert not CalendarYear.objects.exists()


# --- CSV ------------------------------------------------------------------------------------

GOOD_CSV = """date,kind,name
2027-02-05,休,春节
2027-02-08,holiday,春节
2027-02-06,班,春节补班
2027-02-07,holiday,春节
"""


def test_csv_import_official(tmp_path):
    result = calendar_import(actor=SYSTEM, path_or_file=write(tmp_path, "gov-2027.csv", GOOD_CSV))
    assert (result.dates, result.created, result.updated, result.unchanged) == (4, 4, 0, 0)
    assert result.years == (2027,)
    assert rows() == [
        (d("2027-02-05"), "holiday", "春节", "official", None),
        (d("2027-02-06"), "workday", "春节补班", "official", None),
        (d("2027-02-07"), "holiday", "春节", "official", None),
        (d("2027-02-08"), "holiday", "春节", "official", None),
    ]
    year = CalendarYear.objects.get(year=2027)
    assert year.loaded_from == "gov-2027.csv"
    [event] = calendar_events()
    assert (event.verb, event.after["created"], event.after["file"]) == (
        "calendar.imported",
        4,
        "gov-2027.csv",
    )
    # The import applies at once: 2027 is now official and Saturday 2/6 is worked.
    calendar = work_calendar()
    assert not calendar.is_provisional_year(2027)
    assert calendar.is_working_day(d("2027-02-06"))
    assert not calendar.is_working_day(d("2027-02-08"))


def test_csv_reimport_is_idempotent_and_replaces_same_source_rows(tmp_path):
    path = write(tmp_path, "gov-2027.csv", GOOD_CSV)
    calendar_import(actor=SYSTEM, path_or_file=path)
    again = calendar_import(actor=SYSTEM, path_or_file=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert len(calendar_events()) == 1
    changed = calendar_import(
        actor=SYSTEM, path_or_file=write(tmp_path, "fix.csv", "2027-02-05,holiday,除夕\n2027-02-09,休,春节\n")
    )
    assert (changed.created, changed.updated, changed.unchanged) == (1, 1, 0)
    assert CalendarDay.objects.get(date=d("2027-02-05")).name == "除夕"
    assert CalendarDay.objects.filter(source=DaySource.OFFICIAL).count() == 5  # other dates are kept


def test_csv_city_import_from_a_file_object(city):
    upload = io.BytesIO("date,kind,name\n2026-03-10,休,西湖节\n".encode())
    upload.name = "hangzhou.csv"
    result = calendar_import(actor=SYSTEM, path_or_file=upload, source="city", city=city)
    assert result.created == 1
    assert result.years == ()
    assert rows() == [(d("2026-03-10"), "holiday", "西湖节", "city", city.pk)]
    assert not CalendarYear.objects.exists()
    assert calendar_events()[0].city_id == city.pk
    assert not work_calendar(city.pk).is_working_day(d("2026-03-10"))
    assert work_calendar().is_working_day(d("2026-03-10"))


def test_csv_in_gb18030_without_header(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("2027-1-1,休,元旦\n".encode("gb18030"))
    calendar_import(actor=SYSTEM, path_or_file=path)
    assert rows() == [(d("2027-01-01"), "holiday", "元旦", "official", None)]


BAD_CSV = """date,kind,name
2027-02-30,休,bad date
2027-02-08,rest,unknown kind
2027-02-10,班,workday on a Wednesday
2027-02-06,班,first
2027-02-06,休,second
2027-02-13,休,a Saturday holiday is fine
"""


def test_csv_errors_are_all_reported_and_nothing_is_written(tmp_path):
    with pytest.raises(CalendarImportError) as excinfo:
        calendar_import(actor=SYSTEM, path_or_file=write(tmp_path, "bad.csv", BAD_CSV))
    messages = excinfo.value.messages
    assert messages == [
        "line 2: '2027-02-30' is not a date (use YYYY-MM-DD)",
        "line 3: unknown kind 'rest' (use holiday/休 or workday/班)",
        "line 4: 2027-02-10 is a weekday, so it cannot be an adjusted workday",
        "line 6: 2027-02-06 is listed as holiday but line 5 lists it as workday",
    ]
    assert not CalendarDay.objects.exists()
    assert not CalendarYear.objects.exists()
    assert not calendar_events()


@pytest.mark.parametrize("text", ["", "date,kind,name\n", "\n\n"])
def test_empty_csv_is_an_error(tmp_path, text):
    with pytest.raises(CalendarImportError) as excinfo:
        calendar_import(actor=SYSTEM, path_or_file=write(tmp_path, "empty.csv", text))
    assert excinfo.value.messages == ["empty.csv holds no calendar days"]


def test_city_source_needs_a_city_and_official_none(tmp_path, city):
    path = write(tmp_path, "x.csv", GOOD_CSV)
    with pytest.raises(CalendarImportError, match="needs the city"):
        calendar_import(actor=SYSTEM, path_or_file=path, source="city")
    with pytest.raises(CalendarImportError, match="belong to no city"):
        calendar_import(actor=SYSTEM, path_or_file=path, source="official", city=city)
    with pytest.raises(CalendarImportError, match="format"):
        calendar_import(actor=SYSTEM, path_or_file=write(tmp_path, "x.txt", GOOD_CSV))
    assert not CalendarDay.objects.exists()


# --- iCalendar ------------------------------------------------------------------------------


def test_ics_import_expands_multi_day_events(tmp_path):
    text = ics(
        "UID:sf-2027\nSUMMARY:春节\nDTSTART;VALUE=DATE:20270205\nDTEND;VALUE=DATE:20270209",
        "UID:sf-2027-w\nSUMMARY:春节补班\nDTSTART;VALUE=DATE:20270130",
        "UID:nd\nSUMMARY:National Day working day\nDTSTART;VALUE=DATE:20271009",
    )
    result = calendar_import(actor=SYSTEM, path_or_file=write(tmp_path, "holidays.ics", text))
    assert result.created == 6
    assert rows() == [
        (d("2027-01-30"), "workday", "春节补班", "official", None),
        (d("2027-02-05"), "holiday", "春节", "official", None),
        (d("2027-02-06"), "holiday", "春节", "official", None),
        (d("2027-02-07"), "holiday", "春节", "official", None),
        (d("2027-02-08"), "holiday", "春节", "official", None),  # DTEND 2/9 is exclusive
        (d("2027-10-09"), "workday", "National Day working day", "official", None),
    ]
    assert CalendarYear.objects.get().loaded_from == "holidays.ics"
    again = calendar_import(actor=SYSTEM, path_or_file=write(tmp_path, "holidays.ics", text))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)


def test_ics_errors_name_the_event_and_nothing_is_written(tmp_path):
    text = ics(
        "UID:ok\nSUMMARY:春节\nDTSTART;VALUE=DATE:20270205",
        "UID:timed\nSUMMARY:meeting\nDTSTART:20270210T090000",
        "UID:broken\nSUMMARY:typo\nDTSTART;VALUE=DATE:2027021",
        "UID:weekday-work\nSUMMARY:补班\nDTSTART;VALUE=DATE:20270210",
        "UID:clash\nSUMMARY:上班\nDTSTART;VALUE=DATE:20270206",
        "UID:clash2\nSUMMARY:休息\nDTSTART;VALUE=DATE:20270206",
        "UID:backwards\nSUMMARY:x\nDTSTART;VALUE=DATE:20270210\nDTEND;VALUE=DATE:20270209",
    )
    with pytest.raises(CalendarImportError) as excinfo:
        calendar_import(actor=SYSTEM, path_or_file=write(tmp_path, "bad.ics", text))
    messages = excinfo.value.messages
    assert messages == [
        "event 'timed' (meeting): DTSTART must be a date (an all-day event), not a time",
        "event 'broken' (typo): DTSTART '2027021' is not a date (use YYYYMMDD)",
        "event 'backwards' (x): ends before it starts",
        "event 'weekday-work' (补班): 2027-02-10 is a weekday, so it cannot be an adjusted workday",
        "event 'clash2' (休息): 2027-02-06 is listed as holiday but event 'clash' (上班) lists it as workday",
    ]
    assert not CalendarDay.objects.exists()
    assert not calendar_events()


def test_ics_empty_and_garbage(tmp_path):
    with pytest.raises(CalendarImportError, match="holds no calendar days"):
        calendar_import(actor=SYSTEM, path_or_file=write(tmp_path, "empty.ics", ics()))
    with pytest.raises(CalendarImportError, match="holds no calendar days"):
        calendar_import(actor=SYSTEM, path_or_file=write(tmp_path, "blank.ics", ""))
    with pytest.raises(CalendarImportError, match="not a valid iCalendar"):
        calendar_import(actor=SYSTEM, path_or_file=write(tmp_path, "junk.ics", "hello"))


# --- work schedules -------------------------------------------------------------------------


def test_work_schedule_set_validates_and_records(city):
    with pytest.raises(CalendarImportError, match="overlap"):
        work_schedule_set(actor=SYSTEM, city=city, periods=[["09:00", "12:00"], ["11:00", "17:00"]])
    with pytest.raises(CalendarImportError, match="ends before"):
        work_schedule_set(actor=SYSTEM, city=city, periods=[["12:00", "09:00"]])
    assert not WorkSchedule.objects.exists()
    schedule = work_schedule_set(actor=SYSTEM, city=city, periods=[["08:30", "12:00"], ["14:00", "18:00"]])
    assert schedule.periods == [["08:30", "12:00"], ["14:00", "18:00"]]
    work_schedule_set(actor=SYSTEM, city=city, periods=[["08:30", "12:00"], ["14:00", "18:00"]])
    [event] = calendar_events()
    assert event.verb == "calendar.schedule_set"


# --- the command ----------------------------------------------------------------------------


def test_command_load_official_and_show():
    out = io.StringIO()
    call_command("calendar", "load-official", "--year", "2026", stdout=out)
    assert "2026" in out.getvalue()
    assert CalendarYear.objects.filter(year=2026).exists()
    out = io.StringIO()
    call_command("calendar", "show", "2026", stdout=out)
    text = out.getvalue()
    assert "2026: official" in text
    assert "2026-02-14 Sat  workday  春节" in text
    assert "2026-10-01 Thu  holiday  国庆节" in text
    out = io.StringIO()
    call_command("calendar", "show", "2031", stdout=out)
    assert "provisional" in out.getvalue()
    assert "2031-10-03 Fri  holiday  国庆节  [fallback]" in out.getvalue()


def test_command_import_city_file(tmp_path, city):
    path = write(tmp_path, "hz.csv", "2026-03-10,休,西湖节\n")
    out = io.StringIO()
    call_command("calendar", "import", str(path), "--source", "city", "--city", "3301", stdout=out)
    assert "1 created" in out.getvalue()
    assert CalendarDay.objects.get().city == city


def test_command_errors(tmp_path, city):
    with pytest.raises(CommandError) as excinfo:
        call_command("calendar", "import", str(write(tmp_path, "bad.csv", BAD_CSV)))
    assert "4 problem(s)" in str(excinfo.value)
    assert "line 4:" in str(excinfo.value)
    with pytest.raises(CommandError, match="no city with code"):
        call_command(
            "calendar", "import", str(write(tmp_path, "x.csv", GOOD_CSV)), "--source", "city", "--city", "9"
        )
    with pytest.raises(CommandError, match="no data for 2031"):
        call_command("calendar", "load-official", "--year", "2031")
    assert not CalendarDay.objects.exists()


# --- the admin ------------------------------------------------------------------------------


def test_admin_changelist_links_to_upload(admin_client):
    calendar_load_official(actor=SYSTEM, years=[2026])
    response = admin_client.get(reverse("admin:catalog_calendarday_changelist") + "?year=2026&kind=workday")
    assert response.status_code == 200
    assert reverse("admin:catalog_calendarday_upload").encode() in response.content
    assert response.context["cl"].result_count == 6


def test_admin_upload_imports_and_reports_errors(admin_client, city):
    url = reverse("admin:catalog_calendarday_upload")
    assert admin_client.get(url).status_code == 200
    bad = SimpleUploadedFile("bad.csv", BAD_CSV.encode(), content_type="text/csv")
    response = admin_client.post(url, {"file": bad, "source": "official"})
    assert response.status_code == 200
    assert "line 4:" in response.content.decode()
    assert not CalendarDay.objects.exists()
    good = SimpleUploadedFile("hz.csv", "2026-03-10,休,西湖节\n".encode(), content_type="text/csv")
    response = admin_client.post(url, {"file": good, "source": "city", "city": city.pk})
    assert response.status_code == 302
    assert rows() == [(d("2026-03-10"), "holiday", "西湖节", "city", city.pk)]
    event = calendar_events()[0]
    assert event.actor_label == "admin"


def test_admin_work_schedule_goes_through_the_service(admin_client, city):
    url = reverse("admin:catalog_workschedule_add")
    response = admin_client.post(url, {"city": city.pk, "periods": '[["12:00", "09:00"]]'})
    assert response.status_code == 200
    assert not WorkSchedule.objects.exists()
    response = admin_client.post(
        url, {"city": city.pk, "periods": '[["08:00", "12:00"], ["13:00", "17:00"]]'}
    )
    assert response.status_code == 302
    assert WorkSchedule.objects.get().periods == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert calendar_events()[0].verb == "calendar.schedule_set"
