"""A synthetic big city for the benchmarks: ``chuishao bench-data --grids N --cases M``.

Unlike the demo city, nothing here goes through the per-case services: a city of 100,000 grids and
10 million cases is bulk-loaded (COPY on PostgreSQL) in minutes. What it loads is still consistent:

- **Geography**: a lattice of grids of about 100 m × 100 m (REFERENCE §1: about 10,000 m² each),
  15 to a community, 20 communities to a street, 20 streets to a district, coded 6+3+3+3 digits.
- **Organisations and people**: each district's command centre and departments, the city's
  utilities, every street's office and law-enforcement team, every community's committee; a centre
  account per district and the city, a dispatcher per street, a staff account per department and a
  grid worker per community serving all its grids (accounts have no usable password).
- **Cases**: the category mix of REFERENCE §1, the source mix of the demo, spread over ``months``
  with the daytime hours people report in. Each case walks the real loop (report → verify for
  public reports → file → dispatch → accept → start → handle → check → close → rate) with random
  stage durations, and stops where the clock stands at the end of the history: old cases are
  closed and mostly rated, recent ones are spread over the open states. Its deadlines, on-time
  flags, colour (yellow/red), next sweep moment, lead and first receiver follow from its timeline.
- **Events**: every case gets a hash chain ``events.chain.event_hash`` would verify. ``history``
  chooses how much of it: ``counted`` writes the events the rollup counts from (report, verify,
  file, check, escalation), ``full`` every step of the loop (about 8 per closed case).
- Afterwards the indexes are built (dropped for the load on PostgreSQL), the tables analysed and
  the rollup rebuilt with ``evaluation.services.rollup_rebuild`` — as a deployment would have them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.catalog.calendar_io import calendar_load_official
from chuishao.catalog.models import Category, Responsibility
from chuishao.catalog.services import catalog_load_defaults
from chuishao.demo.city import CITY_UTILITIES, DISTRICT_DEPARTMENTS
from chuishao.demo.loader import CATEGORY_MIX, SOURCE_MIX
from chuishao.evaluation.services import rollup_rebuild
from chuishao.events.chain import GENESIS
from chuishao.geo.models import GeoRevision, Jurisdiction
from chuishao.orgs.models import Membership, Organisation, Profile, Role

# Lattice: degrees per grid (≈ 102 m × 100 m at 40° N) and how many of each level make the next one up.
CELL_LNG, CELL_LAT = 0.0012, 0.0009
COMMUNITY_W, COMMUNITY_H = 5, 3  # grids
STREET_W, STREET_H = 4, 5  # communities
DISTRICT_W, DISTRICT_H = 5, 4  # streets
ORIGIN = (116.0, 39.6)
CITY_CODE = "990000"

HISTORY_CHOICES = ("counted", "full")
# Verbs the rollup reads from events (evaluation.counting): the rest of the loop only lives on the case row.
COUNTED_VERBS = frozenset({"case.reported", "case.verify", "case.file", "case.check", "case.escalated"})

# Hours from one step to the next: (median, spread of the log-normal), per step of the loop.
STEP_HOURS = {
    "verify": (0.6, 0.8),
    "file": (0.4, 0.8),
    "dispatch": (0.3, 0.8),
    "accept": (0.6, 0.9),
    "start": (2.0, 1.0),
    "handle": (30.0, 1.0),
    "check": (0.8, 0.9),
    "close": (0.5, 0.8),
    "rate": (20.0, 1.0),
}
# Deadlines (clock hours here; the services count working time): accept 1 h, handle 5 days.
ACCEPT_HOURS, HANDLE_HOURS = 1.0, 5 * 24.0
WARN_FRACTION = 0.8
# On PostgreSQL the cases are generated in child processes while this one copies them in: with two
# of them the copy, not Python, sets the pace on two cores (docs/benchmarks.md); small loads use one.
PRODUCERS, PRODUCERS_FROM = 2, 50_000
FEEDBACK_DAYS = 7


@dataclass
class BigCity:
    """What was loaded, and how long each part took (seconds)."""

    grids: int = 0
    communities: int = 0
    streets: int = 0
    districts: int = 0
    organisations: int = 0
    people: int = 0
    cases: int = 0
    events: int = 0
    rollup_rows: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


class BigCityError(Exception):
    """The database is not one bench-data may fill."""


# ------------------------------------------------------------------------------------- geography


def _rect(x0: float, y0: float, x1: float, y1: float) -> dict:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]}


def _area_m2(cols: int, rows: int) -> float:
    return cols * CELL_LNG * 111_320 * math.cos(math.radians(ORIGIN[1])) * rows * CELL_LAT * 110_574


def lattice(grids: int) -> tuple[int, int]:
    """Columns and rows of grids: about square, whole communities wide, at least ``grids`` cells."""
    cols = max(COMMUNITY_W, math.ceil(math.sqrt(grids) / COMMUNITY_W) * COMMUNITY_W)
    return cols, math.ceil(grids / cols)


def _blocks(n: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def _load_geography(grids: int, now: dt.datetime, result: BigCity) -> dict[str, Any]:
    cols, rows = lattice(grids)
    ox, oy = ORIGIN

    def box(c0: int, r0: int, c1: int, r1: int) -> dict:
        return _rect(ox + c0 * CELL_LNG, oy + r0 * CELL_LAT, ox + c1 * CELL_LNG, oy + r1 * CELL_LAT)

    city = Jurisdiction.objects.create(
        kind="city", code=CITY_CODE, name="基准市", name_en="Bench City", boundary=box(0, 0, cols, rows),
        area_m2=_area_m2(cols, rows),
    )  # fmt: skip
    Jurisdiction.objects.filter(pk=city.pk).update(city=city)
    # Column/row spans of each level, in grid units.
    c_cols, c_rows = _blocks(cols, COMMUNITY_W), _blocks(rows, COMMUNITY_H)
    s_cols, s_rows = _blocks(len(c_cols), STREET_W), _blocks(len(c_rows), STREET_H)
    d_cols, d_rows = _blocks(len(s_cols), DISTRICT_W), _blocks(len(s_rows), DISTRICT_H)

    districts, streets, communities, grid_rows = [], [], [], []
    d_number = 0
    for sy0, sy1 in d_rows:
        for sx0, sx1 in d_cols:
            d_number += 1
            gx0, gx1 = c_cols[s_cols[sx0][0]][0], c_cols[s_cols[sx1 - 1][1] - 1][1]
            gy0, gy1 = c_rows[s_rows[sy0][0]][0], c_rows[s_rows[sy1 - 1][1] - 1][1]
            d_code = f"99{d_number:04d}"
            districts.append(
                Jurisdiction(
                    kind="district", code=d_code, name=f"基准{d_number}区",
                    name_en=f"Bench District {d_number}",
                    boundary=box(gx0, gy0, gx1, gy1), area_m2=_area_m2(gx1 - gx0, gy1 - gy0),
                    parent=city, city=city,
                )
            )  # fmt: skip
            s_number = 0
            for sy in range(sy0, sy1):
                for sx in range(sx0, sx1):
                    s_number += 1
                    (cx0, cx1), (cy0, cy1) = s_cols[sx], s_rows[sy]
                    hx0, hx1 = c_cols[cx0][0], c_cols[cx1 - 1][1]
                    hy0, hy1 = c_rows[cy0][0], c_rows[cy1 - 1][1]
                    s_code = f"{d_code}{s_number:03d}"
                    streets.append(
                        (d_code, Jurisdiction(
                            kind="street", code=s_code, name=f"基准{d_number}区{s_number}街道",
                            name_en=f"Bench {d_number}-{s_number} Subdistrict",
                            boundary=box(hx0, hy0, hx1, hy1), area_m2=_area_m2(hx1 - hx0, hy1 - hy0),
                        ))
                    )  # fmt: skip
                    c_number = 0
                    for cy in range(cy0, cy1):
                        for cx in range(cx0, cx1):
                            c_number += 1
                            (x0, x1), (y0, y1) = c_cols[cx], c_rows[cy]
                            c_code = f"{s_code}{c_number:03d}"
                            communities.append(
                                (s_code, Jurisdiction(
                                    kind="community", code=c_code, name=f"{s_code[-5:]}-{c_number}社区",
                                    name_en=f"Community {s_code}-{c_number}",
                                    boundary=box(x0, y0, x1, y1), area_m2=_area_m2(x1 - x0, y1 - y0),
                                ))
                            )  # fmt: skip
                            g_number = 0
                            for gy in range(y0, y1):
                                for gx in range(x0, x1):
                                    g_number += 1
                                    grid_rows.append((c_code, g_number, gx, gy))
    Jurisdiction.objects.bulk_create(districts, batch_size=1000)
    by_code = {d.code: d for d in districts}
    for d_code, street in streets:
        parent = by_code[d_code]
        street.parent, street.city, street.district = parent, city, parent
    Jurisdiction.objects.bulk_create([s for _, s in streets], batch_size=1000)
    by_code.update({s.code: s for _, s in streets})
    for s_code, community in communities:
        parent = by_code[s_code]
        community.parent, community.city, community.district, community.street = (
            parent, city, parent.district, parent,
        )  # fmt: skip
    Jurisdiction.objects.bulk_create([c for _, c in communities], batch_size=1000)
    by_code.update({c.code: c for _, c in communities})
    cell_area = _area_m2(1, 1)
    objs = []
    for c_code, g_number, gx, gy in grid_rows:
        parent = by_code[c_code]
        objs.append(
            Jurisdiction(
                kind="grid", code=f"{c_code}{g_number:03d}", name=f"{c_code[-8:]}-{g_number}网格",
                boundary=box(gx, gy, gx + 1, gy + 1), area_m2=cell_area, parent=parent, city=city,
                district_id=parent.district_id, street=parent.street, community=parent,
            )
        )  # fmt: skip
    Jurisdiction.objects.bulk_create(objs, batch_size=2000)
    GeoRevision.objects.create(created_at=now, summary=f"bench-data: {len(objs):,} grids")
    result.grids, result.communities = len(objs), len(communities)
    result.streets, result.districts = len(streets), len(districts)
    return {
        "city": city,
        "districts": districts,
        "streets": [s for _, s in streets],
        "communities": [c for _, c in communities],
        # Per grid: id and its chain, plus the cell's south-west corner for points.
        "grids": np.array([(g.pk, g.community_id, g.street_id, g.district_id) for g in objs], dtype=np.int64),
        "corners": np.array([(ox + gx * CELL_LNG, oy + gy * CELL_LAT) for _, _, gx, gy in grid_rows]),
    }


# ------------------------------------------------------------------------------ organisations, people


def _load_organisations(geo: dict, result: BigCity) -> dict[tuple[str, int], int]:
    """Bulk-create the handling organisations; returns {(dept_type, node id): organisation id}."""
    city = geo["city"]
    orgs = [Organisation(kind="command_centre", code=f"ORG-{city.code}-command_centre",
                         name="基准市城市管理指挥中心", dept_type="command_centre",
                         jurisdiction=city)]  # fmt: skip
    orgs += [
        Organisation(kind="unit", code=f"ORG-{city.code}-{key}", name=f"基准市{zh}", name_en=en,
                     dept_type=key, jurisdiction=city, unit_kind="enterprise")
        for key, zh, en in CITY_UTILITIES
    ]  # fmt: skip
    for d in geo["districts"]:
        orgs.append(Organisation(kind="command_centre", code=f"ORG-{d.code}-command_centre",
                                 name=f"{d.name}城市管理指挥中心", dept_type="command_centre",
                                 jurisdiction=d))  # fmt: skip
        orgs += [
            Organisation(kind="department", code=f"ORG-{d.code}-{key}", name=f"{d.name}{zh}", name_en=en,
                         dept_type=key, jurisdiction=d)
            for key, zh, en in DISTRICT_DEPARTMENTS
        ]  # fmt: skip
    for s in geo["streets"]:
        orgs += [
            Organisation(kind="street_office", code=f"ORG-{s.code}-street_office", name=f"{s.name}办事处",
                         dept_type="street_office", jurisdiction=s),
            Organisation(kind="dispatched_agency", code=f"ORG-{s.code}-street_law_enforcement",
                         name=f"{s.name}城管执法队", dept_type="street_law_enforcement", jurisdiction=s),
            Organisation(kind="dispatched_agency", code=f"ORG-{s.code}-police", name=f"{s.name}派出所",
                         dept_type="police", jurisdiction=s),
        ]  # fmt: skip
    orgs += [
        Organisation(kind="community_committee", code=f"ORG-{c.code}-community_committee",
                     name=f"{c.name}居民委员会", dept_type="community_committee", jurisdiction=c)
        for c in geo["communities"]
    ]  # fmt: skip
    Organisation.objects.bulk_create(orgs, batch_size=2000)
    result.organisations = len(orgs)
    return {(o.dept_type, o.jurisdiction_id): o.pk for o in orgs}


def _load_people(geo: dict, owners: dict[tuple[str, int], int], result: BigCity) -> dict[str, dict]:
    """Accounts for the centres, dispatchers, departments and grid workers; returns who acts where."""
    User = get_user_model()
    unusable = make_password(None)
    specs: list[tuple[str, str, list[tuple[str, int | None, int | None]]]] = []
    city = geo["city"]
    specs.append(("bench-city", "基准市指挥中心", [(Role.CITY_CENTRE, city.pk, None)]))
    specs += [(f"bench-district-{d.code}", f"{d.name}指挥中心", [(Role.DISTRICT_CENTRE, d.pk, None)])
              for d in geo["districts"]]  # fmt: skip
    specs += [(f"bench-street-{s.code}", f"{s.name}调度员", [(Role.STREET_DISPATCHER, s.pk, None)])
              for s in geo["streets"]]  # fmt: skip
    staffed = {org for (dept_type, _), org in owners.items() if dept_type != "command_centre"}
    specs += [(f"bench-dept-{org}", f"部门{org}经办人", [(Role.DEPARTMENT_STAFF, None, org)])
              for org in sorted(staffed)]  # fmt: skip
    grids_by_community: dict[int, list[int]] = defaultdict(list)
    for grid_id, community_id, _, _ in geo["grids"].tolist():
        grids_by_community[community_id].append(grid_id)
    specs += [
        (f"bench-gw-{c.code}", f"{c.name}网格员",
         [(Role.GRID_WORKER, g, None) for g in grids_by_community[c.pk]])
        for c in geo["communities"]
    ]  # fmt: skip
    now = clock.now()
    users = [User(username=u, password=unusable, date_joined=now) for u, _, _ in specs]
    User.objects.bulk_create(users, batch_size=2000)
    Profile.objects.bulk_create(
        [Profile(person=user, display_name=name) for user, (_, name, _) in zip(users, specs, strict=True)],
        batch_size=2000,
    )
    memberships = [
        Membership(person=user, role=role, node_id=node, organisation_id=org)
        for user, (_, _, roles) in zip(users, specs, strict=True)
        for role, node, org in roles
    ]
    Membership.objects.bulk_create(memberships, batch_size=5000)
    result.people = len(users)
    ids = {u.username: u.pk for u in users}
    return {
        "worker": {c.pk: ids[f"bench-gw-{c.code}"] for c in geo["communities"]},
        "dispatcher": {s.pk: ids[f"bench-street-{s.code}"] for s in geo["streets"]},
        "staff": {org: ids[f"bench-dept-{org}"] for org in staffed},
    }


# ------------------------------------------------------------------------------------------- cases


def _category_plan(owners: dict[tuple[str, int], int]) -> list[tuple[int, float, str, str]]:
    """(category id, weight, level, dept_type) for every minor category of the mix."""
    minors: dict[tuple[str, str], list[Category]] = defaultdict(list)
    for cat in Category.objects.filter(parent__isnull=False, active=True).select_related("parent"):
        minors[(cat.kind, cat.parent.code)].append(cat)
    rows = {
        r.category_id: (r.level, r.dept_type)
        for r in Responsibility.objects.filter(city__isnull=True).order_by("level")
    }
    plan = []
    for key, weight in CATEGORY_MIX.items():
        cats = minors.get(key, [])
        for cat in cats:
            level, dept_type = rows.get(cat.pk, ("street", "street_office"))
            plan.append((cat.pk, weight / len(cats), level, dept_type))
    return plan


# Events take their ids from the table's own sequence: the generating processes need not agree on them.
EVENT_COLUMNS = (
    "chain", "seq", "verb", "city_id", "case_id", "actor_id", "actor_label", "before", "after",
    "reason", "created_at", "prev_hash", "hash",
)  # fmt: skip
LEVELS = ("grid", "community", "street", "district", "city")
LEVEL_INDEX = {level: i for i, level in enumerate(LEVELS)}


@dataclass
class _Plan:
    now: float  # Unix seconds
    start: float
    city_id: int
    grids: np.ndarray  # per grid: id, community, street, district
    corners: np.ndarray
    categories: list[tuple[int, float, str, str]]
    owners: dict[tuple[str, int], int]
    people: dict[str, dict]
    history: str
    rng: np.random.Generator

    def __post_init__(self) -> None:
        self.grid_list = [tuple(row) for row in self.grids.tolist()]
        self.corner_list = [tuple(row) for row in self.corners.tolist()]
        self.category_by_id = {c[0]: c for c in self.categories}

    def lead(self, category: int, grid_row: int) -> int | None:
        """The organisation that owns the category at the grid's level (its street office if none)."""
        _, _, level, dept_type = self.category_by_id[category]
        grid, community, street, district = self.grid_list[grid_row]
        node = (grid, community, street, district, self.city_id)[LEVEL_INDEX.get(level, 2)]
        return self.owners.get((dept_type, node)) or self.owners.get(("street_office", street))


