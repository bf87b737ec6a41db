"""Passing a case to the street (上交街道): only a case led by a complex's board, with a reason, back to the
dispatcher's queue without counting as a mis-dispatch; the street then dispatches or whistles as usual."""

from __future__ import annotations

import pytest

from chuishao.cases.errors import CaseConflict, CaseInvalid, CasePermissionDenied
from chuishao.cases.models import Case
from chuishao.cases.services import case_act, case_refer, whistle_blow
from chuishao.cases.services.engine import allowed_actions
from chuishao.evaluation.counting import case_rows
from chuishao.events.models import Event
from chuishao.notify.models import Notification
from chuishao.notify.services.fanout import fanout
from chuishao.orgs.models import Organisation
from tests.party.redproperty_city import INSIDE, redproperty_city

pytestmark = pytest.mark.django_db
REASON = "涉及市政道路权属，小区联席会无法解决"


@pytest.fixture
def story():
    city, complex_, result = redproperty_city()
    case = Case.objects.get(number=result["case"])
    return city, case


def board_member(city):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="tlj-secretary")


def test_the_story_leaves_the_case_dispatched_to_the_board(story):
    city, case = story
    assert case.status == "dispatched"
    assert case.lead_org.kind == "complex_board"
    assert "refer" in allowed_actions(actor=board_member(city), case=case)


@pytest.mark.parametrize("first", [[], ["accept"], ["accept", "start"]])
def test_the_board_passes_the_case_to_the_street(story, first):
    city, case = story
    member = board_member(city)
    for action in first:
        case_act(case=case.pk, action=action, actor=member)
    case = case_refer(case=case.pk, actor=member, reason=REASON)
    assert case.status == "returned"
    assert case.return_count == 0
    assert case.lead_org_id is None
    assert case.first_receiver_id is None  # the board is no longer accountable once it passed it on
    assert "handle" not in case.deadlines  # the board's handling clock is dropped, not counted as met
    assert case.stage == "dispatch"
    event = Event.objects.filter(case=case, verb="case.refer").get()
    assert event.reason == REASON
    assert event.after["referred_by"] == Organisation.objects.get(code="board-TLJ").pk
    # The street's dispatcher is told.
    fanout()
    assert Notification.objects.filter(recipient=city.people["street-a"], event=event).exists()
    # The board still sees what it passed on, but may not act on it any more.
    assert allowed_actions(actor=member, case=case) == []


def test_a_reason_is_required(story):
    city, case = story
    with pytest.raises(CaseInvalid):
        case_refer(case=case.pk, actor=board_member(city), reason="  ")
    case.refresh_from_db()
    assert case.status == "dispatched"


def test_only_a_case_led_by_a_board_can_be_passed_on(story):
    city, case = story
    street = city.people["street-a"]
    other = case_act(
        case=case_act(
            case=case_act(case=city_case(city).pk, action="file", actor=street).pk,
            action="dispatch",
            actor=street,
            lead=city.orgs["um-110901"],
        ).pk,
        action="accept",
        actor=city.people["um-a"],
    )
    assert "refer" not in allowed_actions(actor=city.people["um-a"], case=other)
    with pytest.raises(CasePermissionDenied):
        case_refer(case=other.pk, actor=city.people["um-a"], reason=REASON)
    # Nor may anyone but the board's members pass the board's case on.
    for who in ("um-a", "street-a", "community-b", "resident"):
        with pytest.raises((CasePermissionDenied, Exception)) as caught:
            case_refer(case=case.pk, actor=city.people[who], reason=REASON)
        assert caught.type.__name__ in {"CasePermissionDenied", "CaseNotFound"}
    case.refresh_from_db()
    assert case.status == "dispatched"


def city_case(city):
    from chuishao.cases.services import case_report

    return case_report(
        actor=city.people["resident"],
        source="resident_web",
        category="S0102",
        description="小区门口垃圾",
        lat=INSIDE[0],
        lng=INSIDE[1],
    )


def _street_counts(case):
    rows = case_rows("street", city_id=case.city_id)
    return next(counts for (unit, _period), (_city, counts) in rows.items() if unit == case.street_id)


def test_passing_on_is_not_a_return_in_the_dispatchers_rates(story):
    city, case = story
    street = city.people["street-a"]
    case_refer(case=case.pk, actor=board_member(city), reason=REASON)
    case = case_act(case=case.pk, action="dispatch", actor=street, lead=city.orgs["transport-a"])
    counts = _street_counts(case)
    assert counts["dispatched"] == 1
    assert counts["returned"] == 0
    # The same path with a real return does count (so the count above is not blind).
    case_act(case=case.pk, action="return", actor=city.people["transport-a"], reason="不属于本部门")
    assert _street_counts(case)["returned"] == 1


def test_the_street_dispatches_or_whistles_after_the_board_passed_it_on(story):
    city, case = story
    street = city.people["street-a"]
    case_refer(case=case.pk, actor=board_member(city), reason=REASON)
    assert "dispatch" in allowed_actions(actor=street, case=Case.objects.get(pk=case.pk))
    whistle = whistle_blow(
        actor=street,
        cases=[case.pk],
        kind="everyday",
        reason="beyond_power",
        description="门前无名路停车乱象，需交通、城管、住建联合处置",
        summons=[
            {"organisation": city.orgs["transport-a"].pk, "role": "lead"},
            {"organisation": city.orgs["um-110901"].pk, "role": "assist"},
        ],
    )
    assert whistle.summonses.count() == 2
    case = case_act(case=case.pk, action="dispatch", actor=street, lead=city.orgs["transport-a"])
    assert case.status == "dispatched" and case.lead_org_id == city.orgs["transport-a"].pk
    # A department the street sends it to cannot pass it on the board's way.
    assert "refer" not in allowed_actions(actor=city.people["transport-a"], case=case)


def test_an_arbitration_to_the_board_binds_it(story):
    """Passing on is no way around a binding arbitration: the board named by the level above keeps it."""
    city, case = story
    member, street = board_member(city), city.people["street-a"]
    board = case.lead_org
    case_act(case=case.pk, action="return", actor=member, reason="非本联席会职责")
    case_act(case=case.pk, action="dispatch", actor=street, lead=board)
    case = case_act(case=case.pk, action="return", actor=member, reason="仍非本联席会职责")
    assert case.status == "arbitration"
    case_act(case=case.pk, action="arbitrate", actor=city.people["district-a"], lead=board)
    with pytest.raises(CaseConflict, match="binds"):
        case_refer(case=case.pk, actor=member, reason=REASON)
    case.refresh_from_db()
    assert (case.status, case.lead_org_id) == ("dispatched", board.pk)


def test_a_board_takes_only_its_own_complexs_cases(story):
    city, case = story
    street = city.people["street-a"]
    elsewhere = case_act(case=city_case_outside(city).pk, action="file", actor=street)
    with pytest.raises(CaseInvalid, match="own complex"):
        case_act(case=elsewhere.pk, action="dispatch", actor=street, lead=case.lead_org)
    elsewhere.refresh_from_db()
    assert elsewhere.status == "filed" and elsewhere.lead_org_id is None


def city_case_outside(city):
    from chuishao.cases.services import case_report
    from tests.factories import grid_centre

    lat, lng = grid_centre("110901001002001")
    return case_report(
        actor=city.people["resident"], source="resident_web", category="S0102", description="路边垃圾",
        lat=lat, lng=lng,
    )  # fmt: skip
