"""Loading the demo city through the real services, so its events and audit chain are real.

Geography, organisations and people come from ``demo.city``; a few months of cases are replayed by
moving the injectable clock and calling the same services a person would, in the same order.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.cases.errors import CaseError
from chuishao.cases.models import Case, Source, Status
from chuishao.cases.services import case_act, case_report
from chuishao.catalog.calendar import work_calendar
from chuishao.catalog.calendar_io import calendar_load_official
from chuishao.catalog.models import Category, CategoryQuestion, QuestionType
from chuishao.catalog.services import catalog_load_defaults
from chuishao.demo.activities import load_activities
from chuishao.demo.campaigns import load_campaigns
from chuishao.demo.city import demo_city_geojson, demo_organisations, demo_people
from chuishao.demo.demonstration import load_demonstration
from chuishao.demo.engagement import load_engagement
from chuishao.demo.gridwork import load_gridwork
from chuishao.demo.library import load_library
from chuishao.demo.monthly import load_monthly
from chuishao.demo.party_coverage import load_party_coverage
from chuishao.demo.redproperty import load_redproperty
from chuishao.demo.stories import WHISTLE_SHARE, load_border_story, play_whistle
from chuishao.demo.workforce import load_workforce
from chuishao.evaluation.services import rollup_rebuild
from chuishao.events.models import Event
from chuishao.events.services import checkpoint_create, event_append
from chuishao.geo.importer import geo_import
from chuishao.geo.models import Complex, Jurisdiction
from chuishao.notify.services.fanout import fanout_skip_to_latest
from chuishao.orgs.models import Membership, Organisation, Role
from chuishao.orgs.services import membership_grant, organisation_upsert, person_create
from chuishao.workforce.defaults import workforce_load_defaults

DEMO_PASSWORD = "chuishao2026"  # noqa: S105 — the demo's published password, printed by `make demo`
LOADED_VERB = "demo.loaded"

# Major-class mix of one Beijing district's month of grid cases (REFERENCE.md §1), plus the
# grassroots extensions residents bring; keys are (kind, major code).
CATEGORY_MIX = {
    ("event", "01"): 0.60,
    ("event", "05"): 0.23,
    ("event", "02"): 0.03,
    ("component", "01"): 0.03,
    ("event", "03"): 0.02,
    ("event", "04"): 0.02,
    ("event", "22"): 0.03,
    ("event", "23"): 0.01,
    ("event", "25"): 0.02,
    ("event", "26"): 0.01,
}
SOURCE_MIX = {Source.GRID_PATROL: 0.55, Source.RESIDENT_WEB: 0.22, Source.HOTLINE: 0.18, Source.OPEN311: 0.05}
DESCRIPTIONS = {
    "暴露垃圾": "路边垃圾桶满溢，垃圾散落地面",
    "道路不洁": "人行道上有大片油污和杂物",
    "积存垃圾渣土": "小区门口堆放建筑渣土多日",
    "私搭乱建": "楼顶新搭建彩钢板房",
    "机动车乱停放": "车辆长期占用消防通道",
    "非机动车乱停放": "共享单车堆满人行道",
    "店外经营": "商户占道摆放货架",
    "非法小广告": "电线杆上贴满小广告",
    "道路积水": "雨后路口积水很深，行人无法通过",
}


def demo_is_loaded() -> bool:
    return Event.objects.filter(verb=LOADED_VERB).exists()


def _pick(rng: random.Random, mix: dict) -> Any:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def _point_in(rng: random.Random, boundary: dict) -> tuple[float, float]:
    """A random point inside a polygon (rejection sampling on its bounding box); returns (lat, lng)."""
    from shapely.geometry import Point, shape

    poly = shape(boundary)
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(200):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if poly.contains(Point(x, y)):
            return round(y, 7), round(x, 7)
    c = poly.representative_point()
    return c.y, c.x


def load_geography_and_people(*, log: Callable[[str], None]) -> dict[str, Any]:
    log("catalogue, work calendar …")
    catalog_load_defaults(actor=SYSTEM)
    workforce_load_defaults()
    calendar_load_official(actor=SYSTEM)
    geo = demo_city_geojson()
    log(f"geography: {len(geo['features'])} features …")
    geo_import(actor=SYSTEM, data=geo)
    nodes = {j.code: j for j in Jurisdiction.objects.all()}
    complexes = {c.code: c for c in Complex.objects.all()}
    orgs: dict[str, Organisation] = {}
    specs = demo_organisations(geo)
    log(f"organisations: {len(specs)} …")
    # Parents first: a dispatched agency names its department, a party organisation its unit.
    pending = list(specs)
    while pending:
        progressed = []
        for spec in pending:
            refs = [spec.get("parent"), spec.get("attached_unit")]
            if any(r and r not in orgs for r in refs):
                continue
            orgs[spec["code"]] = organisation_upsert(
                actor=SYSTEM,
                code=spec["code"],
                kind=spec["kind"],
                name=spec["name"],
                name_en=spec.get("name_en", ""),
                dept_type=spec.get("dept_type", "") or "",
                jurisdiction=nodes[spec["jurisdiction"]],
                parent=orgs.get(spec.get("parent") or ""),
                party_level=spec.get("party_level", "") or "",
                unit_kind=spec.get("unit_kind", "") or "",
                attached_unit=orgs.get(spec.get("attached_unit") or ""),
                attached_complex=complexes.get(spec.get("attached_complex") or ""),
                complexes=[complexes[c] for c in spec.get("complexes", []) if c in complexes],
            )
            progressed.append(spec)
        if not progressed:
            raise RuntimeError(
                "demo organisations refer to parents that do not exist: "
                + ", ".join(s["code"] for s in pending[:5])
            )
        pending = [s for s in pending if s not in progressed]
    people_specs = demo_people(geo, specs)
    log(f"people: {len(people_specs)} …")
    hashed = make_password(DEMO_PASSWORD)
    for spec in people_specs:
        user = person_create(
            actor=SYSTEM,
            username=spec["username"],
            display_name=spec.get("display_name", ""),
            phone=spec.get("phone", ""),
            password_hash=hashed,
            is_staff=any(r["role"] == Role.ADMIN for r in spec["roles"]),
        )
        if any(r["role"] == Role.ADMIN for r in spec["roles"]):
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        for role in spec["roles"]:
            membership_grant(
                actor=SYSTEM,
                person=user,
                role=role["role"],
                node=nodes[role["node"]] if role.get("node") else None,
                organisation=orgs[role["organisation"]] if role.get("organisation") else None,
            )
    return {"nodes": nodes, "orgs": orgs}


class _Cast:
    """Who plays each part for a case: found once from the memberships."""

    def __init__(self) -> None:
        self.by_node: dict[tuple[str, int], Any] = {}
        self.by_org: dict[int, Any] = {}
        self.residents: list[Any] = []
        for m in Membership.objects.select_related("person").filter(active=True):
            if m.role == Role.DEPARTMENT_STAFF and m.organisation_id:
                self.by_org.setdefault(m.organisation_id, m.person)
            elif m.role == Role.RESIDENT:
                self.residents.append(m.person)
            elif m.node_id:
                self.by_node.setdefault((m.role, m.node_id), m.person)

    def node(self, role: str, node_id: int | None) -> Any:
        return self.by_node.get((role, node_id)) if node_id else None


def load_history(*, days: int = 120, cases: int = 1200, seed: int = 2019, log: Callable[[str], None]) -> int:
    """Replay ``cases`` cases over the last ``days`` days through the services; returns how many were made."""
    rng = random.Random(seed)
    cast = _Cast()
    grids = list(Jurisdiction.objects.filter(kind="grid").order_by("code"))
    minors = defaultdict(list)
    for cat in Category.objects.filter(parent__isnull=False, active=True).select_related("parent"):
        minors[(cat.kind, cat.parent.code)].append(cat)
    mix = {k: w for k, w in CATEGORY_MIX.items() if minors.get(k)}
    questions = defaultdict(list)
    for question in CategoryQuestion.objects.order_by("order"):
        questions[question.category_id].append(question)
    tz = timezone.get_default_timezone()
    today = timezone.localtime(clock.now()).date()
    start_day = today - dt.timedelta(days=days)
    cal = work_calendar(None)
    made = 0
    city_centre = next((p for (role, _), p in cast.by_node.items() if role == Role.CITY_CENTRE), None)
    log(f"history: {cases} cases over {days} days …")
    for i in range(cases):
        day = start_day + dt.timedelta(days=int(days * i / cases))
        while not cal.is_working_day(day) and rng.random() < 0.7:
            day += dt.timedelta(days=1)
        at = dt.datetime.combine(day, dt.time(8, 0), tzinfo=tz) + dt.timedelta(minutes=rng.randint(0, 600))
        if at >= clock.now():
            break
        grid = rng.choice(grids)
        kind, major = _pick(rng, mix)
        category = rng.choice(minors[(kind, major)])
        source = _pick(rng, SOURCE_MIX)
        lat, lng = _point_in(rng, grid.boundary)
        worker = cast.node(Role.GRID_WORKER, grid.pk)
        dispatcher = cast.node(Role.STREET_DISPATCHER, grid.street_id)
        if source == Source.GRID_PATROL:
            reporter = worker
        elif source == Source.HOTLINE:
            reporter = dispatcher
        elif source == Source.RESIDENT_WEB and cast.residents:
            reporter = rng.choice(cast.residents)
        else:
            reporter = SYSTEM
        if reporter is None or worker is None or dispatcher is None:
            continue
        # A grid worker's own patrol report has no caller; residents and hotline callers leave contacts.
        caller = source != Source.GRID_PATROL
        caller_name = rng.choice(["张先生", "李女士", "王阿姨", "刘师傅", ""]) if caller else ""
        caller_phone = f"139{rng.randint(10000000, 99999999)}" if caller else ""
        description = DESCRIPTIONS.get(category.name, f"{category.name}：{category.hint or '请尽快处理'}")
        with clock.frozen(at):
            case = case_report(
                actor=reporter,
                source=source,
                category=category,
                description=description,
                lat=lat,
                lng=lng,
                address=f"{grid.name}附近",
                reporter_name=caller_name,
                reporter_phone=caller_phone,
                answers=_answers(rng, questions[category.pk], at),
            )
        made += 1
        _play(case, rng=rng, at=at, cast=cast, worker=worker, dispatcher=dispatcher, centre=city_centre)
        if made % 100 == 0:
            log(f"  {made} cases")
    return made


def _answers(rng: random.Random, questions: list[CategoryQuestion], at: dt.datetime) -> dict[str, Any]:
    """Plausible answers: every required question, about half of the optional ones."""
    answers: dict[str, Any] = {}
    for q in questions:
        if q.required or rng.random() < 0.5:
            answers[q.code] = _answer(rng, q, at)
    return answers


def _answer(rng: random.Random, q: CategoryQuestion, at: dt.datetime) -> Any:
    keys = [v["key"] for v in q.values]
    if q.datatype == QuestionType.SINGLE:
        return rng.choice(keys)
    if q.datatype == QuestionType.MULTI:
        return rng.sample(keys, rng.randint(1, len(keys)))
    if q.datatype == QuestionType.NUMBER:
        return rng.randint(5, 40)
    if q.datatype == QuestionType.DATETIME:
        return (at - dt.timedelta(hours=rng.randint(1, 12))).isoformat()
    if q.code == "plate":
        return f"京A{rng.randint(10000, 99999)}"
    return f"{rng.randint(1, 30)}号楼" if q.datatype == QuestionType.STRING else "现场情况已拍照"


def _play(
    case: Case, *, rng: random.Random, at: dt.datetime, cast: _Cast, worker: Any, dispatcher: Any, centre: Any
) -> None:
    """Walk one case through a plausible life, stopping where 'now' is reached."""
    t = at

    def step(action: str, actor: Any, minutes: tuple[int, int], **params: Any) -> bool:
        nonlocal t
        t = t + dt.timedelta(minutes=rng.randint(*minutes))
        if t >= clock.now() or actor is None:
            return False
        try:
            with clock.frozen(t):
                case_act(case=case.pk, action=action, actor=actor, **params)
        except CaseError:
            return False
        return True

    r = rng.random()
    if case.status == Status.REPORTED:
        if r < 0.04:
            step("decline", dispatcher, (20, 90), reason="重复上报，已有相同案件在处理")
            return
        if not step("verify", worker, (15, 70)):
            return
    if case.source == Source.GRID_PATROL and r < 0.12:
        step("self_handle", worker, (5, 30), note="当场处置完毕")
        return
    if not step("file", dispatcher, (5, 40)):
        return
    lead = Organisation.objects.filter(pk=case.suggested_org_id).first() if case.suggested_org_id else None
    if lead is None or lead.pk not in cast.by_org:
        lead = Organisation.objects.filter(
            pk__in=list(cast.by_org), dept_type="street_office", jurisdiction_id=case.street_id
        ).first()
    if lead is None:
        return
    if r > 0.97 and centre is not None:
        step(
            "park",
            cast.node(Role.DISTRICT_CENTRE, case.district_id) or centre,
            (30, 120),
            reason="需纳入年度改造计划，待资金到位",
        )
        return
    if not step("dispatch", dispatcher, (5, 30), lead=lead):
        return
    if rng.random() < WHISTLE_SHARE:
        ended = play_whistle(case, rng=rng, at=t, dispatcher=dispatcher, staff_of=cast.by_org)
        if ended is None:
            return
        t = ended
    staff = cast.by_org.get(lead.pk)
    if rng.random() < 0.05:
        if not step("return", staff, (20, 120), reason="该事项不属于本部门职责"):
            return
        if not step("dispatch", dispatcher, (10, 60), lead=lead):
            return
    if not step("accept", staff, (10, 120)):
        return
    if not step("start", staff, (10, 240)):
        return
    working_days = rng.choice([0, 0, 1, 1, 2, 3, 5, 8])
    if not step(
        "handle", staff, (60 + 1440 * working_days, 300 + 1440 * working_days), result="已按标准处置完毕"
    ):
        return
    if rng.random() < 0.07:
        if not step("rework", worker, (30, 240), reason="现场核查未处理到位"):
            return
        if not step("handle", staff, (120, 1440), result="返工后已处置到位"):
            return
    if not step("check", worker, (30, 240)):
        return
    if not step("close", dispatcher, (10, 120)):
        return
    satisfied = rng.random()
    satisfaction = "satisfied" if satisfied < 0.78 else ("basically" if satisfied < 0.92 else "unsatisfied")
    resolution = "solved" if satisfaction != "unsatisfied" else rng.choice(["partly", "unsolved"])
    rater = case.reporter if case.reporter_id else dispatcher
    step(
        "rate",
        rater,
        (120, 2880),
        satisfaction=satisfaction,
        resolution=resolution,
        comment="" if satisfaction != "unsatisfied" else "处理不彻底",
    )


def load_demo(*, log: Callable[[str], None] = print, cases: int = 1200, days: int = 120) -> dict[str, int]:
    load_geography_and_people(log=log)
    made = load_history(days=days, cases=cases, log=log)
    # 每月一题: a year of recurring problems on top of the history, one of them taken on months ago.
    made += load_monthly(now=clock.now(), log=log)["cases"]
    story = load_border_story(now=clock.now())
    log(f"border story: finished {story['finished']}, ready to play {story['to_play']}")
    load_engagement(now=clock.now(), password=DEMO_PASSWORD, log=log)
    load_gridwork(now=clock.now(), log=log)
    # The 托乐嘉 story names its complex's party branch; the Panjin story then founds the remaining ones.
    load_redproperty(now=clock.now(), password=DEMO_PASSWORD, log=log)
    load_party_coverage(now=clock.now(), log=log)
    load_workforce(now=clock.now(), log=log)
    # Party-building work: the library first, so activities and campaigns can link its exemplary cases.
    load_library(now=clock.now(), log=log)
    load_activities(now=clock.now(), password=DEMO_PASSWORD, log=log)
    load_campaigns(now=clock.now(), password=DEMO_PASSWORD, log=log)
    # The dashboards have figures from the first page on; the worker keeps them current afterwards.
    rollup_rebuild(settle=dt.timedelta(0))
    # The demonstration programme's review reads the rollups just built.
    load_demonstration(now=clock.now(), log=log)
    # Months of replayed history are not news: notifications start with what happens from now on.
    fanout_skip_to_latest()
    with transaction.atomic():
        event_append(verb=LOADED_VERB, actor=SYSTEM, chain="demo", after={"cases": made})
    checkpoint_create(settle=dt.timedelta(0))
    return {"cases": made}
