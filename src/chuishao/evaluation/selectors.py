"""Reading the evaluation: indicator rows with rates, composite, grade and rank, trends, and the
actor's reach among units.

Every read goes to the rollup table only (a fixed handful of queries whatever the number of cases):
rates are derived from summed counts at read time (``definitions.compute_rates``). Ranks are taken
among every unit of the kind in the city for the period, so a street sees its city-wide rank even
though it sees only its own rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from chuishao.actors import SystemActor
from chuishao.evaluation.definitions import (
    COUNT_NAMES,
    JURISDICTION_KINDS,
    UNIT_KINDS,
    composite_of,
    compute_rates,
    grade_of,
    whistle_band_status,
)
from chuishao.evaluation.models import Rollup
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Membership, Organisation, Role
from chuishao.orgs.scopes import grants_of

# Roles whose node scope reaches units in the evaluation (department staff see their organisation).
NODE_ROLES = {
    Role.CITY_CENTRE,
    Role.DISTRICT_CENTRE,
    Role.STREET_DISPATCHER,
    Role.COMMUNITY_STAFF,
    Role.GRID_WORKER,
    Role.LEADER,
    Role.ADMIN,
}
DEPTH = {"city": 0, "district": 1, "street": 2, "community": 3, "grid": 4}


@dataclass
class IndicatorRow:
    unit_kind: str
    unit_id: int
    unit_name: str
    period: str
    counts: dict[str, int]
    rates: dict[str, float | None]
    composite: float | None
    grade: str | None
    rank: int | None = None
    whistle_band: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _row(unit_kind: str, unit_id: int, period: str, counts: dict[str, int], name: str) -> IndicatorRow:
    rates = compute_rates(counts)
    composite = composite_of(unit_kind, rates)
    return IndicatorRow(
        unit_kind=unit_kind,
        unit_id=unit_id,
        unit_name=name,
        period=period,
        counts=counts,
        rates=rates,
        composite=composite,
        grade=grade_of(composite),
        whistle_band=whistle_band_status(rates.get("whistle")) if unit_kind in JURISDICTION_KINDS else None,
    )


def _rank(rows: list[IndicatorRow]) -> None:
    """Competition ranking by composite, best first (1, 2, 2, 4); rows without a composite get None."""
    scored = sorted((r for r in rows if r.composite is not None), key=lambda r: -r.composite)
    previous, rank = None, 0
    for position, row in enumerate(scored, start=1):
        value = round(row.composite, 6)
        if value != previous:
            rank, previous = position, value
        row.rank = rank


def evaluation_roles(actor: Any) -> list[Any]:
    """The caller's grants the evaluation covers (node-scoped staff and department staff)."""
    return [g for g in grants_of(actor) if g.role in NODE_ROLES or g.role == Role.DEPARTMENT_STAFF]


def evaluation_city(actor: Any) -> Jurisdiction | None:
    """The city the caller is evaluated in: that of its first node-scoped role, else that of its
    organisation; None for a caller the evaluation does not cover."""
    for g in evaluation_roles(actor):
        node_id = g.node_id
        if node_id is None and g.organisation_id:
            node_id = (
                Organisation.objects.filter(pk=g.organisation_id)
                .values_list("jurisdiction_id", flat=True)
                .first()
            )
        node = Jurisdiction.objects.filter(pk=node_id).select_related("city").first() if node_id else None
        if node is not None:
            return node if node.kind == "city" else node.city
    return None


def unit_names(unit_kind: str, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    if unit_kind in JURISDICTION_KINDS:
        return dict(Jurisdiction.objects.filter(pk__in=ids).values_list("pk", "name"))
    if unit_kind == "department":
        return dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))
    rows = get_user_model().objects.filter(pk__in=ids).values_list("pk", "username", "profile__display_name")
    return {pk: display or username for pk, username, display in rows}


