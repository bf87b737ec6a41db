"""The indicators a demonstration unit is judged by, each read from the system's own data for a node
and a year, with the figures it came from (the evidence of a review).

- ``response``, ``resolution``, ``satisfaction``: the evaluation's rates, read the way the dashboard
  reads them: the node's monthly rollup rows (``evaluation.selectors.indicator_trend``) for the months
  of the year, their counts summed (``selectors.totals``) and the rate derived from the sums
  (``definitions.compute_rates``), never recomputed from raw cases and never an average of months.
- ``coverage``: party organisation coverage of the node's area on the year's last day counted
  (``party.coverage.coverage_summary``): grids, residential complexes and new economic and social
  organisations with a party organisation, over all three of them (each kept in the detail).
- ``participation``: dual reporting (双报到) participation: of the in-service party members registered
  with the node's communities (confirmed, and not ended before the year began), the share who served
  at least once in the year (a confirmed service record on a task that started in the year).
  Service hours per member are kept in the detail; the share is judged because it says how many
  members take part, which hours alone (a few members serving a lot) would hide.

Every indicator is a percentage, higher is better; ``None`` when there is nothing to count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.engagement.models import Claim, ClaimStatus, Registration, RegistrationKind, RegistrationStatus
from chuishao.evaluation.definitions import RATES, compute_rates, partial_weights
from chuishao.evaluation.selectors import indicator_trend, totals
from chuishao.geo.models import Jurisdiction
from chuishao.party.coverage import MEASURES, coverage_summary

INDICATORS = ("response", "resolution", "satisfaction", "coverage", "participation")
LABELS = {
    "response": _("response rate"),
    "resolution": _("resolution rate"),
    "satisfaction": _("satisfaction rate"),
    "coverage": _("party organisation coverage"),
    "participation": _("dual-reporting participation"),
}
RATE_INDICATORS = ("response", "resolution", "satisfaction")


@dataclass
class Figure:
    """One indicator's value for a node and a year, and what it was computed from."""

    code: str
    value: float | None
    numerator: float
    denominator: float
    source: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def today() -> dt.date:
    return timezone.localdate(clock.now())


def year_span(year: int) -> tuple[dt.date, dt.date]:
    """[first day, last day counted] of a year: its 31 December, or today for the running year."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return start, min(end, today())


def _pct(num: float, den: float) -> float | None:
    return round(100.0 * num / den, 1) if den else None


def rate_figures(node: Jurisdiction, year: int) -> dict[str, Figure]:
    """The three rates of the node over the months of the year counted so far, from the rollups."""
    start, through = year_span(year)
    periods = [f"{year}-{m:02d}" for m in range(1, through.month + 1)] if through >= start else []
    rows = indicator_trend(actor=SYSTEM, unit_kind=node.kind, unit_id=node.pk, periods=periods)
    counts = totals(rows)
    rates = compute_rates(counts)
    weights = partial_weights()
    span = f"{periods[0]}…{periods[-1]}" if periods else str(year)
    out = {}
    for rate in RATES:
        if rate.name not in RATE_INDICATORS:
            continue
        numerator = 0.0
        detail: dict[str, Any] = {}
        for name, weight in rate.numerator:
            w = weights[weight] if isinstance(weight, str) else weight
            numerator += w * counts.get(name, 0)
            detail[name] = counts.get(name, 0)
            if w != 1:
                detail[f"weight of {name}"] = w
        denominator = sum(counts.get(n, 0) for n in rate.denominator)
        for name in rate.denominator:
            detail[name] = counts.get(name, 0)
        value = rates.get(rate.name)
        out[rate.name] = Figure(
            code=rate.name,
            value=round(value, 1) if value is not None else None,
            numerator=round(numerator, 2),
            denominator=denominator,
            source=f"evaluation rollups, {node.kind} {node.code}, months {span} ({rate.definition})",
            detail=detail,
        )
    return out


def coverage_figure(node: Jurisdiction, year: int) -> Figure:
    """Party organisation coverage of the node's area on the year's last day counted."""
    _, through = year_span(year)
    row = coverage_summary(node, on=through)
    covered = sum(getattr(row, m).covered for m in MEASURES)
    total = sum(getattr(row, m).total for m in MEASURES)
    detail = {f"{m} covered": getattr(row, m).covered for m in MEASURES}
    detail.update({f"{m} total": getattr(row, m).total for m in MEASURES})
    return Figure(
        code="coverage",
        value=_pct(covered, total),
        numerator=covered,
        denominator=total,
        source=f"party.coverage on {through.isoformat()}, {node.kind} {node.code}: "
        "grids, complexes and new organisations with a party organisation / all of them",
        detail=detail,
    )


def _communities_q(node: Jurisdiction, field_name: str = "node") -> Q:
    if node.kind == "community":
        return Q(**{f"{field_name}_id": node.pk})
    if node.kind == "grid":
        return Q(pk__in=[])
    return Q(**{f"{field_name}__{node.kind}_id": node.pk})


def participation_figure(node: Jurisdiction, year: int) -> Figure:
    """Registered members of the node's communities who served at least once in the year, per cent."""
    start, through = year_span(year)
    registrations = (
        Registration.objects.filter(_communities_q(node), kind=RegistrationKind.MEMBER)
        .filter(status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.ENDED])
        .filter(decided_at__isnull=False, decided_at__date__lte=through)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__date__gte=start))
    )
    members = set(registrations.values_list("person_id", flat=True))
    served_claims = Claim.objects.filter(
        registration__in=registrations,
        status=ClaimStatus.CONFIRMED,
        task__starts_at__date__gte=start,
        task__starts_at__date__lte=through,
    )
    served = set(served_claims.values_list("person_id", flat=True)) & members
    hours = served_claims.aggregate(h=Sum("hours"))["h"] or Decimal(0)
    hours = round(float(hours), 2)
    return Figure(
        code="participation",
        value=_pct(len(served), len(members)),
        numerator=len(served),
        denominator=len(members),
        source=f"engagement (双报到), {node.kind} {node.code}, {start.isoformat()}…{through.isoformat()}: "
        "registered members who served at least once / registered members",
        detail={
            "confirmed service hours": hours,
            "hours per member": round(hours / len(members), 2) if members else None,
        },
    )


def figures_of(
    node: Jurisdiction, year: int, codes: list[str] | tuple[str, ...] = INDICATORS
) -> dict[str, Figure]:
    """The named indicators of a node for a year (all five by default)."""
    out: dict[str, Figure] = {}
    if any(c in RATE_INDICATORS for c in codes):
        out.update({k: v for k, v in rate_figures(node, year).items() if k in codes})
    if "coverage" in codes:
        out["coverage"] = coverage_figure(node, year)
    if "participation" in codes:
        out["participation"] = participation_figure(node, year)
    return {c: out[c] for c in codes if c in out}
