"""The report to a unit on its members' service (quarterly or yearly): rows, XLSX or a printable page.

Hours are the confirmed service records; points are the ledger's sum (awards and corrections) for the
unit in the period, so the report always equals a direct sum over the ledger. Members on the unit's
roster who never registered are flagged and get the grade the city's policy allows them.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from chuishao.engagement.errors import EngagementDenied, EngagementInvalid
from chuishao.engagement.models import (
    CapPeriod,
    Claim,
    ClaimStatus,
    EngagementPolicy,
    Grade,
    MemberEvaluation,
    PointEntry,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    UnitMember,
)
from chuishao.engagement.scopes import organises
from chuishao.engagement.services import period_bounds
from chuishao.orgs.models import Organisation
from chuishao.spreadsheets import safe_text


@dataclass(frozen=True)
class ReportRow:
    person_id: int
    name: str
    community: str
    registration: str  # the registration's status label, or "" when never registered
    registered_on: dt.date | None
    hours: Decimal
    points: Decimal
    grade: str  # a Grade value, or "" when not yet evaluated
    never_registered: bool

    @property
    def grade_label(self) -> str:
        return str(Grade(self.grade).label) if self.grade else ""


@dataclass(frozen=True)
class UnitReport:
    unit: Organisation
    year: int
    quarter: int | None
    start: dt.date
    end: dt.date
    rows: list[ReportRow]

    @property
    def period_label(self) -> str:
        return f"{self.year} Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def total_hours(self) -> Decimal:
        return sum((r.hours for r in self.rows), Decimal(0))

    @property
    def total_points(self) -> Decimal:
        return sum((r.points for r in self.rows), Decimal(0))


def period(year: int, quarter: int | None) -> tuple[dt.date, dt.date]:
    if not 2000 <= year <= 2100:
        raise EngagementInvalid(_("Choose a year between 2000 and 2100."))
    if quarter is None:
        return period_bounds(dt.date(year, 1, 1), CapPeriod.YEAR)  # type: ignore[return-value]
    if quarter not in (1, 2, 3, 4):
        raise EngagementInvalid(_("A quarter is 1, 2, 3 or 4."))
    return period_bounds(dt.date(year, 3 * quarter - 2, 1), CapPeriod.QUARTER)  # type: ignore[return-value]


_GRADE_ORDER = [Grade.DID_NOT_SERVE, Grade.FAIR, Grade.GOOD, Grade.EXCELLENT]


def unit_report(*, actor: Any, unit: Organisation, year: int, quarter: int | None = None) -> UnitReport:
    """Each member of the unit: registration, hours, points and the community's grade for the period."""
    if not organises(actor, unit.pk):
        raise EngagementDenied(_("Only the unit's party organiser sees its members' report."))
    start, end = period(year, quarter)
    registrations: dict[int, Registration] = {}
    for reg in (
        Registration.objects.filter(kind=RegistrationKind.MEMBER, unit=unit, registered_at__date__lte=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__date__gte=start))
        .exclude(status=RegistrationStatus.REJECTED)
        .select_related("node")
        .order_by("registered_at", "id")
    ):
        registrations[reg.person_id] = reg  # the latest one in the period wins
    roster = set(UnitMember.objects.filter(unit=unit).values_list("person_id", flat=True))
    points = {
        row["person_id"]: row["p"]
        for row in PointEntry.objects.filter(unit=unit, served_on__range=(start, end))
        .values("person_id")
        .annotate(p=Sum("points"))
        .order_by()
    }
    hours = {
        row["person_id"]: row["h"]
        for row in Claim.objects.filter(
            registration__unit=unit, status=ClaimStatus.CONFIRMED, task__starts_at__date__range=(start, end)
        )
        .values("person_id")
        .annotate(h=Sum("hours"))
        .order_by()
    }
    people = roster | set(registrations) | set(points) | set(hours)
    # What the unit may know is what its members registered naming it: where, and the grade given there
    # (a registration naming another employer, and its grade, belong to that unit).
    named = list(
        Registration.objects.filter(
            kind=RegistrationKind.MEMBER, unit=unit, person_id__in=people, registered_at__date__lte=end
        )
        .exclude(status=RegistrationStatus.REJECTED)
        .values_list("person_id", "node_id")
    )
    ever_registered = {person_id for person_id, _node in named}
    pairs = set(named)
    grades = {
        person_id: grade
        for person_id, node_id, grade in MemberEvaluation.objects.filter(
            person_id__in=ever_registered, node_id__in={n for _p, n in named}, year=year
        )
        .order_by("decided_at")
        .values_list("person_id", "node_id", "grade")
        if (person_id, node_id) in pairs
    }
    policy = EngagementPolicy.objects.filter(
        city_id=unit.jurisdiction.city_id or unit.jurisdiction_id
    ).first()
    ceiling = policy.unregistered_grade if policy else Grade.DID_NOT_SERVE
    names = {
        u.pk: (getattr(getattr(u, "profile", None), "display_name", "") or u.get_username())
        for u in get_user_model().objects.filter(pk__in=people).select_related("profile")
    }
    rows = []
    for person_id in people:
        reg = registrations.get(person_id)
        never = person_id not in ever_registered
        grade = grades.get(person_id, "")
        if never:
            grade = min(grade or ceiling, ceiling, key=_GRADE_ORDER.index)
        rows.append(
            ReportRow(
                person_id=person_id,
                name=names.get(person_id, str(person_id)),
                community=reg.node.name if reg else "",
                registration=str(reg.get_status_display()) if reg else "",
                registered_on=timezone.localdate(reg.registered_at) if reg else None,
                hours=hours.get(person_id) or Decimal(0),
                points=points.get(person_id) or Decimal(0),
                grade=grade,
                never_registered=never,
            )
        )
    rows.sort(key=lambda r: (r.never_registered, -r.points, r.name))
    return UnitReport(unit=unit, year=year, quarter=quarter, start=start, end=end, rows=rows)


def report_columns() -> list[str]:
    return [
        _("Member"),
        _("Community"),
        _("Registration"),
        _("Registered on"),
        _("Service hours"),
        _("Points"),
        _("Community's evaluation"),
        _("Never registered"),
    ]


def report_xlsx(report: UnitReport) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = report.period_label
    sheet.append([f"{report.unit.name} · {report.period_label}"])
    sheet.append(report_columns())
    for r in report.rows:
        sheet.append(
            [
                safe_text(r.name),  # a member's display name is typed by people
                r.community,
                r.registration,
                r.registered_on,
                float(r.hours),
                float(r.points),
                r.grade_label,
                _("yes") if r.never_registered else "",
            ]
        )
    sheet.append([_("Total"), "", "", "", float(report.total_hours), float(report.total_points), "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
