"""Activities in a real browser: the community's organiser plans a lecture, a party member signs up from
"my activities", the organiser puts the check-in QR code on the screen, the member opens the URL it
encodes on a phone-sized page and checks in, the organiser closes the lecture and the report shows the
attendance.

The clock is moved for the whole process (the live server's thread too) by patching ``chuishao.clock.now``
with an offset. Runs in Debian's headless Chromium (``-m e2e``); screenshots go to /tmp/shots/.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_plan_sign_up_scan_check_in_and_report(live_server, browser_page, monkeypatch):
    from chuishao import clock
    from chuishao.activities.models import Activity, Participation
    from tests.activities.city import activity_city

    ac = activity_city()
    real_now = clock.now
    offset = {"by": dt.timedelta(0)}
    monkeypatch.setattr(clock, "now", lambda: real_now() + offset["by"])
    base = live_server.url
    start = timezone.localtime(clock.now()).replace(
        hour=14, minute=0, second=0, microsecond=0
    ) + dt.timedelta(days=2)

    # The organiser plans an open lecture of the branch.
    org = browser_page()
    sign_in(org, base, "community-a")
    org.goto(f"{base}/activities/organise/")
    org.wait_for_selector("[data-testid=create]")
    org.select_option("#activity_organiser", str(ac.branch.pk))
    org.select_option("#activity_kind", "lecture")
    org.fill("#activity_title", "红色讲坛：接诉即办的基层实践")
    org.fill("#activity_starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    org.fill("#activity_ends_at", (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    org.fill("#activity_place", "社区党群服务中心二楼")
    org.fill("#activity_capacity", "80")
    shot(org, "activities-01-plan")
    org.press("#activity_title", "Enter")  # (a click on the button lands on the date picker's popup)
    org.wait_for_selector(".msg.success")
    activity = Activity.objects.get()
    assert org.url.endswith(f"/activities/{activity.pk}/")

    # A member signs up from "my activities".
    member = browser_page(width=420)
    sign_in(member, base, "member-1")
    member.goto(f"{base}/activities/")
    member.click(f"[data-testid=upcoming] tr[data-activity='{activity.pk}'] [data-testid=signup] button")
    member.wait_for_selector(".msg.success")
    assert Activity.objects.get(pk=activity.pk).taken == 1
    shot(member, "activities-02-signed-up")

    # The day comes: the QR code on the organiser's screen.
    offset["by"] = start - timezone.localtime(real_now()) - dt.timedelta(minutes=10)
    org.goto(f"{base}/activities/{activity.pk}/qr/")
    org.wait_for_selector("[data-testid=qr] svg")
    url = org.get_attribute("[data-testid=qr]", "data-url")
    assert f"/activities/{activity.pk}/check-in/?t=" in url
    shot(org, "activities-03-qr")

    # The member's phone opens what the code says and checks in.
    member.goto(url)
    member.click("[data-testid=check-in] button[type=submit]")
    member.wait_for_selector("[data-testid=checked-in]")
    shot(member, "activities-04-checked-in")
    assert Participation.objects.get(activity=activity).presence == "attended"
    org.reload()
    assert org.get_attribute("[data-testid=qr-count]", "data-attended") == "1"

    # After the lecture: the organiser enters the online figure, closes it, and reads the report.
    offset["by"] = start - timezone.localtime(real_now()) + dt.timedelta(hours=3)
    org.goto(f"{base}/activities/{activity.pk}/")
    org.select_option("#figure_measure", "online")
    org.fill("#figure_count", "2352000")
    org.fill("#figure_source", "直播平台后台统计")
    org.click("[data-testid=figure-form] button[type=submit]")
    org.wait_for_selector("[data-testid=figures] [data-count='2352000']")
    org.click("[data-testid=close] button[type=submit]")
    org.wait_for_selector("[data-testid=status][data-status=held]")
    came = org.get_attribute("[data-testid=attendance] tr[data-person='member-1']", "data-presence")
    assert came == "attended"
    shot(org, "activities-05-closed")
    org.goto(f"{base}/activities/reports/org/{ac.branch.pk}/")
    row = org.wait_for_selector("[data-testid=report] tr[data-org='a1a-party']")
    assert row.get_attribute("data-attended") == "1" and row.get_attribute("data-expected") == "1"
    assert row.get_attribute("data-rate") == "100.0"
    shot(org, "activities-06-report")
