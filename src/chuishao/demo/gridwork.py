"""Grid work in the demo city: responsibility grids (beats) for every community, a month of daily
patrols — the Panjin story: grid workers walk their grids every day — and household and unit visits.

Every community's unit grids are paired into beats, each given to the worker of its first grid. Each
beat's worker walks it every morning through the services (start, a few track points inside each
grid, end). A few grids (``STALE_GRIDS`` of them, chosen with the seed) have been skipped for the last
``STALE_FOR`` days, so the coverage map of their communities shows red. The showcase street has the
whole month, and its workers record visits; elsewhere the last week is played (the month everywhere
takes over a minute). Deterministic for a given seed and ``now``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from shapely.geometry import shape

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.demo.city import DEMO_BORDER_GRID_WEST, DEMO_BORDER_STREET_WEST
from chuishao.geo.models import Jurisdiction
from chuishao.gridwork import services as svc
from chuishao.gridwork.models import GridworkPolicy, VisitKind
from chuishao.orgs.models import Membership, Organisation, OrgKind, Role

STALE_GRIDS = 4
STALE_FOR = 5
BEAT_SIZE = 2
VISITS_PER_BEAT = 3
TOPICS = [
    ("独居老人，询问助餐和上门体检需求", False, ""),
    ("反映楼道堆物，已提醒清理", True, "三天后回访楼道情况"),
    ("邻里噪音纠纷，已调解", True, "下周回访双方"),
    ("询问老旧小区改造进度", False, ""),
    ("电动车楼内充电，已宣传消防安全", True, "周末复查"),
]
UNIT_TOPICS = ["消防通道畅通，灭火器在有效期内", "门前三包落实情况良好", "员工电动车集中充电点已设置"]


def _points(boundary: dict, rng: random.Random, n: int) -> list[tuple[float, float]]:
    """``n`` points inside the grid (lat, lng), deterministic."""
    poly = shape(boundary)
    minx, miny, maxx, maxy = poly.bounds
    out: list[tuple[float, float]] = []
    tries = 0
    while len(out) < n and tries < 50 * n:
        tries += 1
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if poly.contains(shape({"type": "Point", "coordinates": [x, y]})):
            out.append((round(y, 6), round(x, 6)))
    if not out:
        p = poly.representative_point()
        out.append((round(p.y, 6), round(p.x, 6)))
    return out


def load_gridwork(
    *,
    now: dt.datetime,
    seed: int = 2019,
    days: int = 30,
    stale_grids: int = STALE_GRIDS,
    elsewhere_days: int = 7,
    log: Callable[[str], None] = print,
) -> dict[str, int]:
    """Beats for every community, daily patrols ending yesterday — ``days`` days of them in the
    showcase street, the last ``elsewhere_days`` elsewhere (enough for every map; the whole month
    everywhere takes over a minute) — a few stale grids, visits in the showcase street. Returns what
    was made."""
    rng = random.Random(f"{seed}-gridwork")
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now, tz).date()
    city_ids = set(Jurisdiction.objects.filter(kind="city").values_list("pk", flat=True))
    for city_id in city_ids:
        GridworkPolicy.objects.get_or_create(city_id=city_id)
    workers: dict[int, Any] = {
        m.node_id: m.person
        for m in Membership.objects.filter(role=Role.GRID_WORKER, active=True, node__kind="grid")
        .select_related("person")
        .order_by("node__code", "person_id")
    }
    staff: dict[int, Any] = {
        m.node_id: m.person
        for m in Membership.objects.filter(role=Role.COMMUNITY_STAFF, active=True).select_related("person")
    }
    communities = list(Jurisdiction.objects.filter(kind="community").order_by("code"))
    beats = []
    with clock.frozen(now - dt.timedelta(days=days + 2)):
        for community in communities:
            grids = list(Jurisdiction.objects.filter(kind="grid", parent=community).order_by("code"))
            actor = staff.get(community.pk, SYSTEM)
            for n, start in enumerate(range(0, len(grids), BEAT_SIZE), 1):
                group = grids[start : start + BEAT_SIZE]
                # The showcase grid worker (printed by ``make demo``) leads the beat of their grid.
                lead = next((g for g in group if g.code == DEMO_BORDER_GRID_WEST), group[0])
                worker = workers.get(lead.pk)
                if worker is None:
                    continue
                beat = svc.beat_save(
                    actor=actor if actor is not SYSTEM else _system_admin(community),
                    community=community,
                    code=f"{community.code}-B{n:02d}",
                    name=f"{community.name}第{n}责任网格",
                    grids=group,
                    worker=worker,
                )
                beats.append((beat, worker, group))
    all_grids = [g for _beat, _worker, group in beats for g in group]
    stale = {g.pk for g in rng.sample(all_grids, min(stale_grids, len(all_grids)))}
    # One stale grid at least in the showcase community, outside the showcase worker's beat, so the
    # map its staff open shows red.
    showcase_beat = {
        g.pk for _b, _w, group in beats if any(g.code == DEMO_BORDER_GRID_WEST for g in group) for g in group
    }
    showcase = [
        g for g in all_grids if g.code.startswith(DEMO_BORDER_GRID_WEST[:12]) and g.pk not in showcase_beat
    ]
    stale -= showcase_beat
    if showcase and not stale & {g.pk for g in showcase}:
        stale.add(rng.choice(showcase).pk)
    patrols = visits = 0
    units: dict[int, list[Organisation]] = {}
    for offset in range(days, 0, -1):
        day = today - dt.timedelta(days=offset)
        for beat, worker, group in beats:
            in_showcase = beat.code.startswith(DEMO_BORDER_STREET_WEST)
            walked = [g for g in group if not (g.pk in stale and offset <= STALE_FOR)]
            if not walked or (not in_showcase and offset > max(elsewhere_days, STALE_FOR + 1)):
                continue
            start = timezone.make_aware(dt.datetime.combine(day, dt.time(8, rng.randint(0, 50))), tz)
            length = dt.timedelta(minutes=rng.randint(70, 150))
            with clock.frozen(start):
                svc.patrol_start(actor=worker, grids=walked)
            if in_showcase or offset <= 2:
                points = [p for g in walked for p in _points(g.boundary, rng, 3)]
                step = length / (len(points) + 1)
                track = [
                    {"lat": lat, "lng": lng, "at": (start + step * (i + 1)).isoformat()}
                    for i, (lat, lng) in enumerate(points)
                ]
                with clock.frozen(start + length - dt.timedelta(minutes=1)):
                    svc.patrol_track(actor=worker, points=track)
            if in_showcase and offset <= 6 and rng.random() < VISITS_PER_BEAT / 6:
                grid = rng.choice(walked)
                when = start + length / 2
                with clock.frozen(when):
                    visits += _visit(worker, grid, rng, units)
            with clock.frozen(start + length):
                svc.patrol_end(actor=worker)
            patrols += 1
    log(f"grid work: {len(beats)} beats, {patrols} patrols, {visits} visits, {len(stale)} stale grids")
    return {"beats": len(beats), "patrols": patrols, "visits": visits, "stale": len(stale)}


def _system_admin(community: Jurisdiction) -> Any:
    """A community without staff: its beats are set up by the city's administrator."""
    admin = (
        Membership.objects.filter(role=Role.ADMIN, active=True, node_id=community.city_id)
        .select_related("person")
        .first()
    )
    if admin is None:
        raise RuntimeError(f"no staff or administrator to set up the beats of {community.code}")
    return admin.person


