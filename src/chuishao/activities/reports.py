"""Reports of activities per organisation and period, and per street or district rolling up the
organisations under it; a person's own activities ("my activities").

- Activities held: closed activities (status held) that started in the period, by kind.
- Attendance rate: attended ÷ expected over those activities (expected: the members-only activity's
  members with an account on its day; an open activity's signed-up, on leave, present or absent).
- Training hours per member: the hours of the lectures, training classes and branch meetings held in the
  period (by any organiser) that the organisation's members attended, ÷ the organisation's party members
  at the period's end (with or without an account: the figure is per member, not per account).
  Community committees have no party members: their hours per member stay empty.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.activities.models import (
    TRAINING_KINDS,
    Activity,
    Audience,
    Kind,
    Participation,
    Presence,
    Status,
)
from chuishao.activities.services import ORGANISER_KINDS, may_read_reports
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation
from chuishao.party.coverage import COVERAGE_ROLES, under_q
from chuishao.party.models import PartyMember
from chuishao.spreadsheets import safe_text


@dataclass
class ReportRow:
    code: str
    name: str
    org_id: int | None = None
    by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Kind.values, 0))
    expected: int = 0
    attended: int = 0
    members: int = 0
    hours: float = 0.0

    @property
    def held(self) -> int:
        return sum(self.by_kind.values())

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.attended / self.expected, 1) if self.expected else None

    @property
    def hours_per_member(self) -> float | None:
        return round(self.hours / self.members, 2) if self.members else None

    def add(self, other: ReportRow) -> None:
        for k, v in other.by_kind.items():
            self.by_kind[k] += v
        self.expected += other.expected
        self.attended += other.attended
        self.members += other.members
        self.hours += other.hours


@dataclass
class Report:
    title: str
    start: dt.date
    end: dt.date
    rows: list[ReportRow]
    total: ReportRow


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _members_on_q(day: dt.date) -> Q:
    return Q(since__lte=day) & (Q(until__isnull=True) | Q(until__gt=day))


def activities_report(orgs: list[Organisation], start: dt.date, end: dt.date, *, title: str = "") -> Report:
    """The report for ``orgs`` over [start, end] (local dates); a fixed number of queries."""
    lo, hi = _bounds(start, end)
    org_ids = [o.pk for o in orgs]
    rows = {o.pk: ReportRow(code=o.code, name=o.name, org_id=o.pk) for o in orgs}
    held = list(
        Activity.objects.filter(
            organiser_id__in=org_ids, status=Status.HELD, starts_at__gte=lo, starts_at__lt=hi
        )
    )
    # Members of every organisation in the report, over the period (for expected counts and hours).
    member_rows = list(
        PartyMember.objects.filter(party_org_id__in=org_ids, since__lte=end)
        .filter(Q(until__isnull=True) | Q(until__gte=start))
        .values_list("party_org_id", "person_id", "since", "until")
    )
    parts = defaultdict(list)
    for activity_id, person_id, presence, holds in Participation.objects.filter(
        activity__in=[a.pk for a in held]
    ).values_list("activity_id", "person_id", "presence", "holds_place"):
        parts[activity_id].append((person_id, presence, holds))
    for a in held:
        row = rows[a.organiser_id]
        row.by_kind[a.kind] += 1
        day = timezone.localdate(a.starts_at)
        attended = {p for p, presence, _h in parts[a.pk] if presence == Presence.ATTENDED}
        if a.audience == Audience.MEMBERS:
            expected = {
                person
                for org_id, person, since, until in member_rows
                if org_id == a.organiser_id and person and since <= day and (until is None or until > day)
            }
        else:
            expected = {p for p, presence, holds in parts[a.pk] if holds or presence}
        row.expected += len(expected | attended)
        row.attended += len(attended)
    # Training hours: what the organisations' members (at the period's end) attended, by any organiser.
    current: dict[int, set[int]] = defaultdict(set)
    for org_id, person, since, until in member_rows:
        if since <= end and (until is None or until > end):
            rows[org_id].members += 1
            if person:
                current[org_id].add(person)
    people = set().union(*current.values()) if current else set()
    hours_of: dict[int, float] = defaultdict(float)
    if people:
        for person_id, starts, ends in Participation.objects.filter(
            person_id__in=people,
            presence=Presence.ATTENDED,
            activity__status=Status.HELD,
            activity__kind__in=TRAINING_KINDS,
            activity__starts_at__gte=lo,
            activity__starts_at__lt=hi,
        ).values_list("person_id", "activity__starts_at", "activity__ends_at"):
            hours_of[person_id] += (ends - starts).total_seconds() / 3600
    for org_id, persons in current.items():
        rows[org_id].hours = round(sum(hours_of[p] for p in persons), 2)
    total = ReportRow(code="", name=_("Total"))
    for row in rows.values():
        total.add(row)
    total.hours = round(total.hours, 2)
    ordered = sorted(rows.values(), key=lambda r: r.code)
    return Report(title=title, start=start, end=end, rows=ordered, total=total)


def organisations_under(node: Jurisdiction) -> list[Organisation]:
    """The organisers under a node (party organisations and community committees)."""
    return list(
        Organisation.objects.filter(under_q(node, "jurisdiction__"), kind__in=ORGANISER_KINDS).order_by(
            "code"
        )
    )


def may_read_node(actor: Any, node: Jurisdiction) -> bool:
    from chuishao.orgs.scopes import holds_role_over

    return node.kind in ("city", "district", "street", "community") and holds_role_over(
        actor, node, COVERAGE_ROLES
    )


def org_report(actor: Any, org: Organisation, start: dt.date, end: dt.date) -> Report | None:
    if org.kind not in ORGANISER_KINDS or not may_read_reports(actor, org):
        return None
    return activities_report([org], start, end, title=org.name)


def node_report(actor: Any, node: Jurisdiction, start: dt.date, end: dt.date) -> Report | None:
    if not may_read_node(actor, node):
        return None
    return activities_report(organisations_under(node), start, end, title=node.name)


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 90 days up to today."""
    day = today or timezone.localdate(clock.now())
    return day - dt.timedelta(days=89), day


