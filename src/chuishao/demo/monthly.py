"""每月一题 for the demo: a year and more of recurring, cross-department problems, one taken on.

``plant_problem`` replays the reports of one problem (a category in a street) month by month through
the real services (``case_report``, then ``case_act`` for filing, dispatch, handling, check, close and
the reporter's verdict), moving ``chuishao.clock`` as ``demo.loader.load_history`` does; the leads
rotate among several organisations, a share of the reports come again from the same grid within days
and some are declined as duplicates of an open one.

``load_monthly`` plants three problems in the demo city so that they stand out as the top recurring
ones: e-bikes charged in stairwells and by flying leads (电动车楼道/飞线充电) in the first street of the
west district, square-dance noise (广场舞噪音扰民) in the first street of the east district and parking
in old estates (老旧小区停车难), rising, in the second street of the west district. The e-bike problem
was taken on five months ago by the city centre, led by the district's fire and rescue detachment with
the street's law-enforcement team and the power company assisting, its tasks done; its volume falls
after that month while the other two keep going.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from chuishao import clock
from chuishao.cases.errors import CaseError
from chuishao.cases.models import Case, Source, Status
from chuishao.cases.services import case_act, case_report
from chuishao.catalog.models import Category, CategoryQuestion
from chuishao.geo.models import Jurisdiction
from chuishao.monthly.models import MonthlyProblem
from chuishao.monthly.selectors import add_months, month_start
from chuishao.monthly.services import problem_take_on, task_add, task_done
from chuishao.orgs.models import Membership, Organisation, Role

# Reports are put together from an aspect of the problem (what residents see), a place and a consequence,
# so that texts vary as real ones do while each aspect keeps its words.
EBIKE_ASPECTS = (
    ("楼道里停着好几辆电动车在充电", "电动车停在楼道里充电", "一层楼道堆满电动车，插着电充电"),
    (
        "有住户从窗户飞线充电，电线垂到地面",
        "私拉电线飞线充电，电线横跨人行道",
        "楼上飞线充电，插线板挂在树上",
    ),
    ("有人把电动车推进电梯上楼入户充电", "电动车电池拿回家里充电", "电动车进楼入户充电，物业不管"),
    ("小区充电桩太少，排不上队", "充电桩坏了很久没人修", "小区没有集中充电桩，只能自己想办法"),
)
EBIKE_PLACES = ("{b}号楼", "{b}号楼{u}单元", "小区{b}号楼", "{b}号院")
EBIKE_ENDS = ("存在火灾隐患", "担心起火", "晚上一直插着电", "多次反映没有改善", "希望尽快处理", "")
NOISE_ASPECTS = (
    ("广场舞音响声音太大", "跳广场舞的音响开得很响", "广场舞队伍用大功率音箱"),
    ("晚上{h}点以后还在跳舞", "跳舞到深夜", "夜里还在放音乐跳舞"),
    ("早上{m}点就开始放音乐", "清晨放音乐锻炼", "天不亮就放音乐"),
    ("有人用大喇叭唱歌", "拿着话筒唱歌", "唱歌的喇叭声特别刺耳"),
)
NOISE_PLACES = ("小区广场", "街心公园", "社区文化广场", "楼下空地", "公园门口")
NOISE_ENDS = (
    "影响休息",
    "老人孩子睡不着",
    "孩子没法写作业",
    "窗户关上也能听见",
    "多次反映没有改善",
    "",
)
PARKING_ASPECTS = (
    ("车位不够，车辆停满消防通道", "车辆堵住消防通道，救护车进不来", "消防通道被私家车占满"),
    ("外来车辆占用小区车位", "外面的车停进小区不走", "外来车辆长期占用车位"),
    ("车辆乱停乱放堵住单元门", "车辆停在单元门口，老人出行不便", "楼前停车乱，单元门被堵"),
    ("希望规划停车位", "希望老旧小区改造增加停车位", "希望建立停车管理"),
)
PARKING_PLACES = ("老旧小区{b}号楼前", "小区{b}号楼", "{b}号院", "老旧小区里")
PARKING_ENDS = ("天天抢车位", "晚上回来没地方停车", "多次反映没有改善", "希望尽快解决", "")


@dataclass
class Plan:
    """One problem to plant: its category, the street's grids, the texts and the monthly volume."""

    category: Category
    grids: Sequence[Jurisdiction]
    leads: Sequence[Organisation]
    texts: Callable[[random.Random], str]
    # Reports in a month, given the month's offset from now (0: the running month, -1: the one before).
    volume: Callable[[int], int]
    months: int = 15
    duplicates: float = 0.06
    repeat_same_grid: float = 0.3
    satisfied: float = 0.7


