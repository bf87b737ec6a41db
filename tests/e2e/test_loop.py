"""The loop in a real browser: a resident reports on the map, a street dispatcher files and dispatches.

Runs in Debian's headless Chromium (``-m e2e``); screenshots of every page go to /tmp/shots/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.factories import PASSWORD, build_small_city, grid_centre

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_resident_reports_and_street_dispatches(live_server, browser_page):
    from chuishao.cases.models import Case, Status

    city = build_small_city()
    lat, lng = grid_centre("110901001001001")

    # A resident, not signed in, reports on the map with the browser's location.
    page = browser_page(geolocation=(lat, lng))
    page.goto(live_server.url + "/")
    shot(page, "01-landing")
    page.goto(live_server.url + "/report/")
    page.wait_for_selector(".leaflet-interactive")  # the grids are drawn
    page.select_option("#id_category", "S0102")
    page.fill("#id_description", "小区门口垃圾堆了三天")
    page.click("#locate")
    expect(page.locator("#id_lat")).not_to_have_value("")
    page.wait_for_selector("#grid-name:has-text('网格111')")
    page.fill("#id_address", "幸福路 12 号")
    shot(page, "02-report")
    page.click("button[type=submit].big")
    page.wait_for_selector(".card.success")
    shot(page, "03-follow-new")
    case = Case.objects.get()
    assert case.number in page.inner_text(".card.success")
    assert case.grid.code == "110901001001001"

    # A second report at the same place: the form suggests the first one.
    page.goto(live_server.url + "/report/")
    page.wait_for_selector(".leaflet-interactive")
    page.select_option("#id_category", "S0102")
    page.fill("#id_lat", f"{lat:.6f}")
    page.fill("#id_lng", f"{lng:.6f}")
    page.dispatch_event("#id_lng", "change")
    # The suggestion says what and how far along, never the other report's number or address.
    page.wait_for_selector("#nearby .warnbox li:has-text('暴露垃圾')")
    assert case.number not in page.inner_text("#nearby")
    shot(page, "04-report-nearby")

    # The street dispatcher signs in, files and dispatches to the suggested department.
    staff = browser_page()
    staff.goto(live_server.url + "/login/")
    shot(staff, "05-login")
    staff.fill("#id_username", "street-a")
    staff.fill("#id_password", PASSWORD)
    staff.click("button[type=submit].primary")
    staff.wait_for_url(live_server.url + "/cases/")
    shot(staff, "06-case-list")
    staff.click(f"text={case.number}")
    staff.wait_for_selector("#map .leaflet-marker-icon")
    shot(staff, "07-case-page")
    staff.click("form[data-action=file] button[type=submit]")
    staff.wait_for_selector(".msg.success")
    staff.click("details:has(form[data-action=dispatch]) summary")
    staff.click("form[data-action=dispatch] button[type=submit]")
    staff.wait_for_selector(".msg.success")
    shot(staff, "08-dispatched")
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED
    assert case.lead_org_id == case.suggested_org_id

    # The resident's follow link shows the dispatch, naming the office and not the person.
    follow = browser_page(locale="en-US")
    follow.goto(live_server.url + f"/follow/{case.number}/{case.follow_token}/")
    shot(follow, "09-follow")
    text = follow.inner_text("main")
    assert "street-a" not in text
    assert city.people["street-a"].username not in text
    assert "dispatched the case" in text  # the browser asked for English
