"""The work calendar: which days are working days, and deadline arithmetic across them.

Owns ``WorkCalendar`` (one per city, built in process from ``CalendarDay``, ``CalendarYear`` and
``WorkSchedule`` rows), its per-process cache and how that cache notices calendar changes, and
the four ``TimeType`` computations (``add``, ``working_time_between``, ``elapsed_fraction``).

All arithmetic happens on local wall time in ``settings.TIME_ZONE`` (Asia/Shanghai, no daylight
saving since 1991); inputs must be timezone-aware and results are aware datetimes in that zone.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from chuishao.catalog.models import CalendarDay, CalendarYear, DayKind, DaySource, TimeType, WorkSchedule

logger = logging.getLogger(__name__)

# Statutory fixed-date holidays since 2025: the only holidays we can know for a year the State
# Council has not yet published; the lunar holidays and the 调休 weekends are unknowable.
FIXED_HOLIDAYS: dict[tuple[int, int], str] = {
    (1, 1): "元旦",
    (5, 1): "劳动节",
    (5, 2): "劳动节",
    (10, 1): "国庆节",
    (10, 2): "国庆节",
    (10, 3): "国庆节",
}
DEFAULT_PERIODS: tuple[tuple[str, str], ...] = (("09:00", "12:00"), ("13:30", "17:30"))
# How often a process asks the database whether calendar rows changed (seconds).
DEFAULT_RECHECK_SECONDS = 2.0
# A calendar in which no working day comes within this many days is broken; stop instead of looping.
MAX_SCAN_DAYS = 3 * 366

_US_PER_SECOND = 1_000_000
_US_PER_HOUR = 3600 * _US_PER_SECOND
_US_PER_DAY = 24 * _US_PER_HOUR
_ONE_DAY = dt.timedelta(days=1)
_WORKING_TYPES = frozenset({TimeType.WORKING_HOURS, TimeType.WORKING_DAYS})

Periods = tuple[tuple[int, int], ...]


class CalendarError(ValueError):
    """The calendar cannot answer: bad input, or no working time within ``MAX_SCAN_DAYS``."""


@dataclass(frozen=True)
class Deadline:
    """When something is due; ``provisional`` when a day on the way lies in a year without official data."""

    due: dt.datetime
    provisional: bool


@dataclass(frozen=True)
class SpecialDay:
    """A date that is not what its weekday says (or a holiday listed anyway); ``origin`` says who said so."""

    date: dt.date
    kind: str
    name: str
    origin: str  # "official", "city" or "fallback" (fixed-date holiday of a provisional year)


def parse_periods(raw: Iterable[Iterable[str]]) -> Periods:
    """Turn ``[["09:00", "12:00"], …]`` into sorted (start, end) microseconds since midnight.

    Raises ``CalendarError`` for a malformed time, an empty or backwards period, overlapping
    periods, or no periods at all.
    """
    periods: list[tuple[int, int]] = []
    for pair in raw:
        try:
            start_text, end_text = pair
            start, end = _parse_hhmm(start_text), _parse_hhmm(end_text)
        except (TypeError, ValueError) as exc:
            raise CalendarError(
                _('%(pair)r is not a period like ["09:00", "12:00"]') % {"pair": pair}
            ) from exc
        if end <= start:
            raise CalendarError(
                _("period %(start)s–%(end)s ends before it starts") % {"start": start_text, "end": end_text}
            )
        periods.append((start, end))
    if not periods:
        raise CalendarError(_("a work schedule needs at least one period"))
    periods.sort()
    for (_s1, e1), (s2, _e2) in zip(periods, periods[1:], strict=False):
        if s2 < e1:
            raise CalendarError(_("working periods overlap"))
    return tuple(periods)


def _parse_hhmm(text: str) -> int:
    if text == "24:00":
        return _US_PER_DAY
    parsed = dt.time.fromisoformat(text)
    return (parsed.hour * 3600 + parsed.minute * 60 + parsed.second) * _US_PER_SECOND


def _to_decimal(amount: Decimal | float | int) -> Decimal:
    try:
        # str() first: Decimal(0.1) would carry the float's binary error into the deadline.
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except (InvalidOperation, ValueError) as exc:
        raise CalendarError(_("%(amount)r is not a number") % {"amount": amount}) from exc
    if not value.is_finite() or value < 0:
        raise CalendarError(
            _("a deadline amount must be a non-negative number, not %(amount)s") % {"amount": amount}
        )
    return value


def _us(value: Decimal) -> int:
    return int(value.to_integral_value())


class WorkCalendar:
    """Working days and working periods of one city (or the national default), answered from memory.

    A date counts as a working day when a city row says so, else an official row, else — in a year
    without official data — not when it is a fixed-date holiday, else when it is Monday–Friday.
    """

    def __init__(
        self,
        *,
        official: dict[dt.date, tuple[str, str]],
        city: dict[dt.date, tuple[str, str]],
        official_years: Iterable[int],
        periods: Periods,
        tz: dt.tzinfo,
    ) -> None:
        self._days: dict[dt.date, tuple[str, str, str]] = {
            d: (k, n, "official") for d, (k, n) in official.items()
        }
        self._days.update({d: (k, n, "city") for d, (k, n) in city.items()})
        self._working: dict[dt.date, bool] = {
            d: k == DayKind.WORKDAY for d, (k, _n, _o) in self._days.items()
        }
        self.official_years = frozenset(official_years)
        self.periods = periods
        self.tz = tz
        self._day_us = sum(end - start for start, end in periods)

    # --- days -------------------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        working = self._working.get(day)
        if working is not None:
            return working
        if day.year not in self.official_years and (day.month, day.day) in FIXED_HOLIDAYS:
            return False
        return day.weekday() < 5

    def is_provisional_year(self, year: int) -> bool:
        return year not in self.official_years

    def special_days(self, year: int) -> list[SpecialDay]:
        """The listed days of ``year`` (official, city, and the fixed-date fallback when provisional)."""
        found: dict[dt.date, SpecialDay] = {}
        if self.is_provisional_year(year):
            for (month, day), name in FIXED_HOLIDAYS.items():
                date = dt.date(year, month, day)
                found[date] = SpecialDay(date=date, kind=DayKind.HOLIDAY, name=name, origin="fallback")
        for date, (kind, name, origin) in self._days.items():
            if date.year == year:
                found[date] = SpecialDay(date=date, kind=kind, name=name, origin=origin)
        return [found[d] for d in sorted(found)]

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        for _i in range(MAX_SCAN_DAYS):
            day += _ONE_DAY
            if self.is_working_day(day):
                return day
        raise CalendarError(
            _("no working day within %(days)d days of %(date)s") % {"days": MAX_SCAN_DAYS, "date": day}
        )

    # --- deadlines --------------------------------------------------------------------------

    def add(self, start: dt.datetime, amount: Decimal | float | int, time_type: str) -> Deadline:
        """The deadline ``amount`` units of ``time_type`` after ``start``.

        - clock_hours: round the clock (0.5 = 30 minutes).
        - natural_days: calendar days at the same wall-clock time (fractions are fractions of 24 h).
        - working_hours: only time inside working periods of working days counts; a start outside
          working time begins counting at the next period start. A deadline that uses a period up
          to its end is due at that end (09:00 + 3 h = 12:00, not 13:30).
        - working_days: when ``start`` lies within a working day (from its first period's start to
          its last period's end, lunch included), the same clock time on the Nth following working
          day. Otherwise the working day that holds the next period is day 1, and the deadline is
          the end of the Nth working day's last period (filed Friday evening with 1 working day →
          Monday at the end of work). A fraction counts as that share of a full working day's
          working hours, added after the whole days; 0 days from outside working time is the next
          period start.

        ``provisional`` is True when a working-type computation touches a year whose official days
        are not loaded; such years count weekends and ``FIXED_HOLIDAYS`` only. Clock and natural
        time do not depend on the calendar and are never provisional.
        """
        value = _to_decimal(amount)
        try:
            kind = TimeType(time_type)
        except ValueError as exc:
            raise CalendarError(_("unknown time type %(type)r") % {"type": time_type}) from exc
        local = self._local(start)
        if kind == TimeType.CLOCK_HOURS:
            return Deadline(
                due=local + dt.timedelta(microseconds=_us(value * _US_PER_HOUR)), provisional=False
            )
        if kind == TimeType.NATURAL_DAYS:
            return Deadline(
                due=local + dt.timedelta(microseconds=_us(value * _US_PER_DAY)), provisional=False
            )
        if kind == TimeType.WORKING_HOURS:
            due = self._add_working_us(local, _us(value * _US_PER_HOUR))
        else:
            due = self._add_working_days(local, value)
        return Deadline(due=due, provisional=self._touches_provisional(local.date(), due.date()))

    def working_time_between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Working time from ``a`` to ``b`` (zero when ``b`` is not after ``a``)."""
        la, lb = self._local(a), self._local(b)
        if lb <= la:
            return dt.timedelta(0)
        day, last = la.date(), lb.date()
        total = 0
        while day <= last:
            if self.is_working_day(day):
                low = self._us_of_day(la) if day == la.date() else 0
                high = self._us_of_day(lb) if day == last else _US_PER_DAY
                for start, end in self.periods:
                    span = min(end, high) - max(start, low)
                    if span > 0:
                        total += span
            day += _ONE_DAY
        return dt.timedelta(microseconds=total)

    def elapsed_fraction(
        self, start: dt.datetime, due: dt.datetime, now: dt.datetime, time_type: str
    ) -> float:
        """Share of the time from ``start`` to ``due`` used by ``now`` (0.8 = 80 % used).

        Working types measure working time, so nights and holidays do not use up a deadline.
        Never below 0; at least 1.0 once ``now`` reaches ``due``, and above 1.0 as working time
        runs on past it.
        """
        if TimeType(time_type) in _WORKING_TYPES:
            total = self.working_time_between(start, due)
            used = self.working_time_between(start, now)
        else:
            total, used = due - start, now - start
        if total <= dt.timedelta(0):
            return 1.0 if now >= due else 0.0
        fraction = max(0.0, used / total)
        return max(fraction, 1.0) if now >= due else fraction

    def fraction_point(
        self, start: dt.datetime, due: dt.datetime, fraction: float, time_type: str
    ) -> dt.datetime:
        """The moment at which ``fraction`` of the time from ``start`` to ``due`` is used (the inverse
        of ``elapsed_fraction``): 0.8 gives the yellow-warning point. Working types count working time."""
        if due <= start:
            return due
        if TimeType(time_type) in _WORKING_TYPES:
            total = self.working_time_between(start, due)
            if total <= dt.timedelta(0):
                return due
            used = int(total / dt.timedelta(microseconds=1) * fraction)
            return min(self._add_working_us(self._local(start), used), due)
        return start + (due - start) * fraction

    # --- internals --------------------------------------------------------------------------

    def _local(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise CalendarError(_("the work calendar only takes timezone-aware datetimes"))
        return moment.astimezone(self.tz)

    @staticmethod
    def _us_of_day(local: dt.datetime) -> int:
        return (local.hour * 3600 + local.minute * 60 + local.second) * _US_PER_SECOND + local.microsecond

    def _at(self, day: dt.date, us: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, tzinfo=self.tz) + dt.timedelta(microseconds=us)

    def _add_working_us(self, local: dt.datetime, remaining: int) -> dt.datetime:
        day, now_us = local.date(), self._us_of_day(local)
        for _i in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                for start, end in self.periods:
                    if now_us >= end:
                        continue
                    begin = max(now_us, start)
                    available = end - begin
                    if remaining <= available:
                        return self._at(day, begin + remaining)
                    remaining -= available
                    now_us = end
            day += _ONE_DAY
            now_us = 0
        raise CalendarError(_("no working time within %(days)d days") % {"days": MAX_SCAN_DAYS})

    def _add_working_days(self, local: dt.datetime, value: Decimal) -> dt.datetime:
        whole = int(value)
        fraction = value - whole
        day, now_us = local.date(), self._us_of_day(local)
        opens, closes = self.periods[0][0], self.periods[-1][1]
        if self.is_working_day(day) and opens <= now_us < closes:
            for _i in range(whole):
                day = self.next_working_day(day)
            base = self._at(day, now_us)
        else:
            if not (self.is_working_day(day) and now_us < opens):
                day = self.next_working_day(day)
            if whole:
                for _i in range(whole - 1):
                    day = self.next_working_day(day)
                base = self._at(day, closes)
            else:
                base = self._at(day, opens)
        if fraction:
            return self._add_working_us(base, _us(fraction * self._day_us))
        return base

    def _touches_provisional(self, first: dt.date, last: dt.date) -> bool:
        return any(year not in self.official_years for year in range(first.year, last.year + 1))


# --- the per-process cache ------------------------------------------------------------------


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calendars: dict[int | None, WorkCalendar] = {}
        self.revision: tuple | None = None
        self.checked_at = float("-inf")


_CACHE = _Cache()


def work_calendar(city_id: int | None = None) -> WorkCalendar:
    """The calendar of ``city_id`` (None: official days and the default schedule), cached in process.

    At most every ``CHUISHAO_CALENDAR_RECHECK_SECONDS`` (default 2 s) a few aggregate queries check
    whether any calendar row changed; the calendar services also call ``work_calendar_invalidate``.
    """
    recheck = float(getattr(settings, "CHUISHAO_CALENDAR_RECHECK_SECONDS", DEFAULT_RECHECK_SECONDS))
    with _CACHE.lock:
        now = time.monotonic()
        if now - _CACHE.checked_at >= recheck:
            revision = _revision()
            if revision != _CACHE.revision:
                _CACHE.calendars.clear()
                _CACHE.revision = revision
            _CACHE.checked_at = now
        calendar = _CACHE.calendars.get(city_id)
        if calendar is None:
            calendar = _CACHE.calendars[city_id] = _build(city_id)
        return calendar


def work_calendar_invalidate() -> None:
    """Forget every cached calendar in this process (other processes notice within the recheck time)."""
    with _CACHE.lock:
        _CACHE.calendars.clear()
        _CACHE.revision = None
        _CACHE.checked_at = float("-inf")


def elapsed_fraction(
    start: dt.datetime, due: dt.datetime, now: dt.datetime, time_type: str, *, city_id: int | None = None
) -> float:
    """``WorkCalendar.elapsed_fraction`` on the calendar of ``city_id``."""
    return work_calendar(city_id).elapsed_fraction(start, due, now, time_type)


def _revision() -> tuple:
    # Imports are delete/insert and ids never repeat, so count + max id catch them; an in-place
    # edit through a service advances the "calendar" event chain, which the head's seq catches.
    from chuishao.events.models import ChainHead

    days = CalendarDay.objects.aggregate(n=Count("id"), m=Max("id"))
    years = CalendarYear.objects.aggregate(n=Count("id"), m=Max("id"), at=Max("loaded_at"))
    schedules = WorkSchedule.objects.aggregate(n=Count("id"), m=Max("id"))
    head = ChainHead.objects.filter(chain="calendar").values_list("seq", flat=True).first()
    return (days["n"], days["m"], years["n"], years["m"], years["at"], schedules["n"], schedules["m"], head)


def _build(city_id: int | None) -> WorkCalendar:
    official: dict[dt.date, tuple[str, str]] = {}
    city: dict[dt.date, tuple[str, str]] = {}
    query = Q(source=DaySource.OFFICIAL, city__isnull=True)
    if city_id is not None:
        query |= Q(source=DaySource.CITY, city_id=city_id)
    for date, kind, name, source in CalendarDay.objects.filter(query).values_list(
        "date", "kind", "name", "source"
    ):
        (official if source == DaySource.OFFICIAL else city)[date] = (kind, name)
    years = CalendarYear.objects.values_list("year", flat=True)
    return WorkCalendar(
        official=official,
        city=city,
        official_years=list(years),
        periods=_schedule(city_id),
        tz=ZoneInfo(settings.TIME_ZONE),
    )


def _schedule(city_id: int | None) -> Periods:
    rows = []
    if city_id is not None:
        rows.append(WorkSchedule.objects.filter(city_id=city_id).first())
    rows.append(WorkSchedule.objects.filter(city__isnull=True).order_by("id").first())
    for row in rows:
        if row is None:
            continue
        try:
            return parse_periods(row.periods)
        except CalendarError:
            # A bad row must not stop every deadline; the services refuse to write one.
            logger.warning("work schedule %s has invalid periods %r; ignoring it", row.pk, row.periods)
    return parse_periods(DEFAULT_PERIODS)