class _Cast:
    """Who reports and acts: the grid worker of each grid, the street's dispatcher, each lead's staff."""

    def __init__(self, grids: Sequence[Jurisdiction], leads: Sequence[Organisation]) -> None:
        self.worker: dict[int, Any] = {}
        self.dispatcher: dict[int, Any] = {}
        self.staff: dict[int, Any] = {}
        self.residents: list[Any] = []
        grid_ids = {g.pk for g in grids}
        streets = {g.street_id for g in grids}
        orgs = {o.pk for o in leads}
        rows = Membership.objects.select_related("person").filter(active=True).order_by("pk")
        for m in rows:
            if m.role == Role.GRID_WORKER and m.node_id in grid_ids:
                self.worker.setdefault(m.node_id, m.person)
            elif m.role == Role.STREET_DISPATCHER and m.node_id in streets:
                self.dispatcher.setdefault(m.node_id, m.person)
            elif m.role == Role.DEPARTMENT_STAFF and m.organisation_id in orgs:
                self.staff.setdefault(m.organisation_id, m.person)
            elif m.role == Role.RESIDENT and len(self.residents) < 20:
                self.residents.append(m.person)


def _point(grid: Jurisdiction, rng: random.Random) -> tuple[float, float]:
    ring = grid.boundary["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    from shapely.geometry import Point, shape

    poly = shape(grid.boundary)
    for _ in range(50):
        x, y = rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys))
        if poly.contains(Point(x, y)):
            return round(y, 7), round(x, 7)
    c = poly.representative_point()
    return round(c.y, 7), round(c.x, 7)


def _answers(rng: random.Random, questions: list[CategoryQuestion], at: dt.datetime) -> dict[str, Any]:
    from chuishao.demo.loader import _answers as loader_answers

    return loader_answers(rng, questions, at)


def plant_problem(plan: Plan, *, rng: random.Random, now: dt.datetime) -> int:
    """Replay ``plan``'s reports over its months up to ``now``; returns how many cases were made."""
    cast = _Cast(plan.grids, plan.leads)
    leads = [o for o in plan.leads if o.pk in cast.staff]
    grids = [g for g in plan.grids if g.pk in cast.worker and g.street_id in cast.dispatcher]
    if not leads or not grids:
        return 0
    tz = timezone.get_current_timezone()
    this_month = month_start(timezone.localtime(now).date())
    questions = list(CategoryQuestion.objects.filter(category=plan.category).order_by("order"))
    made = 0
    last_in_grid: dict[int, tuple[Case, dt.datetime]] = {}
    for offset in range(-plan.months + 1, 1):
        month = add_months(this_month, offset)
        days = (add_months(month, 1) - month).days
        n = max(0, plan.volume(offset))
        moments = sorted(
            dt.datetime.combine(month + dt.timedelta(days=rng.randrange(days)), dt.time(7, 0), tzinfo=tz)
            + dt.timedelta(minutes=rng.randint(0, 780))
            for _ in range(n)
        )
        for at in moments:
            if at >= now - dt.timedelta(hours=2):
                continue
            grid = None
            if last_in_grid and rng.random() < plan.repeat_same_grid:
                recent = [g for g, (_, t) in last_in_grid.items() if at - t < dt.timedelta(days=10)]
                grid = next((g for g in grids if g.pk in recent), None) if recent else None
            grid = grid or rng.choice(grids)
            made += _one(
                plan,
                grid=grid,
                at=at,
                now=now,
                rng=rng,
                cast=cast,
                leads=leads,
                last=last_in_grid,
                questions=questions,
            )
    return made