def visible_units(actor: Any, unit_kind: str, ids: set[int]) -> set[int]:
    """Which of these units lie inside the actor's jurisdiction (the SYSTEM actor sees all)."""
    if isinstance(actor, SystemActor):
        return set(ids)
    grants = [g for g in grants_of(actor) if g.role in NODE_ROLES or g.role == Role.DEPARTMENT_STAFF]
    if not grants or not ids:
        return set()
    nodes = [(g.node_kind, g.node_id) for g in grants if g.role in NODE_ROLES and g.node_kind in DEPTH]
    if any(kind == "city" for kind, _ in nodes):
        city_ids = {node for kind, node in nodes if kind == "city"}
    else:
        city_ids = set()
    if unit_kind == "department":
        own = {g.organisation_id for g in grants if g.role == Role.DEPARTMENT_STAFF}
        district_ids = {node for kind, node in nodes if kind == "district"}
        q = Q(pk__in=own) | Q(jurisdiction__city_id__in=city_ids) | Q(jurisdiction_id__in=city_ids)
        q |= Q(jurisdiction_id__in=district_ids) | Q(jurisdiction__district_id__in=district_ids)
        return set(Organisation.objects.filter(q, pk__in=ids).values_list("pk", flat=True))
    if unit_kind in JURISDICTION_KINDS:
        q = Q(pk__in=[])
        for kind, node in nodes:
            # A node reaches itself and everything below it, never above or beside it.
            if DEPTH[unit_kind] >= DEPTH[kind]:
                q |= Q(pk=node) if unit_kind == kind else Q(**{f"{kind}_id": node})
        return set(Jurisdiction.objects.filter(q, pk__in=ids).values_list("pk", flat=True))
    # Grid workers: those whose grid lies inside one of the actor's nodes; a worker also sees themself.
    q = Q(pk__in=[])
    for kind, node in nodes:
        q |= Q(node_id=node) if kind == "grid" else Q(**{f"node__{kind}_id": node})
    members = Membership.objects.filter(q, role=Role.GRID_WORKER, active=True, person_id__in=ids)
    found = set(members.values_list("person_id", flat=True))
    return found | ({actor.pk} & ids)


def indicators(
    *, actor: Any, unit_kind: str, period: str, city_id: int, unit_ids: set[int] | None = None
) -> list[IndicatorRow]:
    """One row per unit of the kind with figures in the period, ranked city-wide, best first,
    limited to the units the actor may see (and to ``unit_ids`` if given)."""
    if unit_kind not in UNIT_KINDS:
        raise ValueError(f"unknown unit kind {unit_kind!r}")
    fetched = list(
        Rollup.objects.filter(city_id=city_id, unit_kind=unit_kind, period=period).values(
            "unit_id", *COUNT_NAMES
        )
    )
    names = unit_names(unit_kind, {r["unit_id"] for r in fetched})
    rows = [
        _row(unit_kind, r["unit_id"], period, {n: r[n] for n in COUNT_NAMES}, names.get(r["unit_id"], ""))
        for r in fetched
    ]
    _rank(rows)
    wanted = {r.unit_id for r in rows}
    if unit_ids is not None:
        wanted &= set(unit_ids)
    wanted = visible_units(actor, unit_kind, wanted)
    rows = [r for r in rows if r.unit_id in wanted]
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit_name, r.unit_id))
    return rows


def indicator_trend(*, actor: Any, unit_kind: str, unit_id: int, periods: list[str]) -> list[IndicatorRow]:
    """The unit's row for each period, in the order given (zero counts where it had none)."""
    if not visible_units(actor, unit_kind, {unit_id}):
        return []
    found = {
        r["period"]: r
        for r in Rollup.objects.filter(unit_kind=unit_kind, unit_id=unit_id, period__in=periods).values(
            "period", *COUNT_NAMES
        )
    }
    name = unit_names(unit_kind, {unit_id}).get(unit_id, "")
    zero = dict.fromkeys(COUNT_NAMES, 0)
    return [
        _row(unit_kind, unit_id, p, {n: found[p][n] for n in COUNT_NAMES} if p in found else zero, name)
        for p in periods
    ]


def totals(rows: list[IndicatorRow]) -> dict[str, int]:
    """Sum of the counts of several rows (rates of a group come from these sums, not from averages)."""
    out = dict.fromkeys(COUNT_NAMES, 0)
    for row in rows:
        for name in COUNT_NAMES:
            out[name] += row.counts.get(name, 0)
    return out
