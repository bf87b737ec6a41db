"""The demo city (示范市): its geography, organisations and people as plain, deterministic data.

Nothing here touches the database: the demo loader turns these dicts into rows. Every boundary is
built from one global lattice of vertex coordinates, rounded once, so that a grid, its community,
street, district and the city share their edges exactly and tile without gaps or overlaps.

Layout: 22 × 14 lattice cells (≈ 180 m square, 3 ha) at Beijing-like coordinates; all names are fictional.
The cell rows form four bands; each band holds one street of each district, so every street touches
the district border, a staircase that steps between bands. A lattice edge
in the second band carries the seed's story of a building astride the line (``DEMO_BORDER_POINT``).
"""

from __future__ import annotations

import math
import random
from functools import cache

import shapely
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient

CITY_CODE = "110000"
WEST_DISTRICT = "110901"
EAST_DISTRICT = "110902"

_NX, _NY = 22, 14
_LON0, _LAT0 = 116.335, 39.905  # north-west corner of the city
_DLON, _DLAT = 0.0021, 0.0016
# Up to 22 % of a cell each way keeps every jittered cell a simple, convex-ish quadrilateral.
_JITTER = 0.22
_PRECISION = 1e-7
_M_PER_DEG_LAT = 111_320.0
_M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(_LAT0 - _NY * _DLAT / 2))

# Cell rows of each band, north to south.
_BANDS = ((0, 4), (4, 7), (7, 11), (11, 14))
# First column of the east district in each band: the staircase the district border follows.
_BORDER_COL = (11, 9, 12, 10)
# Community widths in cells, west→east, for the west and the east street of each band.
_SPLITS = (
    ((4, 4, 3), (3, 4, 4)),
    ((3, 3, 3), (4, 3, 3, 3)),
    ((5, 4, 3), (3, 4, 3)),
    ((3, 4, 3), (4, 4, 4)),
)
# The lattice edge the border story happens on: band 1, between cell rows 5 and 6.
_STORY_ROW = 5

_DISTRICT_NAMES = {WEST_DISTRICT: ("河西区", "Hexi District"), EAST_DISTRICT: ("河东区", "Hedong District")}
# West district's streets north→south, then the east district's; 茶园 nods to Maliandao's tea street.
_STREET_NAMES = (
    ("柳荫", "Liuyin"), ("茶园", "Chayuan"), ("枣林", "Zaolin"), ("金台", "Jintai"),
    ("槐香", "Huaixiang"), ("新桥", "Xinqiao"), ("春晖", "Chunhui"), ("安澜", "Anlan"),
)  # fmt: skip
_COMMUNITY_NAMES = (
    ("荷花池", "Hehuachi"), ("石榴园", "Shiliuyuan"), ("杏坛", "Xingtan"), ("玉泉", "Yuquan"),
    ("文昌", "Wenchang"), ("欣园", "Xinyuan"), ("桃源", "Taoyuan"), ("芳草地", "Fangcaodi"),
    ("东井", "Dongjing"), ("北坡", "Beipo"), ("青塔", "Qingta"), ("松榆", "Songyu"),
    ("双井", "Shuangjing"), ("云岗", "Yungang"), ("红莲", "Honglian"), ("鹊桥", "Queqiao"),
    ("翠微", "Cuiwei"), ("银杏", "Yinxing"), ("明光", "Mingguang"), ("清河湾", "Qinghewan"),
    ("兰亭", "Lanting"), ("梧桐", "Wutong"), ("长乐", "Changle"), ("丰泽", "Fengze"), ("瑞雪", "Ruixue"),
)  # fmt: skip
_COMPLEX_PREFIXES = (
    ("金桥", "Jinqiao"), ("和平", "Heping"), ("阳光", "Yangguang"), ("康乐", "Kangle"), ("华远", "Huayuan"),
    ("幸福", "Xingfu"), ("锦绣", "Jinxiu"), ("翠湖", "Cuihu"), ("景泰", "Jingtai"), ("恒通", "Hengtong"),
    ("丽都", "Lidu"), ("嘉禾", "Jiahe"), ("万象", "Wanxiang"), ("春秀", "Chunxiu"), ("紫荆", "Zijing"),
    ("君安", "Jun'an"), ("怡和", "Yihe"), ("绿洲", "Lüzhou"), ("星河", "Xinghe"), ("晨光", "Chenguang"),
    ("百合", "Baihe"), ("瑞和", "Ruihe"), ("建工", "Jiangong"), ("电力", "Dianli"), ("铁路", "Tielu"),
    ("纺织", "Fangzhi"), ("邮电", "Youdian"), ("南湖", "Nanhu"), ("松鹤", "Songhe"), ("长青", "Changqing"),
)  # fmt: skip
_COMPLEX_SUFFIXES = (
    ("家园", "Jiayuan"), ("小区", "Residential Quarter"), ("花园", "Garden"), ("苑", "Court"),
    ("公寓", "Apartments"), ("北里", "Beili"), ("新村", "New Village"), ("嘉园", "Jiayuan"),
)  # fmt: skip


