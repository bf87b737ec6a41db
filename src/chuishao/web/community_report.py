"""社区减负: the reports a community used to type by hand, generated from the data entered once.

``CATALOGUE`` lists every generated report with the hand-kept form it replaces, so that a district
can refuse a new form that the system already answers (the admission register's refusal reason).
``community_month`` is the community's monthly statistics: cases, grid work, volunteer service,
party coverage, its workers and the work pushed down to it, one month, one community.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chuishao.cases.models import PUBLIC_SOURCES, Case, Satisfaction, Source, Status
from chuishao.engagement.models import Claim, ClaimStatus, PointEntry
from chuishao.geo.models import Jurisdiction
from chuishao.gridwork.models import Patrol, PatrolGrid, Visit, VisitKind
from chuishao.party.coverage import coverage_summary
from chuishao.spreadsheets import safe_text
from chuishao.workforce.models import CommunityWorker, ItemKind, Post
from chuishao.workforce.selectors import register


@dataclass(frozen=True)
class Entry:
    """One generated report: what it is, the hand-kept form it replaces and where it is opened."""

    key: str
    title: Any
    replaces: Any
    source: Any
    url_name: str
    formats: str = "HTML · XLSX"


CATALOGUE: list[Entry] = [
    Entry(
        "community_month",
        _("Community monthly statistics"),
        _(
            "The monthly community report typed by hand: cases, patrols and visits, volunteer service, "
            "party coverage, staff and tasks received"
        ),
        _("cases, grid work, dual reporting, party organisations, community workers, admission register"),
        "web:report_community",
    ),
    Entry(
        "cases_by_category",
        _("Cases by category, grid and street"),
        _("The monthly urban-management problem statistics by category and area"),
        _("cases"),
        "web:dashboard",
    ),
    Entry(
        "evaluation",
        _("Evaluation and rankings"),
        _("The grid-management assessment score sheets of grids, communities, streets and departments"),
        _("cases and their events"),
        "web:evaluation",
    ),
    Entry(
        "patrols",
        _("Patrol coverage and visits"),
        _("Grid workers' paper patrol logs and household visit ledgers"),
        _("grid work (patrols, visits)"),
        "web:patrol_coverage",
        "HTML",
    ),
    Entry(
        "volunteer_service",
        _("Volunteer service and points per unit"),
        _("The in-service party members' service record books and the year-end feedback forms to units"),
        _("dual reporting (confirmed service, points ledger)"),
        "web:serve_unit_home",
        "HTML · XLSX · PDF",
    ),
    Entry(
        "party_coverage",
        _("Party organisation coverage and gaps"),
        _("The party organisation coverage statistics form (grids, complexes, new organisations)"),
        _("party organisations"),
        "web:party_coverage",
    ),
    Entry(
        "workers",
        _("Community workers' posts, grades and pay coefficients"),
        _("The community workers' roster and grade-and-pay table"),
        _("community workers"),
        "web:workforce_home",
    ),
    Entry(
        "admissions",
        _("Work admitted for communities"),
        _("The ledger of tasks, forms and inspections pushed down to communities"),
        _("admission register"),
        "web:admissions",
        "HTML",
    ),
]


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of ``month`` and of the next month, in the site's time zone."""
    start = dt.date(month.year, month.month, 1)
    nxt = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time()), tz),
        timezone.make_aware(dt.datetime.combine(nxt, dt.time()), tz),
    )


@dataclass
class Section:
    key: str
    title: Any
    rows: list[tuple[Any, Any]] = field(default_factory=list)
    note: Any = ""


def _cases(node: Jurisdiction, start: dt.datetime, end: dt.datetime) -> Section:
    here = Case.objects.filter(community=node)
    received = here.filter(created_at__gte=start, created_at__lt=end)
    totals = received.aggregate(
        n=Count("pk"),
        public=Count("pk", filter=Q(source__in=PUBLIC_SOURCES)),
    )
    closed = here.filter(closed_at__gte=start, closed_at__lt=end).aggregate(
        n=Count("pk"),
        rated=Count("pk", filter=~Q(satisfaction="")),
        satisfied=Count("pk", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY])),
    )
    section = Section("cases", _("Cases"))
    section.rows += [
        (_("Received"), totals["n"]),
        (_("Reported first by the public"), totals["public"]),
        (_("Closed"), closed["n"]),
        (_("Rated by the reporter"), closed["rated"]),
        (_("Satisfied or basically satisfied"), closed["satisfied"]),
    ]
    by_major = (
        received.values("category__parent__kind", "category__parent__code", "category__parent__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__parent__kind", "category__parent__code")
    )
    for row in by_major:
        label = row["category__parent__name"] or "–"
        section.rows.append((_("Received: %(category)s") % {"category": label}, row["n"]))
    return section


