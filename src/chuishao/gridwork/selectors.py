"""Reads of grid work, each scoped to who asks.

A grid worker reads their own day and month; the chain of command reads patrol coverage of the
communities and streets under it; visits (personal data) are read by the grid's workers and its chain
of command only (``gridwork.scopes``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import actor_user_id
from chuishao.cases.selectors import patrol_work_since
from chuishao.geo.models import Jurisdiction
from chuishao.gridwork.errors import GridworkNotFound
from chuishao.gridwork.models import Patrol, PatrolGrid, ResponsibilityGrid, Visit
from chuishao.gridwork.scopes import COVERAGE_ROLES, visit_scope_q, worker_grid_ids
from chuishao.gridwork.services import MAX_PATROL, open_patrol_of, stale_days_of
from chuishao.orgs.models import Membership, Role
from chuishao.orgs.scopes import holds_role_over


def open_patrol(actor: Any) -> Patrol | None:
    pk = actor_user_id(actor)
    return open_patrol_of(pk) if pk else None


def my_grids(actor: Any) -> list[Jurisdiction]:
    return list(Jurisdiction.objects.filter(pk__in=worker_grid_ids(actor), kind="grid").order_by("code"))


# ------------------------------------------------------------------------------------ day and month


@dataclass
class WorkSummary:
    """What a worker did in [since, until): patrols, hours on patrol, visits and their case work."""

    since: dt.datetime
    until: dt.datetime
    patrols: int = 0
    hours: float = 0.0
    distance_km: float = 0.0
    grids_walked: int = 0
    visits: int = 0
    follow_ups: int = 0
    reported: int = 0
    verified: int = 0
    self_handled: int = 0
    checked: int = 0
    patrol_list: list[Patrol] = field(default_factory=list)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()), tz)
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), tz)


def _month_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return _day_bounds(first)[0], _day_bounds(following)[0]


def work_summary(*, actor: Any, since: dt.datetime, until: dt.datetime) -> WorkSummary:
    """The actor's own work in [since, until) (hours count the part of each patrol inside it)."""
    out = WorkSummary(since=since, until=until)
    pk = actor_user_id(actor)
    if pk is None:
        return out
    now = clock.now()
    patrols = list(
        Patrol.objects.filter(worker_id=pk, started_at__lt=until)
        .exclude(ended_at__lt=since)
        .prefetch_related("grids")
        .order_by("started_at")
    )
    walked: set[int] = set()
    for p in patrols:
        # A patrol left open counts for at most the longest patrol, as ending it would.
        end = p.ended_at or min(now, until, p.started_at + MAX_PATROL)
        inside = min(end, until) - max(p.started_at, since)
        out.hours += max(inside.total_seconds(), 0) / 3600
        out.distance_km += p.distance_m / 1000
        walked.update(g.pk for g in p.grids.all())
    out.patrols, out.patrol_list, out.grids_walked = len(patrols), patrols, len(walked)
    out.hours, out.distance_km = round(out.hours, 1), round(out.distance_km, 2)
    visits = Visit.objects.filter(worker_id=pk, visited_at__gte=since, visited_at__lt=until)
    out.visits = visits.count()
    out.follow_ups = visits.filter(follow_up=True).count()
    verbs = Counter(
        patrol_work_since(actor=actor, since=since)
        .filter(created_at__lt=until)
        .values_list("verb", flat=True)
    )
    out.reported = verbs["case.reported"]
    out.verified = verbs["case.verify"]
    out.self_handled = verbs["case.self_handle"]
    out.checked = verbs["case.check"]
    return out


def worker_day(*, actor: Any, day: dt.date | None = None) -> WorkSummary:
    day = day or timezone.localdate(clock.now())
    return work_summary(actor=actor, since=_day_bounds(day)[0], until=_day_bounds(day)[1])


def worker_month(*, actor: Any, day: dt.date | None = None) -> WorkSummary:
    day = day or timezone.localdate(clock.now())
    since, until = _month_bounds(day)
    return work_summary(actor=actor, since=since, until=until)


# ----------------------------------------------------------------------------------------- coverage


@dataclass(frozen=True)
class GridCoverage:
    grid: Jurisdiction
    last_patrolled_at: dt.datetime | None
    days_since: int | None  # whole days since the last patrol; None: never patrolled
    stale: bool
    workers: tuple[str, ...]


