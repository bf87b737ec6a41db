"""The rules of activities: who organises, what an activity must say, sign-up within capacity and window,
leave, QR check-in (window, token, members only, twice), marking by hand, closing and audience figures."""

from __future__ import annotations

import datetime as dt

import pytest

from chuishao import clock
from chuishao.activities import services as s
from chuishao.activities.errors import ActivityConflict, ActivityDenied, ActivityInvalid
from chuishao.activities.models import Activity, AudienceFigure, Participation, Presence, Status
from chuishao.events.models import Event
from tests.activities.city import at

NOW = at(2026, 3, 2, 9)
START = at(2026, 3, 10, 14)
END = at(2026, 3, 10, 16)


def lecture(ac, *, capacity=2, actor="community-a", **extra):
    fields = {
        "organiser": ac.branch,
        "kind": "lecture",
        "title": "红色讲坛第89期",
        "starts_at": START,
        "ends_at": END,
        "place": "社区党群服务中心",
        "capacity": capacity,
    }
    fields.update(extra)
    with clock.frozen(NOW):
        return s.activity_create(actor=ac.p(actor), **fields)


def meeting(ac, **extra):
    return lecture(
        ac, kind="branch_meeting", meeting_kind="general", capacity=None, title="支部党员大会", **extra
    )


# ------------------------------------------------------------------------------------------------ create


@pytest.mark.parametrize("who", ["community-a", "street-a", "district-a", "city", "admin", "secretary"])
def test_the_node_staff_above_and_the_secretary_organise(ac, who):
    row = lecture(ac, actor=who)
    assert row.organiser == ac.branch and row.status == Status.PLANNED
    event = Event.objects.get(verb="activities.created")
    assert event.chain == f"activities:{ac.branch.pk}" and event.after["activity"] == row.pk


@pytest.mark.parametrize(
    "who", ["member-1", "resident", "street-b", "district-b", "leader", "grid-a", "um-a"]
)
def test_others_may_not_organise(ac, who):
    with pytest.raises(ActivityDenied):
        lecture(ac, actor=who)
    assert not Activity.objects.exists()


def test_a_community_committee_organises_open_activities_but_no_branch_meetings(ac):
    row = lecture(ac, organiser=ac.committee, kind="volunteer", title="志愿服务日")
    assert row.organiser == ac.committee
    with pytest.raises(ActivityInvalid):
        lecture(ac, organiser=ac.committee, kind="branch_meeting", meeting_kind="general")
    with pytest.raises(ActivityInvalid):
        lecture(ac, organiser=ac.committee, audience="members")
    with pytest.raises(ActivityInvalid):  # a unit or department does not organise activities
        lecture(ac, organiser=ac.city.orgs["um-110901"])


def test_a_branch_meeting_is_members_only_and_names_one_of_the_four(ac):
    row = meeting(ac, audience="open")
    assert row.audience == "members" and row.meeting_kind == "general"
    with pytest.raises(ActivityInvalid):
        lecture(ac, kind="branch_meeting", capacity=None)
    with pytest.raises(ActivityInvalid):
        lecture(ac, kind="branch_meeting", meeting_kind="rally", capacity=None)
    with pytest.raises(ActivityInvalid):  # a sub-kind only for branch meetings
        lecture(ac, meeting_kind="general")


@pytest.mark.parametrize(
    "extra",
    [
        {"title": "  "},
        {"starts_at": at(2026, 3, 1, 14), "ends_at": at(2026, 3, 1, 16)},  # in the past
        {"ends_at": START},
        {"ends_at": START + dt.timedelta(days=15)},
        {"place": ""},
        {"capacity": None},  # an open activity in a hall has places
        {"capacity": 0},
        {"capacity": "many"},
        {"online": True, "online_link": "javascript:alert(1)"},
        {"signup_closes_at": START + dt.timedelta(minutes=1)},
        {"signup_opens_at": START, "signup_closes_at": START - dt.timedelta(hours=1)},
        {"checkin_lead_minutes": 600},
        {"kind": "party"},
        {"audience": "all"},
    ],
)
def test_bad_input_is_refused_whole(ac, extra):
    with pytest.raises(ActivityInvalid):
        lecture(ac, **extra)
    assert not Activity.objects.exists() and not Event.objects.filter(verb__startswith="activities").exists()


