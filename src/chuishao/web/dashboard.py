"""The leaders' dashboard for a district or the city: what it reads, in a bounded number of queries.

Rates come from the evaluation rollups (kept current by the worker); open and overdue cases, the
category mix and whistles in progress from the scoped case and whistle selectors, so a centre sees
exactly what its roles reach. Every figure carries the case-desk filter that lists the cases behind it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.cases.models import Whistle, WhistleStatus
from chuishao.cases.selectors import case_list
from chuishao.cases.whistle_selectors import whistles_visible_to
from chuishao.catalog.models import Category
from chuishao.evaluation.definitions import RATES, period_bounds, period_of
from chuishao.evaluation.selectors import IndicatorRow, indicator_trend, indicators
from chuishao.geo.models import Jurisdiction, Kind
from chuishao.orgs.models import Organisation, Role
from chuishao.orgs.scopes import grants_of
from chuishao.party.coverage import CoverageRow, coverage_summary
from chuishao.spreadsheets import safe_text

DASHBOARD_ROLES = frozenset({Role.CITY_CENTRE, Role.DISTRICT_CENTRE, Role.LEADER, Role.ADMIN})
LEVEL_ORDER = {Kind.CITY: 0, Kind.DISTRICT: 1, Kind.STREET: 2, Kind.COMMUNITY: 3}
HEADLINE_RATES = ("response", "resolution", "satisfaction")
TREND_RATES = (*HEADLINE_RATES, "on_time_handling", "on_time_closure")
TREND_MONTHS = 6


def dashboard_nodes(actor: Any) -> list[Jurisdiction]:
    """The nodes the actor may open a dashboard for, highest level first."""
    ids = [g.node_id for g in grants_of(actor) if g.role in DASHBOARD_ROLES and g.node_id]
    nodes = list(Jurisdiction.objects.filter(pk__in=ids, kind__in=list(LEVEL_ORDER)))
    return sorted(nodes, key=lambda n: (LEVEL_ORDER[n.kind], n.code))


def _under(node: Jurisdiction, kind: str) -> Q:
    """Jurisdictions of ``kind`` lying under ``node``."""
    return Q(kind=kind, **({f"{node.kind}_id": node.pk} if node.kind != kind else {"pk": node.pk}))


def months_back(period: str, count: int) -> list[str]:
    year, month = (int(p) for p in period.split("-"))
    out = []
    for _i in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def desk_url(node_id: int, **params: Any) -> str:
    """The case desk filtered to a node and ``params``: the cases behind a figure."""
    query = {"node": node_id, **{k: v for k, v in params.items() if v not in (None, "")}}
    return f"{reverse('web:case_list')}?{urlencode(query)}"


@dataclass
class Dashboard:
    node: Jurisdiction
    period: str
    overall: IndicatorRow | None
    trend: list[IndicatorRow]
    streets: list[IndicatorRow]
    departments: list[IndicatorRow]
    grids: list[IndicatorRow]
    grid_shapes: list[dict]
    open_cases: int
    overdue: list[tuple[str, int, str]]
    categories: list[tuple[Category, int, str]]
    whistles_open: int
    whistles: list[Whistle]
    # Party organisation coverage of the node today (grids, complexes, new organisations): four queries.
    coverage: CoverageRow | None = None

    def headline(self) -> list[tuple[str, str, float | None]]:
        labels = {r.name: str(r.label) for r in RATES}
        rates = self.overall.rates if self.overall else {}
        return [(name, labels[name], rates.get(name)) for name in HEADLINE_RATES]


def dashboard(actor: Any, node: Jurisdiction, period: str | None = None) -> Dashboard:
    period = period or period_of(clock.now())
    city_id = node.city_id or node.pk
    overall = indicators(actor=actor, unit_kind=node.kind, period=period, city_id=city_id, unit_ids={node.pk})
    trend = indicator_trend(
        actor=actor, unit_kind=node.kind, unit_id=node.pk, periods=months_back(period, TREND_MONTHS)
    )
    streets = set(Jurisdiction.objects.filter(_under(node, Kind.STREET)).values_list("pk", flat=True))
    under = Q(jurisdiction=node) | Q(**{f"jurisdiction__{node.kind}_id": node.pk})
    if node.kind == Kind.CITY:
        under = Q(jurisdiction__city_id=node.pk) | Q(jurisdiction=node)
    departments = set(Organisation.objects.filter(under, kind="department").values_list("pk", flat=True))
    grid_rows = Jurisdiction.objects.filter(_under(node, Kind.GRID)).values_list(
        "pk", "code", "name", "boundary"
    )
    shapes = [{"id": pk, "code": code, "name": name, "geometry": b} for pk, code, name, b in grid_rows]
    grids = indicators(
        actor=actor, unit_kind="grid", period=period, city_id=city_id, unit_ids={s["id"] for s in shapes}
    )

    in_node = case_list(actor=actor, node_id=node.pk).order_by()
    open_cases = case_list(actor=actor, node_id=node.pk, open_only=True).order_by()
    overdue_rows = dict(
        case_list(actor=actor, node_id=node.pk, open_only=True, overdue=True)
        .order_by()
        .values_list("escalated_to__kind")
        .annotate(n=Count("pk"))
    )
    level_words = {
        None: _("with their owner (not escalated)"),
        Kind.STREET: _("escalated to the street"),
        Kind.DISTRICT: _("escalated to the district"),
        Kind.CITY: _("escalated to the city"),
    }
    overdue = [
        (
            str(words),
            overdue_rows.get(level, 0),
            desk_url(node.pk, overdue="yes", open_only="on", warn="escalated" if level else ""),
        )
        for level, words in level_words.items()
        if overdue_rows.get(level)
    ]
    start, end = period_bounds(period)
    mix = dict(
        in_node.filter(created_at__gte=start, created_at__lt=end)
        .values_list("category__parent_id")
        .annotate(n=Count("pk"))
    )
    majors = Category.objects.in_bulk([k for k in mix if k])
    categories = sorted(
        ((majors[k], n, desk_url(node.pk, category=k, month=period)) for k, n in mix.items() if k in majors),
        key=lambda row: -row[1],
    )
    whistles = whistles_visible_to(actor).filter(status=WhistleStatus.OPEN)
    if node.kind in (Kind.DISTRICT, Kind.STREET):
        whistles = whistles.filter(**{f"parties__{node.kind}_id": node.pk}).distinct()
    return Dashboard(
        node=node,
        period=period,
        overall=overall[0] if overall else None,
        trend=trend,
        streets=indicators(actor=actor, unit_kind="street", period=period, city_id=city_id, unit_ids=streets),
        departments=indicators(
            actor=actor, unit_kind="department", period=period, city_id=city_id, unit_ids=departments
        ),
        grids=grids,
        grid_shapes=shapes,
        open_cases=open_cases.count(),
        overdue=overdue,
        categories=categories,
        whistles_open=whistles.count(),
        whistles=list(whistles.select_related("street").order_by("-created_at")[:8]),
        coverage=coverage_summary(node),
    )


def dashboard_xlsx(board: Dashboard) -> bytes:
    """The view as a workbook: the trend, both rankings, the category mix and overdue cases."""
    from openpyxl import Workbook

    labels = {r.name: str(r.label) for r in RATES}
    book = Workbook()
    sheet = book.active
    sheet.title = _("Trend")
    sheet.append([_("Month"), _("received"), *(labels[n] for n in TREND_RATES)])
    for row in board.trend:
        sheet.append([row.period, row.counts.get("received", 0), *(row.rates.get(n) for n in TREND_RATES)])
    for title, rows in ((_("Streets"), board.streets), (_("Departments"), board.departments)):
        sheet = book.create_sheet(title)
        sheet.append([_("Rank"), _("Unit"), _("Grade"), _("Composite"), *(labels[n] for n in HEADLINE_RATES)])
        for row in rows:
            sheet.append(
                [
                    row.rank,
                    safe_text(row.unit_name),
                    row.grade,
                    row.composite,
                    *(row.rates.get(n) for n in HEADLINE_RATES),
                ]
            )
    sheet = book.create_sheet(_("Categories"))
    sheet.append([_("Category"), _("Cases")])
    for category, n, _url in board.categories:
        sheet.append([safe_text(category.name), n])
    sheet = book.create_sheet(_("Overdue"))
    sheet.append([_("Where"), _("Cases")])
    for words, n, _url in board.overdue:
        sheet.append([safe_text(str(words)), n])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
