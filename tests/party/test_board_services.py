"""A complex's board: set up, seats with cross-appointments (and the board membership they give), joint
meetings and decisions — who may do each, what is refused, and the event each write appends."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.cases.models import Case
from chuishao.events.models import Event
from chuishao.orgs.models import Membership, Organisation
from chuishao.orgs.services import organisation_upsert
from chuishao.party import boards
from chuishao.party.errors import PartyConflict, PartyDenied, PartyInvalid, PartyNotFound
from chuishao.party.models import BoardBody, BoardSeat, MeetingDecision
from tests.factories import build_small_city
from tests.party.redproperty_city import add_complex, redproperty_city

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def city():
    return build_small_city()


@pytest.fixture
def complex_(city):
    return add_complex(city)


@pytest.fixture
def board(city, complex_):
    return boards.board_set_up(actor=city.people["community-a"], complex_=complex_)


def seat(city, board, who="resident2", **kw):
    values = {"body": BoardBody.PROPERTY_COMPANY, "display_name": "陈经理", "position": "项目经理"} | kw
    return boards.board_seat_add(
        actor=city.people["community-a"], board=board, person=city.people[who], **values
    )


def test_board_set_up_by_the_community_or_above_with_an_event(city, complex_):
    for who in ("community-b", "grid-a", "resident", "um-a", "district-b"):
        with pytest.raises(PartyDenied):
            boards.board_set_up(actor=city.people[who], complex_=complex_)
    board = boards.board_set_up(actor=city.people["district-a"], complex_=complex_)
    assert board.kind == "complex_board" and board.attached_complex == complex_
    assert board.jurisdiction == complex_.community and board.dept_type == "complex_board"
    assert (
        Event.objects.filter(verb="party.board_set_up", chain=f"party:{complex_.community_id}").count() == 1
    )
    with pytest.raises(PartyConflict):
        boards.board_set_up(actor=city.people["community-a"], complex_=complex_)
    assert boards.board_of(complex_) == board


def test_a_seat_makes_its_person_act_for_the_board(city, board):
    s = seat(city, board, cross_body=BoardBody.PARTY_ORG, cross_position="党支部委员")
    assert s.cross_body == "party_org" and s.current
    member = User.objects.get(pk=city.people["resident2"].pk)
    assert boards.sits_on(member, board)
    assert Membership.objects.get(person=member, organisation=board, active=True).role == "department_staff"
    event = Event.objects.get(verb="party.board_seat_added")
    assert event.after["cross_body"] == "party_org" and event.after["person"] == "resident2"
    assert event.after["person_id"] == member.pk  # seated, they hold an office: the login is named


def test_seat_rules(city, board, complex_):
    with pytest.raises(PartyInvalid):
        seat(city, board, cross_body=BoardBody.PROPERTY_COMPANY)  # the other body must differ
    with pytest.raises(PartyInvalid):
        seat(city, board, body="landlord")
    with pytest.raises(PartyInvalid):
        seat(city, board, display_name=" ")
    with pytest.raises(PartyInvalid):
        seat(city, board, cross_position="委员")  # a position in another body needs the body
    # The body's organisation must be of the body's kind and serve the complex.
    with pytest.raises(PartyInvalid):
        seat(city, board, body_org=city.orgs["um-110901"])
    elsewhere = organisation_upsert(
        actor=SYSTEM, code="pc-x", kind="property_company", name="别家物业", jurisdiction=complex_.community
    )
    with pytest.raises(PartyInvalid):
        seat(city, board, body_org=elsewhere)
    ours = organisation_upsert(
        actor=SYSTEM,
        code="pc-tlj",
        kind="property_company",
        name="托乐嘉物业",
        jurisdiction=complex_.community,
        complexes=[complex_],
    )
    assert seat(city, board, body_org=ours).body_org == ours
    with pytest.raises(PartyConflict):
        seat(city, board)  # one current seat per person
    assert not Event.objects.filter(verb="party.board_seat_added").count() > 1


def test_only_managers_add_or_end_seats(city, board):
    s = seat(city, board)
    for who in ("community-b", "grid-a", "resident2", "um-a"):
        with pytest.raises(PartyDenied):
            boards.board_seat_add(
                actor=city.people[who], board=board, body="party_org", display_name="x", position="y"
            )
        with pytest.raises(PartyDenied):
            boards.board_seat_end(actor=city.people[who], seat=s, reason="换届")
    assert BoardSeat.objects.filter(board=board).count() == 1


def test_ending_a_seat_ends_the_board_membership(city, board):
    s = seat(city, board)
    with pytest.raises(PartyInvalid):
        boards.board_seat_end(actor=city.people["community-a"], seat=s, reason="")
    boards.board_seat_end(actor=city.people["street-a"], seat=s, reason="物业公司换人")
    s.refresh_from_db()
    assert not s.current and s.end_reason == "物业公司换人"
    member = User.objects.get(pk=city.people["resident2"].pk)
    assert not boards.sits_on(member, board)
    assert Event.objects.filter(verb="party.board_seat_ended").count() == 1
    with pytest.raises(PartyConflict):
        boards.board_seat_end(actor=city.people["community-a"], seat=s, reason="again")
    # A new seat later brings the membership back.
    seat(city, board, body=BoardBody.HOMEOWNERS_COMMITTEE)
    assert boards.sits_on(User.objects.get(pk=member.pk), board)


def test_meetings_by_members_or_managers_with_attendees_and_decisions(city, board):
    # The seat began yesterday: a meeting two hours ago may fall on yesterday's date (just after midnight
    # in the city's time zone), and the seat must already have been held then.
    s = seat(city, board, started_on=timezone.localdate(clock.now()) - dt.timedelta(days=1))
    held = clock.now() - dt.timedelta(hours=2)
    member = User.objects.get(pk=city.people["resident2"].pk)
    meeting = boards.meeting_record(
        actor=member,
        board=board,
        held_at=held,
        place="小区党群服务站",
        agenda="门前停车",
        attendees=[s.pk],
        guests="街道城管科 王科长",
        minutes="各方同意上交街道",
        decisions=[
            boards.DecisionInput(text="上交街道", owner=board.pk, due_on=held.date() + dt.timedelta(days=3)),
            boards.DecisionInput(text="物业先安排人员疏导"),
        ],
    )
    assert list(meeting.attendees.all()) == [s]
    assert [d.text for d in meeting.decisions.all()] == ["上交街道", "物业先安排人员疏导"]
    event = Event.objects.get(verb="party.meeting_recorded")
    assert event.after["attendees"] == [s.pk] and len(event.after["decisions"]) == 2
    # Community staff may record too; staff of another community, departments and residents may not.
    boards.meeting_record(
        actor=city.people["community-a"],
        board=board,
        held_at=held,
        place="居委会",
        agenda="回访",
        guests="居民代表",
    )
    for who in ("community-b", "um-a", "resident", "grid-a"):
        with pytest.raises(PartyDenied):
            boards.meeting_record(
                actor=city.people[who], board=board, held_at=held, place="p", agenda="a", guests="g"
            )


def test_meeting_rules(city, board, complex_):
    s = seat(city, board)
    other = boards.board_set_up(
        actor=city.people["street-a"],
        complex_=add_complex(city, code="OTHER", community="110901001002", name="别的小区"),
    )
    their = boards.board_seat_add(
        actor=city.people["street-a"], board=other, body="party_org", display_name="李书记", position="书记"
    )
    staff = city.people["community-a"]
    now = clock.now()
    base = {"actor": staff, "board": board, "held_at": now, "place": "站", "agenda": "议题"}
    with pytest.raises(PartyInvalid):
        boards.meeting_record(**base, attendees=[their.pk])  # a seat of another board
    with pytest.raises(PartyInvalid):
        boards.meeting_record(**base)  # nobody attended
    with pytest.raises(PartyInvalid):
        boards.meeting_record(**base | {"held_at": now + dt.timedelta(days=5)}, attendees=[s.pk])
    with pytest.raises(PartyInvalid):
        boards.meeting_record(**base | {"agenda": ""}, attendees=[s.pk])
    with pytest.raises(PartyInvalid):
        # a seat that started after the meeting
        boards.meeting_record(**base | {"held_at": now - dt.timedelta(days=3)}, attendees=[s.pk])
    with pytest.raises(PartyNotFound):
        boards.meeting_record(**base, attendees=[s.pk], decisions=[boards.DecisionInput("x", case="nope")])
    assert not Event.objects.filter(verb="party.meeting_recorded").exists()


def test_decisions_link_cases_of_the_complex_and_are_marked_done():
    city, complex_, result = redproperty_city()
    case = Case.objects.get(number=result["case"])
    board = boards.board_of(complex_)
    secretary = User.objects.get(username="tlj-secretary")
    seats = list(board.board_seats.filter(ended_on__isnull=True))
    assert len(seats) == 4
    cross = {s.display_name: (s.body, s.cross_body) for s in seats}
    assert cross["周建华"] == ("party_org", "residents_committee")
    meeting = boards.meeting_record(
        actor=secretary,
        board=board,
        held_at=clock.now(),
        place="托乐嘉党群服务站",
        agenda="门前无名路停车",
        attendees=[s.pk for s in seats],
        decisions=[boards.DecisionInput("上交街道", case=case.number, owner=board)],
    )
    decision = meeting.decisions.get()
    assert decision.case == case
    page = boards.board_page(actor=secretary, board=board)
    assert [(row.case, row.decisions) for row in page.cases] == [(case, [decision])]
    # A case of another place cannot be named.
    from tests.party.test_board_refer import city_case

    elsewhere = city_case(city)
    Case.objects.filter(pk=elsewhere.pk).update(complex=None)
    with pytest.raises((PartyInvalid, PartyNotFound)):
        boards.decision_add(
            actor=city.people["community-a"],
            meeting=meeting,
            decision=boards.DecisionInput("x", case=elsewhere.pk),
        )
    with pytest.raises(PartyDenied):
        boards.decision_done(actor=city.people["um-a"], decision=decision)
    boards.decision_done(actor=secretary, decision=decision, note="已上交")
    decision.refresh_from_db()
    assert decision.done and decision.done_note == "已上交"
    assert Event.objects.filter(verb="party.decision_done").count() == 1
    with pytest.raises(PartyConflict):
        boards.decision_done(actor=secretary, decision=decision)
    assert MeetingDecision.objects.count() == 1


def test_who_reads_a_board(city, board):
    assert boards.board_for_complex_code(actor=city.people["community-a"], code="TLJ") == board
    assert boards.board_for_complex_code(actor=city.people["leader"], code="TLJ") == board
    for who in ("community-b", "um-a", "resident", "street-b"):
        with pytest.raises(PartyNotFound):
            boards.board_for_complex_code(actor=city.people[who], code="TLJ")
    assert list(boards.boards_visible_to(city.people["street-a"])) == [board]
    assert list(boards.boards_visible_to(city.people["street-b"])) == []
    assert Organisation.objects.filter(kind="complex_board").count() == 1
