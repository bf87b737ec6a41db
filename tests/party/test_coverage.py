"""Party organisation coverage: what covers what and when, the gaps by name, the trend, bounded reads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chuishao.actors import SYSTEM
from chuishao.geo.models import Complex
from chuishao.orgs.models import Organisation
from chuishao.orgs.services import organisation_upsert
from chuishao.party.coverage import (
    active_on,
    coverage_nodes,
    coverage_report,
    coverage_summary,
    coverage_xlsx,
    may_read_coverage,
    month_ends,
)
from tests.factories import build_small_city, square

pytestmark = pytest.mark.django_db

STREET_A = "110901001"
COMMUNITY_A = "110901001001"
COMMUNITY_A2 = "110901001002"
GRID_A1 = "110901001001001"
GRID_A2 = "110901001001002"
DAY = dt.date(2026, 6, 15)


@pytest.fixture
def city():
    return build_small_city()


def party(city, code, *, node=None, complex_=None, unit=None, established=None, dissolved=None):
    org = organisation_upsert(
        actor=SYSTEM,
        code=code,
        kind="party_org",
        name=f"中共{code}支部委员会",
        jurisdiction=city.node(node) if node else (complex_.community if complex_ else unit.jurisdiction),
        party_level="branch",
        attached_complex=complex_,
        attached_unit=unit,
    )
    Organisation.objects.filter(pk=org.pk).update(established_on=established, dissolved_on=dissolved)
    return org


def estate(city, code, name, community=COMMUNITY_A):
    return Complex.objects.create(
        code=code, name=name, community=city.node(community), boundary=square(116.3, 39.9, 0.0005, 0.0005)
    )


def unit(city, code, name, kind, node=STREET_A, established=None, dissolved=None):
    org = organisation_upsert(
        actor=SYSTEM, code=code, kind="unit", name=name, jurisdiction=city.node(node), unit_kind=kind
    )
    Organisation.objects.filter(pk=org.pk).update(established_on=established, dissolved_on=dissolved)
    return org


def gap_names(report, kind=None):
    return {g.name for g in report.gaps if kind is None or g.kind == kind}


def test_active_on_counts_established_and_not_yet_dissolved():
    assert active_on(None, None, DAY)
    assert active_on(DAY, None, DAY)  # established that day
    assert not active_on(DAY + dt.timedelta(days=1), None, DAY)  # not yet
    assert not active_on(None, DAY, DAY)  # dissolved that day
    assert active_on(None, DAY + dt.timedelta(days=1), DAY)


def test_a_grid_is_covered_by_a_party_organisation_on_the_grid_itself(city):
    party(city, "p-g1", node=GRID_A1)
    report = coverage_report(city.node(COMMUNITY_A), DAY)
    assert (report.total.grids.covered, report.total.grids.total) == (1, 2)
    assert report.total.grids.rate == 50.0
    assert gap_names(report, "grid") == {"网格112"}


def test_an_organisation_attached_to_a_complex_or_unit_does_not_cover_its_node(city):
    home = estate(city, "cx-1", "和平家园")
    firm = unit(city, "u-1", "云帆科技有限公司", "enterprise", node=GRID_A1)
    # Both sit on grid 1 of community A1a, yet neither is the grid's own organisation.
    party(city, "p-cx", node=GRID_A1, complex_=home)
    Organisation.objects.filter(code="p-cx").update(jurisdiction=city.node(GRID_A1))
    party(city, "p-u", unit=firm)
    report = coverage_report(city.node(COMMUNITY_A), DAY)
    assert report.total.grids.covered == 0
    assert report.total.complexes.covered == report.total.complexes.total == 1
    assert report.total.new_orgs.covered == report.total.new_orgs.total == 1
    assert "和平家园" not in gap_names(report) and "云帆科技有限公司" not in gap_names(report)


def test_complexes_are_counted_in_their_community(city):
    covered = estate(city, "cx-1", "和平家园")
    estate(city, "cx-2", "阳光小区")
    estate(city, "cx-3", "幸福苑", community=COMMUNITY_A2)
    party(city, "p-cx1", complex_=covered)
    report = coverage_report(city.node(STREET_A), DAY)
    rows = {r.code: r for r in report.communities}
    assert (rows[COMMUNITY_A].complexes.covered, rows[COMMUNITY_A].complexes.total) == (1, 2)
    assert (rows[COMMUNITY_A2].complexes.covered, rows[COMMUNITY_A2].complexes.total) == (0, 1)
    assert report.streets[0].complexes.total == 3 and report.streets[0].complexes.rate == pytest.approx(33.3)
    assert gap_names(report, "complex") == {"阳光小区", "幸福苑"}
    gap = next(g for g in report.gaps if g.name == "幸福苑")
    assert (gap.community, gap.street) == ("社区12", "街道1")


def test_only_enterprises_and_social_organisations_are_new_organisations(city):
    unit(city, "u-e", "云帆科技有限公司", "enterprise")
    unit(city, "u-s", "社会工作服务中心", "social_org")
    unit(city, "u-o", "税务所", "organ")
    unit(city, "u-p", "社区卫生服务中心", "public_institution")
    party(city, "p-s", unit=Organisation.objects.get(code="u-s"))
    report = coverage_report(city.node(STREET_A), DAY)
    assert (report.total.new_orgs.covered, report.total.new_orgs.total) == (1, 2)
    assert gap_names(report, "new_org") == {"云帆科技有限公司"}
    assert "税务所" not in gap_names(report)


def test_dissolved_and_not_yet_established_organisations_do_not_count(city):
    party(city, "p-old", node=GRID_A1, established=dt.date(2025, 1, 1), dissolved=DAY)
    party(city, "p-new", node=GRID_A2, established=DAY + dt.timedelta(days=1))
    report = coverage_report(city.node(COMMUNITY_A), DAY)
    assert report.total.grids.covered == 0
    assert gap_names(report, "grid") == {"网格111", "网格112"}
    # A day earlier the old branch still stood; a day later the new one does.
    assert coverage_summary(city.node(COMMUNITY_A), DAY - dt.timedelta(days=1)).grids.covered == 1
    assert coverage_summary(city.node(COMMUNITY_A), DAY + dt.timedelta(days=1)).grids.covered == 1


def test_a_unit_counts_only_while_it_exists(city):
    unit(city, "u-later", "新程科技有限公司", "enterprise", established=DAY + dt.timedelta(days=10))
    unit(city, "u-gone", "天成科技有限公司", "enterprise", dissolved=DAY - dt.timedelta(days=10))
    report = coverage_report(city.node(STREET_A), DAY)
    assert report.total.new_orgs.total == 0 and not gap_names(report, "new_org")
    assert report.total.new_orgs.rate is None


def test_communities_and_streets_without_their_own_organisation_are_gaps(city):
    party(city, "p-street", node=STREET_A)
    party(city, "p-c1", node=COMMUNITY_A)
    report = coverage_report(city.node(STREET_A), DAY)
    rows = {r.code: r for r in [*report.streets, *report.communities]}
    assert rows[STREET_A].has_own and rows[COMMUNITY_A].has_own and not rows[COMMUNITY_A2].has_own
    assert gap_names(report, "community") == {"社区12"}
    assert not gap_names(report, "street")


def test_per_street_and_community_rows_and_the_city_total(city):
    for grid in (GRID_A1, GRID_A2, "110901001002001", "110902001001001"):
        party(city, f"p-{grid}", node=grid)
    report = coverage_report(city.city, DAY)
    streets = {r.code: (r.grids.covered, r.grids.total) for r in report.streets}
    assert streets == {STREET_A: (3, 4), "110902001": (1, 4)}
    communities = {r.code: r.grids.rate for r in report.communities}
    assert communities == {
        COMMUNITY_A: 100.0, COMMUNITY_A2: 50.0, "110902001001": 50.0, "110902001002": 0.0,
    }  # fmt: skip
    assert (report.total.grids.covered, report.total.grids.total) == (4, 8)
    assert len(gap_names(report, "grid")) == 4
    # A community's report holds only that community.
    own = coverage_report(city.node(COMMUNITY_A2), DAY)
    assert [r.code for r in own.communities] == [COMMUNITY_A2] and own.streets == []


def test_month_ends_are_the_last_days_then_the_report_day():
    points = month_ends(dt.date(2026, 3, 10))
    assert len(points) == 12
    assert points[0] == ("2025-04", dt.date(2025, 4, 30))
    assert points[-3:] == [
        ("2026-01", dt.date(2026, 1, 31)),
        ("2026-02", dt.date(2026, 2, 28)),
        ("2026-03", dt.date(2026, 3, 10)),
    ]


def test_the_trend_reads_each_month_end_from_the_dates(city):
    party(city, "p-1", node=GRID_A1, established=dt.date(2026, 2, 10))
    party(city, "p-2", node=GRID_A2, established=dt.date(2026, 4, 1), dissolved=dt.date(2026, 6, 1))
    report = coverage_report(city.node(COMMUNITY_A), DAY)
    rates = {p.month: p.rates["grids"] for p in report.trend}
    assert [p.month for p in report.trend][0] == "2025-07"
    assert rates["2026-01"] == 0.0
    assert rates["2026-02"] == 50.0  # established on the 10th: counts at the end of February
    assert rates["2026-03"] == 50.0
    assert rates["2026-04"] == 100.0
    assert rates["2026-05"] == 100.0
    assert rates["2026-06"] == 50.0  # dissolved on 1 June
    assert report.trend[-1].on == DAY


def test_the_report_reads_a_bounded_number_of_queries(city):
    community, whole = city.node(COMMUNITY_A), city.city
    with CaptureQueriesContext(connection) as one:
        coverage_report(community, DAY)
    for n, grid in enumerate(("110901001001001", "110901001002001", "110902001001002")):
        party(city, f"p-{n}", node=grid)
        estate(city, f"cx-{n}", f"小区{n}", community=grid[:12])
        firm = unit(city, f"u-{n}", f"企业{n}", "enterprise", node=grid[:9])
        party(city, f"p-u{n}", unit=firm)
    with CaptureQueriesContext(connection) as many:
        report = coverage_report(whole, DAY)
    assert len(report.communities) == 4 and report.total.complexes.total == 3
    assert len(one) == len(many) <= 4, (len(one), len(many))


def test_the_gaps_export_as_xlsx(city):
    import io

    from openpyxl import load_workbook

    estate(city, "cx-1", "和平家园")
    book = load_workbook(io.BytesIO(coverage_xlsx(coverage_report(city.node(COMMUNITY_A), DAY))))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert {r[2] for r in rows} == {"网格111", "网格112", "和平家园", "社区11"}
    assert len(book.sheetnames) == 3


@pytest.mark.parametrize(
    ("who", "nodes"),
    [
        ("community-a", [COMMUNITY_A]),
        ("street-a", [STREET_A]),
        ("district-a", ["110901"]),
        ("city", ["110000"]),
        ("leader", ["110000"]),
        ("grid-a", []),
        ("um-a", []),
        ("resident", []),
    ],
)
def test_who_reads_coverage_of_which_node(city, who, nodes):
    actor = city.people[who]
    assert [n.code for n in coverage_nodes(actor)] == nodes
    assert may_read_coverage(actor, city.node(COMMUNITY_A)) == bool(nodes)
    assert may_read_coverage(actor, city.node("110902001001")) == (who in ("city", "leader"))
    assert not may_read_coverage(actor, city.node(GRID_A1))  # a grid has no report of its own
