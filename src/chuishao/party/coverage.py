"""Party organisation coverage (党组织覆盖) and its gaps (空白点), now and over the last twelve months.

Every jurisdiction node, residential complex and registered unit can carry a party organisation:

- a node (grid, community, street …) is covered by a ``party_org`` whose ``jurisdiction`` is that node
  and that is attached to no complex and no unit;
- a complex by a ``party_org`` whose ``attached_complex`` is that complex;
- a unit by a ``party_org`` whose ``attached_unit`` is that unit.

An organisation counts on a day when it was established on or before that day (no date: always) and
not dissolved on or before it. The "new economic and social organisations" (两新组织) are units of
kind enterprise or social organisation; a unit is counted only on the days it existed itself.

A report reads four queries whatever the size of the area (nodes, complexes, units, party
organisations); the rates of every month end are computed from the same rows in Python.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuishao import clock
from chuishao.geo.models import Complex, Jurisdiction, Kind
from chuishao.orgs.models import Organisation, OrgKind, Role, UnitKind
from chuishao.orgs.scopes import grants_of, holds_role_over
from chuishao.spreadsheets import safe_text

# The "two new" organisations (两新组织): new economic and new social organisations.
NEW_ORG_KINDS = (UnitKind.ENTERPRISE, UnitKind.SOCIAL_ORG)
# What a report counts, in the order the pages show it.
MEASURES = ("grids", "complexes", "new_orgs")
MEASURE_LABELS = {
    "grids": gettext_lazy("grids"),
    "complexes": gettext_lazy("residential complexes"),
    "new_orgs": gettext_lazy("new economic and social organisations"),
}
GAP_LABELS = {
    "street": gettext_lazy("street"),
    "community": gettext_lazy("community"),
    "grid": gettext_lazy("grid"),
    "complex": gettext_lazy("residential complex"),
    "new_org": gettext_lazy("new economic or social organisation"),
}
REPORT_KINDS = (Kind.CITY, Kind.DISTRICT, Kind.STREET, Kind.COMMUNITY)
TREND_MONTHS = 12
# Who reads coverage: community staff, street dispatchers, district and city centres, leaders, admins.
COVERAGE_ROLES = frozenset(
    {
        Role.COMMUNITY_STAFF,
        Role.STREET_DISPATCHER,
        Role.DISTRICT_CENTRE,
        Role.CITY_CENTRE,
        Role.LEADER,
        Role.ADMIN,
    }
)
LEVEL_ORDER = {Kind.CITY: 0, Kind.DISTRICT: 1, Kind.STREET: 2, Kind.COMMUNITY: 3}


# ------------------------------------------------------------------------------------------------ scope


def coverage_nodes(actor: Any) -> list[Jurisdiction]:
    """The nodes the actor reads coverage for, highest level first (empty: no coverage page)."""
    ids = {g.node_id for g in grants_of(actor) if g.role in COVERAGE_ROLES and g.node_id}
    nodes = Jurisdiction.objects.filter(pk__in=ids, kind__in=list(LEVEL_ORDER))
    return sorted(nodes, key=lambda n: (LEVEL_ORDER[n.kind], n.code))


def may_read_coverage(actor: Any, node: Jurisdiction) -> bool:
    """Whether one of the actor's coverage roles is scoped to ``node`` or one of its ancestors."""
    if node.kind not in LEVEL_ORDER:
        return False
    return holds_role_over(actor, node, COVERAGE_ROLES)


def under_q(node: Jurisdiction, prefix: str = "") -> Q:
    """Jurisdiction rows (through ``prefix``, e.g. ``"jurisdiction__"``) that are ``node`` or lie under it."""
    own = prefix.removesuffix("__") + "_id" if prefix else "pk"
    q = Q(**{own: node.pk})
    if node.kind != Kind.GRID:
        q |= Q(**{f"{prefix}{node.kind}_id": node.pk})
    return q


# ---------------------------------------------------------------------------------------------- results


@dataclass
class Tally:
    covered: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.covered / self.total, 1) if self.total else None

    @property
    def gaps(self) -> int:
        return self.total - self.covered


@dataclass
class CoverageRow:
    """One community or street (or the whole area): what it holds and how much of it is covered."""

    node_id: int
    code: str
    name: str
    kind: str
    has_own: bool
    name_en: str = ""
    grids: Tally = field(default_factory=Tally)
    complexes: Tally = field(default_factory=Tally)
    new_orgs: Tally = field(default_factory=Tally)

    def tallies(self) -> list[tuple[str, str, Tally]]:
        return [(m, str(MEASURE_LABELS[m]), getattr(self, m)) for m in MEASURES]

    def rates(self) -> dict[str, float | None]:
        return {m: getattr(self, m).rate for m in MEASURES}


