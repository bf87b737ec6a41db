"""Community workers and the admission register in a real browser: the street adds a worker and steps
up one whose step is due, a department asks to push a form down, the district centre refuses it because
the community's generated monthly statistics already answer it, and the community opens that report."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import shot, sign_in
from tests.factories import build_small_city

pytestmark = pytest.mark.e2e
COMMUNITY, STREET = "110901001001", "110901001"


@pytest.mark.django_db(transaction=True)
def test_roster_admission_and_generated_report(live_server, browser_page):
    from chuishao.workforce.models import Admission, CommunityWorker
    from chuishao.workforce.services import worker_hire

    city = build_small_city()
    base = live_server.url
    due = worker_hire(
        actor=city.people["street-a"], community=city.node(COMMUNITY), name="王秀英",
        position="社区专职工作者", post="other", grade=4, started_on="2015-03-01", grade_since="2020-03-01",
    )  # fmt: skip

    street = browser_page()
    sign_in(street, base, "street-a")
    street.click("nav details.menu summary")
    street.click("nav .menu-items a[href='/workers/']")
    street.wait_for_selector("[data-testid=roster]")
    assert "王秀英" in street.inner_text("[data-testid=roster]")
    street.click(f"#w{due.pk} button.primary")  # step up one grade
    street.wait_for_selector(".msg.success")
    due.refresh_from_db()
    assert due.grade == 5

    street.click("details.action summary")
    street.select_option("#id_hire_community", str(city.node(COMMUNITY).pk))
    street.fill("#id_hire_name", "李建国")
    street.select_option("#id_hire_post", "head")
    street.fill("#id_hire_grade", "5")  # below the heads' band: refused with the band
    street.fill("#id_hire_started_on", "2019-05-01")
    street.click("details.action button.primary")
    street.wait_for_selector(".error")
    assert "7" in street.inner_text(".error")
    street.fill("#id_hire_grade", "9")
    street.click("details.action button.primary")
    street.wait_for_selector(".msg.success")
    assert CommunityWorker.objects.get(name="李建国").grade == 9
    shot(street, "workforce-01-roster")

    dept = browser_page()
    sign_in(dept, base, "um-a")
    dept.goto(base + "/admissions/")
    dept.click("details.action summary")
    dept.select_option("#id_adm_scope", str(city.node(STREET).pk))
    dept.select_option("#id_adm_org", str(city.orgs["um-110901"].pk))
    dept.select_option("#id_adm_kind", "form")
    dept.fill("#id_adm_title", "垃圾分类月报表")
    dept.fill("#id_adm_basis", "区生活垃圾分类工作方案")
    dept.select_option("#id_adm_frequency", "monthly")
    dept.fill("#id_adm_starts_on", "2026-12-01")
    dept.click("details.action button.primary")
    dept.wait_for_selector(".msg.success")
    item = Admission.objects.get()

    district = browser_page()
    sign_in(district, base, "district-a")
    district.goto(base + "/admissions/")
    district.click(f"#a{item.pk} details summary")
    district.fill(f"#a{item.pk} input[name=note]", "社区月度统计表已生成此数据")
    district.click(f"#a{item.pk} button.danger")
    district.wait_for_selector(".msg.success")
    item.refresh_from_db()
    assert item.status == "refused"
    shot(district, "workforce-02-admissions")

    community = browser_page()
    sign_in(community, base, "community-a")
    community.goto(base + "/reports/")
    assert community.locator("[data-testid=catalogue] tbody tr").count() >= 8
    community.click("#community-month button.primary")
    community.wait_for_selector("[data-testid=section-workers]")
    cells = community.locator("[data-testid=section-workers] td.num").all_inner_texts()
    assert cells == ["1", "0", "1"], "a head and one other staff at the end of last month"
    shot(community, "workforce-03-community-month")