def test_online_needs_a_link_and_no_capacity_or_place(ac):
    row = lecture(ac, capacity=None, place="", online=True, online_link="https://live.example.org/89")
    assert row.online and row.capacity is None and row.online_link.endswith("/89")


def test_cancel_needs_a_reason_and_only_before_the_end(ac):
    row = lecture(ac)
    with clock.frozen(NOW), pytest.raises(ActivityInvalid):
        s.activity_cancel(actor=ac.p("community-a"), activity=row, reason=" ")
    with clock.frozen(NOW), pytest.raises(ActivityDenied):
        s.activity_cancel(actor=ac.p("member-1"), activity=row, reason="x")
    with clock.frozen(NOW):
        s.activity_cancel(actor=ac.p("community-a"), activity=row, reason="主讲人临时出差")
    row.refresh_from_db()
    assert row.status == Status.CANCELLED and row.cancel_reason == "主讲人临时出差"
    with clock.frozen(NOW), pytest.raises(ActivityConflict):
        s.signup(actor=ac.p("member-1"), activity=row)


# ------------------------------------------------------------------------------------------------ sign-up


def test_capacity_is_enforced_and_a_cancelled_place_is_free_again(ac):
    row = lecture(ac, capacity=2)
    with clock.frozen(NOW):
        s.signup(actor=ac.p("member-1"), activity=row)
        with pytest.raises(ActivityConflict):  # twice
            s.signup(actor=ac.p("member-1"), activity=row)
        s.signup(actor=ac.p("resident"), activity=row)
        with pytest.raises(ActivityConflict):  # full
            s.signup(actor=ac.p("resident2"), activity=row)
        s.signup_cancel(actor=ac.p("resident"), activity=row)
        s.signup(actor=ac.p("resident2"), activity=row)
    row.refresh_from_db()
    assert row.taken == 2
    assert set(
        Participation.objects.filter(activity=row, holds_place=True).values_list(
            "person__username", flat=True
        )
    ) == {
        "member-1",
        "resident2",
    }


def test_sign_up_only_within_its_window_and_cancel_only_before_the_start(ac):
    row = lecture(ac, signup_opens_at=at(2026, 3, 5, 9), signup_closes_at=at(2026, 3, 9, 18))
    with clock.frozen(NOW), pytest.raises(ActivityConflict):
        s.signup(actor=ac.p("member-1"), activity=row)
    with clock.frozen(at(2026, 3, 6, 9)):
        s.signup(actor=ac.p("member-1"), activity=row)
    with clock.frozen(at(2026, 3, 9, 19)), pytest.raises(ActivityConflict):
        s.signup(actor=ac.p("member-2"), activity=row)
    with clock.frozen(START + dt.timedelta(minutes=1)), pytest.raises(ActivityConflict):
        s.signup_cancel(actor=ac.p("member-1"), activity=row)


def test_members_only_activities_take_no_sign_up(ac):
    row = meeting(ac)
    with clock.frozen(NOW), pytest.raises(ActivityConflict):
        s.signup(actor=ac.p("member-1"), activity=row)


# ------------------------------------------------------------------------------------------------ leave


def test_a_member_asks_for_leave_before_the_start_with_a_reason(ac):
    row = meeting(ac)
    with clock.frozen(NOW):
        with pytest.raises(ActivityInvalid):
            s.leave_request(actor=ac.p("member-1"), activity=row, reason="")
        part = s.leave_request(actor=ac.p("member-1"), activity=row, reason="出差在外")
        with pytest.raises(ActivityConflict):
            s.leave_request(actor=ac.p("member-1"), activity=row, reason="出差在外")
        with pytest.raises(ActivityDenied):  # not a member of the branch
            s.leave_request(actor=ac.p("resident"), activity=row, reason="有事")
    assert part.presence == Presence.LEAVE and part.reason == "出差在外"
    assert Event.objects.get(verb="activities.leave").reason == "出差在外"
    with clock.frozen(START), pytest.raises(ActivityConflict):
        s.leave_request(actor=ac.p("member-2"), activity=row, reason="迟到")


