"""Dual reporting in the demo city: the border street's units and their members registered with its
communities, a season of volunteer service played through the services, and what is still to do.

Everything happens in the street of the showcase logins, so the community staff, the street dispatcher
and the grid worker printed by ``make demo`` see it: units register with the street, members with the
community where they live; every Tuesday lunchtime members tidy the shared bikes (the Xiamen story)
and on Saturday mornings they patrol or visit the elderly; the community confirms and points land in
the ledger. The last week's service waits for confirmation; the next two weeks' tasks wait for claims.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from shapely.geometry import shape

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.demo.city import _GIVEN, _SURNAMES, DEMO_BORDER_STREET_WEST
from chuishao.engagement import services as svc
from chuishao.engagement.defaults import engagement_load_defaults
from chuishao.engagement.errors import EngagementError
from chuishao.engagement.models import ServicePost
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Membership, Organisation, OrgKind, Role
from chuishao.orgs.services import membership_grant, person_create

MEMBERS_PER_COMMUNITY = 8
NEVER_REGISTERED_PER_UNIT = 1
UNITS = 3
# (weekday, hour, hours, post, title, capacity); Monday is 0.
WEEKLY = [
    (1, 12, 1, "environment", "午间整理共享单车", 6),
    (5, 9, 2, "order", "周末平安巡逻", 4),
    (5, 14, 2, "elderly", "看望独居老人", 3),
]


# Showcase accounts of dual reporting, printed after ``make demo`` with the others.
ENGAGEMENT_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("member-1", "在职党员（双报到）", "in-service party member (dual reporting)"),
    (f"unit-{DEMO_BORDER_STREET_WEST}-1", "单位党组织书记", "a unit's party organiser"),
)


def _centre_point(node: Jurisdiction) -> tuple[float, float]:
    point = shape(node.boundary).representative_point()
    return round(point.y, 6), round(point.x, 6)


def _staff(role: str, node: Jurisdiction) -> Any:
    return (
        Membership.objects.filter(role=role, node=node, active=True).select_related("person").first().person
    )


def load_engagement(*, now: dt.datetime, password: str, seed: int = 2019, log: Callable[[str], None]) -> dict:
    rng = random.Random(f"{seed}-engagement")
    street = Jurisdiction.objects.get(code=DEMO_BORDER_STREET_WEST)
    city = Jurisdiction.objects.get(pk=street.city_id)
    engagement_load_defaults(actor=SYSTEM, city=city)
    communities = list(Jurisdiction.objects.filter(parent=street, kind="community").order_by("code"))
    dispatcher = _staff(Role.STREET_DISPATCHER, street)
    staff = {c.pk: _staff(Role.COMMUNITY_STAFF, c) for c in communities}
    posts = {p.code: p for p in ServicePost.objects.all()}
    hashed = make_password(password)
    season_start = now - dt.timedelta(days=91)
    tz = timezone.get_current_timezone()

    def moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)), tz)

    # Centres: the street's and one per community.
    with clock.frozen(season_start - dt.timedelta(days=10)):
        for node in [street, *communities]:
            lat, lng = _centre_point(node)
            svc.centre_upsert(
                actor=dispatcher if node is street else staff[node.pk],
                node=node,
                name=f"{node.name}党群服务中心",
                name_en=f"{node.name_en or node.name} Party and Community Service Centre",
                address=f"{node.name}{rng.randint(1, 99)}号",
                lat=lat,
                lng=lng,
                opening_hours="周一至周五 9:00–18:00，周六 9:00–12:00",
                services=["政策咨询", "志愿服务", "法律援助", "老年活动", "党员活动"],
                phone=f"010-6{rng.randint(1000000, 9999999)}",
            )

    # Units of the street register with it; each gets an organiser.
    units = list(Organisation.objects.filter(kind=OrgKind.UNIT, jurisdiction=street).order_by("code")[:UNITS])
    organisers = []
    with clock.frozen(season_start - dt.timedelta(days=8)):
        for n, unit in enumerate(units, 1):
            organiser = person_create(
                actor=SYSTEM,
                username=f"unit-{street.code}-{n}",
                display_name=rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                password_hash=hashed,
            )
            membership_grant(actor=SYSTEM, person=organiser, role=Role.UNIT_ORGANISER, organisation=unit)
            organisers.append(organiser)
            reg = svc.registration_submit_unit(
                actor=organiser, unit=unit, node=street, posts=["environment", "order", "policy"]
            )
            svc.registration_decide(actor=dispatcher, registration=reg, accept=True)
            svc.resource_publish(
                actor=organiser,
                unit=unit,
                node=street,
                title=rng.choice(
                    ["每周志愿者 6 人", "法律咨询每月 2 次", "会议室周末开放", "政策宣讲每季 1 场"]
                ),
                capacity=rng.choice([2, 4, 6]),
            )

    # Members: live in a community, work for a unit; a few are on a unit's list but never registered.
    members: dict[int, list[Any]] = {c.pk: [] for c in communities}
    number = 0
    with clock.frozen(season_start - dt.timedelta(days=5)):
        for community in communities:
            for _ in range(MEMBERS_PER_COMMUNITY):
                number += 1
                unit = units[number % len(units)]
                person = person_create(
                    actor=SYSTEM,
                    username=f"member-{number}",
                    display_name=rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                    phone=f"1390000{number:04d}",
                    password_hash=hashed,
                )
                membership_grant(actor=SYSTEM, person=person, role=Role.RESIDENT)
                svc.roster_add(actor=organisers[units.index(unit)], unit=unit, person=person)
                chosen = rng.sample(["environment", "order", "elderly", "policy", "legal", "youth"], 2)
                reg = svc.registration_submit_member(
                    actor=person, community=community, unit=unit, posts=chosen
                )
                # The last two of each community are still waiting for the community to confirm them.
                if len(members[community.pk]) < MEMBERS_PER_COMMUNITY - 2:
                    svc.registration_decide(actor=staff[community.pk], registration=reg, accept=True)
                    members[community.pk].append(person)
        for n, unit in enumerate(units):
            for _ in range(NEVER_REGISTERED_PER_UNIT):
                number += 1
                person = person_create(
                    actor=SYSTEM,
                    username=f"member-{number}",
                    display_name=rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                    password_hash=hashed,
                )
                membership_grant(actor=SYSTEM, person=person, role=Role.RESIDENT)
                svc.roster_add(actor=organisers[n], unit=unit, person=person)

    # Needs and wishes; the bikes need drives the Tuesday tasks.
    needs: dict[int, Any] = {}
    residents = list(
        Membership.objects.filter(
            role=Role.RESIDENT, person__username__startswith="resident-"
        ).select_related("person")
    )
    with clock.frozen(season_start - dt.timedelta(days=2)):
        for community in communities:
            needs[community.pk] = svc.need_post(
                actor=staff[community.pk],
                node=community,
                title="午间共享单车乱停，需要志愿者整理",
                description="三条街午间共享单车堆满人行道，请在职党员午休时帮忙整理",
                post=posts["environment"],
            )
            svc.need_post(
                actor=staff[community.pk], node=community, title="独居老人周末探访", post=posts["elderly"]
            )
            for title in ("帮我家老人每周取一次药", "楼道里想要一个放雨伞的架子"):
                resident = rng.choice(residents).person
                svc.need_post(actor=resident, node=community, title=title, kind="wish")
        first = communities[0]
        wish = svc.need_post(
            actor=rng.choice(residents).person, node=first, title="孩子放学后想有人辅导作业", kind="wish"
        )
        svc.need_decide(actor=staff[first.pk], need=wish, approve=True)
        svc.project_create(
            actor=staff[first.pk],
            node=first,
            title="共享单车文明停放季",
            goal="三条街午间单车整齐有序，行人通行顺畅",
            owner=units[0],
            starts_on=timezone.localdate(season_start),
            ends_on=timezone.localdate(now + dt.timedelta(days=30)),
            need=needs[first.pk],
        )

    # The season: every week's tasks, claimed, served and confirmed.
    served = confirmed = 0
    today = timezone.localdate(now)
    day = timezone.localdate(season_start)
    horizon = today + dt.timedelta(days=14)
    while day <= horizon:
        for weekday, hour, hours, post, title, capacity in WEEKLY:
            if day.weekday() != weekday:
                continue
            for community in communities:
                starts = moment(day, hour)
                issued = starts - dt.timedelta(days=5)
                if issued > now:
                    continue
                with clock.frozen(issued):
                    task = svc.task_create(
                        actor=staff[community.pk],
                        node=community,
                        title=title,
                        post=posts[post],
                        starts_at=starts,
                        ends_at=starts + dt.timedelta(hours=hours),
                        capacity=capacity,
                        place=rng.choice(["仙岳路", "湖滨南路", "禾祥西路"])
                        if post == "environment"
                        else community.name,
                        need=needs[community.pk] if post == "environment" else None,
                    )
                takers = rng.sample(
                    members[community.pk], min(capacity - rng.randint(0, 2), len(members[community.pk]))
                )
                claims = []
                for offset, person in enumerate(takers):
                    at = issued + dt.timedelta(hours=1 + offset)
                    if at > now:
                        break
                    with clock.frozen(at):
                        claims.append((person, svc.claim_task(actor=person, task=task)))
                if starts + dt.timedelta(hours=hours) > now:
                    continue  # still ahead: it waits for its day
                for person, claim in claims:
                    late = rng.randint(-10, 15)
                    try:
                        with clock.frozen(starts + dt.timedelta(minutes=late)):
                            svc.claim_check_in(actor=person, claim=claim)
                        with clock.frozen(starts + dt.timedelta(hours=hours, minutes=rng.randint(-5, 10))):
                            svc.claim_check_out(
                                actor=person,
                                claim=claim,
                                note=rng.choice(["", "整理了 30 多辆", "顺手清理了垃圾"]),
                            )
                    except EngagementError:
                        continue
                    served += 1
                    # Service of the last four days waits for the community to confirm it.
                    if (now - starts).days >= 4:
                        with clock.frozen(starts + dt.timedelta(hours=hours + 3)):
                            svc.claim_confirm(actor=staff[community.pk], claim=claim)
                        confirmed += 1
        day += dt.timedelta(days=1)
    log(f"dual reporting: {len(units)} units, {number} members, {served} services ({confirmed} confirmed)")
    return {"units": len(units), "members": number, "served": served, "confirmed": confirmed}
