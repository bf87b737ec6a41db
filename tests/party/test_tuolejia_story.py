"""The 托乐嘉 story (source article, Nanjing) played to its end through the services.

An unnamed road in front of the 托乐嘉 complex was a parking mess for years. A resident reports it; the
responsibility list sends the property case to the complex's board first (红色物业). The board — its
party branch, residents' committee, homeowners' committee and property company, with people sitting in
each other's bodies — meets and decides it cannot solve a road that belongs to nobody: it passes the case
to the street (上交街道). The street blows the whistle: transport, urban management and housing report,
come on site and act. A second joint meeting with the departments decides that the road is taken into
the municipal road system; the street dispatches the case to the transport bureau, which does it; the
board marks its decision done, the grid worker checks, the street closes and the resident is satisfied.
Nothing of this counts as a mis-dispatch.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from chuishao import clock
from chuishao.cases.models import Case
from chuishao.cases.services import (
    case_accept,
    case_check,
    case_close,
    case_dispatch,
    case_handle,
    case_rate,
    case_refer,
    case_start,
    summons_acknowledge,
    summons_check_in,
    summons_record_action,
    whistle_blow,
    whistle_confirm_done,
)
from chuishao.cases.services.engine import allowed_actions
from chuishao.events.audit import audit_verify
from chuishao.events.models import Event
from chuishao.party import boards
from chuishao.party.models import BoardBody
from tests.factories import demo_geography_and_people
from tests.party.redproperty_city import redproperty_city

pytestmark = pytest.mark.django_db


def test_tuolejia_from_the_report_to_the_municipal_road():
    city, complex_, result = redproperty_city()
    users = {u.username: u for u in get_user_model().objects.all()}
    secretary, manager, owners = users["tlj-secretary"], users["tlj-property"], users["tlj-owners"]
    street, resident, worker = city.people["street-a"], city.people["resident"], city.people["grid-a"]
    transport, um, housing = city.orgs["transport-a"], city.orgs["um-110901"], city.orgs["housing-110901"]

    # The board: four bodies, people sitting in two of them.
    board = boards.board_of(complex_)
    page = boards.board_page(actor=secretary, board=board)
    seated = {row.body: [s.display_name for s in row.seats] for row in page.bodies}
    assert all(seated[b] for b in BoardBody.values), seated
    crossed = {s.display_name: s.cross_body for row in page.bodies for s in row.seats}
    assert crossed["陈海涛"] == BoardBody.PARTY_ORG  # the property manager sits on the branch

    # 1. The resident's case went to the board first, and waits there.
    case = Case.objects.get(number=result["case"])
    assert case.complex_id == complex_.pk and case.category.full_code == "S2299"
    assert case.suggested_org_id == board.pk == case.lead_org_id
    assert case.status == "dispatched"
    assert [row.case for row in page.cases] == [case]
    case_accept(case=case.pk, actor=manager)
    case_start(case=case.pk, actor=manager)

    # 2. The joint meeting: the road belongs to nobody the board can move; pass it to the street.
    seats = [s.pk for row in page.bodies for s in row.seats]
    first = boards.meeting_record(
        actor=secretary,
        board=board,
        held_at=clock.now() - dt.timedelta(minutes=30),
        place="托乐嘉党群服务站",
        agenda="小区门前无名路停车乱象",
        attendees=seats,
        minutes="物业无权管理小区外道路；业委会多次协调无果；支部提议上交街道，请相关部门介入。",
        decisions=[boards.DecisionInput("上交街道，请求吹哨部门报到", case=case.number, owner=board)],
    )
    pass_on = first.decisions.get()

    # 3. The board passes it to the street: back in the street's queue, not a return.
    case = case_refer(case=case.pk, actor=owners, reason="无名路权属不清，小区联席会无法解决，上交街道")
    assert (case.status, case.return_count, case.lead_org_id) == ("returned", 0, None)
    boards.decision_done(actor=secretary, decision=pass_on, note="已上交街道")
    assert allowed_actions(actor=secretary, case=case) == []

    # 4. The street blows the whistle; transport, urban management and housing report on site and act.
    whistle = whistle_blow(
        actor=street,
        cases=[case.pk],
        kind="everyday",
        reason="beyond_power",
        description="托乐嘉门前无名路长期乱停车，需交通、城管、住建联合处置",
        summons=[
            {"organisation": transport.pk, "role": "lead"},
            {"organisation": um.pk, "role": "assist"},
            {"organisation": housing.pk, "role": "assist"},
        ],
    )
    staff = {
        transport.pk: city.people["transport-a"],
        um.pk: city.people["um-a"],
        housing.pk: city.people["housing-a"],
    }
    for s in whistle.summonses.all():
        summons_acknowledge(actor=staff[s.organisation_id], summons=s.pk)
        summons_check_in(actor=staff[s.organisation_id], summons=s.pk, lat=case.lat, lng=case.lng)
        summons_record_action(
            actor=staff[s.organisation_id], summons=s.pk, note="到场勘查无名路，研究移交方案"
        )

    # 5. The second joint meeting, with the departments: the road joins the municipal road system.
    second = boards.meeting_record(
        actor=secretary,
        board=board,
        held_at=clock.now(),
        place="托乐嘉党群服务站",
        agenda="无名路移交与停车秩序",
        attendees=seats,
        guests="区交通局、区城管执法局、区住建委、街道办事处",
        decisions=[
            boards.DecisionInput(
                "无名路纳入市政道路体系，由区交通局接管养护并施划停车泊位",
                case=case.pk,
                owner=transport,
                due_on=clock.now().date() + dt.timedelta(days=30),
            )
        ],
    )
    municipal = second.decisions.get()
    whistle_confirm_done(actor=street, whistle=whistle.pk, note="各部门会商一致，无名路移交市政")

    # 6. The street dispatches the case to transport, which takes the road over.
    case = case_dispatch(case=case.pk, actor=street, lead=transport)
    case_accept(case=case.pk, actor=city.people["transport-a"])
    case_handle(
        case=case.pk,
        actor=city.people["transport-a"],
        result="无名路已纳入市政道路管理，施划停车泊位并设置标志",
    )
    boards.decision_done(actor=secretary, decision=municipal, note="道路已移交市政，停车有序")

    # 7. Checked on site, closed, rated.
    case_check(case=case.pk, actor=worker, note="现场核查：道路已划线，车辆有序停放")
    case_close(case=case.pk, actor=street)
    case = case_rate(
        case=case.pk, actor=resident, satisfaction="satisfied", resolution="solved", comment="门口终于通畅了"
    )

    assert case.status == "rated" and case.return_count == 0
    assert case.first_receiver_id == transport.pk  # the department that did it is accountable, not the board
    verbs = list(Event.objects.filter(case=case).order_by("seq").values_list("verb", flat=True))
    assert verbs.index("case.refer") < verbs.index("case.whistled") < verbs.index("case.close")
    assert "case.return" not in verbs
    assert all(d.done for d in municipal.meeting.decisions.all()) and first.decisions.get().done
    page = boards.board_page(actor=secretary, board=board)
    assert page.cases == []  # nothing open at the board any more
    assert [m.pk for m in page.meetings] == [second.pk, first.pk]
    report = audit_verify()
    assert report.ok, report.problems[:3]


def test_the_demo_sets_the_story_up_in_the_showcase_community():
    """On the demo city: 托乐嘉 in the showcase community, its board, logins that work, the case waiting."""
    from django.contrib.auth import authenticate

    from chuishao.demo.city import DEMO_BORDER_GRID_WEST
    from chuishao.demo.loader import DEMO_PASSWORD
    from chuishao.demo.redproperty import REDPROPERTY_LOGINS, load_redproperty

    demo_geography_and_people()
    result = load_redproperty(now=clock.now(), password=DEMO_PASSWORD, log=lambda _: None)
    case = Case.objects.get(number=result["case"])
    assert case.complex.name == "托乐嘉" and case.community.code == DEMO_BORDER_GRID_WEST[:12]
    assert case.lead_org.code == result["board"] and case.status == "dispatched"
    for username, _zh, _en in REDPROPERTY_LOGINS:
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert "refer" in allowed_actions(actor=user, case=case)
    # Loading twice changes nothing but adds another case to play.
    again = load_redproperty(now=clock.now(), password=DEMO_PASSWORD, log=lambda _: None)
    assert again["board"] == result["board"]
    assert boards.board_of(case.complex).board_seats.filter(ended_on__isnull=True).count() == 4
