"""Grid work in a real browser: a grid worker signs in on a phone, starts a patrol, records a household
visit, reports a problem on the spot (it joins the patrol), ends the patrol and reads the day's summary;
community staff open the coverage map and see the grid nobody walked in red."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in
from tests.factories import build_small_city, grid_centre

pytestmark = pytest.mark.e2e
GRID_A = "110901001001001"


@pytest.mark.django_db(transaction=True)
def test_patrol_visit_report_and_coverage_in_the_browser(live_server, browser_page):
    from chuishao.cases.models import Case
    from chuishao.gridwork.models import Patrol, PatrolCase, Visit

    build_small_city()
    base = live_server.url
    here = grid_centre(GRID_A)

    worker = browser_page(geolocation=here, width=390)
    sign_in(worker, base, "grid-a")
    worker.goto(base + "/grid/")
    worker.click("[data-testid=patrol-start]")
    worker.wait_for_selector("[data-testid=patrol-open]")
    assert Patrol.objects.get().ended_at is None

    # A household visit, from the form on the grid page.
    worker.click("[data-testid=visit] summary")
    worker.fill("#visit_household", "3号楼2单元501")
    worker.fill("#visit_person_name", "王阿姨")
    worker.fill("#visit_person_phone", "13900001111")
    worker.fill("#visit_discussed", "独居老人，询问助餐服务")
    worker.check("#visit_follow_up")
    worker.fill("#visit_follow_up_note", "下周联系助餐点")
    worker.click("[data-testid=visit] button[type=submit]")
    worker.wait_for_selector(".msg.success")
    visit = Visit.objects.get()
    assert visit.patrol_id == Patrol.objects.get().pk and visit.follow_up

    # A report on the spot: the page locates at once; the category is description enough.
    worker.click("[data-testid=patrol-report]")
    expect(worker.locator("#id_lat")).not_to_have_value("")
    worker.select_option("#id_category", "S0102")
    worker.click("form button[type=submit].primary")
    worker.wait_for_selector(".msg.success")
    case = Case.objects.get()
    assert PatrolCase.objects.get().case_id == case.pk

    # End the patrol and read the day.
    worker.goto(base + "/grid/")
    worker.fill("[data-testid=patrol] input[name=note]", "一切正常")
    worker.click("[data-testid=patrol-end]")
    worker.wait_for_selector("[data-testid=patrol-start]")
    assert Patrol.objects.get().ended_at is not None
    assert worker.inner_text("[data-testid=day-patrols]").strip() == "1"
    assert worker.inner_text("[data-testid=day-visits]").strip() == "1"
    assert worker.inner_text("[data-testid=day-reported]").strip() == "1"
    shot(worker, "gridwork-01-worker-day")

    # Community staff: grid 1 walked today (green), grid 2 never (red).
    staff = browser_page()
    sign_in(staff, base, "community-a")
    staff.goto(base + "/coverage/patrols/")
    staff.wait_for_selector("#coverage-map path.grid-stale")
    assert staff.locator("#coverage-map path.grid-stale").count() == 1
    assert staff.locator("#coverage-map path.grid-fresh").count() == 1
    assert staff.get_attribute("tr[data-code='110901001001002']", "data-stale") == "1"
    assert staff.get_attribute(f"tr[data-code='{GRID_A}']", "data-stale") == "0"
    shot(staff, "gridwork-02-coverage-map")

    staff.goto(base + "/visits/")
    assert "王阿姨" in staff.inner_text("[data-testid=visits]")
