"""Party organisation coverage in a real browser: the street sees its table, the gaps by name and the
twelve-month trend chart; the community staff add a secretary on a branch's page; the district's
dashboard shows the coverage panel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.geo.models import Complex
from chuishao.orgs.services import organisation_upsert
from chuishao.party.members import party_org_found
from chuishao.party.models import PartyMember
from tests.e2e.conftest import shot, sign_in
from tests.factories import build_small_city, square

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_coverage_page_gaps_chart_and_a_secretary(live_server, browser_page):
    city = build_small_city()
    base = live_server.url
    today = timezone.localdate(clock.now())
    branch = party_org_found(
        actor=city.people["city"],
        code="p-grid-111",
        name="中共网格111党支部",
        jurisdiction=city.node("110901001001001"),
        established_on=today - dt.timedelta(days=100),
    )
    party_org_found(
        actor=city.people["city"],
        code="p-grid-121",
        name="中共网格121党支部",
        jurisdiction=city.node("110901001002001"),
        established_on=today - dt.timedelta(days=40),
    )

    Complex.objects.create(
        code="cx-1",
        name="和平家园",
        community=city.node("110901001001"),
        boundary=square(116.3, 39.9, 0.0004, 0.0004),
    )
    firm = organisation_upsert(
        actor=SYSTEM, code="u-1", kind="unit", name="云帆科技有限公司", jurisdiction=city.node("110901001"),
        unit_kind="enterprise",
    )  # fmt: skip
    party_org_found(actor=city.people["city"], code="p-u-1", name="中共云帆科技有限公司支部委员会", unit=firm)

    street = browser_page()
    sign_in(street, base, "street-a")
    street.goto(base + "/party/coverage/")
    street.wait_for_selector("#coverage-trend svg")
    gaps = street.inner_text("[data-testid=gaps]")
    assert "网格112" in gaps and "网格122" in gaps and "和平家园" in gaps
    assert "网格111" not in gaps and "云帆科技有限公司" not in gaps
    assert "50.0%" in street.inner_text("[data-testid=coverage-headline]")
    assert street.locator("[data-testid=coverage-table] tbody tr").count() == 3  # the street, two communities
    shot(street, "party-coverage-01-street")
    # The street closes one gap from the list: the grid's new branch page opens, the gap is gone.
    row = street.locator("[data-testid=gaps] tr[data-code='110901001001002']")
    row.locator("summary").click()
    row.locator("button[type=submit]").click()
    street.wait_for_selector(".msg.success")
    street.goto(base + "/party/coverage/")
    assert "网格112" not in street.inner_text("[data-testid=gaps]")

    staff = browser_page()
    sign_in(staff, base, "community-a")
    staff.goto(base + f"/party/orgs/{branch.pk}/")
    staff.fill("#id_name", "王建国")
    staff.select_option("#id_role", "secretary")
    staff.click("[data-testid=add-member] button[type=submit]")
    staff.wait_for_selector(".msg.success")
    assert "王建国" in staff.inner_text("[data-testid=members]")
    assert PartyMember.objects.get(party_org=branch).role == "secretary"
    shot(staff, "party-coverage-02-branch")

    district = browser_page()
    sign_in(district, base, "district-a")
    district.goto(base + "/dashboard/")
    panel = district.inner_text("[data-testid=party-coverage]")
    assert "75.0%" in panel  # three of the district's four grids after the street's new branch