def _stamps(seconds: np.ndarray) -> list[str]:
    """Instants (Unix seconds) as 'YYYY-MM-DDTHH:MM:SS.ffffff' in UTC, for a whole column at once."""
    whole = np.nan_to_num(seconds, nan=0, posinf=0).astype(np.int64)
    return np.datetime_as_string(whole.astype("datetime64[s]").astype("datetime64[us]"), unit="us").tolist()


class _Chain:
    """The events of one case, hashed as ``events.chain.event_hash`` does (canonical JSON, SHA-256)."""

    __slots__ = ("case_id", "city", "full", "last", "lines", "prev", "seq")

    def __init__(self, case_id: int, city: int, full: bool) -> None:
        self.case_id, self.city, self.full = case_id, city, full
        self.seq, self.prev, self.lines, self.last = 0, GENESIS, [], ""

    def add(self, verb: str, stamp: str, actor: int | None, before: str, after: str) -> None:
        self.last = max(self.last, stamp)
        if not self.full and verb not in COUNTED_VERBS:
            return
        self.seq += 1
        label = (
            f"person:{actor}"
            if actor
            else ("resident" if verb in ("case.reported", "case.rate") else "system")
        )
        before_json = f'{{"status":"{before}"}}' if before else "{}"
        after_json = f'{{"status":"{after}"}}' if after else "{}"
        actor_json = "null" if actor is None else str(actor)
        at = stamp + "+00:00"
        cid = self.case_id
        # Keys in sorted order, no spaces: the same text chain.canonical() makes of this event.
        body = (
            f'{{"actor":{actor_json},"actor_label":"{label}","after":{after_json},"at":"{at}",'
            f'"before":{before_json},"case":{cid},"chain":"case:{cid}","city":{self.city},'
            f'"prev":"{self.prev}","reason":"","seq":{self.seq},"verb":"{verb}"}}'
        )
        digest = hashlib.sha256(body.encode()).hexdigest()
        self.lines.append(
            [f"case:{cid}", self.seq, verb, self.city, cid, actor, label, before_json, after_json, "",
             stamp.replace("T", " "), self.prev, digest]
        )  # fmt: skip
        self.prev = digest