# ---------------------------------------------------------------------------------------------- layout


@cache
def _layout() -> tuple[tuple, tuple, dict[tuple[int, int], str]]:
    """Streets, communities (with their cells in numbering order) and the grid code of every cell.

    Depends on no seed: codes stay stable whatever the jitter.
    """
    streets, communities, grid_of_cell = [], [], {}
    for d_index, district in enumerate((WEST_DISTRICT, EAST_DISTRICT)):
        for s_index, (r0, r1) in enumerate(_BANDS):
            street = f"{district}{s_index + 1:03d}"
            streets.append((street, district))
            col = 0 if d_index == 0 else _BORDER_COL[s_index]
            for c_index, width in enumerate(_SPLITS[s_index][d_index]):
                community = f"{street}{c_index + 1:03d}"
                # Row-major order is the standard's numbering: west→east, then north→south.
                cells = tuple((i, j) for j in range(r0, r1) for i in range(col, col + width))
                for n, cell in enumerate(cells, 1):
                    grid_of_cell[cell] = f"{community}{n:03d}"
                communities.append((community, street, cells))
                col += width
    assert col == _NX
    assert len(grid_of_cell) == _NX * _NY
    return tuple(streets), tuple(communities), grid_of_cell


@cache
def _lattice(seed: int) -> dict[tuple[int, int], tuple[float, float]]:
    """Vertex (i, j) → (lon, lat), j counted from the north; the city's outline stays straight."""
    rng = random.Random(seed)
    points = {}
    for j in range(_NY + 1):
        for i in range(_NX + 1):
            lon, lat = _LON0 + i * _DLON, _LAT0 - j * _DLAT
            if 0 < i < _NX and 0 < j < _NY:
                lon += rng.uniform(-_JITTER, _JITTER) * _DLON
                lat += rng.uniform(-_JITTER, _JITTER) * _DLAT
            points[i, j] = (round(lon, 7), round(lat, 7))
    return points


def _cell(points: dict, cell: tuple[int, int]) -> Polygon:
    i, j = cell
    # NW → SW → SE → NE is counter-clockwise with lon east and lat north.
    return Polygon([points[i, j], points[i, j + 1], points[i + 1, j + 1], points[i + 1, j]])


def _union(polygons: list[Polygon]) -> Polygon:
    # Snapping to the 1e-7 grid the lattice is already rounded to keeps every shared vertex identical.
    merged = shapely.unary_union(polygons, grid_size=_PRECISION)
    if merged.geom_type != "Polygon":
        raise ValueError(f"layout error: a region is not one polygon ({merged.geom_type})")
    return merged


def _geometry(polygon: Polygon) -> dict:
    ring = orient(polygon, sign=1.0).exterior.coords
    return {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]}


def _shrink(polygon: Polygon, metres: float) -> Polygon:
    """Buffer inwards by ``metres`` in a local metric frame (a degree of lon is shorter than of lat)."""
    scale = (_M_PER_DEG_LON, _M_PER_DEG_LAT)
    local = shapely.transform(polygon, lambda xy: (xy - (_LON0, _LAT0)) * scale)
    inner = local.buffer(-metres, join_style="mitre")
    back = shapely.transform(inner, lambda xy: xy / scale + (_LON0, _LAT0))
    return shapely.set_precision(back, _PRECISION)


def _feature(kind: str, code: str, name: str, name_en: str, parent: str | None, polygon: Polygon, **extra):
    properties = {"kind": kind, "code": code, "name": name, "name_en": name_en}
    if parent is not None:
        properties["parent"] = parent
    properties.update(extra)
    return {"type": "Feature", "properties": properties, "geometry": _geometry(polygon)}


# ------------------------------------------------------------------------------------------- geography


