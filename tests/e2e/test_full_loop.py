"""The whole loop in a real browser, each step by the person whose work it is: a resident reports with
a photo and a click on the map; the street files and dispatches; the department accepts and handles it
with a photo; the grid worker checks it from their grid page; the street closes it; the resident rates
it from the follow link — and the district's dashboard shows the rating.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.conftest import shot, sign_in
from tests.factories import build_small_city

pytestmark = pytest.mark.e2e


def act(page, action: str, **fill: str) -> None:
    """Open the action's form on the case page, fill it and send it."""
    form = f"form[data-action={action}]"
    summary = page.locator(f"details:has({form}) summary")
    if summary.count() and not page.locator(form).is_visible():
        summary.first.click()
    for field, value in fill.items():
        if field == "evidence":
            page.set_input_files(f"{form} input[type=file]", value)
        elif field == "lead":
            page.select_option(f"{form} [name=lead]", value)
        else:
            page.fill(f"{form} [name={field}]", value)
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(".msg.success")


@pytest.mark.django_db(transaction=True)
def test_report_to_rating_and_the_dashboard(live_server, browser_page, tmp_path):
    from PIL import Image

    from chuishao.cases.models import Case, Status
    from chuishao.evaluation.services import rollup_rebuild

    city = build_small_city()
    base = live_server.url
    photo = tmp_path / "rubbish.jpg"
    Image.new("RGB", (64, 48), (120, 140, 90)).save(photo, "JPEG")

    # The resident clicks the map inside grid 111 and adds a photo.
    resident = browser_page(width=390)
    resident.goto(base + "/report/")
    resident.wait_for_selector("#map path.leaflet-interactive")
    resident.fill("#category-search", "暴露垃圾")  # one category matches: it is chosen
    assert resident.input_value("#id_category") == "S0102"
    resident.fill("#id_description", "楼下垃圾桶满溢，三天没人清")
    for path in resident.locator("#map path.leaflet-interactive").all():
        # Click high in the square: the marker left by the previous click stands up to 41 px above its
        # point and covers the low part of the grid above it, whose click it would take (the grids come
        # in the order the database returns them, so which grid is above which varies from run to run).
        box = path.bounding_box()
        path.click(position={"x": box["width"] / 2, "y": box["height"] * 0.25})
        if "网格111" in resident.inner_text("#grid-name"):
            break
    assert "网格111" in resident.inner_text("#grid-name")
    resident.set_input_files("#id_photos", str(photo))
    shot(resident, "loop-01-resident-report")
    resident.click("button[type=submit].big")
    resident.wait_for_selector(".card.success")
    follow_url = resident.url.split("?")[0]
    case = Case.objects.get()
    assert case.grid.code == "110901001001001" and case.media.count() == 1

    # The street files it and dispatches it to the district's urban management.
    street = browser_page()
    sign_in(street, base, "street-a")
    street.goto(base + f"/cases/{case.pk}/")
    act(street, "file")
    act(street, "dispatch", lead=str(city.orgs["um-110901"].pk))
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.lead_org.code == "um-110901"

    # The department accepts and reports the work done, with a photo.
    dept = browser_page()
    sign_in(dept, base, "um-a")
    dept.goto(base + f"/cases/{case.pk}/")
    act(dept, "accept")
    act(dept, "handle", result="已清运，垃圾桶已清洗", evidence=str(photo))
    shot(dept, "loop-02-department-handled")

    # The grid worker finds it on their grid page and checks it on site.
    grid = browser_page(width=390)
    sign_in(grid, base, "grid-a")
    grid.goto(base + "/grid/")
    grid.click(f"[data-testid=to-check] a:has-text('{case.number}')")
    shot(grid, "loop-03-grid-worker-check")
    act(grid, "check", note="现场已清理干净", evidence=str(photo))
    street.goto(base + f"/cases/{case.pk}/")
    act(street, "close")
    case.refresh_from_db()
    assert case.status == Status.CLOSED

    # The resident rates it from the follow link.
    resident.goto(follow_url)
    resident.select_option("[name=satisfaction]", "satisfied")
    resident.select_option("[name=resolution]", "solved")
    resident.click("form[action$='/rate/'] button[type=submit]")
    resident.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == Status.RATED

    # The worker's rollup refresh (run here at once), then the district's dashboard shows it.
    rollup_rebuild(settle=dt.timedelta(0))
    board = browser_page()
    sign_in(board, base, "district-a")
    board.goto(base + "/dashboard/")
    board.wait_for_selector("#dash-trend svg")
    assert board.inner_text("[data-rate=satisfaction] .num") == "100.0%"
    assert board.inner_text("[data-rate=resolution] .num") == "100.0%"
    shot(board, "loop-04-dashboard")