@dataclass(frozen=True)
class Gap:
    """A place without a party organisation on the report's day (空白点)."""

    kind: str  # street, community, grid, complex, new_org
    code: str
    name: str
    community: str
    street: str
    name_en: str = ""

    @property
    def kind_label(self) -> str:
        return str(GAP_LABELS[self.kind])


@dataclass(frozen=True)
class TrendPoint:
    month: str  # "2026-03"
    on: dt.date  # the month's last day, or the report's day for its own month
    rates: dict[str, float | None]
    covered: dict[str, int]
    totals: dict[str, int]


@dataclass
class CoverageReport:
    node: Jurisdiction
    on: dt.date
    total: CoverageRow
    streets: list[CoverageRow]
    communities: list[CoverageRow]
    gaps: list[Gap]
    trend: list[TrendPoint]


# ------------------------------------------------------------------------------------------------ rules


def active_on(established: dt.date | None, dissolved: dt.date | None, day: dt.date) -> bool:
    """Whether an organisation set up on ``established`` and dissolved on ``dissolved`` counts on ``day``."""
    return (established is None or established <= day) and (dissolved is None or dissolved > day)


def month_ends(on: dt.date, count: int = TREND_MONTHS) -> list[tuple[str, dt.date]]:
    """``count`` points ending with ``on``'s month: each earlier month's last day, then ``on`` itself."""
    points = [(f"{on.year:04d}-{on.month:02d}", on)]
    day = on.replace(day=1) - dt.timedelta(days=1)
    while len(points) < count:
        points.append((f"{day.year:04d}-{day.month:02d}", day))
        day = day.replace(day=1) - dt.timedelta(days=1)
    return points[::-1]


def today() -> dt.date:
    return timezone.localdate(clock.now())


# -------------------------------------------------------------------------------------------- the report


@dataclass
class _Area:
    """The rows of an area, read once: everything a report and its trend need."""

    node: Jurisdiction
    nodes: dict[int, dict]  # id → {kind, code, name, street_id, community_id}
    complexes: list[dict]  # {id, code, name, community_id}
    units: list[dict]  # {id, code, name, jurisdiction_id, established_on, dissolved_on}
    # Party organisations' dates by what they cover.
    node_orgs: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    complex_orgs: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    unit_orgs: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))


def _read(node: Jurisdiction) -> _Area:
    nodes = {
        row["pk"]: row
        for row in Jurisdiction.objects.filter(under_q(node))
        .order_by("code")
        .values("pk", "kind", "code", "name", "name_en", "street_id", "community_id")
    }
    complexes = list(
        Complex.objects.filter(under_q(node, "community__"))
        .order_by("code")
        .values("pk", "code", "name", "name_en", "community_id")
    )
    units = list(
        Organisation.objects.filter(
            under_q(node, "jurisdiction__"), kind=OrgKind.UNIT, unit_kind__in=NEW_ORG_KINDS
        )
        .order_by("code")
        .values("pk", "code", "name", "name_en", "jurisdiction_id", "established_on", "dissolved_on")
    )
    area = _Area(node=node, nodes=nodes, complexes=complexes, units=units)
    party = Organisation.objects.filter(
        under_q(node, "jurisdiction__")
        | under_q(node, "attached_complex__community__")
        | under_q(node, "attached_unit__jurisdiction__"),
        kind=OrgKind.PARTY_ORG,
    ).values_list(
        "jurisdiction_id", "attached_complex_id", "attached_unit_id", "established_on", "dissolved_on"
    )
    for jurisdiction_id, complex_id, unit_id, established, dissolved in party:
        if complex_id is not None:
            area.complex_orgs[complex_id].append((established, dissolved))
        elif unit_id is not None:
            area.unit_orgs[unit_id].append((established, dissolved))
        else:
            area.node_orgs[jurisdiction_id].append((established, dissolved))
    return area


def _covered(dates: list[tuple], day: dt.date) -> bool:
    return any(active_on(e, d, day) for e, d in dates)


def _where(area: _Area, node_id: int | None) -> tuple[int | None, int | None]:
    """(street id, community id) of a node of the area."""
    row = area.nodes.get(node_id) if node_id else None
    if row is None:
        return None, None
    street = row["pk"] if row["kind"] == Kind.STREET else row["street_id"]
    community = row["pk"] if row["kind"] == Kind.COMMUNITY else row["community_id"]
    return street, community