def _one(plan: Plan, *, grid, at, now, rng, cast: _Cast, leads, last, questions) -> int:
    worker, dispatcher = cast.worker[grid.pk], cast.dispatcher[grid.street_id]
    r = rng.random()
    source = Source.HOTLINE if r < 0.45 else (Source.GRID_PATROL if r < 0.8 else Source.RESIDENT_WEB)
    reporter = {Source.HOTLINE: dispatcher, Source.GRID_PATROL: worker}.get(source)
    if reporter is None:
        reporter = rng.choice(cast.residents) if cast.residents else dispatcher
        source = Source.RESIDENT_WEB if cast.residents else Source.HOTLINE
    caller = source == Source.HOTLINE
    lat, lng = _point(grid, rng)
    with clock.frozen(at):
        case = case_report(
            actor=reporter,
            source=source,
            category=plan.category,
            description=plan.texts(rng),
            lat=lat,
            lng=lng,
            address=f"{grid.name}",
            reporter_name=rng.choice(["张先生", "李女士", "王阿姨", "刘师傅", "赵大爷"]) if caller else "",
            reporter_phone=f"139{rng.randint(10000000, 99999999)}" if caller else "",
            answers=_answers(rng, questions, at),
        )
    t = at

    def step(action: str, actor: Any, minutes: tuple[int, int], **params: Any) -> bool:
        nonlocal t
        t = t + dt.timedelta(minutes=rng.randint(*minutes))
        if t >= now:
            return False
        try:
            with clock.frozen(t):
                case_act(case=case.pk, action=action, actor=actor, **params)
        except CaseError:
            return False
        return True

    previous = last.get(grid.pk)
    last[grid.pk] = (case, at)
    if (
        case.status == Status.REPORTED
        and previous is not None
        and at - previous[1] < dt.timedelta(days=7)
        and rng.random() < plan.duplicates * 4
    ):
        step(
            "decline",
            dispatcher,
            (20, 90),
            reason="重复上报，已有相同案件在处理",
            duplicate_of=previous[0].pk,
        )
        return 1
    if not step("file", dispatcher, (10, 60)):
        return 1
    lead = leads[rng.randrange(len(leads))]
    staff = cast.staff[lead.pk]
    if not step("dispatch", dispatcher, (5, 40), lead=lead):
        return 1
    if not (step("accept", staff, (10, 120)) and step("start", staff, (10, 240))):
        return 1
    if not step("handle", staff, (600, 4000), result="已现场处置，并向居民做了宣传"):
        return 1
    if not (step("check", worker, (30, 240)) and step("close", dispatcher, (10, 120))):
        return 1
    v = rng.random()
    satisfaction = (
        "satisfied" if v < plan.satisfied else ("basically" if v < plan.satisfied + 0.15 else "unsatisfied")
    )
    resolution = "solved" if satisfaction != "unsatisfied" else "partly"
    rater = case.reporter if source == Source.RESIDENT_WEB else dispatcher
    step("rate", rater, (120, 2000), satisfaction=satisfaction, resolution=resolution, comment="")
    return 1


# ------------------------------------------------------------------------------------------ the demo


def _compose(rng: random.Random, aspects: tuple, places: tuple, ends: tuple) -> str:
    text = rng.choice(places) + rng.choice(rng.choice(aspects))
    end = rng.choice(ends) if rng.random() < 0.35 else ""
    text = f"{text}，{end}" if end else text
    return text.format(b=rng.randint(1, 30), u=rng.randint(1, 4), h=rng.choice([9, 10]), m=rng.choice([5, 6]))


def _ebike_text(rng: random.Random) -> str:
    return _compose(rng, EBIKE_ASPECTS, EBIKE_PLACES, EBIKE_ENDS)


def _noise_text(rng: random.Random) -> str:
    return _compose(rng, NOISE_ASPECTS, NOISE_PLACES, NOISE_ENDS)


def _parking_text(rng: random.Random) -> str:
    return _compose(rng, PARKING_ASPECTS, PARKING_PLACES, PARKING_ENDS)


def _org(code: str) -> Organisation | None:
    return Organisation.objects.filter(code=code).first()


def _category(kind: str, name: str) -> Category:
    return Category.objects.get(kind=kind, name=name, parent__isnull=False)


TAKEN_MONTHS_AGO = 5


