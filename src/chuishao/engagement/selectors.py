"""Reads of dual reporting, each scoped to who asks: members see their community's tasks and their own
record, managers the communities under them, unit organisers their unit's members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from chuishao import clock
from chuishao.actors import actor_user_id
from chuishao.engagement.errors import EngagementDenied
from chuishao.engagement.models import (
    Claim,
    ClaimStatus,
    Need,
    NeedStatus,
    PointEntry,
    Project,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Resource,
    ServiceCentre,
    Task,
    TaskStatus,
)
from chuishao.engagement.scopes import managed_q, organises, units_of
from chuishao.engagement.services import open_registration, registration_is_current
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation


def member_registration(actor: Any) -> Registration | None:
    pk = actor_user_id(actor)
    return open_registration(pk) if pk else None


def registration_history(actor: Any) -> QuerySet[Registration]:
    return Registration.objects.filter(
        kind=RegistrationKind.MEMBER, person_id=actor_user_id(actor)
    ).select_related("node", "unit")


def tasks_for_member(actor: Any) -> list[Task]:
    """Open, not yet ended tasks of the community the member is registered with."""
    reg = member_registration(actor)
    if not registration_is_current(reg):
        return []
    assert reg is not None
    return list(
        Task.objects.filter(node=reg.node, status=TaskStatus.OPEN, ends_at__gt=clock.now())
        .select_related("post", "centre")
        .order_by("starts_at", "id")[:200]
    )


def claims_of(actor: Any) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(person_id=actor_user_id(actor))
        .exclude(status=ClaimStatus.WITHDRAWN)
        .select_related("task", "task__post", "task__node")
        .order_by("-task__starts_at", "-id")
    )


@dataclass(frozen=True)
class Standing:
    hours: Decimal
    points: Decimal
    community_rank: int | None
    community_size: int
    unit_rank: int | None
    unit_size: int


def _rank(totals: dict[int, Decimal], person_id: int) -> int | None:
    """Competition rank (1, 2, 2, 4 …) of the person by points; None if they have none."""
    if person_id not in totals:
        return None
    mine = totals[person_id]
    return 1 + sum(1 for v in totals.values() if v > mine)


def member_standing(actor: Any, year: int) -> Standing:
    """The member's hours and points this year, and their rank in their community and in their unit."""
    person_id = actor_user_id(actor)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    hours = Claim.objects.filter(
        person_id=person_id, status=ClaimStatus.CONFIRMED, task__starts_at__date__range=(start, end)
    ).aggregate(h=Sum("hours"))["h"] or Decimal(0)
    mine = PointEntry.objects.filter(person_id=person_id, served_on__range=(start, end))
    points = mine.aggregate(p=Sum("points"))["p"] or Decimal(0)
    reg = member_registration(actor)
    community_totals: dict[int, Decimal] = {}
    unit_totals: dict[int, Decimal] = {}
    if reg is not None:
        community_totals = _totals(PointEntry.objects.filter(node=reg.node, served_on__range=(start, end)))
        unit_totals = _totals(PointEntry.objects.filter(unit=reg.unit, served_on__range=(start, end)))
    return Standing(
        hours=hours,
        points=points,
        community_rank=_rank(community_totals, person_id) if person_id else None,
        community_size=len(community_totals),
        unit_rank=_rank(unit_totals, person_id) if person_id else None,
        unit_size=len(unit_totals),
    )


def _totals(entries: QuerySet[PointEntry]) -> dict[int, Decimal]:
    return {
        row["person_id"]: row["p"] for row in entries.values("person_id").annotate(p=Sum("points")).order_by()
    }


def ledger_of(actor: Any) -> QuerySet[PointEntry]:
    return (
        PointEntry.objects.filter(person_id=actor_user_id(actor))
        .select_related("claim__task", "rule")
        .order_by("-id")
    )


# ------------------------------------------------------------------------------------------- managers


def managed_communities(actor: Any) -> QuerySet[Jurisdiction]:
    return Jurisdiction.objects.filter(managed_q(actor, field=""), kind="community")


def community_for(actor: Any, code: str | None) -> Jurisdiction | None:
    """The community a manager asks for (None if it is not theirs), or their first one."""
    communities = managed_communities(actor).order_by("code")
    if code:
        return communities.filter(code=code).first()
    return communities.first()


def pending_registrations(actor: Any, node: Jurisdiction) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(managed_q(actor), status=RegistrationStatus.PENDING)
        .filter(Q(node=node) | Q(node_id=node.street_id, kind=RegistrationKind.UNIT))
        .select_related("person", "person__profile", "unit", "node")
        .prefetch_related("posts")
    )


def registered_members(actor: Any, node: Jurisdiction) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(managed_q(actor), node=node, kind=RegistrationKind.MEMBER)
        .filter(status__in=[RegistrationStatus.CONFIRMED])
        .select_related("person", "person__profile", "unit")
        .prefetch_related("posts")
        .order_by("unit__name", "person__username")
    )


