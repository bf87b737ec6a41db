"""Dual reporting (双报到) in a real browser: a party member registers with the community where they
live, the community confirms and issues a task, the member takes it and checks in and out with the
phone's location, the community confirms the hours, and the unit sees them in its report — on a phone
screen for the member, on a desktop for the others, in Chinese and in English.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in
from tests.factories import add_engagement, build_small_city, grid_centre

pytestmark = pytest.mark.e2e
COMMUNITY = "110901001001"


@pytest.mark.django_db(transaction=True)
def test_member_community_and_unit_in_the_browser(live_server, browser_page):
    from chuishao.engagement.models import Claim, PointEntry, Registration, Task

    city = add_engagement(build_small_city())
    base = live_server.url
    community = city.node(COMMUNITY)
    bureau = city.orgs["bureau-a"]
    here = grid_centre("110901001001001")

    # The member registers on a 360-px phone screen.
    member = browser_page(geolocation=here, width=360)
    sign_in(member, base, "member-1")
    member.goto(base + "/serve/")
    member.select_option("#id_community", str(community.pk))
    member.select_option("#id_unit", str(bureau.pk))
    member.check(f"input[name=posts][value='{_post('environment')}']")
    member.check(f"input[name=posts][value='{_post('order')}']")
    shot(member, "serve-01-member-register")
    member.click("[data-testid=register-form] button[type=submit]")
    member.wait_for_selector("[data-testid=registration-status]")
    assert Registration.objects.get(person=city.people["member-1"]).status == "pending"

    # The community confirms and issues a task that started ten minutes ago.
    staff = browser_page()
    sign_in(staff, base, "community-a")
    staff.goto(base + f"/serve/community/{COMMUNITY}/")
    staff.click("[data-testid=pending] button.primary")
    staff.wait_for_selector(".msg.success")
    now = dt.datetime.now().astimezone(dt.timezone(dt.timedelta(hours=8)))
    start = now - dt.timedelta(minutes=10)
    end = start + dt.timedelta(hours=1)
    if end.date() != start.date():  # the form takes one day; keep the task inside it
        start, end = start.replace(hour=0, minute=0), start.replace(hour=1, minute=0)
    staff.click("#tasks summary")
    staff.fill("#task_title", "整理仙岳路共享单车")
    staff.select_option("#task_post", str(_post("environment")))
    staff.fill("#task_day", start.strftime("%Y-%m-%d"))
    staff.fill("#task_start", start.strftime("%H:%M"))
    staff.fill("#task_end", end.strftime("%H:%M"))
    staff.fill("#task_capacity", "3")
    staff.fill("#task_place", "仙岳路")
    shot(staff, "serve-02-community-task")
    staff.click("[data-testid=task-form] button[type=submit]")
    staff.wait_for_selector(".msg.success")
    task = Task.objects.get(title="整理仙岳路共享单车")

    # The member takes a place, checks in and out with the phone's position.
    member.goto(base + "/serve/")
    member.click("[data-testid=tasks] button.primary")
    member.wait_for_selector(".msg.success")
    expect(member.locator("form.locate input[name=lat]").first).not_to_have_value("")
    shot(member, "serve-03-member-claimed")
    member.click("form.locate button.primary")
    member.wait_for_selector(".msg.success")
    expect(member.locator("form.locate input[name=lat]").first).not_to_have_value("")
    member.fill("[data-testid=claims] input[name=note]", "整理了 40 辆")
    member.click("form.locate button.primary")
    member.wait_for_selector(".msg.success")
    claim = Claim.objects.get(task=task)
    assert claim.status == "checked_out"
    assert claim.in_lat == pytest.approx(here[0], abs=1e-5)

    # The community confirms an hour of service.
    staff.goto(base + f"/serve/community/{COMMUNITY}/")
    staff.fill("[data-testid=to-confirm] input[name=hours]", "1")
    shot(staff, "serve-04-community-confirm")
    staff.click("[data-testid=to-confirm] button.primary")
    staff.wait_for_selector(".msg.success")
    assert Claim.objects.get(pk=claim.pk).status == "confirmed"
    assert sum(e.points for e in PointEntry.objects.filter(person=city.people["member-1"])) == 3

    member.goto(base + f"/serve/?year={start.year}")
    assert member.inner_text("[data-testid=points]") == "3"
    assert member.inner_text("[data-testid=hours]") == "1"
    shot(member, "serve-05-member-record")

    # The unit's organiser sees it in the year's report, in English this time (the browser asks for it).
    unit = browser_page(locale="en-GB")
    sign_in(unit, base, "bureau-organiser")
    unit.goto(base + f"/serve/unit/{bureau.pk}/report/?year={start.year}")
    row = unit.locator("[data-testid=report] tbody tr", has_text="党员1")
    assert row.locator("td.num").all_inner_texts() == ["1", "3"]
    assert unit.locator("h1").inner_text().startswith("Service in the community")
    shot(unit, "serve-06-unit-report")


def _post(code: str) -> int:
    from chuishao.engagement.models import ServicePost

    return ServicePost.objects.get(code=code).pk