def test_leave_from_an_open_activity_frees_the_place(ac):
    row = lecture(ac, capacity=1)
    with clock.frozen(NOW):
        with pytest.raises(ActivityConflict):  # not signed up
            s.leave_request(actor=ac.p("member-1"), activity=row, reason="有事")
        s.signup(actor=ac.p("member-1"), activity=row)
        s.leave_request(actor=ac.p("member-1"), activity=row, reason="家中有事")
        s.signup(actor=ac.p("member-2"), activity=row)
    assert Activity.objects.get(pk=row.pk).taken == 1


# ------------------------------------------------------------------------------------------------ check-in


def token_at(row, moment):
    return s.checkin_token(row, at=moment)


def test_check_in_from_lead_minutes_before_the_start_until_the_end(ac):
    row = meeting(ac)
    opens = START - dt.timedelta(minutes=30)
    with clock.frozen(opens - dt.timedelta(seconds=1)), pytest.raises(ActivityConflict):
        s.check_in(actor=ac.p("member-1"), activity=row, token=token_at(row, clock.now()))
    with clock.frozen(opens):
        part = s.check_in(actor=ac.p("member-1"), activity=row, token=token_at(row, clock.now()))
    assert part.presence == Presence.ATTENDED and part.method == "qr" and part.checked_in_at == opens
    with clock.frozen(END):
        s.check_in(actor=ac.p("member-2"), activity=row, token=token_at(row, clock.now()))
    with clock.frozen(END + dt.timedelta(seconds=1)), pytest.raises(ActivityConflict):
        s.check_in(actor=ac.p("member-3"), activity=row, token=token_at(row, clock.now()))


def test_the_lead_is_configurable(ac):
    row = meeting(ac, checkin_lead_minutes=5)
    with clock.frozen(START - dt.timedelta(minutes=6)), pytest.raises(ActivityConflict):
        s.check_in(actor=ac.p("member-1"), activity=row, token=token_at(row, clock.now()))
    with clock.frozen(START - dt.timedelta(minutes=5)):
        s.check_in(actor=ac.p("member-1"), activity=row, token=token_at(row, clock.now()))


def test_an_expired_or_forged_token_is_refused(ac):
    row = meeting(ac)
    other = lecture(ac, title="另一场")
    with clock.frozen(START):
        old = token_at(row, START - dt.timedelta(seconds=s.TOKEN_TTL + 1))
        with pytest.raises(ActivityConflict, match="expired"):
            s.check_in(actor=ac.p("member-1"), activity=row, token=old)
        fresh = token_at(row, START - dt.timedelta(seconds=s.TOKEN_TTL - 1))
        tampered = fresh[:-2] + ("yy" if fresh.endswith("xx") else "xx")
        for forged in (tampered, "", "abc", token_at(other, START)):
            with pytest.raises(ActivityDenied):
                s.check_in(actor=ac.p("member-1"), activity=row, token=forged)
        assert not Participation.objects.filter(presence=Presence.ATTENDED).exists()
        s.check_in(actor=ac.p("member-1"), activity=row, token=fresh)


def test_members_only_refuses_others_and_nobody_checks_in_twice(ac):
    row = meeting(ac)
    with clock.frozen(START):
        token = token_at(row, START)
        with pytest.raises(ActivityDenied):
            s.check_in(actor=ac.p("resident"), activity=row, token=token)
        s.check_in(actor=ac.p("member-1"), activity=row, token=token)
        with pytest.raises(ActivityConflict, match="already"):
            s.check_in(actor=ac.p("member-1"), activity=row, token=token)
    assert Event.objects.filter(verb="activities.checked_in").count() == 1


def test_a_walk_in_takes_a_place_of_an_open_activity_while_one_is_left(ac):
    row = lecture(ac, capacity=2)
    with clock.frozen(NOW):
        s.signup(actor=ac.p("member-1"), activity=row)
    with clock.frozen(START):
        token = token_at(row, START)
        s.check_in(actor=ac.p("member-1"), activity=row, token=token)  # signed up: no second place
        s.check_in(actor=ac.p("resident"), activity=row, token=token)  # walk-in: the last place
        with pytest.raises(ActivityConflict):
            s.check_in(actor=ac.p("resident2"), activity=row, token=token)
    assert Activity.objects.get(pk=row.pk).taken == 2


def test_a_cancelled_or_closed_activity_takes_no_check_in(ac):
    row = meeting(ac)
    with clock.frozen(NOW):
        s.activity_cancel(actor=ac.p("community-a"), activity=row, reason="台风")
    with clock.frozen(START), pytest.raises(ActivityConflict):
        s.check_in(actor=ac.p("member-1"), activity=row, token=token_at(row, START))


