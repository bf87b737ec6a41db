"""Complex-first routing (红色物业): class 22 cases located in a complex with a board go to the board first;
other categories, complexes without a board, points outside complexes and dissolved boards route as
before. Intake records the complex the point lies in; a board can be dispatched to."""

from __future__ import annotations

import datetime as dt

import pytest

from chuishao import clock
from chuishao.cases.selectors import is_dispatchable
from chuishao.cases.services import case_act, case_report
from chuishao.catalog.selectors import category_get, responsible_org_for
from chuishao.orgs.models import Organisation
from chuishao.party import boards
from tests.factories import build_small_city
from tests.party.redproperty_city import INSIDE, OUTSIDE, add_complex

pytestmark = pytest.mark.django_db
PROPERTY = "S2201"  # 物业服务, class 22
ELEVATOR = "S2203"  # 电梯, class 22
PARKING = "S2601"  # 小区停车, class 26: not a property category
GARBAGE = "S0102"


@pytest.fixture
def city():
    return build_small_city()


@pytest.fixture
def complex_(city):
    return add_complex(city)


@pytest.fixture
def board(city, complex_):
    return boards.board_set_up(actor=city.people["community-a"], complex_=complex_)


def report(city, code, point, *, who="resident"):
    answers = {"building": "3号楼", "fault": "stopped"} if code == ELEVATOR else None
    return case_report(
        actor=city.people[who],
        source="resident_web",
        category=code,
        description="物业不管门口乱停车",
        lat=point[0],
        lng=point[1],
        answers=answers,
    )


def test_intake_records_the_complex_the_point_lies_in(city, complex_):
    assert report(city, GARBAGE, INSIDE).complex_id == complex_.pk
    assert report(city, GARBAGE, OUTSIDE).complex_id is None


@pytest.mark.parametrize("code", [PROPERTY, ELEVATOR, "S2299"])
def test_property_case_in_a_complex_with_a_board_goes_to_the_board_first(city, board, code):
    case = report(city, code, INSIDE)
    assert case.suggested_org_id == board.pk
    assert is_dispatchable(board)


def test_other_categories_in_the_complex_do_not_go_to_the_board(city, board):
    for code in (PARKING, GARBAGE):
        case = report(city, code, INSIDE)
        assert case.suggested_org_id != board.pk
        assert case.suggested_org_id is not None


def test_without_a_board_the_usual_levels_apply(city, complex_):
    case = report(city, PROPERTY, INSIDE)
    # No residents' committee in the small city: the street office takes it (street level).
    assert case.suggested_org_id == city.orgs["street-110901"].pk
    assert case.complex_id == complex_.pk


def test_outside_the_complex_the_board_is_not_proposed(city, board):
    case = report(city, PROPERTY, OUTSIDE)
    assert case.suggested_org_id == city.orgs["street-110901"].pk


def test_another_complexs_board_is_not_proposed(city, board):
    other = add_complex(city, code="OTHER", community="110901001002", name="别的小区")
    other_board = boards.board_set_up(actor=city.people["street-a"], complex_=other)
    category = category_get(PROPERTY)
    chain = city.node("110901001001001").chain_ids()
    org, why = responsible_org_for(
        category=category, grid_chain=chain, city_id=city.city.pk, complex_id=other.pk
    )
    assert org == other_board
    org, _ = responsible_org_for(
        category=category, grid_chain=chain, city_id=city.city.pk, complex_id=board.attached_complex_id
    )
    assert org == board
    assert "complex" in why


def test_a_dissolved_board_is_passed_over(city, board):
    today = clock.now().date()
    Organisation.objects.filter(pk=board.pk).update(dissolved_on=today - dt.timedelta(days=1))
    assert report(city, PROPERTY, INSIDE).suggested_org_id == city.orgs["street-110901"].pk
    Organisation.objects.filter(pk=board.pk).update(dissolved_on=today + dt.timedelta(days=30))
    assert report(city, PROPERTY, INSIDE).suggested_org_id == board.pk


def test_a_city_can_name_the_complex_level_row_differently(city, board):
    """The rows rule: dropping the complex row (a city that does not use boards) routes as before."""
    from chuishao.catalog.models import Responsibility

    Responsibility.objects.filter(level="complex").delete()
    assert report(city, PROPERTY, INSIDE).suggested_org_id == city.orgs["street-110901"].pk


def test_the_street_dispatches_to_the_board_and_board_members_sign_for_it(city, board):
    from chuishao.party.models import BoardBody

    member = city.people["resident2"]
    boards.board_seat_add(
        actor=city.people["community-a"],
        board=board,
        body=BoardBody.PROPERTY_COMPANY,
        person=member,
        display_name="物业经理",
        position="项目经理",
    )
    case = report(city, PROPERTY, INSIDE)
    street = city.people["street-a"]
    case_act(case=case.pk, action="file", actor=street)
    case = case_act(case=case.pk, action="dispatch", actor=street, lead=case.suggested_org_id)
    assert case.lead_org_id == board.pk
    case = case_act(case=case.pk, action="accept", actor=member)
    assert case.status == "accepted"
    assert case.first_receiver_id == board.pk