@dataclass(frozen=True)
class Coverage:
    node: Jurisdiction
    stale_days: int
    grids: tuple[GridCoverage, ...]

    @property
    def stale_count(self) -> int:
        return sum(1 for g in self.grids if g.stale)


def coverage_nodes(actor: Any) -> QuerySet[Jurisdiction]:
    """Communities and streets the actor may see the coverage of."""
    from chuishao.gridwork.scopes import node_q

    q = node_q(actor, COVERAGE_ROLES, "")
    if q is None:
        return Jurisdiction.objects.none()
    return Jurisdiction.objects.filter(q, kind__in=("street", "community")).order_by("code")


def coverage(*, actor: Any, node: Jurisdiction, at: dt.datetime | None = None) -> Coverage:
    """Per grid under a community or street: the last patrol and whether the grid is stale (not
    patrolled within the city's ``stale_days``). Outside the actor's reach: not found."""
    if node.kind not in ("community", "street") or not holds_role_over(actor, node, COVERAGE_ROLES):
        raise GridworkNotFound(_("No coverage of %(node)s that you can see.") % {"node": node.name})
    now = at or clock.now()
    days = stale_days_of(node.city_id)
    grids = list(Jurisdiction.objects.filter(kind="grid", **{f"{node.kind}_id": node.pk}).order_by("code"))
    ids = [g.pk for g in grids]
    last = dict(
        PatrolGrid.objects.filter(grid_id__in=ids, patrol__started_at__lte=now)
        .values("grid_id")
        .annotate(last=Max(Coalesce("patrol__ended_at", "patrol__started_at")))
        .values_list("grid_id", "last")
    )
    # Open patrols cover their grids now — those started within the longest patrol; one left open
    # for days counts from its start, like any other.
    open_ids = set(
        PatrolGrid.objects.filter(
            grid_id__in=ids, patrol__ended_at__isnull=True, patrol__started_at__gte=now - MAX_PATROL
        ).values_list("grid_id", flat=True)
    )
    names: dict[int, set[str]] = {g: set() for g in ids}
    for grid_id, name, username in Membership.objects.filter(
        role=Role.GRID_WORKER, active=True, node_id__in=ids
    ).values_list("node_id", "person__profile__display_name", "person__username"):
        names[grid_id].add(name or username)
    for grid_id, name, username in ResponsibilityGrid.grids.through.objects.filter(
        jurisdiction_id__in=ids, responsibilitygrid__active=True, responsibilitygrid__worker__isnull=False
    ).values_list(
        "jurisdiction_id",
        "responsibilitygrid__worker__profile__display_name",
        "responsibilitygrid__worker__username",
    ):
        names[grid_id].add(name or username)
    limit = now - dt.timedelta(days=days)
    rows = []
    for g in grids:
        when = now if g.pk in open_ids else last.get(g.pk)
        if when is not None and when > now:
            when = now
        since = None if when is None else (now - when).days
        rows.append(
            GridCoverage(
                grid=g,
                last_patrolled_at=when,
                days_since=since,
                stale=when is None or when < limit,
                workers=tuple(sorted(names[g.pk])),
            )
        )
    return Coverage(node=node, stale_days=days, grids=tuple(rows))


# ------------------------------------------------------------------------------------------- visits


def visits_visible_to(actor: Any) -> QuerySet[Visit]:
    q = visit_scope_q(actor)
    if q is None:
        return Visit.objects.none()
    return Visit.objects.filter(q)


def can_see_visits(actor: Any) -> bool:
    return visit_scope_q(actor) is not None


def visit_list(
    *, actor: Any, node: Jurisdiction | None = None, follow_up: bool | None = None
) -> QuerySet[Visit]:
    qs = visits_visible_to(actor)
    if node is not None:
        qs = (
            qs.filter(grid_id=node.pk)
            if node.kind == "grid"
            else qs.filter(**{f"grid__{node.kind}_id": node.pk})
        )
    if follow_up is not None:
        qs = qs.filter(follow_up=follow_up)
    return qs.select_related("grid", "unit", "worker", "case").order_by("-visited_at", "-id")