def _cases(plan: _Plan, first_id: int, n: int, columns: list[str]) -> Iterator[tuple[list, list]]:
    """Yield (case rows, event rows) chunk by chunk; rows are lists of values in column order (timestamps
    as UTC text, JSON as text), events without their id."""
    rng = plan.rng
    cat_ids = np.array([c[0] for c in plan.categories])
    cat_w = np.array([c[1] for c in plan.categories])
    sources = [str(s) for s in SOURCE_MIX]
    src_w = np.array(list(SOURCE_MIX.values()))
    # People report in the daytime: hour-of-day weights (Beijing time).
    hour_w = np.array([1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 8, 9, 10, 10, 9, 8, 7, 6, 5, 4, 3, 2], float)
    span_days = max(int((plan.now - plan.start) // 86400), 1)
    midnight = plan.start - (plan.start + 8 * 3600) % 86400  # midnight in Shanghai, in Unix seconds
    full = plan.history == "full"
    now = plan.now
    template = dict.fromkeys(columns)
    template.update(
        nature="complaint", description="基准案件：现场情况见照片", answers="{}", priority="normal",
        resume_status="", reporter_name="", reporter_phone="", reporter_email="", anonymous=False, address="",
        complex_id=None, outside_grids=False, boundary_case=False, nearby_jurisdictions="[]",
        return_count=0, reopen_count=0, rework_count=0, extension_count=0, deadline_provisional=False,
        supervised=False, chase_count=0, rating_comment="", city_id=plan.city_id, warn_level="", stage="",
        escalation_count=0, satisfaction="", resolution="", rating_expired=False,
    )  # fmt: skip
    chunk = 20_000
    for offset in range(0, n, chunk):
        k = min(chunk, n - offset)
        created = midnight + rng.integers(0, span_days, k) * 86400.0
        created += rng.choice(24, k, p=hour_w / hour_w.sum()) * 3600.0 + rng.integers(0, 3600, k)
        created = np.minimum(created, now - 60)
        grid_rows = rng.integers(0, len(plan.grids), k)
        cats = rng.choice(cat_ids, k, p=cat_w / cat_w.sum())
        srcs = rng.choice(len(sources), k, p=src_w / src_w.sum())
        public = np.array([s != "grid_patrol" for s in sources])[srcs]
        d = {
            name: rng.lognormal(math.log(median), spread, k) * 3600
            for name, (median, spread) in STEP_HOURS.items()
        }
        u = rng.random((k, 4))
        xy = rng.random((k, 2))
        # The moments each step would happen, if the case got that far.
        t_verify = np.where(public, created + d["verify"], created)
        t_file = t_verify + d["file"]
        t_dispatch = t_file + d["dispatch"]
        t_accept = t_dispatch + d["accept"]
        t_start = t_accept + d["start"]
        t_handle = t_start + d["handle"]
        t_check = t_handle + d["check"]
        t_close = t_check + d["close"]
        t_rate = t_close + d["rate"]
        # Deadlines (clock hours here): verify/dispatch/check 1 h, accept 1 h, handle 5 days from acceptance.
        due = {
            "verify": created + 3600, "dispatch": t_verify + 3600, "accept": t_dispatch + ACCEPT_HOURS * 3600,
            "handle": t_accept + HANDLE_HOURS * 3600, "check": t_handle + 3600,
        }  # fmt: skip
        text = {
            name: _stamps(a)
            for name, a in {
                "created": created, "verify": t_verify, "file": t_file, "dispatch": t_dispatch,
                "accept": t_accept, "start": t_start, "handle": t_handle, "check": t_check, "close": t_close,
                "rate": t_rate, "d_verify": due["verify"], "d_dispatch": due["dispatch"],
                "d_accept": due["accept"], "d_handle": due["handle"], "d_check": due["check"],
                "y_verify": created + 3600 * WARN_FRACTION, "y_dispatch": t_verify + 3600 * WARN_FRACTION,
                "y_accept": t_dispatch + ACCEPT_HOURS * 3600 * WARN_FRACTION,
                "y_handle": t_accept + HANDLE_HOURS * 3600 * WARN_FRACTION,
                "y_check": t_handle + 3600 * WARN_FRACTION, "self": created + 600, "cancel": t_file + 300,
                "park": t_accept + 3600, "sweep_red": np.array([now + 86400.0] * k),
                "feedback": t_close + FEEDBACK_DAYS * 86400,
            }.items()
        }  # fmt: skip
        lists = {name: a.tolist() for name, a in {
            "created": created, "verify": t_verify, "file": t_file, "dispatch": t_dispatch,
            "accept": t_accept,
            "start": t_start, "handle": t_handle, "check": t_check, "close": t_close, "rate": t_rate,
            "d_accept": due["accept"], "d_handle": due["handle"], "d_check": due["check"],
            "d_verify": due["verify"], "d_dispatch": due["dispatch"],
        }.items()}  # fmt: skip
        u_l, xy_l, pub_l = u.tolist(), xy.tolist(), public.tolist()
        grid_l, cat_l, src_l = grid_rows.tolist(), cats.tolist(), srcs.tolist()
        case_rows: list[list] = []
        event_rows: list[list] = []
        grids, corners = plan.grid_list, plan.corner_list
        for i in range(k):
            case_id = first_id + offset + i
            g = grid_l[i]
            grid, community, street, district = grids[g]
            corner = corners[g]
            row = dict(template)
            worker = plan.people["worker"].get(community)
            dispatcher = plan.people["dispatcher"].get(street)
            lead = plan.lead(cat_l[i], g)
            staff = plan.people["staff"].get(lead)
            ch = _Chain(case_id, plan.city_id, full)
            T = {name: col[i] for name, col in text.items()}
            L = {name: col[i] for name, col in lists.items()}
            pub = pub_l[i]
            st = _State(now, L, T, row, ch, street)
            ch.add(
                "case.reported", T["created"], None if pub else worker, "", "reported" if pub else "verified"
            )
            status = _advance(st, pub, u_l[i], worker, dispatcher, staff, lead)
            row.update(
                id=case_id, number=f"{T['created'][:10].replace('-', '')}{case_id:08d}",
                source=sources[src_l[i]], category_id=cat_l[i], status=status,
                follow_token=f"bench{case_id:027d}", grid_id=grid, community_id=community, street_id=street,
                district_id=district, lng=round(corner[0] + xy_l[i][0] * CELL_LNG, 7),
                lat=round(corner[1] + xy_l[i][1] * CELL_LAT, 7),
                deadlines="{" + ",".join(st.deadlines.values()) + "}",
                created_at=T["created"], updated_at=ch.last,
                chain_seq=ch.seq, chain_hash=ch.prev if ch.seq else "",
            )  # fmt: skip
            for key in (
                "created_at",
                "updated_at",
                "deadline_at",
                "yellow_at",
                "sweep_at",
                "closed_at",
                "rated_at",
                "filed_at",
                "escalated_at",
            ):
                if row[key] is not None:
                    row[key] = row[key].replace("T", " ")
            case_rows.append([row[c] for c in columns])
            event_rows.extend(ch.lines)
        yield case_rows, event_rows


class _State:
    """One case being walked: its step moments (``L`` seconds, ``T`` text), row, deadlines and chain."""

    __slots__ = ("L", "T", "ch", "deadlines", "now", "row", "street")

    def __init__(self, now: float, L: dict, T: dict, row: dict, ch: _Chain, street: int) -> None:
        self.now, self.L, self.T, self.row, self.ch, self.street = now, L, T, row, ch, street
        self.deadlines: dict[str, str] = {}

    def met(self, stage: str, step: str) -> None:
        """``stage``'s deadline was met (or missed) by ``step`` happening."""
        on_time = self.L[step] <= self.L[f"d_{stage}"]
        if stage == "handle" and not on_time:
            self.escalate()
        self.deadlines[stage] = (
            f'"{stage}":{{"due":"{self.T["d_" + stage]}+00:00","met":"{self.T[step]}+00:00",'
            f'"on_time":{"true" if on_time else "false"},"provisional":false}}'
        )

    def running(self, stage: str) -> None:
        """The case waits in ``stage`` at the end of the history: its deadline, colour and next sweep."""
        T, row = self.T, self.row
        since = {"verify": "created", "dispatch": "verify", "accept": "dispatch", "handle": "accept",
                 "check": "handle"}[stage]  # fmt: skip
        due = self.L[f"d_{stage}"]
        yellow = self.L[since] + (due - self.L[since]) * WARN_FRACTION
        self.deadlines[stage] = (
            f'"{stage}":{{"due":"{T["d_" + stage]}+00:00","met":null,"provisional":false}}'
        )
        row.update(stage=stage, deadline_at=T["d_" + stage], yellow_at=T["y_" + stage])
        if self.now >= due:
            row.update(warn_level="red", sweep_at=T["sweep_red"])
            if stage == "handle":
                self.escalate()
        elif self.now >= yellow:
            row.update(warn_level="yellow", sweep_at=T["d_" + stage])
        else:
            row.update(sweep_at=T["y_" + stage])

    def escalate(self) -> None:
        self.ch.add("case.escalated", self.T["d_handle"], None, "", "")
        self.row.update(escalated_to_id=self.street, escalation_count=1, escalated_at=self.T["d_handle"])


def _advance(st: _State, pub: bool, u: list, worker, dispatcher, staff, lead) -> str:
    """Walk one case through the loop up to the end of the history; returns its status (fills ``st.row``)."""
    now, L, T, ch, row = st.now, st.L, st.T, st.ch, st.row
    running = st.running
    u0, u1, u2, u3 = u
    if pub:
        if L["verify"] > now:
            running("verify")
            return "reported"
        if u0 < 0.02:
            ch.add("case.decline", T["verify"], dispatcher, "reported", "declined")
            return "declined"
        st.met("verify", "verify")
        ch.add("case.verify", T["verify"], worker, "reported", "verified")
        status = "verified"
    else:  # a grid worker's own report is verified as it is made (cases.services.intake)
        status = "verified"
        if u0 < 0.06:
            if L["created"] + 600 > now:
                running("dispatch")
                return status
            ch.add("case.self_handle", T["self"], worker, status, "self_handled")
            row.update(closed_at=T["self"])
            return "self_handled"
    if L["file"] > now:
        running("dispatch")
        return status
    ch.add("case.file", T["file"], dispatcher, status, "filed")
    row.update(dispatcher_node_id=st.street, filed_at=T["file"])
    if u1 < 0.01:
        ch.add("case.cancel", T["cancel"], dispatcher, "filed", "cancelled")
        return "cancelled"
    if L["dispatch"] > now:
        running("dispatch")
        return "filed"
    st.met("dispatch", "dispatch")
    ch.add("case.dispatch", T["dispatch"], dispatcher, "filed", "dispatched")
    row.update(lead_org_id=lead)
    if L["accept"] > now:
        running("accept")
        return "dispatched"
    st.met("accept", "accept")
    ch.add("case.accept", T["accept"], staff, "dispatched", "accepted")
    row.update(first_receiver_id=lead)
    if u1 > 0.995:  # parked for season or funding: kept open, out of the on-time counts
        ch.add("case.park", T["park"], None, "accepted", "parked")
        return "parked"
    status = "accepted"
    if L["start"] <= now:
        ch.add("case.start", T["start"], staff, "accepted", "handling")
        status = "handling"
    if L["handle"] > now:
        running("handle")
        return status
    st.met("handle", "handle")
    ch.add("case.handle", T["handle"], staff, status, "handled")
    if L["check"] > now:
        running("check")
        return "handled"
    st.met("check", "check")
    ch.add("case.check", T["check"], worker, "handled", "checked")
    if L["close"] > now:
        return "checked"
    ch.add("case.close", T["close"], dispatcher, "checked", "closed")
    row.update(closed_at=T["close"])
    # About three in four reporters rate; the others let the feedback window pass (unrated, not satisfied).
    if u2 < 0.75 and L["rate"] <= now:
        satisfaction = "satisfied" if u3 < 0.78 else "basically" if u3 < 0.92 else "unsatisfied"
        resolution = "solved" if u3 < 0.8 else "partly" if u3 < 0.93 else "unsolved"
        ch.add("case.rate", T["rate"], None, "closed", "rated")
        row.update(satisfaction=satisfaction, resolution=resolution, rated_at=T["rate"])
        return "rated"
    if L["close"] + FEEDBACK_DAYS * 86400 <= now:
        row.update(rating_expired=True)
    else:
        row.update(sweep_at=T["feedback"])
    return "closed"


# ------------------------------------------------------------------------------------------ loading


def _pg_drop_indexes(tables: list[str]) -> list[str]:
    """Drop the secondary indexes and unique constraints of ``tables``; returns how to rebuild them."""
    rebuild: list[str] = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                """
                SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
                WHERE c.conrelid = %s::regclass AND c.contype = 'u'
                """,
                [table],
            )
            for name, definition in cursor.fetchall():
                rebuild.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
                WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
                """,
                [table],
            )
            for name, definition in cursor.fetchall():
                rebuild.append(definition)
                cursor.execute(f"DROP INDEX {name}")
    return rebuild


def _copy_text(rows: list[list]) -> str:
    # Values are ours (no tab, newline or backslash): None is NULL, True/False read as booleans.
    return "".join("\t".join([r"\N" if v is None else str(v) for v in r]) + "\n" for r in rows)


def _copy(table: str, columns: list[str], rows: list[list] | str) -> None:
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(rows if isinstance(rows, str) else _copy_text(rows))


def _produce(plan: _Plan, first_case: int, n: int, columns: list[str], out) -> None:
    """In a child process: generate cases ``first_case`` … ``first_case + n - 1`` and put them on
    ``out`` as COPY text, while the parent copies (PostgreSQL's work) what the children made."""
    try:
        for case_rows, event_rows in _cases(plan, first_case, n, columns):
            out.put((_copy_text(case_rows), _copy_text(event_rows), len(case_rows), len(event_rows)))
        out.put(None)
    except BaseException:  # reported to the parent, which fails the load with it
        import traceback

        out.put(traceback.format_exc())


def _chunks_here(plan: _Plan, first_case: int, n: int, columns: list[str]):
    """Yield (case rows, event rows, cases, events), generated in this process (SQLite)."""
    for case_rows, event_rows in _cases(plan, first_case, n, columns):
        yield case_rows, event_rows, len(case_rows), len(event_rows)


def _chunks_from_children(plan: _Plan, first_case: int, n: int, columns: list[str], producers: int):
    """Yield (case text, event text, cases, events) from ``producers`` generating child processes, each
    with its own share of the case ids and its own random stream (spawned from the seed's)."""
    import dataclasses
    import multiprocessing
    import queue

    context = multiprocessing.get_context("fork")  # children inherit the plan; they never use the database
    out = context.Queue(maxsize=2 * producers)
    share = -(-n // producers)
    children = []
    for i, rng in enumerate(plan.rng.spawn(producers)):
        first, count = first_case + i * share, max(0, min(share, n - i * share))
        child = context.Process(
            target=_produce,
            args=(dataclasses.replace(plan, rng=rng), first, count, columns, out),
            daemon=True,
        )
        child.start()
        children.append(child)
    running = len(children)
    try:
        while running:
            try:
                item = out.get(timeout=5)
            except queue.Empty:
                ended = [c for c in children if not c.is_alive() and c.exitcode]
                if ended:
                    raise BigCityError(
                        f"a generating process ended (exit code {ended[0].exitcode})"
                    ) from None
                continue
            if item is None:
                running -= 1
            elif isinstance(item, str):
                raise BigCityError(f"a generating process failed:\n{item}")
            else:
                yield item
    finally:
        for child in children:
            child.join(timeout=5)
            if child.is_alive():
                child.kill()


def _insert(table: str, columns: list[str], rows: list[list]) -> None:
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        # Table and column names come from the models, never from input.
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608


def bench_data(
    *,
    grids: int,
    cases: int,
    months: int = 12,
    seed: int = 2026,
    history: str = "counted",
    log: Callable[[str], None] = print,
    progress: bool = True,
) -> BigCity:
    """Fill an empty (migrated) database with a synthetic city of ``grids`` grids and ``cases`` cases."""
    from tqdm import tqdm

    from chuishao.cases.models import Case
    from chuishao.events.models import Event

    if grids < 1 or cases < 0 or months < 1:
        raise BigCityError("--grids and --months must be at least 1 and --cases at least 0")
    if history not in HISTORY_CHOICES:
        raise BigCityError(f"--history must be one of {', '.join(HISTORY_CHOICES)}, not {history!r}")
    if Jurisdiction.objects.exists() or Case.objects.exists():
        raise BigCityError(
            "this database already holds jurisdictions or cases: bench-data fills an empty one "
            "(create a new database, migrate it, and point DATABASE_URL at it)"
        )
    result = BigCity()
    started = time.perf_counter()
    now_dt = clock.now().replace(microsecond=0)

    def lap(name: str, since: float) -> float:
        t = time.perf_counter()
        result.seconds[name] = round(t - since, 1)
        return t

    log("catalogue and work calendar …")
    catalog_load_defaults(actor=SYSTEM)
    start_dt = now_dt - dt.timedelta(days=30 * months)
    calendar_load_official(actor=SYSTEM, years=sorted({start_dt.year, now_dt.year}))
    t = lap("catalogue", started)
    log(f"geography: {lattice(grids)[0]} × {lattice(grids)[1]} grids …")
    with transaction.atomic():
        geo = _load_geography(grids, now_dt, result)
        owners = _load_organisations(geo, result)
        people = _load_people(geo, owners, result)
    t = lap("geography, organisations, people", t)

    plan = _Plan(
        now=now_dt.timestamp(), start=start_dt.timestamp(), city_id=geo["city"].pk, grids=geo["grids"],
        corners=geo["corners"], categories=_category_plan(owners), owners=owners, people=people,
        history=history, rng=np.random.default_rng(seed),
    )  # fmt: skip
    columns = [f.column for f in Case._meta.concrete_fields]
    postgres = connection.vendor == "postgresql"
    rebuild: list[str] = []
    log(f"{cases:,} cases ({history} history) …")
    with transaction.atomic():
        if postgres:
            rebuild = _pg_drop_indexes([Case._meta.db_table, Event._meta.db_table])
            with connection.cursor() as cursor:
                # Foreign keys are not checked row by row during the load: the generator writes only
                # ids it has just created. They stay declared (and enforced for every later write).
                cursor.execute("SET LOCAL session_replication_role = replica")
        write = _copy if postgres else _insert
        first_case = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        if postgres:
            producers = PRODUCERS if cases >= PRODUCERS_FROM else 1
            chunks = _chunks_from_children(plan, first_case, cases, columns, producers)
        else:
            chunks = _chunks_here(plan, first_case, cases, columns)
        with tqdm(total=cases, unit="case", disable=not progress, mininterval=2) as bar:
            for case_rows, event_rows, n_cases, n_events in chunks:
                write(Case._meta.db_table, columns, case_rows)
                if n_events:
                    write(Event._meta.db_table, list(EVENT_COLUMNS), event_rows)
                result.cases += n_cases
                result.events += n_events
                bar.update(n_cases)
        t = lap("cases and events", t)
        if postgres:
            log(f"indexes: {len(rebuild)} …")
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
                for statement in rebuild:
                    cursor.execute(statement)
                for model in (Case, Event):
                    table = model._meta.db_table
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (model tables)
                        f"GREATEST((SELECT MAX(id) FROM {table}), 1))"
                    )
            t = lap("indexes", t)
    if postgres:
        with connection.cursor() as cursor:
            # Vacuum the cases as autovacuum would have by now on a deployment (PostgreSQL vacuums
            # insert-only tables too): without the visibility map a count of a street's cases reads
            # every one of their pages instead of the index alone (the desk's paginator: 194 ms for
            # 30,000 cases at 10 M).
            # (VACUUM cannot run inside a transaction: a caller's, as in the tests, gets ANALYZE only.)
            if not connection.in_atomic_block:
                cursor.execute(f"VACUUM (ANALYZE) {Case._meta.db_table}")
            cursor.execute("ANALYZE")
    t = lap("vacuum and analyse", t)
    log("rollup …")
    with clock.frozen(now_dt):
        # No settle window: every loaded event is committed, and bulk-loaded ids do not follow time, so
        # the refresh cursor must start after the last one (not at the first "young" event's id).
        written = rollup_rebuild(settle=dt.timedelta(0))
    result.rollup_rows = sum(written.values())
    lap("rollup", t)
    result.seconds["total"] = round(time.perf_counter() - started, 1)
    return result
