"""Whistles in the demo's history, and the source article's border story set up to be played.

A share of dispatched cases gets a whistle: the street summons the lead department and one more of the
district, the departments report (some late), act, the street confirms and rates them. The border
story (a building astride the line between 河西区 and 河东区) appears twice: once finished, so that its
board, ratings and timeline can be read, and once freshly filed, so that a visitor can play it with
the demo logins (blow the whistle as the west street, summon both districts' enforcement, report as
each, confirm, rate).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from chuishao import clock
from chuishao.cases.errors import CaseError
from chuishao.cases.models import Case, Whistle
from chuishao.cases.services import (
    case_accept,
    case_act,
    case_check,
    case_close,
    case_dispatch,
    case_file,
    case_handle,
    case_rate,
    case_report,
    summons_acknowledge,
    summons_check_in,
    summons_record_action,
    whistle_blow,
    whistle_confirm_done,
    whistle_rate,
    whistle_summon,
)
from chuishao.catalog.selectors import category_get
from chuishao.demo.city import (
    DEMO_BORDER_NEAR_EAST,
    DEMO_BORDER_NEAR_WEST,
    DEMO_BORDER_STREET_EAST,
    DEMO_BORDER_STREET_WEST,
    EAST_DISTRICT,
    WEST_DISTRICT,
)
from chuishao.orgs.models import Membership, Organisation, OrgKind, Role

WHISTLE_SHARE = 0.04
# Departments a street most often calls in beside the lead.
ASSISTING_TYPES = ("urban_management", "market", "housing", "environment", "transport")
KINDS = (("everyday", 0.8), ("campaign", 0.15), ("emergency", 0.05))
REASONS = ("beyond_power", "joint_enforcement")
ILLEGAL_BUILDING = "S0101"


def _person(*, role: str, node: str | None = None, org: str | None = None) -> Any:
    q = Membership.objects.select_related("person").filter(role=role, active=True)
    q = q.filter(node__code=node) if node else q.filter(organisation__code=org)
    m = q.order_by("pk").first()
    return m.person if m else None


def _at(moment: dt.datetime, fn, **kwargs):
    """Run one service at a moment of the replayed past (never in the future)."""
    if moment >= clock.now():
        raise CaseError("that moment has not come yet")
    with clock.frozen(moment):
        return fn(**kwargs)


def play_whistle(
    case: Case, *, rng: random.Random, at: dt.datetime, dispatcher: Any, staff_of: dict[int, Any]
) -> dt.datetime | None:
    """The street whistles on a dispatched case; returns when it ended, or None if 'now' came first."""
    case.refresh_from_db()  # the caller's copy predates the dispatch
    lead_id = case.lead_org_id
    assist = (
        Organisation.objects.filter(
            kind=OrgKind.DEPARTMENT,
            jurisdiction_id=case.district_id,
            dept_type__in=ASSISTING_TYPES,
            pk__in=list(staff_of),
        )
        .exclude(pk=lead_id)
        .order_by("code")
    )
    assist = list(assist)
    summons = [{"organisation": lead_id, "role": "lead"}]
    if assist:
        summons.append({"organisation": rng.choice(assist).pk, "role": "assist"})
    kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
    t = at + dt.timedelta(minutes=rng.randint(10, 90))
    try:
        whistle = _at(
            t,
            whistle_blow,
            actor=dispatcher,
            cases=[case.pk],
            kind=kind,
            reason="emergency" if kind == "emergency" else rng.choice(REASONS),
            description="街道无法单独解决，需相关部门联合处置",
            summons=summons,
        )
        return report_and_close(whistle, rng=rng, at=t, staff_of=staff_of, case=case)
    except CaseError:
        return None


def report_and_close(
    whistle: Whistle, *, rng: random.Random, at: dt.datetime, staff_of: dict[int, Any], case: Case
) -> dt.datetime:
    """Every summoned department reports (sometimes late), the street confirms and rates each one."""
    t = at
    summonses = list(whistle.summonses.select_related("organisation"))
    late_minutes = {"emergency": (5, 50), "campaign": (20, 400), "everyday": (30, 900)}[whistle.kind]
    for s in summonses:
        staff = staff_of.get(s.organisation_id)
        if staff is None:
            continue
        t_ack = t + dt.timedelta(minutes=rng.randint(3, late_minutes[1] // 3))
        _at(t_ack, summons_acknowledge, actor=staff, summons=s.pk)
        if s.role == "notify":
            continue
        t_on = t_ack + dt.timedelta(minutes=rng.randint(*late_minutes))
        lat = (case.lat or whistle.lat or 0) + rng.uniform(-0.0003, 0.0003)
        lng = (case.lng or whistle.lng or 0) + rng.uniform(-0.0003, 0.0003)
        _at(t_on, summons_check_in, actor=staff, summons=s.pk, lat=lat, lng=lng)
        t_act = t_on + dt.timedelta(minutes=rng.randint(30, 240))
        _at(t_act, summons_record_action, actor=staff, summons=s.pk, note="已到场联合执法，现场问题已处置")
        t = max(t, t_act)
    done = t + dt.timedelta(minutes=rng.randint(30, 300))
    dispatcher = _person(role=Role.STREET_DISPATCHER, node=whistle.street.code)
    _at(done, whistle_confirm_done, actor=dispatcher, whistle=whistle.pk, note="问题已解决，部门撤离")
    for s in whistle.summonses.select_related("summoned_by"):
        if s.role == "notify" or s.onsite_at is None:
            continue
        rater = _person(role=Role.STREET_DISPATCHER, node=s.summoned_by.code)
        on_time = 5 if s.onsite_on_time else rng.choice([2, 3])
        _at(
            done + dt.timedelta(minutes=rng.randint(10, 120)),
            whistle_rate,
            actor=rater,
            summons=s.pk,
            on_time_report=on_time,
            problem_solved=rng.choice([4, 5, 5]),
            attitude=rng.choice([4, 5]),
            comment="" if on_time == 5 else "报到不及时",
        )
    return done + dt.timedelta(minutes=130)


def load_border_story(*, now: dt.datetime) -> dict[str, str]:
    """The border story, finished three weeks ago and freshly filed today; returns the case numbers."""
    resident = _person(role=Role.RESIDENT)
    west = _person(role=Role.STREET_DISPATCHER, node=DEMO_BORDER_STREET_WEST)
    east = _person(role=Role.STREET_DISPATCHER, node=DEMO_BORDER_STREET_EAST)
    um_west_code, um_east_code = (
        f"ORG-{WEST_DISTRICT}-urban_management",
        f"ORG-{EAST_DISTRICT}-urban_management",
    )
    um_west = Organisation.objects.get(code=um_west_code)
    um_east = Organisation.objects.get(code=um_east_code)
    staff_of = {
        um_west.pk: _person(role=Role.DEPARTMENT_STAFF, org=um_west_code),
        um_east.pk: _person(role=Role.DEPARTMENT_STAFF, org=um_east_code),
    }
    category = category_get(ILLEGAL_BUILDING)
    rng = random.Random("border-story")

    # Finished: reported, filed, whistled jointly, both districts' enforcement reported, the building
    # came down, the case closed and the resident rated it.
    t = _working_morning(now - dt.timedelta(days=21))
    old = _at(
        t,
        case_report,
        actor=resident,
        source="resident_web",
        category=category,
        description="两区交界处有人搭建违章房屋，已经盖到二层，一半在河西一半在河东，两边都说不归自己管",
        lat=DEMO_BORDER_NEAR_WEST[1],
        lng=DEMO_BORDER_NEAR_WEST[0],
        reporter_name="赵先生",
        reporter_phone="13911112222",
    )
    worker = _person(role=Role.GRID_WORKER, node=old.grid.code)
    _at(t + dt.timedelta(minutes=30), _verify, case=old, actor=worker)
    _at(t + dt.timedelta(minutes=50), case_file, case=old.pk, actor=west)
    _at(t + dt.timedelta(minutes=55), case_dispatch, case=old.pk, actor=west, lead=um_west)
    whistle = _at(
        t + dt.timedelta(minutes=70),
        whistle_blow,
        actor=west,
        cases=[old.pk],
        kind="campaign",
        reason="joint_enforcement",
        description="违建跨区界，需两区城管联合执法拆除",
        summons=[{"organisation": um_west.pk, "role": "lead"}],
    )
    _at(
        t + dt.timedelta(minutes=90),
        whistle_summon,
        actor=east,
        whistle=whistle.pk,
        organisation=um_east,
        role="lead",
    )
    done = report_and_close(whistle, rng=rng, at=t + dt.timedelta(minutes=95), staff_of=staff_of, case=old)
    staff = staff_of[um_west.pk]
    _at(done + dt.timedelta(minutes=10), case_accept, case=old.pk, actor=staff)
    _at(
        done + dt.timedelta(minutes=20),
        case_handle,
        case=old.pk,
        actor=staff,
        result="两区联合执法，违建已全部拆除",
    )
    _at(
        done + dt.timedelta(hours=2),
        case_check,
        case=old.pk,
        actor=worker,
        note="现场核查：已拆除，场地已清理",
    )
    _at(done + dt.timedelta(hours=3), case_close, case=old.pk, actor=west)
    _at(
        done + dt.timedelta(days=1),
        case_rate,
        case=old.pk,
        actor=resident,
        satisfaction="satisfied",
        resolution="solved",
        comment="两个区一起来处理，很快就拆了",
    )

    # Fresh: the same kind of report on the line today, filed by the west street, waiting for its whistle.
    t = now - dt.timedelta(hours=2)
    fresh = _at(
        t,
        case_report,
        actor=resident,
        source="resident_web",
        category=category,
        description="区界线上又有人在搭建彩钢板房，正在施工，请尽快处理",
        lat=DEMO_BORDER_NEAR_EAST[1],
        lng=DEMO_BORDER_NEAR_EAST[0] - (DEMO_BORDER_NEAR_EAST[0] - DEMO_BORDER_NEAR_WEST[0]) * 0.75,
        reporter_name="钱女士",
        reporter_phone="13933334444",
    )
    worker = _person(role=Role.GRID_WORKER, node=fresh.grid.code)
    _at(t + dt.timedelta(minutes=20), _verify, case=fresh, actor=worker)
    _at(t + dt.timedelta(minutes=40), case_file, case=fresh.pk, actor=west)
    return {"finished": old.number, "to_play": fresh.number}


def _verify(*, case: Case, actor: Any) -> Case:
    return case_act(case=case.pk, action="verify", actor=actor)


def _working_morning(moment: dt.datetime) -> dt.datetime:
    """09:30 on the nearest weekday at or before ``moment`` (the story starts in office hours)."""
    local = timezone.localtime(moment)
    while local.weekday() >= 5:
        local -= dt.timedelta(days=1)
    return local.replace(hour=9, minute=30, second=0, microsecond=0)