def load_monthly(*, now: dt.datetime, log: Callable[[str], None] = print, seed: int = 2021) -> dict[str, Any]:
    """Plant the three problems and take on the e-bike one; returns what was made."""
    rng = random.Random(seed)
    streets = list(Jurisdiction.objects.filter(kind="street").order_by("code"))
    districts = sorted({s.district_id for s in streets})
    west = [s for s in streets if s.district_id == districts[0]]
    east = [s for s in streets if s.district_id == districts[-1]]
    ebike_street, parking_street = west[0], west[1 if len(west) > 1 else 0]
    noise_street = east[0]
    city_code = Jurisdiction.objects.get(pk=ebike_street.city_id).code

    def grids(street: Jurisdiction) -> list[Jurisdiction]:
        return list(Jurisdiction.objects.filter(kind="grid", street=street).order_by("code")[:6])

    def committees(street: Jurisdiction, gs: list[Jurisdiction]) -> list[Organisation]:
        codes = sorted(
            {f"ORG-{Jurisdiction.objects.get(pk=g.community_id).code}-community_committee" for g in gs}
        )
        return [o for o in (_org(c) for c in codes[:2]) if o]

    def orgs(*codes: str) -> list[Organisation]:
        return [o for o in (_org(c) for c in codes) if o]

    district_of = {
        s.pk: Jurisdiction.objects.get(pk=s.district_id).code
        for s in (ebike_street, noise_street, parking_street)
    }
    taken_offset = -TAKEN_MONTHS_AGO
    eg, ng, pg = grids(ebike_street), grids(noise_street), grids(parking_street)
    ebike_leads = orgs(
        f"ORG-{district_of[ebike_street.pk]}-fire",
        f"ORG-{ebike_street.code}-street_law_enforcement",
        f"ORG-{city_code}-power",
    ) + committees(ebike_street, eg)
    plans = {
        "ebike": Plan(
            category=_category("event", "电动车违规充电"),
            grids=eg,
            leads=ebike_leads,
            texts=_ebike_text,
            volume=lambda o: 11 + (o % 3) if o < taken_offset else (7 if o == taken_offset else 3 + (o % 2)),
        ),
        "noise": Plan(
            category=_category("event", "邻里纠纷"),
            grids=ng,
            leads=orgs(f"ORG-{noise_street.code}-police", f"ORG-{noise_street.code}-street_office")
            + committees(noise_street, ng),
            texts=_noise_text,
            volume=lambda o: 6 + (1 if (o % 12) in (5, 6, 7, 8) else 0) + (o % 2),
            months=13,
        ),
        "parking": Plan(
            category=_category("event", "小区停车"),
            grids=pg,
            leads=orgs(
                f"ORG-{district_of[parking_street.pk]}-transport", f"ORG-{parking_street.code}-street_office"
            )
            + committees(parking_street, pg),
            texts=_parking_text,
            volume=lambda o: max(1, 10 + o),
            months=12,
        ),
    }
    made = {}
    for key, plan in plans.items():
        made[key] = plant_problem(plan, rng=rng, now=now)
        log(f"每月一题: {key} — {made[key]} cases")

    # The city centre took the e-bike problem on five months ago; the lead's and assistants' tasks are done.
    centre = Membership.objects.filter(role=Role.CITY_CENTRE, active=True).select_related("person").first()
    this_month = month_start(timezone.localtime(now).date())
    taken = add_months(this_month, taken_offset)
    fire, law, power = (ebike_leads + [None, None, None])[:3]
    if centre is None or fire is None or MonthlyProblem.objects.filter(area=ebike_street).exists():
        return {"cases": sum(made.values()), "problem": None}
    at = dt.datetime.combine(
        taken + dt.timedelta(days=2), dt.time(10, 0), tzinfo=timezone.get_current_timezone()
    )
    with clock.frozen(at):
        problem = problem_take_on(
            actor=centre.person,
            title=f"{ebike_street.name}电动车楼道充电、飞线充电",
            categories=[plans["ebike"].category],
            area=ebike_street,
            month=taken,
            lead=fire,
            assisting=[o for o in (law, power) if o],
            goal_percent=30,
            description="电动车进楼入户、楼道充电和飞线充电反复发生，涉及消防、执法、供电和社区，需要统筹解决。",
        )
        tasks = [
            (fire, "开展楼道电动车充电隐患排查，逐楼张贴告知书", 10),
            (law or fire, "对飞线充电依法劝阻、拆除私拉电线", 20),
            (power or fire, "在各小区新增集中充电桩，修复损坏充电设施", 40),
        ]
        made_tasks = [
            task_add(
                actor=centre.person,
                problem=problem,
                text=text,
                owner=owner,
                due_on=taken + dt.timedelta(days=d),
            )
            for owner, text, d in tasks
        ]
    staff = {
        m.organisation_id: m.person
        for m in Membership.objects.filter(
            role=Role.DEPARTMENT_STAFF, active=True, organisation__in=[o for o, _, _ in tasks]
        ).select_related("person")
    }
    notes = ["已完成全部楼栋排查，张贴告知书320份", "拆除飞线42处，约谈住户", "新增充电桩60个，修复12个"]
    for (owner, _, d), task, note in zip(tasks, made_tasks, notes, strict=True):
        with clock.frozen(at + dt.timedelta(days=d - 2)):
            if owner.pk in staff:
                task_done(actor=staff[owner.pk], task=task, note=note)
    log(
        f"每月一题: {problem.title} taken on {taken:%Y-%m}; logins city-centre (mining, the problem), "
        f"dept-{fire.code.removeprefix('ORG-')} (the lead's tasks)"
    )
    return {"cases": sum(made.values()), "problem": problem.pk}