def _tally(area: _Area, day: dt.date, *, gaps: list[Gap] | None = None) -> dict[int | None, CoverageRow]:
    """Rows keyed by street and community id (and ``None`` for the whole area) on ``day``."""
    rows: dict[int | None, CoverageRow] = {}
    node = area.node
    rows[None] = CoverageRow(
        node.pk, node.code, node.name, node.kind, _covered(area.node_orgs.get(node.pk, []), day), node.name_en
    )
    for pk, n in area.nodes.items():
        if n["kind"] in (Kind.STREET, Kind.COMMUNITY):
            rows[pk] = CoverageRow(
                pk, n["code"], n["name"], n["kind"], _covered(area.node_orgs.get(pk, []), day), n["name_en"]
            )

    def name_of(pk: int | None) -> str:
        return area.nodes[pk]["name"] if pk in area.nodes else ""

    def count(measure: str, node_id: int | None, covered: bool) -> None:
        street, community = _where(area, node_id)
        for key in {None, street, community}:
            if key in rows:
                tally = getattr(rows[key], measure)
                tally.total += 1
                tally.covered += covered

    def gap(kind: str, row: dict, node_id: int | None) -> None:
        if gaps is not None:
            street, community = _where(area, node_id)
            gaps.append(
                Gap(kind, row["code"], row["name"], name_of(community), name_of(street), row["name_en"])
            )

    for pk, n in area.nodes.items():
        if n["kind"] in (Kind.STREET, Kind.COMMUNITY) and not rows[pk].has_own:
            gap(n["kind"], n, pk)
    for pk, n in area.nodes.items():
        if n["kind"] == Kind.GRID:
            covered = _covered(area.node_orgs.get(pk, []), day)
            count("grids", pk, covered)
            if not covered:
                gap("grid", n, pk)
    for c in area.complexes:
        covered = _covered(area.complex_orgs.get(c["pk"], []), day)
        count("complexes", c["community_id"], covered)
        if not covered:
            gap("complex", c, c["community_id"])
    for u in area.units:
        if not active_on(u["established_on"], u["dissolved_on"], day):
            continue  # not registered yet, or gone: neither covered nor a gap
        covered = _covered(area.unit_orgs.get(u["pk"], []), day)
        count("new_orgs", u["jurisdiction_id"], covered)
        if not covered:
            gap("new_org", u, u["jurisdiction_id"])
    return rows


def coverage_report(node: Jurisdiction, on: dt.date | None = None, *, trend: bool = True) -> CoverageReport:
    """Coverage of ``node``'s area on ``on`` (today by default), per street and community, its gaps
    and, with ``trend``, the rates at each of the last twelve month ends."""
    on = on or today()
    area = _read(node)
    gaps: list[Gap] = []
    rows = _tally(area, on, gaps=gaps)
    points = []
    if trend:
        for month, day in month_ends(on):
            total = rows[None] if day == on else _tally(area, day)[None]
            points.append(
                TrendPoint(
                    month=month,
                    on=day,
                    rates=total.rates(),
                    covered={m: getattr(total, m).covered for m in MEASURES},
                    totals={m: getattr(total, m).total for m in MEASURES},
                )
            )
    streets = [r for k, r in rows.items() if k is not None and r.kind == Kind.STREET]
    communities = [r for k, r in rows.items() if k is not None and r.kind == Kind.COMMUNITY]
    return CoverageReport(
        node=node,
        on=on,
        total=rows[None],
        streets=sorted(streets, key=lambda r: r.code),
        communities=sorted(communities, key=lambda r: r.code),
        gaps=sorted(gaps, key=lambda g: (g.street, g.community, list(GAP_LABELS).index(g.kind), g.code)),
        trend=points,
    )


def coverage_summary(node: Jurisdiction, on: dt.date | None = None) -> CoverageRow:
    """The area's totals on ``on`` (the dashboard's panel): the same four queries, no trend."""
    return coverage_report(node, on, trend=False).total


# ----------------------------------------------------------------------------------------------- export


def coverage_xlsx(report: CoverageReport) -> bytes:
    """The gaps, then the table per street and community and the trend, as a workbook."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Gaps")[:31]
    sheet.append([_("Kind"), _("Code"), _("Name"), _("Community"), _("Street")])
    for g in report.gaps:
        sheet.append([safe_text(v) for v in (g.kind_label, g.code, g.name, g.community, g.street)])
    sheet.freeze_panes = "A2"
    labels = [str(MEASURE_LABELS[m]) for m in MEASURES]
    sheet = book.create_sheet(_("Coverage")[:31])
    header = [_("Code"), _("Name"), _("Own party organisation")]
    covered, total = _("covered"), _("total")
    for label in labels:
        header += [f"{label} · {covered}", f"{label} · {total}", f"{label} (%)"]
    sheet.append(header)
    for row in [report.total, *report.streets, *report.communities]:
        line: list[Any] = [row.code, safe_text(row.name), _("yes") if row.has_own else _("no")]
        for m in MEASURES:
            t = getattr(row, m)
            line += [t.covered, t.total, t.rate]
        sheet.append(line)
    sheet = book.create_sheet(_("Trend")[:31])
    sheet.append([_("Month"), _("Day"), *(f"{label} (%)" for label in labels)])
    for p in report.trend:
        sheet.append([p.month, p.on, *(p.rates[m] for m in MEASURES)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
