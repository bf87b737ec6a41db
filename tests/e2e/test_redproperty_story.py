"""Red property (红色物业) in a real browser: the 托乐嘉 board's secretary sees the resident's case waiting
on the board's page, records the joint meeting with its decision, passes the case to the street from the
case page with a reason, and the street finds it back in its queue ready to dispatch or whistle.

Runs in Debian's headless Chromium (``-m e2e``); screenshots go to /tmp/shots/ (CHUISHAO_SHOTS).
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_board_meets_and_passes_the_case_to_the_street(live_server, browser_page):
    from chuishao.cases.models import Case
    from chuishao.party.models import JointMeeting
    from tests.party.redproperty_city import redproperty_city

    city, complex_, result = redproperty_city()
    case = Case.objects.get(number=result["case"])
    base = live_server.url

    board = browser_page()
    sign_in(board, base, "tlj-secretary")
    board.goto(f"{base}/party/boards/")  # the only board: straight to its page
    board.wait_for_selector("[data-testid=seats]")
    assert "/party/boards/TLJ/" in board.url
    assert case.number in board.inner_text("[data-testid=board-cases]")
    assert "居委会兼职副主任" in board.inner_text("[data-testid=seats]")
    shot(board, "redproperty-01-board")

    # The joint meeting: every seat present, the departments' man as a guest, one decision on the case.
    board.click("#record-meeting summary")
    board.fill("#meeting_place", "托乐嘉党群服务站")
    board.fill("#meeting_agenda", "小区门前无名路停车乱象")
    for box in board.query_selector_all("input[name=attendees]"):
        box.check()
    board.fill("#meeting_guests", "街道城管科王科长")
    board.fill("#meeting_minutes", "物业无权管理小区外道路，业委会多次协调无果，支部提议上交街道。")
    board.fill("#meeting_decision_1_text", "上交街道，请求吹哨部门报到")
    board.select_option("#meeting_decision_1_case", str(case.pk))
    shot(board, "redproperty-02-meeting-form")
    board.click("[data-testid=record-meeting] button[type=submit]")
    board.wait_for_selector(".msg.success")
    meeting = JointMeeting.objects.get()
    assert meeting.decisions.get().case_id == case.pk
    assert "上交街道" in board.inner_text("[data-testid=board-cases]")

    # From the case page: pass it to the street, with the reason.
    board.click(f"[data-testid=board-cases] a[href='/cases/{case.pk}/']")
    board.wait_for_selector("form[data-action=refer]", state="attached")
    board.click("details:has(form[data-action=refer]) summary")
    board.fill("#id_refer_reason", "无名路权属不清，小区联席会无法解决，上交街道")
    shot(board, "redproperty-03-refer")
    board.click("form[data-action=refer] button[type=submit]")
    board.wait_for_selector(".msg.success")
    case.refresh_from_db()
    assert case.status == "returned" and case.return_count == 0

    # The street sees it back, with dispatch and the whistle on the page.
    street = browser_page()
    sign_in(street, base, "street-a")
    street.goto(f"{base}/cases/{case.pk}/")
    street.wait_for_selector("form[data-action=dispatch]", state="attached")
    assert street.query_selector("form[data-action=whistle]") is not None
    assert "上交街道" in street.inner_text("body")
    shot(street, "redproperty-04-street-queue")
