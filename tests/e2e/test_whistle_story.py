"""The cross-district whistle in a real browser: street A blows it from the case page, the departments
acknowledge from their inbox and check in with the browser's location, street A confirms and rates.

Runs in Debian's headless Chromium (``-m e2e``); screenshots go to /tmp/shots/ (CHUISHAO_SHOTS).
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in
from tests.factories import LAT0, LON0, STEP, build_small_city

# About 5 m west of the line between the districts (grid A1b-g2), near street B.
BORDER = (LAT0 + STEP / 2, LON0 + 4 * STEP - 0.00006)

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_whistle_story_in_the_browser(live_server, browser_page):
    from chuishao.cases.models import SummonsState, Whistle, WhistleStatus
    from chuishao.cases.services import (
        case_chase,
        case_file,
        case_report,
        case_supervise,
        summons_acknowledge,
        summons_check_in,
        summons_record_action,
        whistle_blow,
    )
    from chuishao.cases.sweep import deadline_sweep

    city = build_small_city()
    base = live_server.url
    case = case_report(
        actor=city.people["resident"],
        category="S0101",
        source="resident_web",
        description="两区交界处有人私搭乱建",
        lat=BORDER[0],
        lng=BORDER[1],
    )
    case_file(case=case, actor=city.people["street-a"])

    # Street A blows the whistle from the case page, summoning its urban management as lead.
    street = browser_page()
    sign_in(street, base, "street-a")
    street.goto(f"{base}/cases/{case.pk}/")
    street.wait_for_selector("#map .leaflet-marker-icon")
    assert "街道2" in street.inner_text("#whistles")  # the street across the line will co-own it
    form = "form[data-action=whistle]"
    street.select_option(f"{form} #id_whistle_kind", "everyday")
    street.select_option(f"{form} #id_whistle_reason", "joint_enforcement")
    street.fill(f"{form} #id_whistle_description", "违建跨区，需联合执法拆除")
    street.select_option(f"{form} #id_whistle_lead", str(city.orgs["um-110901"].pk))
    shot(street, "whistle-01-case-form")
    street.click(f"{form} button[type=submit]")
    street.wait_for_selector(".msg.success")
    whistle = Whistle.objects.get()
    assert whistle.joint
    street.wait_for_selector("#board-map .leaflet-marker-icon")
    shot(street, "whistle-02-board-blown")

    # Street B summons its own district's urban management from the board.
    other = browser_page()
    sign_in(other, base, "street-b")
    other.goto(f"{base}/whistles/{whistle.pk}/")
    other.select_option("#id_summon_organisation", str(city.orgs["um-110902"].pk))
    other.select_option("#id_summon_role", "lead")
    other.click("form[data-action=summon] button[type=submit]")
    other.wait_for_selector(".msg.success")
    um_a = whistle.summonses.get(organisation=city.orgs["um-110901"])
    um_b = whistle.summonses.get(organisation=city.orgs["um-110902"])

    # Urban management A acknowledges from its inbox (the row is swapped in place) and checks in.
    dept = browser_page(geolocation=BORDER)
    sign_in(dept, base, "um-a")
    dept.goto(f"{base}/summons/")
    shot(dept, "whistle-03-inbox")
    dept.click(f"#summons-{um_a.pk} button[type=submit]")
    dept.wait_for_selector(f"#summons-{um_a.pk} .msg.success")
    shot(dept, "whistle-04-inbox-acknowledged")
    dept.goto(f"{base}/whistles/{whistle.pk}/")
    checkin = "form[data-action=check_in]"
    dept.click(f"{checkin} button.use-location")
    expect(dept.locator(f"{checkin} input[name=lat]").first).not_to_have_value("")
    shot(dept, "whistle-05a-board-check-in")
    dept.click(f"{checkin} button[type=submit]")
    dept.wait_for_selector(".msg.success")
    dept.fill("form[data-action=record_action] textarea", "拆除西侧棚屋，清运建筑垃圾")
    dept.click("form[data-action=record_action] button[type=submit]")
    dept.wait_for_selector(".msg.success")
    shot(dept, "whistle-05-board-department")

    # Urban management B reports through the services (its pages are the same).
    summons_acknowledge(actor=city.people["um-b"], summons=um_b)
    summons_check_in(actor=city.people["um-b"], summons=um_b, lat=BORDER[0], lng=BORDER[1] + 0.0005)
    summons_record_action(actor=city.people["um-b"], summons=um_b, note="拆除东侧围挡")

    # Street A confirms the matter done, then rates the department it summoned.
    street.goto(f"{base}/whistles/{whistle.pk}/")
    street.wait_for_selector("#board-map .leaflet-interactive")
    shot(street, "whistle-06-board-all-on-site")
    street.click("details:has(form[data-action=done]) summary")
    street.fill("form[data-action=done] textarea", "违建已全部拆除")
    street.click("form[data-action=done] button[type=submit]")
    street.wait_for_selector(".msg.success")
    rate = f"#summons-{um_a.pk} + tr form[data-action=rate]"
    street.select_option(f"{rate} select[name=attitude]", "4")
    street.fill(f"{rate} textarea", "配合及时")
    street.click(f"{rate} button[type=submit]")
    street.wait_for_selector(".msg.success")
    shot(street, "whistle-07-board-done-rated")
    whistle.refresh_from_db()
    um_a.refresh_from_db()
    assert whistle.status == WhistleStatus.DONE and um_a.state == SummonsState.RELEASED
    assert um_a.rating.attitude == 4 and um_a.onsite_distance_m == 0.0

    street.goto(f"{base}/cases/{case.pk}/")
    street.wait_for_selector("#map .leaflet-marker-icon")
    shot(street, "whistle-08-case-page")

    # A whistle blown weeks ago: one department acknowledged late, the other never came (red).
    from chuishao import clock

    inner = case_report(
        actor=city.people["resident"],
        category="S0101",
        source="resident_web",
        description="小区内违建",
        lat=LAT0 + STEP / 2,
        lng=LON0 + STEP / 2,
    )
    with clock.frozen(clock.now() - dt.timedelta(days=20)):
        case_file(case=inner, actor=city.people["street-a"])
        old = whistle_blow(
            actor=city.people["street-a"],
            cases=[inner],
            kind="everyday",
            reason="beyond_power",
            description="需要城管和水务一起处理",
            summons=[
                {"organisation": city.orgs["um-110901"], "role": "lead"},
                {"organisation": city.orgs["water-110901"], "role": "assist"},
            ],
        )
    late = old.summonses.get(organisation=city.orgs["um-110901"])
    with clock.frozen(late.acknowledge_due + dt.timedelta(minutes=30)):
        summons_acknowledge(actor=city.people["um-a"], summons=late)
    street.goto(f"{base}/whistles/{old.pk}/")
    street.wait_for_selector(".verdict.v-late")
    assert street.locator(".verdict.v-overdue").count() == 3  # um on site; water acknowledge and on site
    shot(street, "whistle-09-board-late")
    street.goto(f"{base}/whistles/")
    shot(street, "whistle-10-list")
    assert whistle.number in street.inner_text("main") and old.number in street.inner_text("main")

    # The sweep turns the weeks-old case red and escalates it; the district supervises it.
    deadline_sweep(now=clock.now())
    case_supervise(case=inner, actor=city.people["district-a"], note="三天内办结")
    case_chase(case=inner, actor=city.people["district-a"], note="请尽快")
    street.goto(f"{base}/cases/?warn=red")
    shot(street, "whistle-11-desk-red")
    assert inner.number in street.inner_text("main") and case.number not in street.inner_text("main")
    street.goto(f"{base}/cases/{inner.pk}/")
    street.wait_for_selector(".alarm")
    shot(street, "whistle-12-case-escalated")
