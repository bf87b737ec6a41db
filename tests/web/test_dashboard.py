"""The district and city dashboard: scoped, every figure links to its cases, bounded queries, XLSX."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from chuishao.evaluation.definitions import period_of
from chuishao.evaluation.services import rollup_rebuild
from tests.web.conftest import GRID_A, GRID_B


@pytest.fixture
def cases(city, report):
    made = [report(grid=GRID_A), report(grid=GRID_A), report(grid=GRID_B)]
    rollup_rebuild(settle=dt.timedelta(0))
    return made


def test_a_district_centre_sees_its_district(login, city, cases):
    page = login("district-a").get(reverse("web:dashboard"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "街道1" in body and "街道2" not in body  # its street ranked, not the other district's
    data = page.context["board"]
    assert data.node.code == "110901" and data.open_cases == 2
    assert {s["code"] for s in data.grid_shapes} == {
        "110901001001001", "110901001001002", "110901001002001", "110901001002002",
    }  # fmt: skip
    received = {row.unit_id: row.counts["received"] for row in data.grids}
    assert received[city.node(GRID_A).pk] == 2


def test_figures_link_to_the_cases_behind_them(login, city, cases):
    client = login("district-a")
    chart = client.get(reverse("web:dashboard")).context["chart"]
    grid = next(f for f in chart["grids"]["features"] if f["properties"]["received"] == 2)
    listed = client.get(grid["properties"]["url"])
    assert listed.status_code == 200
    numbers = {case.number for case, *_ in listed.context["rows"]}
    assert numbers == {c.number for c in cases[:2]}
    category = chart["categories"][0]
    assert category["value"] == 2
    by_category = client.get(category["url"]).context["rows"]
    assert {c.number for c, *_ in by_category} == {c.number for c in cases[:2]}


@pytest.mark.parametrize("who", ["resident", "um-a", "grid-a", "street-a"])
def test_only_centres_and_leaders_have_a_dashboard(login, cases, who):
    assert login(who).get(reverse("web:dashboard")).status_code == 404


def test_another_districts_dashboard_is_not_found(login, cases):
    assert login("district-a").get(reverse("web:dashboard") + "?node=110902").status_code == 404
    city_view = login("city").get(reverse("web:dashboard") + "?node=110000")
    assert city_view.status_code == 200 and city_view.context["board"].open_cases == 3


def test_the_view_exports_as_xlsx(login, cases):
    from openpyxl import load_workbook

    response = login("city").get(
        reverse("web:dashboard") + f"?period={period_of(cases[0].created_at)}&format=xlsx"
    )
    book = load_workbook(io.BytesIO(response.content))
    assert (
        book.sheetnames == ["Trend", "Streets", "Departments", "Categories", "Overdue"]
        or len(book.sheetnames) == 5
    )
    trend = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert trend[-1][1] == 3  # received this month, city-wide


def test_the_dashboard_reads_a_bounded_number_of_queries(login, report):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login("district-a")
    counts = []
    for n in (1, 5):
        for _i in range(n):
            report(grid=GRID_A)
        rollup_rebuild(settle=dt.timedelta(0))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("web:dashboard")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_dashboard_shows_party_organisation_coverage(login, city):
    from chuishao.party.members import party_org_found

    party_org_found(actor=city.people["city"], code="p-g1", name="网格党支部", jurisdiction=city.node(GRID_A))
    page = login("district-a").get(reverse("web:dashboard"))
    coverage = page.context["board"].coverage
    assert (coverage.grids.covered, coverage.grids.total) == (1, 4)
    body = page.content.decode()
    assert 'data-testid="party-coverage"' in body and "25.0%" in body
    assert reverse("web:party_coverage_node", args=["110901"]) in body
    whole = login("city").get(reverse("web:dashboard") + "?node=110000").context["board"].coverage
    assert (whole.grids.covered, whole.grids.total) == (1, 8)


def test_the_coverage_panel_adds_no_query_per_organisation(login, city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chuishao.party.members import party_org_found

    client = login("district-a")
    counts = []
    for grids in (["110901001001001"], ["110901001001002", "110901001002001", "110901001002002"]):
        for grid in grids:
            party_org_found(
                actor=city.people["city"], code=f"p-{grid}", name=grid, jurisdiction=city.node(grid)
            )
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("web:dashboard"))
        counts.append(len(queries))
    assert page.context["board"].coverage.grids.rate == 100.0
    assert counts[0] == counts[1], counts
