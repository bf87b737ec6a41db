"""The board page of a complex (红色物业) over HTTP: who sees it (404 for everyone else), the bodies and
cross-appointed seats, the cases routed to the board with their decisions, the seat and meeting forms,
and passing a case to the street from the case page with a reason box."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from chuishao import clock
from chuishao.cases.models import Case
from chuishao.events.models import Event
from chuishao.party.models import BoardSeat, JointMeeting
from tests.factories import PASSWORD
from tests.party.redproperty_city import add_complex, add_departments

pytestmark = pytest.mark.django_db
URL = "/party/boards/TLJ/"


@pytest.fixture
def story(city):
    from chuishao import clock
    from chuishao.demo.redproperty import load_redproperty

    add_departments(city)
    add_complex(city)
    result = load_redproperty(
        now=clock.now(), password=PASSWORD, community_code="110901001001", log=lambda _: None
    )
    return city, Case.objects.get(number=result["case"])


def sign_in(client, username):
    assert client.login(username=username, password=PASSWORD)


@pytest.mark.parametrize("who", ["tlj-secretary", "community-a", "street-a", "district-a", "leader", "admin"])
def test_the_board_page_for_its_members_and_the_levels_above(client, story, who):
    city, case = story
    sign_in(client, who)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "托乐嘉" in html and case.number in html
    assert 'data-body="party_org"' in html and "居委会兼职副主任" in html  # the cross-appointment


@pytest.mark.parametrize(
    "who", ["community-b", "street-b", "district-b", "um-a", "transport-a", "resident", "grid-b"]
)
def test_anyone_else_gets_not_found(client, story, who):
    sign_in(client, who)
    assert client.get(URL).status_code == 404
    assert client.post(URL + "meetings/add/", {"place": "x"}).status_code == 404
    assert client.get("/party/boards/NOPE/").status_code in (404,)


def test_list_redirects_to_the_only_board(client, story):
    sign_in(client, "tlj-owners")
    assert client.get("/party/boards/").url == URL
    sign_in(client, "resident")
    assert client.get("/party/boards/").status_code == 404


def test_the_community_adds_and_ends_a_seat(client, story):
    city, _case = story
    sign_in(client, "community-a")
    page = client.post(
        URL + "seats/add/",
        {
            "body": "homeowners_committee",
            "display_name": "郑委员",
            "position": "业委会委员",
            "username": "resident2",
            "cross_body": "homeowners_committee",
        },
    )
    assert page.status_code == 400  # the other body must differ: the form says so, nothing is lost
    assert "郑委员" in page.content.decode()
    page = client.post(
        URL + "seats/add/",
        {
            "body": "homeowners_committee",
            "display_name": "郑委员",
            "position": "业委会委员",
            "username": "nobody",
        },
    )
    assert page.status_code == 400
    page = client.post(
        URL + "seats/add/",
        {
            "body": "homeowners_committee",
            "display_name": "郑委员",
            "position": "业委会委员",
            "username": "resident2",
        },
    )
    assert page.status_code == 302
    seat = BoardSeat.objects.get(display_name="郑委员")
    assert seat.person == city.people["resident2"]
    page = client.post(URL + f"seats/{seat.pk}/end/", {"reason": "搬走了"})
    assert page.status_code == 302
    seat.refresh_from_db()
    assert seat.ended_on is not None


def test_board_members_may_not_add_seats(client, story):
    sign_in(client, "tlj-secretary")
    html = client.get(URL).content.decode()
    assert 'data-testid="add-seat"' not in html and 'data-testid="record-meeting"' in html
    client.post(URL + "seats/add/", {"body": "party_org", "display_name": "x", "position": "y"})
    assert not BoardSeat.objects.filter(display_name="x").exists()


def test_record_a_meeting_with_a_decision_on_the_case(client, story):
    city, case = story
    sign_in(client, "tlj-secretary")
    seats = list(BoardSeat.objects.filter(ended_on__isnull=True).values_list("pk", flat=True))
    data = {
        "held_at": (timezone.localtime(clock.now()) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "place": "托乐嘉党群服务站",
        "agenda": "门前无名路停车",
        "attendees": [str(s) for s in seats],
        "guests": "街道城管科",
        "decision_1_text": "上交街道，请求吹哨",
        "decision_1_case": str(case.pk),
    }
    page = client.post(URL + "meetings/add/", data | {"agenda": ""})
    assert page.status_code == 400 and not JointMeeting.objects.exists()
    page = client.post(URL + "meetings/add/", data | {"decision_2_case": str(case.pk)})
    assert page.status_code == 400 and not JointMeeting.objects.exists()  # a decision needs its text
    page = client.post(URL + "meetings/add/", data | {"decision_1_case": "99999999"})
    assert page.status_code == 400  # not a choice
    page = client.post(URL + "meetings/add/", data)
    assert page.status_code == 302
    meeting = JointMeeting.objects.get()
    assert meeting.attendees.count() == len(seats)
    assert meeting.decisions.get().case == case
    html = client.get(URL).content.decode()
    assert 'data-testid="case-decision"' in html and "上交街道，请求吹哨" in html
    assert Event.objects.filter(verb="party.meeting_recorded").count() == 1


def test_the_case_page_offers_passing_to_the_street_with_a_reason(client, story):
    city, case = story
    sign_in(client, "tlj-secretary")
    html = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert 'data-action="refer"' in html
    page = client.post(reverse("web:case_act", args=[case.pk, "refer"]), {"reason": ""})
    case.refresh_from_db()
    assert case.status == "dispatched"
    page = client.post(
        reverse("web:case_act", args=[case.pk, "refer"]),
        {"reason": "无名路不归物业管，上交街道", "seen_status": "dispatched"},
    )
    assert page.status_code == 302
    case.refresh_from_db()
    assert case.status == "returned" and case.return_count == 0
    # The street sees it back in its queue, with dispatch among its actions.
    sign_in(client, "street-a")
    html = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert 'data-action="dispatch"' in html
    # A department leading another case has no such action.
    um = get_user_model().objects.get(username="um-a")
    assert um is not None


def test_the_dispatch_form_offers_the_complexs_board(client, story):
    city, case = story
    from chuishao.cases.services import case_refer
    from chuishao.orgs.models import Organisation

    board = Organisation.objects.get(kind="complex_board")
    secretary = get_user_model().objects.get(username="tlj-secretary")
    case_refer(case=case.pk, actor=secretary, reason="上交街道")
    sign_in(client, "street-a")
    form = _dispatch_form(client.get(reverse("web:case_detail", args=[case.pk])).content.decode())
    assert f'<option value="{board.pk}" selected>' in form  # the suggestion, preselected
    # Another complex's board is not offered.
    other = add_complex(city, code="OTHER", community="110901001002", name="别的小区")
    from chuishao.party import boards

    other_board = boards.board_set_up(actor=city.people["street-a"], complex_=other)
    form = _dispatch_form(client.get(reverse("web:case_detail", args=[case.pk])).content.decode())
    assert f'<option value="{other_board.pk}"' not in form
    assert f'<option value="{city.orgs["um-110901"].pk}"' in form


def _dispatch_form(html: str) -> str:
    start = html.index('data-action="dispatch"')
    return html[start : html.index("</form>", start)]