def registered_units(node: Jurisdiction) -> QuerySet[Registration]:
    """Units confirmed with the community or its street (callers check who may read the community)."""
    return (
        Registration.objects.filter(kind=RegistrationKind.UNIT, status=RegistrationStatus.CONFIRMED)
        .filter(Q(node=node) | Q(node_id=node.street_id))
        .select_related("unit", "party_org", "node")
    )


def needs_of(actor: Any, node: Jurisdiction) -> QuerySet[Need]:
    return (
        Need.objects.filter(managed_q(actor), node=node)
        .select_related("post", "posted_by", "posted_by__profile")
        .annotate(task_count=Count("tasks"))
        .order_by("status", "-created_at")
    )


def resources_for(node: Jurisdiction) -> QuerySet[Resource]:
    """Resources offered to the community or its street (callers check who may read the community)."""
    return (
        Resource.objects.filter(active=True)
        .filter(Q(node=node) | Q(node_id=node.street_id))
        .select_related("unit", "post")
    )


def projects_of(actor: Any, node: Jurisdiction) -> QuerySet[Project]:
    q = managed_q(actor) | Q(owner_id__in=units_of(actor))
    return Project.objects.filter(q, node=node).select_related("owner", "need", "resource")


def tasks_of(actor: Any, node: Jurisdiction, *, since: dt.datetime | None = None) -> QuerySet[Task]:
    rows = Task.objects.filter(managed_q(actor), node=node).select_related("post", "centre", "need", "case")
    if since is not None:
        rows = rows.filter(ends_at__gte=since)
    return rows.order_by("starts_at", "id")


def ledger_of_community(actor: Any, node: Jurisdiction) -> QuerySet[PointEntry]:
    """The community's latest ledger lines, newest first, with who earned them."""
    return (
        PointEntry.objects.filter(managed_q(actor), node=node)
        .select_related("person", "person__profile", "claim__task", "corrects")
        .order_by("-id")
    )


def claims_to_confirm(actor: Any, node: Jurisdiction) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(managed_q(actor, "task__node"), task__node=node)
        .filter(
            Q(status=ClaimStatus.CHECKED_OUT)
            | Q(status__in=[ClaimStatus.CLAIMED, ClaimStatus.CHECKED_IN], task__ends_at__lte=clock.now())
        )
        .select_related("task", "person", "person__profile", "registration__unit")
        .order_by("task__starts_at", "id")
    )


def calendar(node: Jurisdiction, start: dt.date, days: int = 28) -> list[tuple[dt.date, list[Task]]]:
    """The community's tasks and the activities at its service centres, day by day (public)."""
    tz = timezone.get_current_timezone()
    first = dt.datetime.combine(start, dt.time(0), tz)
    last = first + dt.timedelta(days=days)
    rows = (
        Task.objects.filter(Q(node=node) | Q(centre__node_id__in=[node.pk, node.street_id]))
        .exclude(status=TaskStatus.CANCELLED)
        .filter(starts_at__gte=first, starts_at__lt=last)
        .select_related("post", "centre")
        .order_by("starts_at")
    )
    by_day: dict[dt.date, list[Task]] = {}
    for task in rows:
        by_day.setdefault(timezone.localdate(task.starts_at), []).append(task)
    return sorted(by_day.items())


def centres(city_id: int | None = None) -> QuerySet[ServiceCentre]:
    rows = ServiceCentre.objects.select_related("node")
    if city_id is not None:
        rows = rows.filter(Q(node__city_id=city_id) | Q(node_id=city_id))
    return rows


def open_wishes_public(node: Jurisdiction) -> QuerySet[Need]:
    """Approved needs and wishes anyone may read (without who posted them)."""
    return (
        Need.objects.filter(node=node, status=NeedStatus.OPEN)
        .select_related("post")
        .only("id", "title", "description", "kind", "post__name", "post__name_en", "created_at", "node_id")
    )


# ---------------------------------------------------------------------------------------------- units


def organised_units(actor: Any) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=units_of(actor)).order_by("name")


def unit_registrations(actor: Any, unit: Organisation) -> QuerySet[Registration]:
    if not organises(actor, unit.pk):
        raise EngagementDenied("not your unit")
    return Registration.objects.filter(unit=unit, kind=RegistrationKind.UNIT).select_related("node")


def unit_offer_nodes(unit: Organisation) -> QuerySet[Jurisdiction]:
    """Where a unit may offer resources: the nodes it is confirmed with and, for a street, its communities."""
    confirmed = Registration.objects.filter(
        unit=unit, kind=RegistrationKind.UNIT, status=RegistrationStatus.CONFIRMED
    ).values("node_id")
    return Jurisdiction.objects.filter(
        Q(pk__in=confirmed) | Q(street_id__in=confirmed, kind="community")
    ).order_by("code")