def _visit(worker: Any, grid: Jurisdiction, rng: random.Random, units: dict[int, list[Organisation]]) -> int:
    if grid.community_id not in units:
        units[grid.community_id] = list(
            Organisation.objects.filter(
                kind=OrgKind.UNIT, jurisdiction_id__in=[grid.community_id, grid.street_id]
            ).order_by("code")[:5]
        )
    choices = units[grid.community_id]
    if choices and rng.random() < 0.3:
        svc.visit_record(
            actor=worker,
            grid=grid,
            kind=VisitKind.UNIT,
            unit=rng.choice(choices),
            person_name=rng.choice(["李经理", "王主任", "陈店长"]),
            discussed=rng.choice(UNIT_TOPICS),
        )
        return 1
    topic, follow, note = rng.choice(TOPICS)
    svc.visit_record(
        actor=worker,
        grid=grid,
        kind=VisitKind.HOUSEHOLD,
        household=f"{rng.randint(1, 12)}号楼{rng.randint(1, 4)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}",
        person_name=rng.choice(["王阿姨", "张大爷", "刘女士", "赵先生", "孙奶奶"]),
        person_phone=f"139{rng.randint(10000000, 99999999)}",
        discussed=topic,
        follow_up=follow,
        follow_up_note=note,
    )
    return 1