def demo_border_points(seed: int = 2019) -> dict:
    """A point on the district border (mid-way along one lattice edge) and points 10 m either side."""
    points = _lattice(seed)
    col = _BORDER_COL[1]
    (x1, y1), (x2, y2) = points[col, _STORY_ROW], points[col, _STORY_ROW + 1]
    lon, lat = (x1 + x2) / 2, (y1 + y2) / 2
    step = 10 / (111_320.0 * math.cos(math.radians(lat)))
    grid_of_cell = _layout()[2]
    return {
        "point": (round(lon, 7), round(lat, 7)),
        "near_west": (round(lon - step, 7), round(lat, 7)),
        "near_east": (round(lon + step, 7), round(lat, 7)),
        "grid_west": grid_of_cell[col - 1, _STORY_ROW],
        "grid_east": grid_of_cell[col, _STORY_ROW],
    }


def demo_city_geojson(seed: int = 2019) -> dict:
    """The city, its districts, streets, communities, grids and complexes as a FeatureCollection.

    Features come parents first (city, districts, streets, communities, grids, complexes).
    """
    points = _lattice(seed)
    streets, communities, grid_of_cell = _layout()
    cells = {cell: _cell(points, cell) for cell in grid_of_cell}
    grid_features, community_features, complex_features = [], [], []
    community_polygons: dict[str, Polygon] = {}
    rng = random.Random(f"{seed}-complexes")
    complex_names = [(p, s) for p in _COMPLEX_PREFIXES for s in _COMPLEX_SUFFIXES]
    rng.shuffle(complex_names)

    for index, (community, street, community_cells) in enumerate(communities):
        zh, en = _COMMUNITY_NAMES[index]
        polygon = _union([cells[c] for c in community_cells])
        community_polygons[community] = polygon
        community_features.append(
            _feature("community", community, f"{zh}社区", f"{en} Community", street, polygon)
        )
        for n, cell in enumerate(community_cells, 1):
            grid_features.append(
                _feature(
                    "grid",
                    grid_of_cell[cell],
                    f"{zh}社区第{n}网格",
                    f"{en} Community Grid {n}",
                    community,
                    cells[cell],
                )
            )
        # Complexes sit on whole cells (one, or two side by side) shrunk 5 m inside them, never shared.
        free, order, groups = set(community_cells), list(community_cells), []
        rng.shuffle(order)
        wanted = rng.randint(1, 3)
        for cell in order:
            if len(groups) == wanted:
                break
            if cell not in free:
                continue
            group = [cell]
            east = (cell[0] + 1, cell[1])
            if east in free and rng.random() < 0.5:
                group.append(east)
            free.difference_update(group)
            groups.append(group)
        for n, group in enumerate(groups, 1):
            (p_zh, p_en), (s_zh, s_en) = complex_names.pop()
            shape = _shrink(_union([cells[c] for c in group]), 5.0)
            complex_features.append(
                _feature(
                    "complex",
                    f"{community}-{n:02d}",
                    f"{p_zh}{s_zh}",
                    f"{p_en} {s_en}",
                    community,
                    shape,
                    households=rng.randint(300, 2000),
                )
            )

    street_features, street_polygons = [], {}
    for index, (street, district) in enumerate(streets):
        zh, en = _STREET_NAMES[index]
        polygon = _union([community_polygons[c] for c, s, _ in communities if s == street])
        street_polygons[street] = polygon
        street_features.append(
            _feature("street", street, f"{zh}街道", f"{en} Subdistrict", district, polygon)
        )

    district_features, district_polygons = [], []
    for district, (zh, en) in _DISTRICT_NAMES.items():
        polygon = _union([street_polygons[s] for s, d in streets if d == district])
        district_polygons.append(polygon)
        district_features.append(_feature("district", district, zh, en, CITY_CODE, polygon))

    city = _feature("city", CITY_CODE, "示范市", "Demo City", None, _union(district_polygons))
    features = [city, *district_features, *street_features, *community_features, *grid_features]
    return {"type": "FeatureCollection", "features": features + complex_features}


_BORDER = demo_border_points()
DEMO_BORDER_POINT: tuple[float, float] = _BORDER["point"]
DEMO_BORDER_NEAR_WEST: tuple[float, float] = _BORDER["near_west"]
DEMO_BORDER_NEAR_EAST: tuple[float, float] = _BORDER["near_east"]
DEMO_BORDER_GRID_WEST: str = _BORDER["grid_west"]
DEMO_BORDER_GRID_EAST: str = _BORDER["grid_east"]
# The streets on either side of the story's stretch of border (the two that blow the joint whistle).
DEMO_BORDER_STREET_WEST = DEMO_BORDER_GRID_WEST[:9]
DEMO_BORDER_STREET_EAST = DEMO_BORDER_GRID_EAST[:9]


