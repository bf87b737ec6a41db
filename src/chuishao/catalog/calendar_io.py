"""Writing the work calendar: loading official days, importing CSV and iCalendar files, work schedules.

Each service validates everything first, then writes in one transaction that appends one event on
the "calendar" chain and drops this process's cached calendars. A run that would change nothing
writes nothing and appends no event, so loading or importing twice is idempotent.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.catalog.calendar import CalendarError, parse_periods, work_calendar_invalidate
from chuishao.catalog.models import CalendarDay, CalendarYear, DayKind, DaySource, WorkSchedule
from chuishao.events.services import event_append
from chuishao.geo.models import Jurisdiction, Kind

CHAIN = "calendar"
NAME_MAX = CalendarDay._meta.get_field("name").max_length
# The chinesecalendar package names holidays in English; the calendar shows them in Chinese.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
KIND_WORDS = {
    "holiday": DayKind.HOLIDAY,
    "休": DayKind.HOLIDAY,
    "workday": DayKind.WORKDAY,
    "班": DayKind.WORKDAY,
}
WORKDAY_MARKERS_ZH = ("班",)  # "班" covers 补班 and 上班
WORKDAY_MARKERS_EN = ("workday", "working day")
# A holiday block is never longer than this; a longer iCalendar event is a mistake, not a holiday.
MAX_EVENT_DAYS = 31


class CalendarImportError(Exception):
    """Calendar data was refused; ``messages`` lists every problem found (nothing was written)."""

    code = "calendar_import_invalid"

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class ImportResult:
    """What an import did: distinct dates read, rows created/updated/deleted/unchanged, years marked."""

    dates: int
    created: int
    updated: int
    unchanged: int
    deleted: int = 0
    years: tuple[int, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


@dataclass(frozen=True)
class _Entry:
    date: dt.date
    kind: str
    name: str
    where: str  # "line 4" or "event 'UID'": where the entry came from, for messages


# --- official days from chinesecalendar ------------------------------------------------------


def calendar_load_official(*, actor: Any, years: list[int] | None = None) -> list[int]:
    """Load official holidays and adjusted workdays from the chinesecalendar package.

    ``years`` None loads every year the package knows. For each year loaded, the official rows
    (city empty) become exactly the package's days and the year is marked in ``CalendarYear``.
    Returns the years loaded; raises ``CalendarImportError`` for a year the package does not know.
    """
    import chinese_calendar

    version = getattr(chinese_calendar, "__version__", "?")
    loaded_from = f"chinesecalendar {version}"
    known = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    wanted = sorted(set(years)) if years is not None else sorted(known)
    unknown = [y for y in wanted if y not in known]
    if unknown:
        raise CalendarImportError(
            [
                _("chinesecalendar %(version)s has no data for %(year)d (it knows %(first)d–%(last)d)")
                % {"version": version, "year": y, "first": min(known), "last": max(known)}
                for y in unknown
            ]
        )
    desired: dict[dt.date, tuple[str, str]] = {}
    for date, name in chinese_calendar.holidays.items():
        if date.year in wanted:
            desired[date] = (DayKind.HOLIDAY, _holiday_name(name))
    for date, name in chinese_calendar.workdays.items():
        # The package lists only adjusted days, but a "workday" on a weekday would mean nothing.
        if date.year in wanted and date.weekday() >= 5:
            desired[date] = (DayKind.WORKDAY, _holiday_name(name))

    with transaction.atomic():
        existing = CalendarDay.objects.filter(
            source=DaySource.OFFICIAL, city__isnull=True, date__year__in=wanted
        )
        result = _replace_days(
            source=DaySource.OFFICIAL, city=None, desired=desired, existing=existing, delete_missing=True
        )
        marked = _mark_years(years=wanted, loaded_from=loaded_from, force=result.changed)
        if result.changed or marked:
            event_append(
                verb="calendar.official_loaded",
                actor=actor,
                chain=CHAIN,
                reason=loaded_from,
                after={
                    "years": wanted,
                    "loaded_from": loaded_from,
                    "created": result.created,
                    "updated": result.updated,
                    "deleted": result.deleted,
                },
            )
            _invalidate_now_and_on_commit()
    return wanted


def _holiday_name(name: Any) -> str:
    text = getattr(name, "value", name) or ""
    return HOLIDAY_NAMES_ZH.get(str(text), str(text))[:NAME_MAX]


# --- CSV and iCalendar files ----------------------------------------------------------------


def calendar_import(
    *,
    actor: Any,
    path_or_file: str | Path | IO,
    fmt: str | None = None,
    source: str = DaySource.OFFICIAL,
    city: Jurisdiction | None = None,
) -> ImportResult:
    """Import holidays and adjusted workdays from a CSV (``date,kind,name``) or iCalendar file.

    ``fmt`` is "csv" or "ics" (None: from the file name's extension). Every row is checked before
    anything is written; on any problem ``CalendarImportError`` lists them all. Rows of the same
    source and city on the imported dates are replaced; other dates are left alone. An official
    import marks the years it covers as loaded, naming the file.
    """
    filename, raw = _read(path_or_file)
    problems: list[str] = []
    if source not in DaySource.values:
        problems.append(_("unknown source %(source)r (official or city)") % {"source": source})
    elif source == DaySource.CITY and city is None:
        problems.append(_("a city calendar needs the city it belongs to"))
    elif source == DaySource.OFFICIAL and city is not None:
        problems.append(_("official days belong to no city; import them with source city"))
    if city is not None and city.kind != Kind.CITY:
        problems.append(_("%(place)s is not a city") % {"place": city})
    fmt = (fmt or Path(filename).suffix.lstrip(".")).lower()
    fmt = {"ical": "ics", "ifb": "ics", "icalendar": "ics"}.get(fmt, fmt)
    if fmt not in {"csv", "ics"}:
        raise CalendarImportError(
            [*problems, _("cannot tell the format of %(file)r: use a .csv or .ics file") % {"file": filename}]
        )
    text = _decode(raw, problems)
    if not text.strip():
        entries: list[_Entry] = []
    elif fmt == "csv":
        entries = _parse_csv(text, problems)
    else:
        entries = _parse_ics(raw, problems)
    if not entries and not problems:
        problems.append(_("%(file)s holds no calendar days") % {"file": filename or _("the file")})
    desired = _check_entries(entries, problems)
    if problems:
        raise CalendarImportError(problems)

    with transaction.atomic():
        existing = CalendarDay.objects.filter(source=source, date__in=list(desired))
        existing = existing.filter(city=city) if city is not None else existing.filter(city__isnull=True)
        result = _replace_days(
            source=source, city=city, desired=desired, existing=existing, delete_missing=False
        )
        years = sorted({d.year for d in desired}) if source == DaySource.OFFICIAL else []
        marked = _mark_years(years=years, loaded_from=filename[:120], force=result.changed)
        if result.changed or marked:
            event_append(
                verb="calendar.imported",
                actor=actor,
                chain=CHAIN,
                city_id=city.pk if city is not None else None,
                reason=filename,
                after={
                    "file": filename,
                    "source": source,
                    "city": city.code if city is not None else None,
                    "dates": len(desired),
                    "created": result.created,
                    "updated": result.updated,
                    "years": years,
                },
            )
            _invalidate_now_and_on_commit()
    return ImportResult(
        dates=result.dates,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        years=tuple(years),
    )


def _read(path_or_file: str | Path | IO) -> tuple[str, bytes]:
    if isinstance(path_or_file, str | Path):
        path = Path(path_or_file)
        return path.name, path.read_bytes()
    name = Path(str(getattr(path_or_file, "name", "") or "")).name or "upload"
    if hasattr(path_or_file, "seek"):
        path_or_file.seek(0)
    data = path_or_file.read()
    return name, data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _decode(raw: bytes, problems: list[str]) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Spreadsheets saved on Chinese Windows write GB18030 (a superset of GBK).
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        problems.append(_("the file is neither UTF-8 nor GB18030 text"))
        return ""


def _parse_csv(text: str, problems: list[str]) -> list[_Entry]:
    entries: list[_Entry] = []
    reader = csv.reader(io.StringIO(text))
    first = True
    for row in reader:
        where = _("line %(line)d") % {"line": reader.line_num}
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if first and cells[0].lower() == "date":
            first = False
            continue
        first = False
        if len(cells) < 2:
            problems.append(_("%(where)s: expected date,kind,name") % {"where": where})
            continue
        date = _parse_date(cells[0])
        kind = KIND_WORDS.get(cells[1].lower())
        if date is None:
            problems.append(
                _("%(where)s: %(value)r is not a date (use YYYY-MM-DD)") % {"where": where, "value": cells[0]}
            )
        if kind is None:
            problems.append(
                _("%(where)s: unknown kind %(value)r (use holiday/休 or workday/班)")
                % {"where": where, "value": cells[1]}
            )
        if date is not None and kind is not None:
            name = ",".join(cells[2:]).strip()
            entries.append(_Entry(date=date, kind=kind, name=name[:NAME_MAX], where=where))
    return entries


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        pass
    parts = text.replace("/", "-").split("-")
    # Spreadsheets drop leading zeros: 2026-2-16.
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        try:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            return None
    return None


def _parse_ics(raw: bytes, problems: list[str]) -> list[_Entry]:
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except ValueError as exc:
        problems.append(_("the file is not a valid iCalendar file: %(error)s") % {"error": exc})
        return []
    entries: list[_Entry] = []
    for event in calendar.walk("VEVENT"):
        summary = str(event.get("SUMMARY", "")).strip()
        uid = str(event.get("UID", "")).strip()
        where = _("event %(id)r") % {"id": uid or summary or "?"}
        if uid and summary:
            where = _("event %(id)r (%(summary)s)") % {"id": uid, "summary": summary}
        start, problem = _ics_date(event, "DTSTART", where)
        if start is None:
            problems.append(problem)
            continue
        end = start + dt.timedelta(days=1)
        if event.get("DTEND") is not None:
            end, problem = _ics_date(event, "DTEND", where)
            if end is None:
                problems.append(problem)
                continue
        elif event.get("DURATION") is not None:
            end = start + event.decoded("DURATION")
        days = (end - start).days
        if days < 1:
            problems.append(_("%(where)s: ends before it starts") % {"where": where})
            continue
        if days > MAX_EVENT_DAYS:
            problems.append(
                _("%(where)s: lasts %(days)d days; a holiday block is at most %(max)d")
                % {"where": where, "days": days, "max": MAX_EVENT_DAYS}
            )
            continue
        kind = DayKind.WORKDAY if _is_workday_summary(summary) else DayKind.HOLIDAY
        for offset in range(days):
            date = start + dt.timedelta(days=offset)
            entries.append(_Entry(date=date, kind=kind, name=summary[:NAME_MAX], where=where))
    return entries


def _ics_date(event: Any, key: str, where: str) -> tuple[dt.date | None, str]:
    """The all-day date of ``key``, or None and the problem with it."""
    if event.get(key) is None:
        return None, _("%(where)s: no %(key)s") % {"where": where, "key": key}
    try:
        value = event.decoded(key)
    except (KeyError, ValueError):
        value = None
    # datetime is a subclass of date: a timed event is refused, not silently cut to a day.
    if isinstance(value, dt.datetime):
        return None, _("%(where)s: %(key)s must be a date (an all-day event), not a time") % {
            "where": where,
            "key": key,
        }
    if not isinstance(value, dt.date):
        raw = event.get(key)
        shown = getattr(raw, "to_ical", lambda: raw)()
        shown = shown.decode() if isinstance(shown, bytes) else str(shown)
        return None, _("%(where)s: %(key)s %(value)r is not a date (use YYYYMMDD)") % {
            "where": where,
            "key": key,
            "value": shown,
        }
    return value, ""


def _is_workday_summary(summary: str) -> bool:
    lowered = summary.lower()
    return any(m in summary for m in WORKDAY_MARKERS_ZH) or any(m in lowered for m in WORKDAY_MARKERS_EN)


def _check_entries(entries: list[_Entry], problems: list[str]) -> dict[dt.date, tuple[str, str]]:
    desired: dict[dt.date, tuple[str, str]] = {}
    seen: dict[dt.date, _Entry] = {}
    for entry in entries:
        if entry.kind == DayKind.WORKDAY and entry.date.weekday() < 5:
            problems.append(
                _("%(where)s: %(date)s is a weekday, so it cannot be an adjusted workday")
                % {"where": entry.where, "date": entry.date.isoformat()}
            )
            continue
        earlier = seen.get(entry.date)
        if earlier is not None:
            if earlier.kind != entry.kind:
                problems.append(
                    _("%(where)s: %(date)s is listed as %(kind)s but %(other)s lists it as %(other_kind)s")
                    % {
                        "where": entry.where,
                        "date": entry.date.isoformat(),
                        "kind": entry.kind,
                        "other": earlier.where,
                        "other_kind": earlier.kind,
                    }
                )
            continue
        seen[entry.date] = entry
        desired[entry.date] = (entry.kind, entry.name)
    return desired


# --- work schedules --------------------------------------------------------------------------


def work_schedule_set(*, actor: Any, city: Jurisdiction | None, periods: list[list[str]]) -> WorkSchedule:
    """Set the working periods of ``city`` (None: the default for every city without its own)."""
    try:
        parse_periods(periods)
    except CalendarError as exc:
        raise CalendarImportError([str(exc)]) from exc
    clean = [[str(a), str(b)] for a, b in periods]
    with transaction.atomic():
        if city is None:
            schedule = (
                WorkSchedule.objects.select_for_update().filter(city__isnull=True).order_by("id").first()
            )
        else:
            schedule = WorkSchedule.objects.select_for_update().filter(city=city).first()
        before = schedule.periods if schedule is not None else None
        if schedule is None:
            schedule = WorkSchedule.objects.create(city=city, periods=clean)
        elif schedule.periods != clean:
            schedule.periods = clean
            schedule.save(update_fields=["periods"])
        else:
            return schedule
        event_append(
            verb="calendar.schedule_set",
            actor=actor,
            chain=CHAIN,
            city_id=city.pk if city is not None else None,
            before={"periods": before},
            after={"city": city.code if city is not None else None, "periods": clean},
        )
        _invalidate_now_and_on_commit()
    return schedule


# --- shared writing --------------------------------------------------------------------------


def _replace_days(
    *,
    source: str,
    city: Jurisdiction | None,
    desired: dict[dt.date, tuple[str, str]],
    existing: Iterable[CalendarDay],
    delete_missing: bool,
) -> ImportResult:
    created = updated = unchanged = deleted = 0
    current: dict[dt.date, CalendarDay] = {}
    for row in existing:
        # The unique constraint does not stop duplicates when city is NULL; keep one row per date.
        if row.date in current or (delete_missing and row.date not in desired):
            row.delete()
            deleted += 1
        else:
            current[row.date] = row
    new_rows = []
    for date, (kind, name) in sorted(desired.items()):
        row = current.get(date)
        if row is None:
            new_rows.append(CalendarDay(date=date, kind=kind, name=name, source=source, city=city))
            created += 1
        elif (row.kind, row.name) != (kind, name):
            row.kind, row.name = kind, name
            row.save(update_fields=["kind", "name"])
            updated += 1
        else:
            unchanged += 1
    CalendarDay.objects.bulk_create(new_rows)
    return ImportResult(
        dates=len(desired), created=created, updated=updated, unchanged=unchanged, deleted=deleted
    )


def _invalidate_now_and_on_commit() -> None:
    # Now, so this thread sees its own change inside the transaction; again after commit, so a
    # calendar another thread rebuilt from the old rows meanwhile is dropped too.
    work_calendar_invalidate()
    transaction.on_commit(work_calendar_invalidate)


def _mark_years(*, years: Iterable[int], loaded_from: str, force: bool) -> bool:
    """Mark ``years`` as official; an already-marked year is touched only when its days changed."""
    changed = False
    for year in years:
        row = CalendarYear.objects.filter(year=year).first()
        if row is None:
            CalendarYear.objects.create(year=year, loaded_from=loaded_from, loaded_at=clock.now())
            changed = True
        elif force or row.loaded_from != loaded_from:
            row.loaded_from, row.loaded_at = loaded_from, clock.now()
            row.save(update_fields=["loaded_from", "loaded_at"])
            changed = True
    return changed
