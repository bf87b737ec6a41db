"""Party-building activities in the demo city: four months of 三会一课 in the showcase community's party
branch, training classes and the 红色讲坛 lecture of the street's party working committee (its 89th
session: 200 in the hall, 2,352,000 watching online, 173,000 in the discussion), a research visit and
volunteer days of the residents' committee, and what is coming (a party class next week, a lecture
open for sign-up, and a volunteer day whose check-in is open now, so its QR screen is live).

Everything goes through ``chuishao.activities.services`` at the moment a person would act (the clock
is moved): planned a week ahead, signed up, checked in with the token of that moment, leave asked for
before the start, closed after the end (the rest are absent). Deterministic for a seed.

Needs before it: the city, its people and organisations (``demo.loader``), dual reporting
(``demo.engagement``: the in-service members ``member-N`` come to the open activities) and party
coverage (``demo.party_coverage``: the branches' secretaries).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from chuishao import clock
from chuishao.activities import services as svc
from chuishao.activities.errors import ActivityError
from chuishao.actors import SYSTEM
from chuishao.demo.city import _GIVEN, _SURNAMES, DEMO_BORDER_GRID_WEST, DEMO_BORDER_STREET_WEST
from chuishao.orgs.models import Membership, Organisation, Role
from chuishao.orgs.services import membership_grant, person_create
from chuishao.party.members import party_member_add

COMMUNITY = DEMO_BORDER_GRID_WEST[:12]
STREET = DEMO_BORDER_STREET_WEST
PARTY_MEMBERS = 8
# Showcase accounts, printed after ``make demo`` with the others.
ACTIVITIES_LOGINS: tuple[tuple[str, str, str], ...] = (
    (
        "party-member-1",
        "社区党员（三会一课、扫码签到）",
        "community party member (branch meetings, QR check-in)",
    ),
)
LECTURE_FIGURES = (
    ("hall", 200, "现场点数"),
    ("online", 2_352_000, "直播平台后台统计"),
    ("interactions", 173_000, "直播平台后台统计（评论与互动）"),
)
LEAVE_REASONS = ("出差在外", "家中老人住院", "单位值班", "外出学习")


def _staff(role: str, code: str) -> Any:
    m = Membership.objects.select_related("person").filter(role=role, node__code=code, active=True)
    found = m.order_by("pk").first()
    return found.person if found else None


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


def load_activities(
    *, now: dt.datetime, password: str, seed: int = 2019, months: int = 4, log: Callable[[str], None] = print
) -> dict[str, int]:
    """Load the activities (see the module); returns counts."""
    rng = random.Random(f"{seed}-activities")
    branch = Organisation.objects.get(code=f"ORG-{COMMUNITY}-party")
    committee = Organisation.objects.get(code=f"ORG-{COMMUNITY}-community_committee")
    street_party = Organisation.objects.get(code=f"ORG-{STREET}-party")
    community_staff = _staff(Role.COMMUNITY_STAFF, COMMUNITY)
    dispatcher = _staff(Role.STREET_DISPATCHER, STREET)
    today = timezone.localdate(now)
    first = today - dt.timedelta(days=30 * months)
    hashed = make_password(password)

    # The branch's members with an account (the secretary and others stay names only).
    members = []
    with clock.frozen(_at(first - dt.timedelta(days=30), 9)):
        for n in range(1, PARTY_MEMBERS + 1):
            person = person_create(
                actor=SYSTEM,
                username=f"party-member-{n}",
                display_name=rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                password_hash=hashed,
            )
            membership_grant(actor=SYSTEM, person=person, role=Role.RESIDENT)
            party_member_add(
                actor=community_staff,
                party_org=branch,
                person=person,
                since=first - dt.timedelta(days=365 + n),
            )
            members.append(person)
    in_service = [
        m.person
        for m in Membership.objects.filter(role=Role.RESIDENT, person__username__startswith="member-")
        .select_related("person")
        .order_by("person__username")[:24]
    ]
    counts = {"activities": 0, "check_ins": 0, "leave": 0, "absent": 0, "figures": 0}

    def plan(actor: Any, org: Organisation, start: dt.datetime, hours: float, **fields: Any):
        with clock.frozen(start - dt.timedelta(days=7)):
            row = svc.activity_create(
                actor=actor,
                organiser=org,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=hours),
                **fields,
            )
        counts["activities"] += 1
        return row

    def hold(
        actor: Any, row, *, come: list, leave: list = (), sign_up: list = (), close: bool = True
    ) -> None:
        for n, person in enumerate(sign_up):
            moment = row.starts_at - dt.timedelta(days=3, minutes=-n)
            with clock.frozen(moment), contextlib.suppress(ActivityError):  # full
                svc.signup(actor=person, activity=row)
        for person in leave:
            with clock.frozen(row.starts_at - dt.timedelta(days=1)):
                svc.leave_request(actor=person, activity=row, reason=rng.choice(LEAVE_REASONS))
                counts["leave"] += 1
        for n, person in enumerate(come):
            moment = row.starts_at - dt.timedelta(minutes=15) + dt.timedelta(seconds=20 * n)
            with clock.frozen(moment):
                try:
                    svc.check_in(actor=person, activity=row, token=svc.checkin_token(row))
                except ActivityError:
                    continue  # a walk-in when the hall was full
                counts["check_ins"] += 1
        if close:
            with clock.frozen(row.ends_at + dt.timedelta(hours=1)):
                counts["absent"] += svc.activity_close(actor=actor, activity=row)["newly_absent"]

    def split(people: list, attend: float, leave: float) -> tuple[list, list]:
        come, away = [], []
        for person in people:
            r = rng.random()
            if r < attend:
                come.append(person)
            elif r < attend + leave:
                away.append(person)
        return come, away

    # 三会一课 each month: the general meeting, the committee, the party class (as for every branch).
    month = first.replace(day=1)
    while month <= today:
        for day_of_month, meeting_kind, title, hours in (
            (8, "committee", "支委会：研究本月重点工作", 1.5),
            (12, "general", "支部党员大会：学习接诉即办条例", 2),
            (22, "party_class", "党课：吹哨报到与基层治理", 2),
        ):
            day = month.replace(day=day_of_month)
            start = _at(day, 14, 30)
            if start - dt.timedelta(days=7) <= _at(first, 0) or start > now:
                continue
            if start + dt.timedelta(hours=hours) > now:
                continue
            row = plan(
                community_staff,
                branch,
                start,
                hours,
                kind="branch_meeting",
                meeting_kind=meeting_kind,
                title=title,
                place="社区党群服务中心会议室",
            )
            come, away = split(members, 0.8, 0.1)
            hold(community_staff, row, come=come, leave=away)
        month = (month + dt.timedelta(days=32)).replace(day=1)

    # The street's training classes, open to the street's members, with sign-up.
    for weeks_ago, title in ((14, "基层党组织书记培训班"), (6, "在职党员双报到培训班")):
        start = _at(today - dt.timedelta(weeks=weeks_ago), 9)
        row = plan(
            dispatcher, street_party, start, 6, kind="training", title=title, place="街道党校", capacity=60
        )
        people = members + in_service
        hold(dispatcher, row, sign_up=people, come=[p for p in people if rng.random() < 0.85])

    # The lecture: its 89th session in the hall and online, with the figures check-in cannot count.
    start = _at(today - dt.timedelta(days=17), 19)
    lecture = plan(
        dispatcher,
        street_party,
        start,
        2,
        kind="lecture",
        title="红色讲坛第89期：让群众的每一次呼叫都有回应",
        place="街道市民活动中心大礼堂",
        online=True,
        online_link="https://live.example.org/hongse-jiangtan/89",
        capacity=200,
    )
    hold(
        dispatcher,
        lecture,
        sign_up=members + in_service,
        come=[p for p in members + in_service if rng.random() < 0.9],
    )
    with clock.frozen(lecture.ends_at + dt.timedelta(hours=2)):
        for measure, count, source in LECTURE_FIGURES:
            svc.figure_record(actor=dispatcher, activity=lecture, measure=measure, count=count, source=source)
            counts["figures"] += 1

    # The residents' committee: a research visit and monthly volunteer days.
    visit = plan(
        community_staff,
        committee,
        _at(today - dt.timedelta(days=45), 9, 30),
        3,
        kind="research",
        title="调研：老旧小区加装电梯的难点",
        place="欣园小区3号楼",
        capacity=15,
    )
    hold(community_staff, visit, sign_up=members[:5], come=members[:4])
    for weeks_ago in (11, 7, 3):
        start = _at(today - dt.timedelta(weeks=weeks_ago), 9)
        row = plan(
            community_staff,
            committee,
            start,
            3,
            kind="volunteer",
            title="志愿服务日：清理楼道堆物",
            place="社区广场集合",
            capacity=30,
        )
        people = rng.sample(members + in_service, 20)
        hold(community_staff, row, sign_up=people, come=[p for p in people if rng.random() < 0.75])

    # What is coming: a party class next week, an open lecture with sign-up open, a volunteer day now.
    with clock.frozen(now):
        svc.activity_create(
            actor=community_staff,
            organiser=branch,
            kind="branch_meeting",
            meeting_kind="party_class",
            title="党课：学习《北京市接诉即办工作条例》",
            starts_at=_at(today + dt.timedelta(days=7), 14, 30),
            ends_at=_at(today + dt.timedelta(days=7), 16, 30),
            place="社区党群服务中心会议室",
        )
        upcoming = svc.activity_create(
            actor=dispatcher,
            organiser=street_party,
            kind="lecture",
            title="红色讲坛第90期：每月一题",
            starts_at=_at(today + dt.timedelta(days=10), 19),
            ends_at=_at(today + dt.timedelta(days=10), 21),
            place="街道市民活动中心大礼堂",
            online=True,
            online_link="https://live.example.org/hongse-jiangtan/90",
            capacity=200,
        )
        for person in in_service[:6]:
            svc.signup(actor=person, activity=upcoming)
        live = svc.activity_create(
            actor=community_staff,
            organiser=committee,
            kind="volunteer",
            title="志愿服务日：共享单车整理",
            starts_at=now + dt.timedelta(minutes=20),
            ends_at=now + dt.timedelta(hours=3),
            place="地铁站B口",
            capacity=30,
        )
        for person in members[:4]:
            svc.signup(actor=person, activity=live)
    counts["activities"] += 3
    log(
        "activities: {activities} ({check_ins} check-ins, {leave} on leave, {absent} absent), "
        "the 89th lecture with its figures; a volunteer day's QR screen is live".format(**counts)
    )
    for username, zh, _en in ACTIVITIES_LOGINS:
        log(f"  login {username} / {password}: {zh}")
    return counts