# --------------------------------------------------------------------------------------- organisations

# dept_type key, Chinese name, English name: the handling departments of every district.
DISTRICT_DEPARTMENTS = (
    ("urban_management", "城管执法局", "Urban Management and Law Enforcement Bureau"),
    ("housing", "住房和城乡建设委员会", "Housing and Urban-Rural Development Commission"),
    ("transport", "交通局", "Transport Bureau"),
    ("landscaping", "园林绿化局", "Landscaping and Greening Bureau"),
    ("environment", "生态环境局", "Ecology and Environment Bureau"),
    ("market", "市场监督管理局", "Market Supervision Administration"),
    ("water", "水务局", "Water Affairs Bureau"),
    ("civil_affairs", "民政局", "Civil Affairs Bureau"),
    ("human_resources", "人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    ("emergency", "应急管理局", "Emergency Management Bureau"),
    ("fire", "消防救援支队", "Fire and Rescue Detachment"),
)
# Utilities serve the whole city, as the real ones do, rather than one district.
CITY_UTILITIES = (
    ("power", "供电公司", "Power Supply Company"),
    ("telecom", "通信公司", "Telecom Company"),
    ("gas", "燃气集团", "Gas Group"),
    ("heating", "热力集团", "Heating Group"),
)
_PROPERTY_COMPANIES = (
    ("安居", "Anju"), ("恒信", "Hengxin"), ("鸿福", "Hongfu"), ("金盾", "Jindun"), ("润泽", "Runze"),
    ("万家", "Wanjia"), ("嘉诚", "Jiacheng"), ("盛世", "Shengshi"), ("邻里", "Linli"), ("德信", "Dexin"),
)  # fmt: skip
_COMPANIES_PER_DISTRICT = 5
_ENTERPRISE_ROOTS = (
    ("云帆", "Yunfan"), ("启明", "Qiming"), ("博远", "Boyuan"), ("智联", "Zhilian"),
    ("华信", "Huaxin"), ("天成", "Tiancheng"), ("宏图", "Hongtu"), ("新程", "Xincheng"),
)  # fmt: skip


def _org(kind: str, code: str, name: str, name_en: str, dept_type: str, jurisdiction: str, **extra) -> dict:
    org = {
        "kind": kind, "code": code, "name": name, "name_en": name_en, "dept_type": dept_type,
        "jurisdiction": jurisdiction, "parent": None, "party_level": "", "unit_kind": "",
        "complexes": [], "attached_unit": None,
    }  # fmt: skip
    org.update(extra)
    return org


def _props(geo: dict, kind: str) -> list[dict]:
    return [f["properties"] for f in geo["features"] if f["properties"]["kind"] == kind]


def demo_organisations(geo: dict, *, seed: int = 2019) -> list[dict]:
    """Command centres, departments, utilities, street bodies, committees, party organisations, units."""
    rng = random.Random(f"{seed}-organisations")
    city = _props(geo, "city")[0]
    orgs = [
        _org(
            "command_centre",
            f"ORG-{city['code']}-command_centre",
            f"{city['name']}城市管理指挥中心",
            f"{city['name_en']} Urban Management Command Centre",
            "command_centre",
            city["code"],
        )
    ]
    for key, zh, en in CITY_UTILITIES:
        orgs.append(
            _org(
                "unit",
                f"ORG-{city['code']}-{key}",
                f"{city['name']}{zh}",
                f"{city['name_en']} {en}",
                key,
                city["code"],
                unit_kind="enterprise",
            )
        )

    districts = _props(geo, "district")
    streets = _props(geo, "street")
    communities = _props(geo, "community")
    complexes = _props(geo, "complex")
    grid_count = {c["code"]: 0 for c in communities}
    for grid in _props(geo, "grid"):
        grid_count[grid["parent"]] += 1

    company_names = list(_PROPERTY_COMPANIES)
    for district in districts:
        code, zh, en = district["code"], district["name"], district["name_en"]
        orgs.append(
            _org(
                "command_centre",
                f"ORG-{code}-command_centre",
                f"{zh}城市管理指挥中心",
                f"{en} Urban Management Command Centre",
                "command_centre",
                code,
            )
        )
        for key, dept_zh, dept_en in DISTRICT_DEPARTMENTS:
            orgs.append(
                _org("department", f"ORG-{code}-{key}", f"{zh}{dept_zh}", f"{en} {dept_en}", key, code)
            )
        # Property companies: a handful per district, each managing several of its complexes.
        companies = []
        for n in range(1, _COMPANIES_PER_DISTRICT + 1):
            c_zh, c_en = company_names.pop(0)
            company = _org(
                "property_company",
                f"ORG-{code}-property-{n}",
                f"{city['name']}{c_zh}物业服务有限公司",
                f"{city['name_en']} {c_en} Property Services Co., Ltd.",
                "property",
                code,
            )
            companies.append(company)
            orgs.append(company)
        own = [c for c in complexes if c["parent"].startswith(code)]
        shuffled = own[:]
        rng.shuffle(shuffled)
        # Round-robin after a shuffle: every company manages at least one complex.
        for n, estate in enumerate(shuffled):
            companies[n % len(companies)]["complexes"].append(estate["code"])
        for company in companies:
            company["complexes"].sort()

    # Homeowners' committees exist in about half the complexes, as in real cities.
    with_committee = set(rng.sample([c["code"] for c in complexes], len(complexes) // 2))
    for estate in complexes:
        if estate["code"] in with_committee:
            orgs.append(
                _org(
                    "homeowners_committee",
                    f"ORG-{estate['code']}-homeowners",
                    f"{estate['name']}业主委员会",
                    f"{estate['name_en']} Homeowners' Committee",
                    "homeowners_committee",
                    estate["parent"],
                    complexes=[estate["code"]],
                )
            )

    for index, street in enumerate(streets):
        code, zh, en, district = street["code"], street["name"], street["name_en"], street["parent"]
        short_zh, short_en = zh.removesuffix("街道"), en.removesuffix(" Subdistrict")
        party = f"ORG-{code}-party"
        root_zh, root_en = _ENTERPRISE_ROOTS[index % len(_ENTERPRISE_ROOTS)]
        orgs += [
            _org("street_office", f"ORG-{code}-street_office", f"{zh}办事处", f"{en} Office",
                 "street_office", code),
            _org(
                "dispatched_agency", f"ORG-{code}-street_law_enforcement", f"{zh}城管执法队",
                f"{en} Urban Management Law Enforcement Team", "street_law_enforcement", code,
                parent=f"ORG-{district}-urban_management",
            ),
            _org("dispatched_agency", f"ORG-{code}-police", f"{short_zh}派出所", f"{short_en} Police Station",
                 "police", code),
            _org("party_org", party, f"中共{zh}工作委员会", f"{en} Party Working Committee", "party", code,
                 party_level="committee"),
        ]  # fmt: skip
        units = [
            ("organ", f"{short_zh}税务所", f"{short_en} Tax Office"),
            ("public_institution", f"{short_zh}社区卫生服务中心",
             f"{short_en} Community Health Service Centre"),
            ("enterprise", f"{city['name']}{root_zh}科技有限公司",
             f"{city['name_en']} {root_en} Technology Co., Ltd."),
        ]  # fmt: skip
        if rng.random() < 0.6:
            units.append(
                ("social_org", f"{short_zh}社会工作服务中心", f"{short_en} Social Work Service Centre")
            )
        for n, (unit_kind, u_zh, u_en) in enumerate(units, 1):
            unit = f"ORG-{code}-unit-{n}"
            orgs.append(_org("unit", unit, u_zh, u_en, "", code, unit_kind=unit_kind))
            orgs.append(
                _org(
                    "party_org",
                    f"{unit}-party",
                    f"中共{u_zh}支部委员会",
                    f"{u_en} Party Branch",
                    "party",
                    code,
                    parent=party,
                    party_level="branch",
                    attached_unit=unit,
                )
            )

    for community in communities:
        code, zh, en = community["code"], community["name"], community["name_en"]
        street_party = f"ORG-{community['parent']}-party"
        general = grid_count[code] >= 12
        orgs += [
            _org("community_committee", f"ORG-{code}-community_committee", f"{zh}居民委员会",
                 f"{en} Residents' Committee", "community_committee", code),
            _org("party_org", f"ORG-{code}-party", f"中共{zh}{'总支部' if general else '支部'}委员会",
                 f"{en} Party {'General Branch' if general else 'Branch'}", "party", code,
                 parent=street_party, party_level="general_branch" if general else "branch"),
        ]  # fmt: skip
    return orgs


# ---------------------------------------------------------------------------------------------- people

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
_GIVEN = (
    "建国", "秀英", "志强", "丽娟", "海涛", "桂兰", "晓明", "俊杰", "婷", "磊", "静", "伟", "芳", "敏",
    "军", "洋", "勇", "艳", "杰", "娜", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "文华", "淑珍",
)  # fmt: skip

# Showcase accounts printed after ``make demo``: username, what it is in Chinese and in English.
DEMO_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("admin", "系统管理员", "administrator"),
    ("city-centre", "市指挥中心值班长", "city command centre, shift leader"),
    (f"district-centre-{WEST_DISTRICT}", "河西区指挥中心", "Hexi District command centre"),
    (
        f"street-{DEMO_BORDER_STREET_WEST}",
        "茶园街道派遣员（区界街道）",
        "street dispatcher on the district border",
    ),
    (f"community-{DEMO_BORDER_GRID_WEST[:12]}", "欣园社区工作人员", "community staff beside the border"),
    (f"grid-{DEMO_BORDER_GRID_WEST}", "区界网格员", "grid worker on the district border"),
    (f"dept-{WEST_DISTRICT}-urban_management", "河西区城管执法局工作人员", "Hexi urban management staff"),
    (
        f"street-{DEMO_BORDER_STREET_EAST}",
        "区界对面街道派遣员（联合吹哨）",
        "street dispatcher across the border (joint whistle)",
    ),
    (f"dept-{EAST_DISTRICT}-urban_management", "河东区城管执法局工作人员", "Hedong urban management staff"),
    (f"district-centre-{EAST_DISTRICT}", "河东区指挥中心", "Hedong District command centre"),
    ("resident-1", "居民", "resident"),
)
_RESIDENTS = 6


def _role(role: str, *, node: str | None = None, organisation: str | None = None) -> dict:
    return {"role": role, "node": node, "organisation": organisation}


def demo_people(geo: dict, orgs: list[dict], *, seed: int = 2019) -> list[dict]:
    """An account for every role: one grid worker per grid, one dispatcher per street, and so on."""
    rng = random.Random(f"{seed}-people")
    city = _props(geo, "city")[0]["code"]
    districts = [d["code"] for d in _props(geo, "district")]
    accounts: list[tuple[str, list[dict]]] = [
        ("admin", [_role("admin", node=city)]),
        ("city-centre", [_role("city_centre", node=city)]),
        ("city-leader", [_role("leader", node=city)]),
        (f"district-leader-{districts[0]}", [_role("leader", node=districts[0])]),
    ]
    accounts += [(f"district-centre-{d}", [_role("district_centre", node=d)]) for d in districts]
    # The street's dispatcher also works for the street office, and community staff for their residents'
    # committee: cases the responsibility list gives to the street or community are led by them.
    accounts += [
        (
            f"street-{s['code']}",
            [
                _role("street_dispatcher", node=s["code"]),
                _role("department_staff", organisation=f"ORG-{s['code']}-street_office"),
            ],
        )
        for s in _props(geo, "street")
    ]
    accounts += [
        (
            f"community-{c['code']}",
            [
                _role("community_staff", node=c["code"]),
                _role("department_staff", organisation=f"ORG-{c['code']}-community_committee"),
            ],
        )
        for c in _props(geo, "community")
    ]
    accounts += [(f"grid-{g['code']}", [_role("grid_worker", node=g["code"])]) for g in _props(geo, "grid")]
    handling = [
        o
        for o in orgs
        if o["kind"] in ("department", "dispatched_agency") or (o["kind"] == "unit" and o["dept_type"])
    ]
    accounts += [
        (f"dept-{o['code'].removeprefix('ORG-')}", [_role("department_staff", organisation=o["code"])])
        for o in handling
    ]
    accounts += [(f"resident-{n}", [_role("resident")]) for n in range(1, _RESIDENTS + 1)]
    return [
        {
            "username": username,
            "display_name": rng.choice(_SURNAMES) + rng.choice(_GIVEN),
            # 1380000xxxx: a fictional block, one number per account.
            "phone": f"1380000{n:04d}",
            "roles": roles,
        }
        for n, (username, roles) in enumerate(accounts, 1)
    ]
