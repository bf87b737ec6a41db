"""The exemplary-case library in a real browser: the community's staff write up their parking work with
figures and a photo and submit it; the district centre returns it with a reason; the staff edit and
resubmit; the centre publishes; an anonymous visitor finds it by searching "停车" and reads it, in
Chinese and in English.

Runs in Debian's headless Chromium (``-m e2e``); screenshots go to /tmp/shots/ (CHUISHAO_SHOTS).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_write_return_resubmit_publish_and_find(live_server, browser_page, tmp_path):
    from chuishao.library.models import Exemplar, Status
    from tests.factories import photo
    from tests.library.library_city import COMMUNITY, ELEVATOR, library_city, publish, write

    city = library_city()
    publish(city, write(city, **ELEVATOR))  # an unrelated published exemplar
    base = live_server.url
    picture = tmp_path / "parking.jpg"
    picture.write_bytes(photo("parking.jpg", size=(64, 48)).read())

    # The community's staff write it up.
    staff = browser_page()
    sign_in(staff, base, "community-a")
    staff.goto(f"{base}/library/mine/")
    staff.click("[data-testid=new]")
    staff.wait_for_selector("[data-testid=exemplar-form]")
    staff.select_option("#exemplar_organisation", str(city.orgs["committee-a"].pk))
    staff.fill("#exemplar_title", "小区停车治理：错时共享破解停车难")
    staff.select_option("#exemplar_region", COMMUNITY)
    staff.fill("#exemplar_problem", "老旧小区车位少，晚上停车难，车辆占用消防通道。")
    staff.fill("#exemplar_actions", "社区党委牵头，与周边单位签订错时共享协议，夜间开放单位车位。")
    staff.fill("#exemplar_tags", "停车治理、错时共享")
    staff.fill("#exemplar_result_1_label", "新增共享车位")
    staff.fill("#exemplar_result_1_value", "320")
    staff.fill("#exemplar_result_1_unit", "个")
    shot(staff, "library-01-write")
    staff.click("[data-testid=exemplar-form] button[type=submit]")
    staff.wait_for_selector(".msg.success")
    exemplar = Exemplar.objects.get(title="小区停车治理：错时共享破解停车难")
    staff.set_input_files("#exemplar_photos", str(picture))
    staff.click("[data-testid=attach] button[type=submit]")
    staff.wait_for_selector("[data-testid=photo]")
    staff.click("form[data-action=submit] button")
    staff.wait_for_selector("[data-status=submitted]")
    shot(staff, "library-02-submitted")

    # The district centre returns it with a reason.
    centre = browser_page()
    sign_in(centre, base, "district-a")
    centre.goto(f"{base}/library/review/")
    centre.click(f"[data-testid=queue] tr[data-exemplar='{exemplar.pk}'] a")
    centre.wait_for_selector("form[data-action=publish]")
    centre.click("details:has(form[data-action=return]) summary")
    centre.fill("#return_reason", "请补充居民满意率")
    shot(centre, "library-03-return")
    centre.click("form[data-action=return] button[type=submit]")
    centre.wait_for_selector("[data-status=returned]")

    # The staff see the reason, add the figure and submit again.
    staff.goto(f"{base}/library/{exemplar.pk}/")
    assert "请补充居民满意率" in staff.inner_text("[data-testid=status-reason]")
    staff.click("[data-testid=edit]")
    staff.fill("#exemplar_result_2_label", "满意率")
    staff.fill("#exemplar_result_2_value", "97")
    staff.fill("#exemplar_result_2_unit", "%")
    staff.click("[data-testid=exemplar-form] button[type=submit]")
    staff.wait_for_selector(".msg.success")
    staff.click("form[data-action=submit] button")
    staff.wait_for_selector("[data-status=submitted]")

    # The centre publishes it.
    centre.goto(f"{base}/library/{exemplar.pk}/")
    centre.click("form[data-action=publish] button")
    centre.wait_for_selector("[data-status=published]")
    exemplar.refresh_from_db()
    assert exemplar.status == Status.PUBLISHED
    verbs = [li.get_attribute("data-verb") for li in centre.query_selector_all("[data-testid=history] li")]
    assert verbs == [
        "library.exemplar_drafted",
        "library.attachments_added",
        "library.exemplar_submitted",
        "library.exemplar_returned",
        "library.exemplar_edited",
        "library.exemplar_submitted",
        "library.exemplar_published",
    ]

    # Anyone finds it by searching, without signing in.
    visitor = browser_page()
    visitor.goto(f"{base}/library/")
    visitor.fill("#lib_q", "停车")
    visitor.click("[data-testid=library-search] button[type=submit]")
    visitor.wait_for_selector("[data-testid=results]")
    cards = visitor.query_selector_all("[data-testid=exemplar]")
    assert [c.get_attribute("data-exemplar") for c in cards] == [str(exemplar.pk)]
    shot(visitor, "library-04-search")
    cards[0].query_selector("h3 a").click()
    visitor.wait_for_selector("[data-testid=results]")
    values = {
        r.get_attribute("data-label"): r.get_attribute("data-value")
        for r in visitor.query_selector_all("[data-testid=result]")
    }
    assert values == {"新增共享车位": "320", "满意率": "97"}
    assert visitor.query_selector("[data-testid=history]") is None
    assert "community-a" not in visitor.inner_text("body")
    # The photo decodes after the page is there: wait for it rather than read it once (a race CI lost).
    expect(visitor.locator("[data-testid=photo] img").first).to_have_js_property("naturalWidth", 64)
    assert visitor.get_attribute("html", "lang") == "zh-hans"
    shot(visitor, "library-05-detail-zh")
    visitor.click("form.lang button[value=en]")
    visitor.wait_for_load_state()
    assert visitor.get_attribute("html", "lang") == "en"
    assert "What was done" in visitor.inner_text("[data-testid=actions]")
    shot(visitor, "library-06-detail-en")
