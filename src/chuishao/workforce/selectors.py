"""Reads of the workforce app, each scoped to the actor and bounded in queries whatever the size."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from chuishao.geo.models import Jurisdiction
from chuishao.orgs.scopes import holds_role_over
from chuishao.workforce.models import (
    Admission,
    AdmissionStatus,
    CommunityWorker,
    GradePay,
    ItemKind,
    Post,
    PostScale,
)
from chuishao.workforce.scopes import ROSTER_READERS, admissions_q, nodes_q
from chuishao.workforce.services import add_years, today


def roster_nodes(actor: Any) -> QuerySet[Jurisdiction]:
    """The communities, streets, districts and cities whose roster the actor may read."""
    return Jurisdiction.objects.filter(nodes_q(actor, ROSTER_READERS)).exclude(kind="grid").order_by("code")


def may_read_roster(actor: Any, node: Jurisdiction) -> bool:
    return node.kind != "grid" and holds_role_over(actor, node, ROSTER_READERS)


def _under(node: Jurisdiction, prefix: str = "") -> Q:
    if node.kind == "community":
        return Q(**{f"{prefix}pk": node.pk})
    return Q(**{f"{prefix}{node.kind}_id": node.pk})


@dataclass
class RosterLine:
    worker: CommunityWorker
    coefficient: Decimal | None
    band: tuple[int, int]
    next_step: dt.date | None

    @property
    def step_due(self) -> bool:
        return self.next_step is not None and self.next_step <= today()


class Tables:
    """A city's grade bands and coefficients, read once (two queries)."""

    def __init__(self, city_id: int | None) -> None:
        self.scales: dict[str, PostScale] = {}
        for s in PostScale.objects.filter(Q(city_id=city_id) | Q(city__isnull=True)).order_by("city_id"):
            if s.post not in self.scales or s.city_id is not None:
                self.scales[s.post] = s
        self.pay: dict[int, Decimal] = {}
        for p in GradePay.objects.filter(Q(city_id=city_id) | Q(city__isnull=True)).order_by("city_id"):
            if p.grade not in self.pay or p.city_id is not None:
                self.pay[p.grade] = p.coefficient

    def line(self, worker: CommunityWorker) -> RosterLine:
        scale = self.scales.get(worker.post)
        band = (scale.min_grade, scale.max_grade) if scale else (1, 18)
        nxt = None
        if scale is not None and worker.ended_on is None and worker.grade < scale.max_grade:
            nxt = add_years(worker.grade_since, scale.step_years)
        return RosterLine(worker, self.pay.get(worker.grade), band, nxt)


def roster(node: Jurisdiction, *, include_left: bool = False) -> list[RosterLine]:
    """The workers of the communities at or under ``node`` with coefficient and next step (three queries)."""
    rows = CommunityWorker.objects.filter(_under(node, "community__")).select_related("community")
    if not include_left:
        rows = rows.filter(ended_on__isnull=True)
    tables = Tables(node.city_id or node.pk)
    return [tables.line(w) for w in rows.order_by("community__code", "post", "-grade", "name")]


@dataclass
class CommunityFigures:
    community: Jurisdiction
    by_post: Counter = field(default_factory=Counter)
    grades: Counter = field(default_factory=Counter)
    coefficient_sum: Decimal = Decimal("0")
    steps_due: int = 0
    steps_soon: int = 0

    @property
    def headcount(self) -> int:
        return sum(self.by_post.values())

    @property
    def mean_coefficient(self) -> Decimal | None:
        if not self.headcount:
            return None
        return (self.coefficient_sum / self.headcount).quantize(Decimal("0.01"))


def roster_report(node: Jurisdiction, *, soon_days: int = 90) -> list[CommunityFigures]:
    """Per community: headcount by post, the grade spread, the mean pay coefficient, steps already due
    and steps due within ``soon_days``. Every community under ``node`` appears, staffed or not."""
    communities = Jurisdiction.objects.filter(_under(node), kind="community").order_by("code")
    figures = {c.pk: CommunityFigures(c) for c in communities}
    now, horizon = today(), today() + dt.timedelta(days=soon_days)
    for line in roster(node):
        f = figures.get(line.worker.community_id)
        if f is None:
            continue
        f.by_post[line.worker.post] += 1
        f.grades[line.worker.grade] += 1
        f.coefficient_sum += line.coefficient or Decimal("0")
        if line.next_step is not None:
            if line.next_step <= now:
                f.steps_due += 1
            elif line.next_step <= horizon:
                f.steps_soon += 1
    return list(figures.values())


POSTS = [p.value for p in Post]


# ---------------------------------------------------------------------------------------------------
# The admission register


def admissions_for(actor: Any) -> QuerySet[Admission]:
    return (
        Admission.objects.filter(admissions_q(actor))
        .select_related("scope", "requesting_org", "requested_by__profile", "decided_by__profile")
        .order_by("-requested_at", "-pk")
    )


def _month_starts(end: dt.date, count: int) -> list[dt.date]:
    year, month = end.year, end.month
    out = []
    for _i in range(count):
        out.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _month_end(start: dt.date) -> dt.date:
    nxt = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


@dataclass
class RegisterRow:
    community: Jurisdiction
    # (month start, kind) → admitted items in force that month
    counts: dict[tuple[dt.date, str], int]

    def month_total(self, month: dt.date) -> int:
        return sum(v for (m, _k), v in self.counts.items() if m == month)


@dataclass
class Register:
    months: list[dt.date]
    rows: list[RegisterRow]
    refused: int
    admitted: int
    pending: int

    @property
    def kinds(self) -> list[tuple[str, str]]:
        return list(ItemKind.choices)

    def total(self, month: dt.date, kind: str) -> int:
        return sum(r.counts.get((month, kind), 0) for r in self.rows)


def register(node: Jurisdiction, *, months: int = 12, until: dt.date | None = None) -> Register:
    """What was pushed down to each community under ``node``, per month and kind: every admitted item
    whose scope holds the community and that was in force that month (three queries)."""
    until = until or today()
    starts = _month_starts(until, months)
    first, last = starts[0], _month_end(starts[-1])
    communities = list(Jurisdiction.objects.filter(_under(node), kind="community").order_by("code"))
    ancestors = {node.pk}
    ancestors.update(pk for pk in node.chain_ids().values() if pk)
    items = list(
        Admission.objects.filter(
            Q(scope_id__in=ancestors) | _under(node, "scope__"),
            city_id=node.city_id or node.pk,
        ).values("scope_id", "kind", "status", "starts_on", "ends_on", "requested_at")
    )
    by_scope: dict[int, list[dict]] = defaultdict(list)
    status = Counter()
    for item in items:
        if first <= timezone.localdate(item["requested_at"]) <= last:
            status[item["status"]] += 1
        if item["status"] != AdmissionStatus.ADMITTED:
            continue
        if item["starts_on"] > last or (item["ends_on"] is not None and item["ends_on"] < first):
            continue
        by_scope[item["scope_id"]].append(item)
    rows = []
    for community in communities:
        counts: Counter = Counter()
        for pk in {community.pk, community.street_id, community.district_id, community.city_id}:
            for item in by_scope.get(pk, ()):
                for month in starts:
                    if item["starts_on"] <= _month_end(month) and (
                        item["ends_on"] is None or item["ends_on"] >= month
                    ):
                        counts[(month, item["kind"])] += 1
        rows.append(RegisterRow(community, dict(counts)))
    return Register(
        starts,
        rows,
        refused=status[AdmissionStatus.REFUSED],
        admitted=status[AdmissionStatus.ADMITTED],
        pending=status[AdmissionStatus.REQUESTED],
    )