# ------------------------------------------------------------------------------------- by hand, close


def test_the_organiser_marks_attendance_by_hand_with_the_reason_in_the_event(ac):
    row = meeting(ac)
    with clock.frozen(NOW), pytest.raises(ActivityConflict):  # before check-in opens
        s.attendance_mark(
            actor=ac.p("secretary"), activity=row, person=ac.p("member-1"), presence="attended", reason="x"
        )
    with clock.frozen(START):
        with pytest.raises(ActivityInvalid):
            s.attendance_mark(
                actor=ac.p("secretary"), activity=row, person=ac.p("member-1"), presence="attended", reason=""
            )
        with pytest.raises(ActivityDenied):
            s.attendance_mark(
                actor=ac.p("member-2"), activity=row, person=ac.p("member-1"), presence="attended", reason="x"
            )
        with pytest.raises(ActivityInvalid):  # not a member
            s.attendance_mark(
                actor=ac.p("secretary"),
                activity=row,
                person=ac.p("resident"),
                presence="attended",
                reason="x",
            )
        part = s.attendance_mark(
            actor=ac.p("secretary"),
            activity=row,
            person=ac.p("member-1"),
            presence="attended",
            reason="手机没电",
        )
    assert part.presence == Presence.ATTENDED and part.method == "hand"
    event = Event.objects.get(verb="activities.attendance_marked")
    assert event.reason == "手机没电" and event.after["person"] == ac.p("member-1").pk


@pytest.mark.parametrize("person", [987654, 2**63, 10**30, "abc", "inactive"])
def test_marking_someone_who_is_not_an_active_account_is_refused_and_saves_nothing(ac, person):
    row = lecture(ac, capacity=5)  # open: anyone signed in may be marked, so the person is looked up
    if person == "inactive":
        person = ac.p("resident")
        person.is_active = False
        person.save(update_fields=["is_active"])
    with clock.frozen(START), pytest.raises(ActivityInvalid):
        s.attendance_mark(
            actor=ac.p("community-a"), activity=row, person=person, presence="attended", reason="x"
        )
    assert not Participation.objects.exists()
    assert Activity.objects.get(pk=row.pk).taken == 0
    assert not Event.objects.filter(verb="activities.attendance_marked").exists()


def test_leave_marked_by_hand_frees_the_place_for_a_walk_in(ac):
    row = lecture(ac, capacity=1)
    with clock.frozen(NOW):
        s.signup(actor=ac.p("member-1"), activity=row)
    with clock.frozen(START):
        token = token_at(row, START)
        with pytest.raises(ActivityConflict):  # full
            s.check_in(actor=ac.p("resident"), activity=row, token=token)
        part = s.attendance_mark(
            actor=ac.p("community-a"),
            activity=row,
            person=ac.p("member-1"),
            presence="leave",
            reason="临时出差",
        )
        assert part.presence == Presence.LEAVE and not part.holds_place
        assert Activity.objects.get(pk=row.pk).taken == 0
        s.check_in(actor=ac.p("resident"), activity=row, token=token)  # the freed place
    assert Activity.objects.get(pk=row.pk).taken == 1
    assert set(
        Participation.objects.filter(activity=row, holds_place=True).values_list(
            "person__username", flat=True
        )
    ) == {"resident"}


def test_closing_names_the_absent_and_keeps_leave(ac):
    row = meeting(ac)
    with clock.frozen(NOW):
        s.leave_request(actor=ac.p("member-2"), activity=row, reason="住院")
    with clock.frozen(START):
        s.check_in(actor=ac.p("member-1"), activity=row, token=token_at(row, START))
    with clock.frozen(END - dt.timedelta(minutes=1)), pytest.raises(ActivityConflict):
        s.activity_close(actor=ac.p("secretary"), activity=row)
    with clock.frozen(END + dt.timedelta(hours=1)):
        counts = s.activity_close(actor=ac.p("secretary"), activity=row)
        with pytest.raises(ActivityConflict):
            s.activity_close(actor=ac.p("secretary"), activity=row)
        # After closing: check-in is over; the organiser may still correct by hand.
        s.attendance_mark(
            actor=ac.p("secretary"),
            activity=row,
            person=ac.p("member-3"),
            presence="absent",
            reason="无故缺席",
        )
    # Expected: the secretary and members 1–3 (the member without an account cannot be expected).
    assert counts == {"expected": 4, "attended": 1, "absent": 2, "leave": 1, "newly_absent": 2}
    presence = dict(Participation.objects.filter(activity=row).values_list("person__username", "presence"))
    assert presence == {
        "member-1": "attended",
        "member-2": "leave",
        "member-3": "absent",
        "secretary": "absent",
    }
    assert Activity.objects.get(pk=row.pk).status == Status.HELD


