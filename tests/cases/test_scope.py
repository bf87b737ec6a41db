"""Scoped selectors never return a case outside the actor's scope."""

from __future__ import annotations

import pytest

from chuishao.cases.scopes import actor_can_see_case
from chuishao.cases.selectors import case_list, cases_visible_to, reporter_contact
from chuishao.cases.services import case_act

GRIDS = ["110901001001001", "110901001001002", "110901001002001", "110902001001001", "110902001002002"]


@pytest.mark.parametrize("id_list_limit", [2000, 0], ids=["ids-listed", "exists-subquery"])
def test_every_actor_sees_exactly_its_scope(city, report, monkeypatch, id_list_limit):
    # Both forms of the scope (few worked-on cases listed by id, many kept as a subquery) reach the same.
    monkeypatch.setattr("chuishao.cases.scopes.ID_LIST_LIMIT", id_list_limit)
    cases = [report(grid=g, by=("resident" if i % 2 else "resident2")) for i, g in enumerate(GRIDS)]
    case_act(case=cases[0], action="file", actor=city.people["street-a"])
    case_act(
        case=cases[0],
        action="dispatch",
        actor=city.people["street-a"],
        lead=city.orgs["um-110901"],
        assisting=[city.orgs["water-110901"]],
    )
    expected = {
        "city": set(GRIDS),
        "admin": set(GRIDS),
        "leader": set(GRIDS),
        "district-a": {g for g in GRIDS if g.startswith("110901")},
        "district-b": {g for g in GRIDS if g.startswith("110902")},
        "street-a": {g for g in GRIDS if g.startswith("110901001")},
        "street-b": {g for g in GRIDS if g.startswith("110902001")},
        "community-a": {g for g in GRIDS if g.startswith("110901001001")},
        "community-b": {g for g in GRIDS if g.startswith("110902001001")},
        "grid-a": {"110901001001001"},
        "grid-a2": {"110901001001002"},
        "grid-b": {"110902001001001"},
        "um-a": {"110901001001001"},  # the case its department leads
        "water-a": {"110901001001001"},  # the case its department assists
        "um-b": set(),
        "resident": {g for i, g in enumerate(GRIDS) if i % 2},
        "resident2": {g for i, g in enumerate(GRIDS) if not i % 2},
    }
    for username, grids in expected.items():
        actor = city.people[username]
        seen = {c.grid.code for c in cases_visible_to(actor).select_related("grid")}
        assert seen == grids, username
        assert {c.grid.code for c in case_list(actor=actor)} == grids, username
        for case in cases:
            assert actor_can_see_case(actor, case) == (case.grid.code in grids), (username, case.grid.code)


def test_anonymous_and_people_without_roles_see_nothing(city, report):
    from django.contrib.auth.models import AnonymousUser

    from chuishao.orgs.services import person_create

    report()
    nobody = person_create(actor=city.people["admin"], username="nobody")
    assert not cases_visible_to(AnonymousUser()).exists()
    assert not cases_visible_to(nobody).exists()


def test_reporter_contact_masked_for_departments(city, report):
    case = report(reporter_email="zhang.san@example.org", description="楼下垃圾堆了三天，电话13812341234")
    case_act(case=case, action="file", actor=city.people["street-a"])
    case_act(case=case, action="dispatch", actor=city.people["street-a"], lead=city.orgs["um-110901"])
    assert reporter_contact(actor=city.people["street-a"], case=case) == {
        "name": "张三",
        "phone": "13812341234",
        "email": "zhang.san@example.org",
        "description": "楼下垃圾堆了三天，电话13812341234",
    }
    masked = reporter_contact(actor=city.people["um-a"], case=case)
    assert masked == {
        "name": "张*",
        "phone": "138****1234",
        "email": "z***@example.org",
        "description": "楼下垃圾堆了三天，电话138****1234",
    }


def test_follow_link_reaches_its_own_case_only(city, report):
    from chuishao.actors import FollowLinkActor
    from chuishao.cases.errors import CaseNotFound

    mine, other = report(), report(by="resident2")
    link = FollowLinkActor(case_id=mine.pk)
    assert list(cases_visible_to(link)) == [mine]
    assert actor_can_see_case(link, mine) and not actor_can_see_case(link, other)
    for case in (mine, other):
        case_act(case=case, action="file", actor=city.people["street-a"])
    with pytest.raises(CaseNotFound):
        case_act(case=other, action="withdraw", actor=link, reason="不是我的")
    assert other.status == "reported"


def test_contact_details_follow_the_role_that_reaches_the_case(city, report):
    from chuishao.orgs.services import membership_grant

    # um-b is also a grid worker in district B; notified about a district-A case, it reaches the case
    # only as department staff, which does not call residents back.
    membership_grant(
        actor=city.people["admin"],
        person=city.people["um-b"],
        role="grid_worker",
        node=city.node("110902001001002"),
    )
    case = report()
    case_act(case=case, action="file", actor=city.people["street-a"])
    case_act(
        case=case,
        action="dispatch",
        actor=city.people["street-a"],
        lead=city.orgs["um-110901"],
        notify=[city.orgs["um-110902"]],
    )
    assert reporter_contact(actor=city.people["um-b"], case=case)["phone"] == "138****1234"
