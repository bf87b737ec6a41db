"""The city the access matrix runs against: the small city with dual reporting, and one of each kind of
object in district A (the scoped actors' side) and in district B (outside every scoped actor's reach).

Every object outside carries ``MARKER_B`` in its text, so that a response can be searched for a leak.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import add_engagement, build_small_city, grid_centre, photo

GRID_A = "110901001001001"
GRID_B = "110902001001001"
MARKER_A = "matrixinsideA7q"
MARKER_B = "matrixoutsideB9z"
# The outside case's reporter: personal data, shown to no one outside the city-wide roles.
PERSON_A = "matrixpersonA3m"
PERSON_B = "matrixpersonB4k"
# The people the matrix calls as: one per role, scoped to district A (or to its organisations).
SIGNED_IN = (
    "resident",
    "grid-a",
    "community-a",
    "street-a",
    "um-a",
    "district-a",
    "city",
    "leader",
    "admin",
    "bureau-organiser",
)


@dataclass
class Side:
    """The objects of one side (A: inside the actors' scope, B: outside it)."""

    case: Any = None
    media: Any = None
    whistle: Any = None
    summons: Any = None
    notification: Any = None
    community: str = ""
    street: str = ""
    district: str = ""
    org: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    city: Any
    a: Side
    b: Side
    keys: dict[str, str]
    media_root: Any = None


def _case(city, who: str, grid: str, marker: str, reporter_name: str):
    from chuishao.cases.services import case_act, case_report

    lat, lng = grid_centre(grid)
    png = photo("p.png", "PNG").read()
    case = case_report(
        actor=city.people[who],
        category="S0102",
        source="resident_web",
        description=f"楼下垃圾堆了三天 {marker}",
        lat=lat,
        lng=lng,
        reporter_name=reporter_name,
        reporter_phone="13812341234",
        media=[SimpleUploadedFile("p.png", png, content_type="image/png")],
    )
    return case, case_act


def build_world() -> World:
    from chuishao import clock
    from chuishao.activities.services import activity_create
    from chuishao.actors import SYSTEM
    from chuishao.cases.services.whistle import whistle_blow
    from chuishao.catalog.models import Category
    from chuishao.evaluation.services import rollup_rebuild
    from chuishao.events.models import Event
    from chuishao.monthly.services import problem_take_on
    from chuishao.notify.models import Notification
    from chuishao.orgs.apikeys import apikey_create
    from chuishao.orgs.services import organisation_upsert
    from chuishao.workforce.services import worker_hire

    city = add_engagement(build_small_city())
    sides = {}
    for side, who, grid, marker, person, street_user, dept in (
        ("a", "resident", GRID_A, MARKER_A, PERSON_A, "street-a", "um-110901"),
        ("b", "resident2", GRID_B, MARKER_B, PERSON_B, "street-b", "um-110902"),
    ):
        case, case_act = _case(city, who, grid, marker, person)
        case_act(case=case, action="file", actor=city.people[street_user])
        case = case_act(case=case, action="dispatch", actor=city.people[street_user], lead=city.orgs[dept])
        whistle = whistle_blow(
            actor=city.people[street_user],
            cases=[case],
            kind="everyday",
            reason="joint_enforcement",
            description=f"联合执法 {marker}",
            summons=[{"organisation": city.orgs[dept], "role": "lead"}],
        )
        s = Side(
            case=case,
            media=case.media.get(),
            whistle=whistle,
            summons=whistle.summonses.get(),
            community=grid[:12],
            street=grid[:9],
            district=grid[:6],
            extra={"streetnode": city.nodes[grid[:9]].pk},
        )
        sides[side] = s
    # The unit on side B (side A's is the bureau of dual reporting).
    sides["a"].org = city.orgs["bureau-a"]
    sides["b"].org = organisation_upsert(
        actor=SYSTEM,
        code="bureau-b",
        kind="unit",
        name="区税务局",
        jurisdiction=city.nodes["110902001"],
        unit_kind="organ",
    )
    for side, unit in (("a", sides["a"].org), ("b", sides["b"].org)):
        sides[side].extra["partyorg"] = organisation_upsert(
            actor=SYSTEM,
            code=f"{unit.code}-party-m",
            kind="party_org",
            name=f"支部 {MARKER_A if side == 'a' else MARKER_B}",
            jurisdiction=unit.jurisdiction,
            party_level="branch",
        )
    # One notification each for street-a and street-b.
    for side, who in (("a", "street-a"), ("b", "street-b")):
        case = sides[side].case
        event = Event.objects.filter(case_id=case.pk).order_by("id").first()
        sides[side].notification = Notification.objects.create(
            recipient=city.people[who],
            event=event,
            verb="case.dispatched",
            city_id=city.city.pk,
            case=case,
            title=f"派遣 {case.number}",
            created_at=clock.now(),
        )
    # A community worker on each side; the name is personal data (the outside one carries PERSON_B).
    for side, street_user, name in (("a", "street-a", f"王{PERSON_A}"), ("b", "street-b", f"王{PERSON_B}")):
        sides[side].extra["worker"] = worker_hire(
            actor=city.people[street_user],
            community=city.nodes[sides[side].community],
            name=name,
            post="other",
            grade=3,
            started_on="2020-03-01",
        )
    # A branch meeting (members only) of each side's party organisation, a week ahead.
    start = clock.now() + dt.timedelta(days=7)
    for side, street_user, marker in (("a", "street-a", MARKER_A), ("b", "street-b", MARKER_B)):
        sides[side].extra["activity"] = activity_create(
            actor=city.people[street_user],
            organiser=sides[side].extra["partyorg"],
            kind="branch_meeting",
            meeting_kind="general",
            title=f"支部党员大会 {marker}",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            place="党群服务中心",
        )
    # A problem of the month on each side's street, led by its district's urban management bureau.
    for side, dept, marker in (("a", "um-110901", MARKER_A), ("b", "um-110902", MARKER_B)):
        sides[side].extra["problem"] = problem_take_on(
            actor=city.people["city"],
            title=f"电动车楼道充电 {marker}",
            categories=[Category.objects.get(kind="event", code="0102")],
            area=city.nodes[sides[side].street],
            lead=city.orgs[dept],
        )
    # The evaluation rollup, so that a street's trend has rows.
    rollup_rebuild(city_id=city.city.pk, settle=dt.timedelta(0))
    keys = {
        "key-client": apikey_create(actor=SYSTEM, name="matrix client", scopes=["open311"])[1],
        "key-street-a": apikey_create(
            actor=SYSTEM, name="matrix street-a", scopes=["read", "write"], person=city.people["street-a"]
        )[1],
    }
    return World(city=city, a=sides["a"], b=sides["b"], keys=keys)