def test_membership_on_the_day_decides_who_is_expected(ac):
    from chuishao.party.members import party_member_end
    from chuishao.party.models import PartyMember

    row = meeting(ac)
    pm = PartyMember.objects.get(person=ac.p("member-3"))
    with clock.frozen(NOW):
        party_member_end(actor=ac.p("community-a"), member=pm, until=dt.date(2026, 3, 2), reason="转出")
    assert ac.p("member-3").pk not in s.expected_ids(row)
    with clock.frozen(START), pytest.raises(ActivityDenied):
        s.check_in(actor=ac.p("member-3"), activity=row, token=token_at(row, START))


# ------------------------------------------------------------------------------------------------ figures


def test_audience_figures_with_their_source(ac):
    row = lecture(ac, capacity=200, online=True, online_link="https://live.example.org/89")
    with clock.frozen(NOW), pytest.raises(ActivityConflict):
        s.figure_record(actor=ac.p("community-a"), activity=row, measure="online", count=1, source="后台")
    with clock.frozen(END):
        with pytest.raises(ActivityInvalid):
            s.figure_record(actor=ac.p("community-a"), activity=row, measure="online", count=5, source="")
        with pytest.raises(ActivityInvalid):
            s.figure_record(
                actor=ac.p("community-a"), activity=row, measure="online", count=-1, source="后台"
            )
        with pytest.raises(ActivityDenied):
            s.figure_record(actor=ac.p("member-1"), activity=row, measure="online", count=5, source="后台")
        s.figure_record(
            actor=ac.p("community-a"), activity=row, measure="online", count=2_000_000, source="后台"
        )
        s.figure_record(
            actor=ac.p("community-a"),
            activity=row,
            measure="online",
            count=2_352_000,
            source="直播平台后台统计",
        )
        s.figure_record(actor=ac.p("community-a"), activity=row, measure="hall", count=200, source="现场点数")
    figures = dict(AudienceFigure.objects.filter(activity=row).values_list("measure", "count"))
    assert figures == {"online": 2_352_000, "hall": 200}
    last = Event.objects.filter(verb="activities.figure_recorded").order_by("pk")[1]
    assert last.after["before"] == {"count": 2_000_000, "source": "后台"}


# ------------------------------------------------------------------------------------------------ exemplars


def _exemplar(ac, status):
    from chuishao.library.models import Exemplar

    return Exemplar.objects.create(
        organisation=ac.branch,
        author=ac.p("secretary"),
        title=f"楼门治理 {status}",
        region=ac.city.node("110901001001"),
        problem="楼道堆物",
        actions="党员包楼",
        status=status,
        created_at=NOW,
        updated_at=NOW,
        published_at=NOW if status == "published" else None,
        published_by=ac.p("community-a") if status == "published" else None,
    )


def test_only_published_exemplary_cases_are_linked_and_shown(ac):
    from django.test import Client

    from tests.factories import PASSWORD

    published, draft = _exemplar(ac, "published"), _exemplar(ac, "draft")
    with pytest.raises(ActivityInvalid):
        lecture(ac, exemplars=[published.pk, draft.pk])
    row = lecture(ac, exemplars=[published])
    assert list(row.exemplars.all()) == [published]
    c = Client()
    c.login(username="member-1", password=PASSWORD)
    with clock.frozen(NOW):
        page = c.get(f"/activities/{row.pk}/")
    assert f'data-exemplar="{published.pk}"'.encode() in page.content
    # Withdrawn later from the library: the activity no longer shows it.
    type(published).objects.filter(pk=published.pk).update(status="withdrawn", published_at=None)
    with clock.frozen(NOW):
        page = c.get(f"/activities/{row.pk}/")
    assert f'data-exemplar="{published.pk}"'.encode() not in page.content
