"""The pages: who sees what (404 outside), the create form, member actions, the QR screen and the check-in
page a phone opens, figures, closing, and the reports with their XLSX."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.test import Client

from chuishao import clock
from chuishao.activities import services as s
from chuishao.activities.models import Activity, AudienceFigure, Participation, Presence, Status
from tests.activities.city import at
from tests.activities.test_services import END, NOW, START, lecture, meeting
from tests.factories import PASSWORD


def client_for(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


def test_the_organiser_plans_an_activity_from_the_form(ac):
    c = client_for("secretary")
    with clock.frozen(NOW):
        page = c.get("/activities/organise/")
        assert page.status_code == 200
        assert f'value="{ac.branch.pk}"' in page.content.decode()
        assert (
            f'value="{ac.committee.pk}"' not in page.content.decode()
        )  # the secretary leads only the branch
        bad = c.post("/activities/organise/", {"organiser": ac.branch.pk, "kind": "lecture", "title": "x"})
        assert bad.status_code == 400 and not Activity.objects.exists()
        refused = c.post(
            "/activities/organise/",
            {
                "organiser": ac.branch.pk,
                "kind": "branch_meeting",
                "title": "支部党员大会",
                "starts_at": "2026-03-10T14:00",
                "ends_at": "2026-03-10T16:00",
                "place": "活动室",
                "audience": "members",
                "checkin_lead_minutes": 30,
            },
        )
        assert refused.status_code == 400 and b'data-testid="form-error"' in refused.content
        ok = c.post(
            "/activities/organise/",
            {
                "organiser": ac.branch.pk,
                "kind": "branch_meeting",
                "meeting_kind": "party_class",
                "title": "党课：基层治理",
                "starts_at": "2026-03-10T14:00",
                "ends_at": "2026-03-10T16:00",
                "place": "活动室",
                "audience": "open",
                "checkin_lead_minutes": 15,
            },
        )
    row = Activity.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/activities/{row.pk}/"
    assert row.meeting_kind == "party_class" and row.audience == "members" and row.checkin_lead_minutes == 15
    assert row.starts_at == START


@pytest.mark.parametrize("who", ["member-1", "resident", "street-b", "leader"])
def test_only_organisers_reach_the_organise_page_qr_and_actions(ac, who):
    row = lecture(ac)
    c = client_for(who)
    with clock.frozen(START):
        if who in ("member-1", "resident"):  # street-b organises its own street's committee
            assert c.get("/activities/organise/").status_code == 404
        assert c.get(f"/activities/{row.pk}/qr/").status_code == 404
        r = c.post(f"/activities/{row.pk}/figures/", {"measure": "hall", "count": 5, "source": "x"})
        assert r.status_code == 404
        r = c.post(
            f"/activities/{row.pk}/mark/",
            {"person": ac.p("member-1").pk, "presence": "attended", "reason": "x"},
        )
        assert r.status_code == 404
    assert not AudienceFigure.objects.exists() and not Participation.objects.exists()


def test_a_members_only_activity_is_not_found_for_others(ac):
    row = meeting(ac)
    with clock.frozen(NOW):
        assert client_for("resident").get(f"/activities/{row.pk}/").status_code == 404
        assert client_for("street-b").get(f"/activities/{row.pk}/").status_code == 404
        page = client_for("member-1").get(f"/activities/{row.pk}/")
        assert page.status_code == 200 and b'data-presence="expected"' in page.content
        assert b'data-testid="attendance"' not in page.content  # members do not see the others' attendance
        staff = client_for("community-a").get(f"/activities/{row.pk}/")
        assert b'data-person="member-2"' in staff.content and b'data-testid="to-qr"' in staff.content
        assert client_for("leader").get(f"/activities/{row.pk}/").status_code == 200  # reads reports over it


def test_a_member_signs_up_cancels_and_asks_for_leave_from_the_pages(ac):
    row = lecture(ac, capacity=1)
    c = client_for("member-1")
    with clock.frozen(NOW):
        page = c.get("/activities/")
        assert (
            f'data-activity="{row.pk}"'.encode() in page.content and b'data-testid="signup"' in page.content
        )
        assert c.post(f"/activities/{row.pk}/sign-up/", {"next": "mine"})["Location"] == "/activities/"
        assert Activity.objects.get(pk=row.pk).taken == 1
        c2 = client_for("member-2")
        c2.post(f"/activities/{row.pk}/sign-up/")
        assert Activity.objects.get(pk=row.pk).taken == 1  # full: refused with a message
        c.post(f"/activities/{row.pk}/leave/", {"reason": "出差"})
    part = Participation.objects.get(activity=row, person=ac.p("member-1"))
    assert part.presence == Presence.LEAVE and part.reason == "出差" and not part.holds_place


def test_the_qr_screen_encodes_a_fresh_check_in_url_that_a_member_opens(ac):
    row = meeting(ac)
    with clock.frozen(START):
        qr = client_for("secretary").get(f"/activities/{row.pk}/qr/")
        html = qr.content.decode()
        assert qr.status_code == 200 and "<svg" in html and 'http-equiv="refresh"' in html
        url = re.search(r'data-url="([^"]+)"', html).group(1).replace("&amp;", "&")
        path = url.split("testserver", 1)[1]
        token = path.split("?t=", 1)[1]
        anonymous = Client().get(path)
        assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
        member = client_for("member-1")
        confirm = member.get(path)
        assert confirm.status_code == 200 and not Participation.objects.exists()  # GET never writes
        done = member.post(f"/activities/{row.pk}/check-in/", {"t": token})
        assert b'data-testid="checked-in"' in done.content
        again = member.post(f"/activities/{row.pk}/check-in/", {"t": token})
        assert again.status_code == 400 and b'data-testid="check-in-refused"' in again.content
        outsider = client_for("resident")
        assert "支部党员大会" not in outsider.get(path).content.decode()  # a members-only title stays hidden
        refused = outsider.post(f"/activities/{row.pk}/check-in/", {"t": token})
        assert refused.status_code == 400 and b'data-testid="check-in-refused"' in refused.content
        tampered = token[:-1] + ("B" if token.endswith("A") else "A")
        forged = client_for("member-2").post(f"/activities/{row.pk}/check-in/", {"t": tampered})
        assert forged.status_code == 400
    with clock.frozen(START + dt.timedelta(seconds=s.TOKEN_TTL + 5)):
        late = client_for("member-2").post(f"/activities/{row.pk}/check-in/", {"t": token})
        assert late.status_code == 400
    assert list(
        Participation.objects.filter(presence=Presence.ATTENDED).values_list("person__username", flat=True)
    ) == ["member-1"]


def test_figures_marking_and_closing_from_the_page(ac):
    row = meeting(ac)
    c = client_for("secretary")
    with clock.frozen(START):
        c.post(
            f"/activities/{row.pk}/mark/",
            {"person": ac.p("member-1").pk, "presence": "attended", "reason": "纸质签到"},
        )
        c.post(
            f"/activities/{row.pk}/figures/",
            {"measure": "online", "count": "2352000", "source": "直播平台后台统计"},
        )
    with clock.frozen(END + dt.timedelta(minutes=5)):
        c.post(f"/activities/{row.pk}/close/")
        page = c.get(f"/activities/{row.pk}/")
    assert Activity.objects.get(pk=row.pk).status == Status.HELD
    assert b'data-count="2352000"' in page.content
    assert b'data-expected="4" data-attended="1"' in page.content


@pytest.mark.parametrize("person", ["987654", str(2**63), "1" + "0" * 30, "-5"])
def test_marking_an_unknown_or_out_of_range_person_from_the_page_is_a_message_not_an_error(ac, person):
    row = lecture(ac, capacity=5)
    c = client_for("community-a")
    with clock.frozen(START):
        r = c.post(f"/activities/{row.pk}/mark/", {"person": person, "presence": "attended", "reason": "x"})
        assert r.status_code == 302 and r["Location"] == f"/activities/{row.pk}/#attendance"
        page = c.get(r["Location"])
    assert b'class="msg error"' in page.content
    assert not Participation.objects.exists() and Activity.objects.get(pk=row.pk).taken == 0


def test_reports_per_organisation_and_rolled_up_per_street_with_xlsx(ac):
    from openpyxl import load_workbook

    from chuishao.actors import SYSTEM
    from chuishao.orgs.services import organisation_upsert

    row = meeting(ac)  # 2 hours, 4 expected
    organisation_upsert(  # a typed name that would start a formula in a spreadsheet
        actor=SYSTEM,
        code="a1b-party",
        kind="party_org",
        name="=cmd|' /C calc'!A0",
        jurisdiction=ac.city.node("110901001002"),
        party_level="branch",
    )
    open_day = lecture(ac, organiser=ac.committee, kind="volunteer", title="=HYPERLINK(1)", capacity=10)
    with clock.frozen(NOW):
        s.signup(actor=ac.p("resident"), activity=open_day)
        s.signup(actor=ac.p("member-2"), activity=open_day)
    with clock.frozen(START):
        for who in ("member-1", "member-2", "secretary"):
            s.check_in(actor=ac.p(who), activity=row, token=s.checkin_token(row))
        s.check_in(actor=ac.p("resident"), activity=open_day, token=s.checkin_token(open_day))
    with clock.frozen(END):
        s.activity_close(actor=ac.p("community-a"), activity=row)
        s.activity_close(actor=ac.p("community-a"), activity=open_day)
    c = client_for("street-a")
    with clock.frozen(END):
        page = c.get("/activities/reports/node/110901001/", {"from": "2026-03-01", "to": "2026-03-31"})
        html = page.content.decode()
        # Branch: 3 of 4 attended; hours: 3 members × 2 h ÷ 5 members (one without an account) = 1.2.
        assert (
            'data-org="a1a-party" data-held="1" data-expected="4" data-attended="3" data-rate="75.0" '
            'data-hours-per-member="1.2"' in html
        )
        # Committee's volunteer day: 1 of 2 signed up came; no party members, so no hours per member.
        assert (
            'data-org="a1a-committee" data-held="1" data-expected="2" data-attended="1" data-rate="50.0" '
            'data-hours-per-member=""' in html
        )
        assert 'data-testid="total"' in html and 'data-expected="6" data-attended="4"' in html
        assert 'data-org="b-party"' not in html
        xlsx = c.get(
            "/activities/reports/node/110901001/",
            {"from": "2026-03-01", "to": "2026-03-31", "format": "xlsx"},
        )
        assert c.get("/activities/reports/node/110902001/").status_code == 404  # another street's
        assert client_for("member-1").get(f"/activities/reports/org/{ac.branch.pk}/").status_code == 404
        assert client_for("secretary").get(f"/activities/reports/org/{ac.branch.pk}/").status_code == 200
        assert client_for("secretary").get(f"/activities/reports/org/{ac.committee.pk}/").status_code == 404
    book = load_workbook(io.BytesIO(xlsx.content))
    names = [r[1].value for r in book.active.iter_rows(min_row=3)]
    assert names == ["A1a社区居委会", "A1a社区党支部", "'=cmd|' /C calc'!A0", "Total"]
    assert [r[8].value for r in book.active.iter_rows(min_row=3)][:2] == [2, 4]  # expected


def test_outside_the_period_nothing_counts(ac):
    from chuishao.activities.reports import activities_report

    row = meeting(ac)
    with clock.frozen(END):
        s.activity_close(actor=ac.p("community-a"), activity=row)
    report = activities_report([ac.branch], dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert report.total.held == 0 and report.total.rate is None and report.rows[0].hours == 0


def test_my_history_counts_training_hours(ac):
    row = meeting(ac)
    vol = lecture(ac, kind="volunteer", title="志愿服务日", capacity=5)
    with clock.frozen(NOW):
        s.signup(actor=ac.p("member-1"), activity=vol)
    with clock.frozen(START):
        s.check_in(actor=ac.p("member-1"), activity=row, token=s.checkin_token(row))
        s.check_in(actor=ac.p("member-1"), activity=vol, token=s.checkin_token(vol))
    with clock.frozen(END):
        s.activity_close(actor=ac.p("secretary"), activity=row)
        s.activity_close(actor=ac.p("secretary"), activity=vol)
    with clock.frozen(at(2026, 3, 11, 9)):
        page = client_for("member-1").get("/activities/")
    html = page.content.decode()
    assert html.count('data-presence="attended"') == 2
    assert re.search(r'data-testid="my-hours">[^<]*2\.0', html)  # the volunteer day is not training


def test_my_training_hours_count_closed_activities_only_and_not_just_the_rows_shown(ac, monkeypatch):
    from chuishao.activities import reports

    first = meeting(ac)  # 2 h, closed
    second = lecture(
        ac, title="红色讲坛第90期", starts_at=at(2026, 3, 12, 14), ends_at=at(2026, 3, 12, 17)
    )  # 3 h
    third = lecture(
        ac, title="红色讲坛第91期", starts_at=at(2026, 3, 14, 14), ends_at=at(2026, 3, 14, 18)
    )  # 4 h
    with clock.frozen(NOW):
        s.signup(actor=ac.p("member-1"), activity=second)
        s.signup(actor=ac.p("member-1"), activity=third)
    for row in (first, second, third):
        with clock.frozen(row.starts_at):
            s.check_in(actor=ac.p("member-1"), activity=row, token=s.checkin_token(row))
    for row in (first, second):  # the third is attended but not closed yet: it does not count
        with clock.frozen(row.ends_at):
            s.activity_close(actor=ac.p("secretary"), activity=row)
    monkeypatch.setattr(reports, "MY_LIMIT", 1)
    with clock.frozen(at(2026, 3, 15, 9)):
        mine = reports.my_activities(ac.p("member-1"))
        page = client_for("member-1").get("/activities/")
    assert [p.activity_id for p in mine.history] == [third.pk]  # only the latest row is shown
    assert mine.hours == 5.0  # 2 h + 3 h, from the database over every closed one
    assert re.search(r'data-testid="my-hours">[^<]*5\.0', page.content.decode())


def test_a_report_reads_a_fixed_number_of_queries(ac):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chuishao.activities.reports import activities_report

    for org in (ac.branch, ac.committee):
        row = lecture(ac, organiser=org, kind="training", title=f"培训 {org.code}", capacity=5)
        with clock.frozen(START):
            s.check_in(actor=ac.p("member-1"), activity=row, token=s.checkin_token(row))
        with clock.frozen(END):
            s.activity_close(actor=ac.p("community-a"), activity=row)
    counts = []
    for orgs in ([ac.branch], [ac.branch, ac.committee, ac.other_branch]):
        with CaptureQueriesContext(connection) as ctx:
            report = activities_report(orgs, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and report.total.held == 2
    # member-1 attended two 2-hour trainings; the branch has five members: 0.8 h each.
    assert report.rows[1].hours_per_member == 0.8
