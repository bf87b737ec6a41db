"""The small city with a community party branch of four members (three with accounts, one without), its
secretary with an account, the community's committee, and a party committee in district B."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.orgs.services import membership_grant, organisation_upsert, person_create
from chuishao.party.members import party_member_add
from chuishao.party.models import PartyRole
from tests.factories import PASSWORD, City, build_small_city

BEIJING = timezone.get_fixed_timezone(480)
SINCE = dt.date(2025, 1, 1)


def at(*args: int) -> dt.datetime:
    """A Beijing time: ``at(2026, 3, 10, 14)``."""
    return dt.datetime(*args, tzinfo=BEIJING)


@dataclass
class ActivityCity:
    city: City
    branch: object
    committee: object
    other_branch: object

    def p(self, name: str):
        return self.city.people[name]


def activity_city() -> ActivityCity:
    city = build_small_city()
    with clock.frozen(at(2025, 1, 1, 9)):
        branch = organisation_upsert(
            actor=SYSTEM,
            code="a1a-party",
            kind="party_org",
            name="A1a社区党支部",
            jurisdiction=city.node("110901001001"),
            party_level="branch",
        )
        committee = organisation_upsert(
            actor=SYSTEM,
            code="a1a-committee",
            kind="community_committee",
            name="A1a社区居委会",
            jurisdiction=city.node("110901001001"),
        )
        other = organisation_upsert(
            actor=SYSTEM,
            code="b-party",
            kind="party_org",
            name="B街道党工委",
            jurisdiction=city.node("110902001"),
            party_level="committee",
        )
        hashed = make_password(PASSWORD)
        for username in ("secretary", "member-1", "member-2", "member-3"):
            user = person_create(actor=SYSTEM, username=username, password_hash=hashed, display_name=username)
            membership_grant(actor=SYSTEM, person=user, role="resident")
            city.people[username] = user
        staff = city.people["community-a"]
        party_member_add(
            actor=staff,
            party_org=branch,
            role=PartyRole.SECRETARY,
            person=city.people["secretary"],
            since=SINCE,
        )
        for n in (1, 2, 3):
            party_member_add(actor=staff, party_org=branch, person=city.people[f"member-{n}"], since=SINCE)
        party_member_add(actor=staff, party_org=branch, name="没有账号的老党员", since=SINCE)
    return ActivityCity(city=city, branch=branch, committee=committee, other_branch=other)