def _grid_work(node: Jurisdiction, start: dt.datetime, end: dt.datetime) -> Section:
    patrols = Patrol.objects.filter(community=node, started_at__gte=start, started_at__lt=end)
    spans = list(patrols.exclude(ended_at=None).values_list("started_at", "ended_at"))
    hours = Decimal(sum((e - s).total_seconds() for s, e in spans) / 3600).quantize(Decimal("0.1"))
    walked = PatrolGrid.objects.filter(patrol__in=patrols).values("grid").distinct().count()
    grids = Jurisdiction.objects.filter(parent=node, kind="grid").count()
    visits = Visit.objects.filter(grid__parent=node, visited_at__gte=start, visited_at__lt=end).aggregate(
        households=Count("pk", filter=Q(kind=VisitKind.HOUSEHOLD)),
        units=Count("pk", filter=Q(kind=VisitKind.UNIT)),
        follow_up=Count("pk", filter=Q(follow_up=True)),
    )
    on_patrol = Case.objects.filter(community=node, created_at__gte=start, created_at__lt=end).aggregate(
        reported=Count("pk", filter=Q(source=Source.GRID_PATROL)),
        fixed=Count("pk", filter=Q(status=Status.SELF_HANDLED)),
    )
    return Section(
        "gridwork",
        _("Grid work"),
        [
            (_("Patrols"), patrols.count()),
            (_("Hours on patrol"), hours),
            (_("Grids walked at least once"), f"{walked} / {grids}"),
            (_("Household visits"), visits["households"]),
            (_("Unit visits"), visits["units"]),
            (_("Visits needing follow-up"), visits["follow_up"]),
            (_("Problems reported on patrol"), on_patrol["reported"]),
            (_("Small matters fixed on the spot"), on_patrol["fixed"]),
        ],
    )


def _service(node: Jurisdiction, start: dt.datetime, end: dt.datetime) -> Section:
    confirmed = Claim.objects.filter(
        task__node=node, status=ClaimStatus.CONFIRMED, confirmed_at__gte=start, confirmed_at__lt=end
    ).aggregate(n=Count("pk"), hours=Sum("hours"), people=Count("person", distinct=True))
    points = PointEntry.objects.filter(
        node=node, served_on__gte=start.date(), served_on__lt=end.date()
    ).aggregate(total=Sum("points"))
    return Section(
        "service",
        _("Volunteer service (dual reporting)"),
        [
            (_("Services confirmed"), confirmed["n"]),
            (_("Members who served"), confirmed["people"]),
            (_("Hours confirmed"), Decimal(confirmed["hours"] or 0).quantize(Decimal("0.01"))),
            (_("Points written to the ledger"), Decimal(points["total"] or 0).quantize(Decimal("0.1"))),
        ],
    )


def _party(node: Jurisdiction, last_day: dt.date) -> Section:
    row = coverage_summary(node, last_day)
    section = Section("party", _("Party organisation coverage at the month's end"))
    own = _("yes") if row.has_own else _("no")
    section.rows.append((_("The community has its own party organisation"), own))
    for _key, label, tally in row.tallies():
        section.rows.append((label, f"{tally.covered} / {tally.total}"))
    return section


def _workers(node: Jurisdiction, last_day: dt.date) -> Section:
    on_roster = CommunityWorker.objects.filter(community=node, started_on__lte=last_day).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=last_day)
    )
    counts = dict(on_roster.values_list("post").annotate(n=Count("pk")))
    return Section(
        "workers",
        _("Community workers at the month's end"),
        [(label, counts.get(value, 0)) for value, label in Post.choices],
    )


def _admitted(node: Jurisdiction, month: dt.date) -> Section:
    reg = register(node, months=1, until=month)
    first = reg.months[0]
    return Section(
        "admitted",
        _("Work pushed down to the community and in force this month"),
        [(label, reg.total(first, value)) for value, label in ItemKind.choices],
        _("Only admitted items count; see the admission register."),
    )


def community_month(node: Jurisdiction, month: dt.date) -> list[Section]:
    """The community's monthly statistics, every figure read from the data (a fixed number of queries)."""
    start, end = month_bounds(month)
    last_day = (end - dt.timedelta(days=1)).date()
    sections = [_cases(node, start, end), _grid_work(node, start, end)]
    sections += [
        _service(node, start, end),
        _party(node, last_day),
        _workers(node, last_day),
        _admitted(node, month),
    ]
    return sections


def community_month_xlsx(node: Jurisdiction, month: dt.date, sections: list[Section]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = f"{month:%Y-%m}"
    sheet.append([str(_("Community monthly statistics")), safe_text(node.name), f"{month:%Y-%m}"])
    for section in sections:
        sheet.append([])
        sheet.append([str(section.title)])
        for label, value in section.rows:
            if isinstance(value, Decimal):
                value = float(value)
            elif not isinstance(value, int | float):
                value = safe_text(str(value))
            sheet.append([safe_text(str(label)), value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
