"""``chuishao calendar load-official | import FILE | show YEAR``: the work calendar from the command line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from chuishao.actors import SYSTEM
from chuishao.catalog.calendar import work_calendar
from chuishao.catalog.calendar_io import CalendarImportError, calendar_import, calendar_load_official
from chuishao.catalog.models import DayKind, DaySource
from chuishao.geo.models import Jurisdiction, Kind

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class Command(BaseCommand):
    help = "Load the official work calendar, import a CSV or iCalendar file, or show a year."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        load = actions.add_parser("load-official", help="load official days from the chinesecalendar package")
        load.add_argument("--year", dest="years", type=int, action="extend", nargs="+", default=None)
        imp = actions.add_parser("import", help="import holidays and adjusted workdays from .csv or .ics")
        imp.add_argument("file")
        imp.add_argument("--format", dest="fmt", choices=["csv", "ics"], default=None)
        imp.add_argument("--source", choices=DaySource.values, default=DaySource.OFFICIAL)
        imp.add_argument(
            "--city", dest="city_code", default=None, help="code of the city (with --source city)"
        )
        show = actions.add_parser("show", help="list a year's holidays and adjusted workdays")
        show.add_argument("year", type=int)
        show.add_argument("--city", dest="city_code", default=None)

    def handle(self, *args, action: str, **options):
        try:
            if action == "load-official":
                self._load(options["years"])
            elif action == "import":
                self._import(options)
            else:
                self._show(options["year"], options["city_code"])
        except CalendarImportError as exc:
            raise CommandError(
                _("%(count)d problem(s), nothing written:\n%(list)s")
                % {"count": len(exc.messages), "list": "\n".join(f"- {m}" for m in exc.messages)}
            ) from exc

    def _load(self, years: list[int] | None) -> None:
        loaded = calendar_load_official(actor=SYSTEM, years=years)
        self.stdout.write(
            self.style.SUCCESS(_("official calendar loaded for %(years)s") % {"years": _span(loaded)})
        )

    def _import(self, options: dict) -> None:
        city = _city(options["city_code"])
        try:
            result = calendar_import(
                actor=SYSTEM,
                path_or_file=options["file"],
                fmt=options["fmt"],
                source=options["source"],
                city=city,
            )
        except OSError as exc:
            raise CommandError(
                _("cannot read %(file)s: %(error)s") % {"file": options["file"], "error": exc}
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("%(dates)d dates: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
                % {
                    "dates": result.dates,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                }
            )
        )
        if result.years:
            self.stdout.write(_("official years marked: %(years)s") % {"years": _span(list(result.years))})

    def _show(self, year: int, city_code: str | None) -> None:
        city = _city(city_code)
        calendar = work_calendar(city.pk if city is not None else None)
        if calendar.is_provisional_year(year):
            self.stdout.write(
                _("%(year)d: provisional — no official days loaded; weekends and fixed-date holidays only")
                % {"year": year}
            )
        else:
            self.stdout.write(_("%(year)d: official") % {"year": year})
        for day in calendar.special_days(year):
            label = _("holiday") if day.kind == DayKind.HOLIDAY else _("workday")
            marker = "" if calendar.is_working_day(day.date) == (day.date.weekday() < 5) else " *"
            weekday = WEEKDAYS[day.date.weekday()]
            self.stdout.write(
                f"{day.date.isoformat()} {weekday}  {label:<8} {day.name}  [{day.origin}]{marker}"
            )
        self.stdout.write(_("* = differs from what the weekday says"))


def _city(code: str | None) -> Jurisdiction | None:
    if not code:
        return None
    city = Jurisdiction.objects.filter(code=code, kind=Kind.CITY).first()
    if city is None:
        raise CommandError(_("no city with code %(code)r") % {"code": code})
    return city


def _span(years: list[int]) -> str:
    return ", ".join(str(y) for y in years) if len(years) <= 5 else f"{years[0]}–{years[-1]} ({len(years)})"