def report_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Activities")[:31]
    sheet.append([safe_text(report.title), f"{report.start:%Y-%m-%d} – {report.end:%Y-%m-%d}"])
    kinds = [str(label) for label in Kind.labels]
    sheet.append(
        [
            _("Code"),
            _("Organisation"),
            *kinds,
            _("Held"),
            _("Expected"),
            _("Attended"),
            _("Attendance rate (%)"),
            _("Party members"),
            _("Training hours"),
            _("Training hours per member"),
        ]
    )
    for row in [*report.rows, report.total]:
        sheet.append(
            [
                safe_text(row.code),
                safe_text(row.name),
                *(row.by_kind[k] for k in Kind.values),
                row.held,
                row.expected,
                row.attended,
                row.rate,
                row.members,
                row.hours,
                row.hours_per_member,
            ]
        )
    sheet.freeze_panes = "C3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------------ my activities


# How many upcoming activities and history rows "my activities" shows.
MY_LIMIT = 100


@dataclass
class MyActivities:
    upcoming: list[Activity]
    history: list[Participation]
    rows: dict[int, Participation]
    hours: float


def my_activities(actor: Any, *, limit: int | None = None) -> MyActivities:
    """Upcoming activities the person may join (open ones, and their organisations' members-only ones),
    with their own row on each; their history (attended, leave, absent), the latest ``MY_LIMIT`` rows,
    and the training hours attended: summed in the database over all their attended lectures, training
    classes and branch meetings that were held and closed (as the reports count them), not over the
    shown rows."""
    limit = limit or MY_LIMIT
    now = clock.now()
    today = timezone.localdate(now)
    pk = actor.pk
    orgs = PartyMember.objects.filter(_members_on_q(today), person_id=pk).values("party_org_id")
    upcoming = list(
        Activity.objects.filter(status=Status.PLANNED, ends_at__gte=now)
        .filter(Q(audience=Audience.OPEN) | Q(organiser_id__in=orgs))
        .select_related("organiser")
        .order_by("starts_at", "pk")[:limit]
    )
    rows = {
        p.activity_id: p
        for p in Participation.objects.filter(person_id=pk, activity__in=[a.pk for a in upcoming])
    }
    history = list(
        Participation.objects.filter(person_id=pk)
        .exclude(presence="")
        .filter(activity__starts_at__lt=now)
        .select_related("activity", "activity__organiser")
        .order_by("-activity__starts_at")[:limit]
    )
    spent = Participation.objects.filter(
        person_id=pk,
        presence=Presence.ATTENDED,
        activity__status=Status.HELD,
        activity__kind__in=TRAINING_KINDS,
    ).aggregate(
        total=Sum(
            ExpressionWrapper(F("activity__ends_at") - F("activity__starts_at"), output_field=DurationField())
        )
    )["total"]
    hours = spent.total_seconds() / 3600 if spent else 0.0
    return MyActivities(upcoming=upcoming, history=history, rows=rows, hours=round(hours, 2))
