"""Household and unit visits: recorded only in one's own grids, checked, and read only by the grid's
workers, chain of command and the administrator (the city centre's reach) — never by departments,
residents or unit organisers."""

from __future__ import annotations

import datetime as dt

import pytest

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.events.models import Event
from chuishao.gridwork import selectors as sel
from chuishao.gridwork import services as s
from chuishao.gridwork.errors import GridworkDenied, GridworkInvalid
from chuishao.gridwork.models import Visit
from chuishao.orgs.services import membership_grant, organisation_upsert
from tests.gridwork.conftest import COMMUNITY_A, GRID_A1, GRID_A2, at

T0 = at(2026, 5, 11, 9)


def visit(city, who="grid-a", grid=GRID_A1, when=T0, **kw):
    params = {
        "kind": "household",
        "household": "3号楼2单元501",
        "person_name": "王阿姨",
        "person_phone": "13900001111",
        "discussed": "独居老人，询问助餐服务",
    }
    params.update(kw)
    with clock.frozen(when):
        return s.visit_record(actor=city.people[who], grid=grid, **params)


def test_a_visit_in_ones_grid_is_recorded_without_personal_data_in_the_event(city):
    v = visit(city, follow_up=True, follow_up_note="下周联系社区助餐点")
    assert (v.grid.code, v.kind, v.person_name, v.follow_up) == (GRID_A1, "household", "王阿姨", True)
    assert v.patrol is None and v.visited_at == T0
    event = Event.objects.get(verb="gridwork.visit_recorded")
    text = str(event.after) + event.reason
    assert "王阿姨" not in text and "13900001111" not in text and "助餐" not in text


def test_a_visit_on_patrol_belongs_to_it(city):
    with clock.frozen(T0 - dt.timedelta(minutes=30)):
        patrol = s.patrol_start(actor=city.people["grid-a"])
    assert visit(city).patrol_id == patrol.pk


def test_a_visit_outside_ones_grids_is_refused(city):
    for who, grid in (("grid-a", GRID_A2), ("community-a", GRID_A1), ("resident", GRID_A1)):
        with pytest.raises(GridworkDenied):
            visit(city, who=who, grid=grid)
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "party"},
        {"household": ""},
        {"discussed": "  "},
        {"person_phone": "call me"},
        {"follow_up": True, "follow_up_note": ""},
        {"kind": "unit", "household": ""},  # a unit visit names the unit
        {"unit": 999999},
        {"visited_at": "2026-05-20T10:00"},  # in the future
        {"visited_at": "2026-04-01T10:00"},  # more than a week ago
        {"visited_at": "someday"},
        {"discussed": "长" * 2001},
    ],
)
def test_bad_visits_are_refused(city, bad):
    with pytest.raises(GridworkInvalid):
        visit(city, **bad)
    assert not Visit.objects.exists()


def test_a_unit_visit_names_a_unit(city):
    unit = organisation_upsert(
        actor=SYSTEM, code="shop-1", kind="unit", name="便民超市", jurisdiction=city.node(COMMUNITY_A)
    )
    v = visit(city, kind="unit", household="", person_name="李经理", unit=unit, discussed="消防通道畅通")
    assert v.unit_id == unit.pk
    with pytest.raises(GridworkInvalid):
        visit(city, kind="unit", household="", unit=city.orgs["um-110901"])  # a department is no unit


def _organiser(city):
    unit = organisation_upsert(
        actor=SYSTEM, code="bureau-x", kind="unit", name="某局", jurisdiction=city.node("110901001")
    )
    user = city.people["resident2"]
    membership_grant(actor=SYSTEM, person=user, role="unit_organiser", organisation=unit)
    return user


SEES = ["grid-a", "community-a", "street-a", "district-a", "city", "leader", "admin"]
BLIND = ["grid-a2", "grid-b", "community-b", "street-b", "district-b", "um-a", "water-a", "resident"]


def test_visits_are_read_by_the_grids_chain_of_command_and_the_admin_only(city):
    v = visit(city)
    for who in SEES:
        assert list(sel.visits_visible_to(city.people[who])) == [v], who
    for who in BLIND:
        assert not sel.visits_visible_to(city.people[who]).exists(), who
    assert not sel.visits_visible_to(_organiser(city)).exists()
    assert not sel.can_see_visits(city.people["um-a"]) and not sel.can_see_visits(city.people["resident"])


def test_the_worker_of_a_beat_reads_its_visits(city):
    v = visit(city)
    assert not sel.visits_visible_to(city.people["grid-a2"]).exists()
    with clock.frozen(T0):
        s.beat_save(
            actor=city.people["community-a"],
            community=COMMUNITY_A,
            code="beat-1",
            name="责任网格一",
            grids=[GRID_A1, GRID_A2],
            worker=city.people["grid-a2"],
        )
    assert list(sel.visits_visible_to(city.people["grid-a2"])) == [v]
    # and may record visits in the beat's grids
    assert visit(city, who="grid-a2", grid=GRID_A1).worker_id == city.people["grid-a2"].pk


def test_visit_list_filters_by_node_and_follow_up(city):
    first = visit(city)
    second = visit(city, follow_up=True, follow_up_note="回访", when=T0 + dt.timedelta(hours=1))
    staff = city.people["street-a"]
    assert list(sel.visit_list(actor=staff)) == [second, first]
    assert list(sel.visit_list(actor=staff, follow_up=True)) == [second]
    assert list(sel.visit_list(actor=staff, node=city.node(GRID_A2))) == []
    assert list(sel.visit_list(actor=staff, node=city.node(COMMUNITY_A))) == [second, first]
