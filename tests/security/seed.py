"""The city the access matrix runs against: the small city with dual reporting, and one of each kind of
object in district A (the scoped actors' side) and in district B (outside every scoped actor's reach).

Every object outside carries ``MARKER_B`` in its text, so that a response can be searched for a leak.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import add_engagement, build_small_city, grid_centre, photo, square
from tests.security.matrix import ACTORS

GRID_A = "110901001001001"
GRID_B = "110902001001001"
MARKER_A = "matrixinsideA7q"
MARKER_B = "matrixoutsideB9z"
# The outside case's reporter: personal data, shown to no one outside the city-wide roles.
PERSON_A = "matrixpersonA3m"
PERSON_B = "matrixpersonB4k"
# The people the matrix calls as: one per role, scoped to district A (or to its organisations).
SIGNED_IN = tuple(a for a in ACTORS if a != "anonymous" and not a.startswith("key-"))


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


def _exemplar(city, side: str, who: str, marker: str) -> dict[str, Any]:
    from chuishao.library import services as library

    street = GRID_A[:9] if side == "a" else GRID_B[:9]
    actor = city.people[who]
    exemplar = library.exemplar_create(
        actor=actor,
        organisation=city.orgs[f"street-{street[:6]}"],
        title=f"错时共享停车 {marker}",
        region=city.nodes[street],
        problem=f"老旧小区停车难 {marker}",
        actions="与周边单位签订错时共享协议。",
        results=[library.ResultRow("新增共享车位", "32", "个")],
        tags="停车治理",
    )
    (attachment,) = library.attachments_add(actor=actor, exemplar=exemplar, files=[photo("e.png", "PNG")])
    exemplar = library.exemplar_submit(actor=actor, exemplar=exemplar)
    return {"exemplar": exemplar, "exemplar_photo": attachment}


def _campaign(city, district: str, who: str, reviewer: str, street_user: str, marker: str) -> dict[str, Any]:
    from chuishao.campaigns import services as campaigns

    day = campaigns.today()
    campaign = campaigns.campaign_create(
        actor=city.people[who],
        node=city.nodes[district],
        title=f"十佳社区工作者评选 {marker}",
        description=f"全区评选 {marker}",
        places=2,
        quota=2,
        criteria=[campaigns.CriterionInput(name="事迹突出", max_score=10, weight=1)],
        **{
            key: day + dt.timedelta(days=n)
            for key, n in (
                ("recommend_until", 10),
                ("review_until", 20),
                ("notice_from", 23),
                ("notice_until", 29),
                ("announce_on", 30),
            )
        },
    )
    campaigns.campaign_open(actor=city.people[who], campaign=campaign)
    campaigns.reviewer_add(actor=city.people[who], campaign=campaign, person=city.people[reviewer])
    candidate = campaigns.candidate_recommend(
        actor=city.people[street_user],
        campaign=campaign,
        name="李红",
        unit="街道办事处",
        title="社区好人",
        deeds=f"扎根社区十年 {marker}",
        contact_phone="13900001111",
        attachments=[photo("c.png", "PNG")],
    )
    campaign.refresh_from_db()
    return {"campaign": campaign, "candidate": candidate, "candidate_photo": candidate.attachments.get()}


def _objection(city, district: str, who: str, reviewer: str, street_user: str, objector: str, marker: str):
    """A second campaign of the district, taken through the real services to its public notice (公示)
    with one objection lodged today: the answer route then has a real objection on each side. The
    notice is public by design, so only the objection (organisers' eyes only) carries the marker."""
    from chuishao import clock
    from chuishao.campaigns import services as campaigns

    day = campaigns.today()
    organiser = city.people[who]

    def days_ago(n: int):
        return clock.frozen(clock.now() - dt.timedelta(days=n))

    with days_ago(25):
        campaign = campaigns.campaign_create(
            actor=organiser,
            node=city.nodes[district],
            title="优秀网格员评选",
            places=1,
            quota=1,
            criteria=[campaigns.CriterionInput(name="事迹突出", max_score=10, weight=1)],
            recommend_until=day - dt.timedelta(days=20),
            review_until=day - dt.timedelta(days=10),
            notice_from=day - dt.timedelta(days=3),
            notice_until=day + dt.timedelta(days=3),
            announce_on=day + dt.timedelta(days=5),
        )
        campaigns.campaign_open(actor=organiser, campaign=campaign)
        campaigns.reviewer_add(actor=organiser, campaign=campaign, person=city.people[reviewer])
        candidate = campaigns.candidate_recommend(
            actor=city.people[street_user],
            campaign=campaign,
            name="周平",
            unit="街道办事处",
            title="网格员",
            deeds="走街串巷五年。",
        )
    with days_ago(19):
        campaigns.review_start(actor=organiser, campaign=campaign)
    with days_ago(18):
        (criterion,) = campaign.criteria.all()
        campaigns.scores_set(
            actor=city.people[reviewer],
            campaign=campaign,
            candidate=candidate,
            scores={criterion.pk: (8, "")},
        )
    with days_ago(15):
        campaigns.round_close(actor=organiser, campaign=campaign)
        campaigns.shortlist_confirm(actor=organiser, campaign=campaign)
    with days_ago(2):
        campaigns.notice_start(actor=organiser, campaign=campaign)
    objection = campaigns.objection_lodge(
        actor=city.people[objector], campaign=campaign, candidate=candidate, text=f"事迹不实 {marker}"
    )
    return {"notice_campaign": campaign, "objection": objection}


def _second_factor(person) -> Any:
    """Turn on ``person``'s authenticator through the services, as the person would with the app."""
    import base64
    from urllib.parse import parse_qs, urlparse

    from chuishao import clock
    from chuishao.security import services as security
    from chuishao.security import totp

    uri = security.totp_enrol_begin(actor=person, person=person)
    key = parse_qs(urlparse(uri).query)["secret"][0]
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    code = totp.code_for(secret, totp.step_of(clock.now().timestamp()))
    security.totp_enrol_confirm(actor=person, person=person, code=code)
    return person


def _serve(city, community: str, member: str, unit, staff: str, side: str) -> dict[str, Any]:
    from chuishao import clock
    from chuishao.engagement import services as serve
    from chuishao.engagement.models import ServicePost

    node = city.nodes[community]
    registration = serve.registration_submit_member(
        actor=city.people[member], community=node, unit=unit, posts=["order"]
    )
    registration = serve.registration_decide(actor=city.people[staff], registration=registration, accept=True)
    start = clock.now() + dt.timedelta(days=2)
    task = serve.task_create(
        actor=city.people[staff],
        node=node,
        title=f"巡逻 {MARKER_A if side == 'a' else MARKER_B}",
        post=ServicePost.objects.get(code="order"),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        capacity=5,
        place="北门",
    )
    claim = serve.claim_task(actor=city.people[member], task=task)
    return {"serve_registration": registration, "serve_task": task, "serve_claim": claim}


def _board(city, side: str, grid: str, staff: str) -> dict[str, Any]:
    from chuishao import clock
    from chuishao.geo.models import Complex
    from chuishao.party import boards

    marker, person = (MARKER_A, PERSON_A) if side == "a" else (MARKER_B, PERSON_B)
    lat, lng = grid_centre(grid)
    complex_ = Complex.objects.create(
        code=f"MATRIX{side.upper()}",
        name=f"小区 {marker}",
        community=city.nodes[grid[:12]],
        boundary=square(lng - 0.0002, lat - 0.0002, 0.0004, 0.0004),
        households=300,
    )
    actor = city.people[staff]
    board = boards.board_set_up(actor=actor, complex_=complex_, name=f"联席会 {marker}")
    seat = boards.board_seat_add(
        actor=actor, board=board, body="homeowners_committee", display_name=f"刘{person}", position="主任"
    )
    meeting = boards.meeting_record(
        actor=actor,
        board=board,
        held_at=clock.now() - dt.timedelta(hours=1),
        place="党群服务中心",
        agenda=f"楼道堆物 {marker}",
        attendees=[seat],
        decisions=[boards.DecisionInput(text=f"清理楼道堆物 {marker}")],
    )
    return {"complex": complex_.code, "board_seat": seat, "board_decision": meeting.decisions.get()}


def _demonstration(city, side: str, who: str, s: Side) -> dict[str, Any]:
    from chuishao.demonstration import services as demonstration

    marker = MARKER_A if side == "a" else MARKER_B
    actor = city.people[who]
    programme = demonstration.programme_create(
        actor=actor,
        owner_node=city.nodes[s.district],
        name=f"基层党建示范社区 {marker}",
        level="community",
        quota=1,
        targets={"response": 80, "resolution": 80, "satisfaction": 80, "coverage": 50},
        description=f"全区示范 {marker}",
    )
    unit = demonstration.unit_name(
        actor=actor, programme=programme, node=city.nodes[s.community], note=f"首批 {marker}"
    )
    year = demonstration.today().year
    (review,) = demonstration.review_run(actor=actor, programme=programme, year=year)
    return {"programme": programme, "demo_unit": unit, "demo_review": review, "demo_year": year}


def _plant(city, street: str, dept: str, marker: str) -> str:
    """Two e-bike charging reports a month in the street's grids over the three months before this one."""
    import random

    from chuishao import clock
    from chuishao.catalog.models import Category
    from chuishao.demo.monthly import Plan, plant_problem
    from chuishao.geo.models import Jurisdiction

    ebike = Category.objects.get(kind="event", name="电动车违规充电")
    plant_problem(
        Plan(
            category=ebike,
            grids=list(Jurisdiction.objects.filter(kind="grid", street__code=street).order_by("code")),
            leads=[city.orgs[dept]],
            texts=lambda _r: f"楼道里电动车充电 {marker}",
            volume=lambda offset: 2 if offset < 0 else 0,
            months=4,
        ),
        rng=random.Random(7),
        now=clock.now(),
    )
    return f"{ebike.pk}-{street}"


def build_world() -> World:
    from chuishao import clock
    from chuishao.activities.services import activity_create
    from chuishao.actors import SYSTEM
    from chuishao.cases.services.whistle import whistle_blow
    from chuishao.catalog.models import Category
    from chuishao.evaluation.services import rollup_rebuild
    from chuishao.events.models import Event
    from chuishao.monthly.services import problem_take_on, task_add
    from chuishao.notify.models import Notification
    from chuishao.orgs.apikeys import apikey_create
    from chuishao.orgs.services import organisation_upsert
    from chuishao.party.members import party_member_add
    from chuishao.workforce.services import admission_request, worker_hire

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
    # A problem of the month on each side's street, led by its district's urban management bureau, with
    # one task for the bureau; and a candidate problem to mine (e-bike charging reported in the last three
    # months), whose key names the category and the street.
    for side, dept, marker in (("a", "um-110901", MARKER_A), ("b", "um-110902", MARKER_B)):
        problem = problem_take_on(
            actor=city.people["city"],
            title=f"电动车楼道充电 {marker}",
            categories=[Category.objects.get(kind="event", code="0102")],
            area=city.nodes[sides[side].street],
            lead=city.orgs[dept],
        )
        sides[side].extra["problem"] = problem
        sides[side].extra["monthly_task"] = task_add(
            actor=city.people["city"],
            problem=problem,
            text=f"逐楼排查 {marker}",
            owner=city.orgs[dept],
            due_on=clock.now().date() + dt.timedelta(days=14),
        )
        sides[side].extra["monthly_key"] = _plant(city, sides[side].street, dept, marker)
    # An exemplary case written by each side's street office, with a photo, submitted for review: its
    # organisation's people and the reviewers over its region read it; published, it would be public.
    for side, street_user, marker in (("a", "street-a", MARKER_A), ("b", "street-b", MARKER_B)):
        sides[side].extra.update(_exemplar(city, side, street_user, marker))
    # A selection campaign run by each district's centre, open for recommendations, with the resident
    # (resident2 on side B) named reviewer and one candidate with a photo recommended by the street; and a
    # second one in its public notice with one objection, lodged by the same resident.
    for side, who, reviewer, street_user, marker in (
        ("a", "district-a", "resident", "street-a", MARKER_A),
        ("b", "district-b", "resident2", "street-b", MARKER_B),
    ):
        sides[side].extra.update(_campaign(city, sides[side].district, who, reviewer, street_user, marker))
        sides[side].extra.update(
            _objection(city, sides[side].district, who, reviewer, street_user, reviewer, marker)
        )
    # Dual reporting (双报到) on each side: an in-service party member registered with the community
    # (confirmed by its staff), a task of the community two days ahead and the member's claim on it.
    for side, member, unit, staff in (
        ("a", "member-1", sides["a"].org, "community-a"),
        ("b", "member-2", sides["b"].org, "community-b"),
    ):
        sides[side].extra.update(_serve(city, sides[side].community, member, unit, staff, side))
    # Red property (红色物业): a residential complex in each side's community with its joint board set up
    # by the community staff, one seat (a name that is personal data) and a meeting with one decision.
    for side, grid, staff in (("a", GRID_A, "community-a"), ("b", GRID_B, "community-b")):
        sides[side].extra.update(_board(city, side, grid, staff))
    # A demonstration programme of each district, with its community named a unit and this year's review.
    for side, who in (("a", "district-a"), ("b", "district-b")):
        sides[side].extra.update(_demonstration(city, side, who, sides[side]))
    # A member of each side's party organisation (the name is personal data), and a request of the
    # district's urban management bureau to push a form down to the street (准入), not yet decided.
    for side, street_user, dept_user, dept, person, marker in (
        ("a", "street-a", "um-a", "um-110901", PERSON_A, MARKER_A),
        ("b", "street-b", "um-b", "um-110902", PERSON_B, MARKER_B),
    ):
        sides[side].extra["party_member"] = party_member_add(
            actor=city.people[street_user], party_org=sides[side].extra["partyorg"], name=f"赵{person}"
        )
        sides[side].extra["admission"] = admission_request(
            actor=city.people[dept_user],
            scope=city.nodes[sides[side].street],
            kind="form",
            title=f"燃气安全入户检查台账 {marker}",
            basis="区燃气安全专项整治方案",
            starts_on=clock.now().date() + dt.timedelta(days=30),
            org=city.orgs[dept],
        )
    # The department staff of each side's urban management bureau protect their accounts with an
    # authenticator: the reset of a second factor names a person with one.
    for side, dept_user in (("a", "um-a"), ("b", "um-b")):
        sides[side].extra["totp_person"] = _second_factor(city.people[dept_user])
    # The evaluation rollup, so that a street's trend has rows.
    rollup_rebuild(city_id=city.city.pk, settle=dt.timedelta(0))
    keys = {
        "key-client": apikey_create(actor=SYSTEM, name="matrix client", scopes=["open311"])[1],
        "key-street-a": apikey_create(
            actor=SYSTEM, name="matrix street-a", scopes=["read", "write"], person=city.people["street-a"]
        )[1],
    }
    return World(city=city, a=sides["a"], b=sides["b"], keys=keys)
