"""The dashboard in a real browser: the grids drawn and coloured, the charts drawn, a grid clicked
through to its cases."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.conftest import shot, sign_in
from tests.factories import build_small_city, grid_centre

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_dashboard_map_charts_and_click_through(live_server, browser_page):
    from chuishao.cases.services import case_report
    from chuishao.evaluation.services import rollup_rebuild

    city = build_small_city()
    lat, lng = grid_centre("110901001001001")
    made = [
        case_report(
            actor=city.people["resident"],
            source="resident_web",
            category="S0102",
            description="垃圾",
            lat=lat,
            lng=lng,
        )
        for _ in range(2)
    ]
    rollup_rebuild(settle=dt.timedelta(0))

    page = browser_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server.url, "district-a")
    page.goto(live_server.url + "/dashboard/")
    page.wait_for_selector("#dash-map path.leaflet-interactive")
    assert page.locator("#dash-map path.leaflet-interactive").count() == 4  # district A's grids
    page.wait_for_selector("#dash-trend svg")
    page.wait_for_selector("#dash-categories svg")
    page.check("input[name=measure][value=resolution]")
    shot(page, "dashboard-district")
    assert not errors, errors
    # The darkest grid is the one with both cases: click it, land on its cases.
    page.locator("#dash-map path.leaflet-interactive").nth(0).click()
    page.wait_for_url("**/cases/?node=*")
    for case in made:
        assert page.locator(f"text={case.number}").count() == 1
