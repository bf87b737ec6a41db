"""Party organisations' secretaries and members, and the organisations' founding and dissolution:
who may write, the rules, and the event each write appends."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.events.models import Event
from chuishao.orgs.services import organisation_upsert
from chuishao.party.coverage import coverage_summary
from chuishao.party.errors import PartyConflict, PartyDenied, PartyInvalid, PartyNotFound
from chuishao.party.members import (
    party_member_add,
    party_member_end,
    party_org_dissolve,
    party_org_found,
    party_org_get,
    party_org_members,
    party_orgs_in,
    secretary_of,
)
from chuishao.party.models import PartyMember
from tests.factories import build_small_city

pytestmark = pytest.mark.django_db

COMMUNITY_A = "110901001001"
GRID_A1 = "110901001001001"


@pytest.fixture
def city():
    return build_small_city()


@pytest.fixture
def branch(city):
    return party_org_found(
        actor=city.people["community-a"],
        code="p-grid-a1",
        name="中共网格111支部委员会",
        jurisdiction=city.node(GRID_A1),
        established_on=timezone.localdate(clock.now()) - dt.timedelta(days=30),
    )


def events(verb):
    return list(Event.objects.filter(verb=verb).order_by("pk"))


def test_founding_a_branch_covers_its_grid_and_appends_an_event(city, branch):
    assert branch.kind == "party_org" and branch.jurisdiction.code == GRID_A1
    assert coverage_summary(city.node(COMMUNITY_A)).grids.covered == 1
    [event] = events("party.org_founded")
    assert event.after["party_org"] == "p-grid-a1" and event.actor_id == city.people["community-a"].pk


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("community-a", True),  # the grid's community
        ("street-a", True),
        ("district-a", True),
        ("city", True),
        ("admin", True),
        ("community-b", False),  # another community
        ("street-b", False),
        ("district-b", False),
        ("leader", False),  # leaders read, they do not write
        ("grid-a", False),
        ("um-a", False),
        ("resident", False),
    ],
)
def test_who_may_add_and_end_members(city, branch, who, allowed):
    actor = city.people[who]
    if not allowed:
        with pytest.raises(PartyDenied):
            party_member_add(actor=actor, party_org=branch, name="王建国", role="secretary")
        member = party_member_add(actor=city.people["community-a"], party_org=branch, name="王建国")
        with pytest.raises(PartyDenied):
            party_member_end(actor=actor, member=member)
        assert PartyMember.objects.get(pk=member.pk).until is None
        return
    member = party_member_add(actor=actor, party_org=branch, name="王建国", role="secretary")
    assert secretary_of(branch).pk == member.pk
    ended = party_member_end(actor=actor, member=member, reason="换届")
    assert ended.until == timezone.localdate(clock.now())
    assert PartyMember.objects.get(pk=member.pk).end_reason == "换届"
    added, finished = events("party.member_added"), events("party.member_ended")
    assert len(added) == len(finished) == 1
    assert added[0].after["member"] == member.pk and added[0].after["role"] == "secretary"
    assert finished[0].actor_id == actor.pk and finished[0].reason == "换届"


def test_one_secretary_at_a_time_and_a_linked_person_once(city, branch):
    staff = city.people["community-a"]
    first = party_member_add(actor=staff, party_org=branch, name="王建国", role="secretary")
    with pytest.raises(PartyConflict):
        party_member_add(actor=staff, party_org=branch, name="李秀英", role="secretary")
    party_member_end(actor=staff, member=first)
    second = party_member_add(actor=staff, party_org=branch, name="李秀英", role="secretary")
    assert secretary_of(branch).pk == second.pk
    worker = city.people["grid-a"]
    linked = party_member_add(actor=staff, party_org=branch, person=worker)
    assert linked.name == "grid-a"  # the account's display name when no name is written
    with pytest.raises(PartyConflict):
        party_member_add(actor=staff, party_org=branch, person=worker, role="committee_member")
    current, past = party_org_members(branch)
    assert [m.name for m in current] == ["李秀英", "grid-a"] and [m.name for m in past] == ["王建国"]
    assert len(events("party.member_added")) == 3


def test_bad_input_is_refused_with_a_reason_and_nothing_written(city, branch):
    staff = city.people["community-a"]
    today = timezone.localdate(clock.now())
    with pytest.raises(PartyInvalid):
        party_member_add(actor=staff, party_org=branch, name="  ")
    with pytest.raises(PartyInvalid):
        party_member_add(actor=staff, party_org=branch, name="王", role="chairman")
    with pytest.raises(PartyInvalid):
        party_member_add(actor=staff, party_org=branch, name="王", since=today + dt.timedelta(days=1))
    with pytest.raises(PartyInvalid):  # before the branch existed
        party_member_add(actor=staff, party_org=branch, name="王", since=today - dt.timedelta(days=60))
    with pytest.raises(PartyInvalid):
        party_member_add(actor=staff, party_org=branch, name="王" * 61)
    assert not PartyMember.objects.exists() and not events("party.member_added")
    member = party_member_add(actor=staff, party_org=branch, name="王", since=today - dt.timedelta(days=5))
    with pytest.raises(PartyInvalid):
        party_member_end(actor=staff, member=member, until=today - dt.timedelta(days=6))
    party_member_end(actor=staff, member=member)
    with pytest.raises(PartyConflict):
        party_member_end(actor=staff, member=member)
    with pytest.raises(PartyNotFound):
        party_member_end(actor=staff, member=999999)
    unit = organisation_upsert(
        actor=SYSTEM, code="u-1", kind="unit", name="单位", jurisdiction=city.node(GRID_A1), unit_kind="organ"
    )
    with pytest.raises(PartyNotFound):  # not a party organisation
        party_member_add(actor=staff, party_org=unit, name="王")


def test_dissolving_uncovers_the_grid_and_ends_every_term(city, branch):
    staff = city.people["street-a"]
    party_member_add(actor=staff, party_org=branch, name="王建国", role="secretary")
    party_member_add(actor=staff, party_org=branch, name="李秀英")
    with pytest.raises(PartyDenied):
        party_org_dissolve(actor=city.people["community-b"], party_org=branch)
    with pytest.raises(PartyInvalid):  # before it was founded
        party_org_dissolve(
            actor=staff, party_org=branch, on=branch.established_on - dt.timedelta(days=1), reason="x"
        )
    party_org_dissolve(actor=staff, party_org=branch, reason="网格调整")
    assert coverage_summary(city.node(COMMUNITY_A)).grids.covered == 0
    assert not PartyMember.objects.filter(until__isnull=True).exists()
    [event] = events("party.org_dissolved")
    assert len(event.after["members_ended"]) == 2
    with pytest.raises(PartyConflict):
        party_org_dissolve(actor=staff, party_org=branch)
    with pytest.raises(PartyInvalid):
        party_member_add(actor=staff, party_org=branch, name="张")


def test_founding_checks_scope_and_place(city):
    with pytest.raises(PartyDenied):
        party_org_found(actor=city.people["community-b"], code="x", name="x", jurisdiction=city.node(GRID_A1))
    with pytest.raises(PartyInvalid):  # no place, or two
        party_org_found(actor=city.people["city"], code="x", name="x")
    with pytest.raises(PartyInvalid):
        party_org_found(actor=city.people["city"], code="x", name="", jurisdiction=city.node(GRID_A1))
    with pytest.raises(PartyConflict):  # the code is taken
        party_org_found(actor=city.people["city"], code="centre", name="x", jurisdiction=city.node(GRID_A1))
    assert not events("party.org_founded")


def test_reading_an_organisation_is_scoped(city, branch):
    assert party_org_get(city.people["leader"], branch.pk) == branch
    assert party_org_get(city.people["community-a"], str(branch.pk)) == branch
    for who in ("community-b", "district-b", "grid-a", "resident", "um-a"):
        with pytest.raises(PartyNotFound):
            party_org_get(city.people[who], branch.pk)
    with pytest.raises(PartyNotFound):
        party_org_get(city.people["city"], "abc")
    orgs = party_orgs_in(city.node(COMMUNITY_A))
    assert [o.code for o in orgs] == ["p-grid-a1"] and orgs[0].current_members == []


def test_the_admin_lists_members_but_never_edits_them(client, city, branch):
    boss = city.people["admin"]
    boss.is_staff = boss.is_superuser = True
    boss.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(boss)
    admin_client = client
    member = party_member_add(actor=city.people["city"], party_org=branch, name="王建国", role="secretary")
    listing = admin_client.get("/admin/party/partymember/")
    assert listing.status_code == 200 and "王建国" in listing.content.decode()
    assert admin_client.get("/admin/party/partymember/add/").status_code == 403
    assert (
        admin_client.post(f"/admin/party/partymember/{member.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert PartyMember.objects.filter(pk=member.pk).exists()


def test_founding_for_a_gap_finds_the_place_its_parent_and_a_free_code(city):
    from chuishao.geo.models import Complex
    from chuishao.party.members import party_org_found_at
    from tests.factories import square

    staff = city.people["community-a"]
    community_branch = party_org_found_at(
        actor=staff, kind="community", place_code=COMMUNITY_A, name="中共社区11支部委员会"
    )
    grid_branch = party_org_found_at(
        actor=staff, kind="grid", place_code=GRID_A1, name="中共网格111支部委员会"
    )
    assert grid_branch.code == f"{GRID_A1}-party" and grid_branch.parent == community_branch
    party_org_dissolve(actor=staff, party_org=grid_branch)
    again = party_org_found_at(actor=staff, kind="grid", place_code=GRID_A1, name="网格111支部")
    assert again.code == f"{GRID_A1}-party-2"
    estate = Complex.objects.create(
        code="cx-1",
        name="和平家园",
        community=city.node(COMMUNITY_A),
        boundary=square(116.3, 39.9, 0.0004, 0.0004),
    )
    on_complex = party_org_found_at(
        actor=staff, kind="complex", place_code="cx-1", name="中共和平家园支部委员会"
    )
    assert on_complex.attached_complex == estate and on_complex.parent == community_branch
    summary = coverage_summary(city.node(COMMUNITY_A))
    assert summary.has_own and summary.grids.covered == 1 and summary.complexes.covered == 1
    with pytest.raises(PartyNotFound):
        party_org_found_at(actor=staff, kind="grid", place_code="nope", name="x")
    with pytest.raises(PartyInvalid):
        party_org_found_at(actor=staff, kind="planet", place_code=GRID_A1, name="x")
    with pytest.raises(PartyInvalid):
        party_org_found_at(actor=staff, kind="grid", place_code="110901001001002", name="名" * 121)
    with pytest.raises(PartyDenied):  # the street is above the community's staff
        party_org_found_at(actor=staff, kind="street", place_code="110901001", name="x")


def test_a_secretary_term_cannot_start_inside_an_ended_one(city, branch):
    staff = city.people["community-a"]
    today = timezone.localdate(clock.now())
    first = party_member_add(
        actor=staff, party_org=branch, name="王建国", role="secretary", since=today - dt.timedelta(days=20)
    )
    party_member_end(actor=staff, member=first, until=today - dt.timedelta(days=5))
    with pytest.raises(PartyConflict, match="until"):
        party_member_add(
            actor=staff, party_org=branch, name="李秀英", role="secretary",
            since=today - dt.timedelta(days=10),
        )  # fmt: skip
    second = party_member_add(
        actor=staff, party_org=branch, name="李秀英", role="secretary", since=today - dt.timedelta(days=5)
    )
    assert secretary_of(branch).pk == second.pk
