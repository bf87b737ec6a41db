"""The demo city's generator: deterministic, tiled without gaps or overlaps, and fully staffed."""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict

import pytest
import shapely
from shapely.geometry import Point, shape
from shapely.strtree import STRtree

from chuishao.demo import city
from chuishao.orgs.models import ROLE_NODE_KIND, OrgKind, PartyOrgLevel, Role, UnitKind

TINY = 1e-12  # deg², far below a square centimetre
METRE_LAT = 1 / 111_320


@pytest.fixture(scope="module")
def geo():
    return city.demo_city_geojson()


@pytest.fixture(scope="module")
def props(geo):
    return {f["properties"]["code"]: f["properties"] for f in geo["features"]}


@pytest.fixture(scope="module")
def shapes(geo):
    return {f["properties"]["code"]: shape(f["geometry"]) for f in geo["features"]}


@pytest.fixture(scope="module")
def by_kind(geo):
    kinds = defaultdict(list)
    for feature in geo["features"]:
        kinds[feature["properties"]["kind"]].append(feature["properties"]["code"])
    return kinds


@pytest.fixture(scope="module")
def orgs(geo):
    return city.demo_organisations(geo)


@pytest.fixture(scope="module")
def people(geo, orgs):
    return city.demo_people(geo, orgs)


def children(props, code):
    return [c for c, p in props.items() if p.get("parent") == code and p["kind"] != "complex"]


def test_generation_is_deterministic(geo, orgs, people):
    again = city.demo_city_geojson()
    assert again == geo
    assert city.demo_organisations(again) == orgs
    assert city.demo_people(again, orgs) == people


def test_another_seed_moves_the_vertices_but_keeps_the_codes(geo):
    other = city.demo_city_geojson(seed=7)
    assert other != geo
    assert [f["properties"]["code"] for f in other["features"] if f["properties"]["kind"] != "complex"] == [
        f["properties"]["code"] for f in geo["features"] if f["properties"]["kind"] != "complex"
    ]


def test_counts(by_kind, props):
    assert len(by_kind["city"]) == 1
    assert len(by_kind["district"]) >= 2
    assert len(by_kind["street"]) >= 6
    assert len(by_kind["community"]) >= 20
    assert len(by_kind["grid"]) >= 200
    for district in by_kind["district"]:
        assert len(children(props, district)) >= 3
    per_community = Counter(props[c]["parent"] for c in by_kind["complex"])
    assert set(per_community) == set(by_kind["community"])
    assert all(1 <= n <= 3 for n in per_community.values())


def test_city_and_names(props):
    assert props[city.CITY_CODE]["name"] == "示范市"
    assert props[city.CITY_CODE]["name_en"] == "Demo City"
    assert "parent" not in props[city.CITY_CODE]
    for code, p in props.items():
        assert p["name"]
        assert p["name_en"]
        assert all(ord(ch) < 128 for ch in p["code"]), code


def test_coordinates_are_beijing_like_and_rounded(geo):
    for feature in geo["features"]:
        for lon, lat in feature["geometry"]["coordinates"][0]:
            assert 116.30 <= lon <= 116.42
            assert 39.85 <= lat <= 39.92
            assert round(lon, 7) == lon
            assert round(lat, 7) == lat


def test_every_polygon_is_a_valid_counter_clockwise_ring(geo, shapes):
    for feature in geo["features"]:
        ring = feature["geometry"]["coordinates"][0]
        code = feature["properties"]["code"]
        assert feature["geometry"]["type"] == "Polygon"
        assert ring[0] == ring[-1], code
        assert shapes[code].is_valid, code
        assert shapes[code].exterior.is_ccw, code
        assert shapes[code].area > 0, code


def test_code_layout(props):
    lengths = {"city": 6, "district": 6, "street": 9, "community": 12, "grid": 15}
    for code, p in props.items():
        if p["kind"] == "complex":
            assert code.startswith(p["parent"] + "-")
            continue
        assert len(code) == lengths[p["kind"]]
        assert code.isdigit()
        if p["kind"] in ("street", "community", "grid"):
            assert code[:-3] == p["parent"]
        if p["kind"] == "district":
            assert p["parent"] == city.CITY_CODE


def test_children_are_numbered_from_one_without_gaps(props):
    for code, p in props.items():
        if p["kind"] in ("district", "street", "community"):
            numbers = sorted(int(c[-3:]) for c in children(props, code))
            assert numbers == list(range(1, len(numbers) + 1))


def test_grids_are_numbered_west_to_east_then_north_to_south(props, shapes, by_kind):
    for community in by_kind["community"]:
        grids = sorted(children(props, community))
        height = min(shapes[g].bounds[3] - shapes[g].bounds[1] for g in grids)
        for a, b in itertools.pairwise(grids):
            ca, cb = shapes[a].centroid, shapes[b].centroid
            same_row = abs(cb.y - ca.y) < height / 2
            assert (same_row and cb.x > ca.x) or cb.y < ca.y - height / 2, (a, b)


@pytest.mark.parametrize("kind", ["city", "district", "street", "community"])
def test_children_tile_their_parent_exactly(props, shapes, by_kind, kind):
    for code in by_kind[kind]:
        parts = [shapes[c] for c in children(props, code)]
        assert parts
        union = shapely.unary_union(parts)
        assert shapes[code].symmetric_difference(union).area < TINY, code
        assert abs(sum(p.area for p in parts) - shapes[code].area) < TINY, code


def test_all_grids_make_the_city(shapes, by_kind):
    union = shapely.unary_union([shapes[g] for g in by_kind["grid"]])
    assert shapes[city.CITY_CODE].symmetric_difference(union).area < TINY


def test_no_two_grids_overlap(shapes, by_kind):
    grids = [shapes[g] for g in by_kind["grid"]]
    tree = STRtree(grids)
    for i, grid in enumerate(grids):
        for j in tree.query(grid):
            if j > i:
                assert grid.intersection(grids[j]).area < TINY


def test_cells_are_irregular(shapes, by_kind):
    widths = {round(shapes[g].bounds[2] - shapes[g].bounds[0], 6) for g in by_kind["grid"]}
    assert len(widths) > 50


def test_districts_share_a_long_stepped_border(shapes, by_kind, props):
    west, east = (shapes[d] for d in by_kind["district"][:2])
    border = west.intersection(east)
    assert border.length * 111_320 > 2_000
    assert west.intersection(east).area < TINY
    # A staircase, not one straight line: the border spans several cell widths east to west.
    assert border.bounds[2] - border.bounds[0] > 0.004
    for district in by_kind["district"][:2]:
        touching = [s for s in children(props, district) if shapes[s].intersection(border).length > 0.001]
        assert touching, district


def test_border_points_lie_where_claimed(shapes, props):
    west, east = (shapes[d] for d in (city.WEST_DISTRICT, city.EAST_DISTRICT))
    border = west.intersection(east)
    assert border.distance(Point(city.DEMO_BORDER_POINT)) < 2e-7
    near_west, near_east = Point(city.DEMO_BORDER_NEAR_WEST), Point(city.DEMO_BORDER_NEAR_EAST)
    assert shapes[city.DEMO_BORDER_GRID_WEST].contains(near_west)
    assert shapes[city.DEMO_BORDER_GRID_EAST].contains(near_east)
    assert city.DEMO_BORDER_GRID_WEST.startswith(city.WEST_DISTRICT)
    assert city.DEMO_BORDER_GRID_EAST.startswith(city.EAST_DISTRICT)
    metres = (near_east.x - near_west.x) * 111_320 * math.cos(math.radians(near_west.y))
    assert metres == pytest.approx(20, abs=0.1)
    assert props[props[city.DEMO_BORDER_GRID_WEST]["parent"]]["parent"] == city.DEMO_BORDER_STREET_WEST


def test_border_points_follow_the_seed():
    points = city.demo_border_points(seed=7)
    geo = city.demo_city_geojson(seed=7)
    grids = {f["properties"]["code"]: shape(f["geometry"]) for f in geo["features"]}
    assert grids[points["grid_west"]].contains(Point(points["near_west"]))
    assert grids[points["grid_east"]].contains(Point(points["near_east"]))


def test_complexes_lie_strictly_inside_their_community(props, shapes, by_kind):
    complexes = by_kind["complex"]
    for code in complexes:
        p = props[code]
        community = shapes[p["parent"]]
        assert community.contains(shapes[code]), code
        assert shapes[code].distance(community.exterior) > 4 * METRE_LAT, code
        assert 300 <= p["households"] <= 2000
        assert p["name"].endswith(("家园", "小区", "花园", "苑", "公寓", "北里", "新村", "嘉园"))
    for a, b in itertools.combinations(complexes, 2):
        if props[a]["parent"] == props[b]["parent"]:
            assert not shapes[a].intersects(shapes[b]), (a, b)
    assert len({props[c]["name"] for c in complexes}) == len(complexes)


def test_organisations_are_well_formed(orgs, props):
    codes = [o["code"] for o in orgs]
    assert len(codes) == len(set(codes))
    by_code = {o["code"]: o for o in orgs}
    for org in orgs:
        assert org["kind"] in OrgKind.values
        assert len(org["code"]) <= 40
        assert org["name"]
        assert org["name_en"]
        assert org["jurisdiction"] in props
        assert props[org["jurisdiction"]]["kind"] != "complex"
        assert org["parent"] is None or org["parent"] in by_code
        assert org["party_level"] in ("", *PartyOrgLevel.values)
        assert org["unit_kind"] in ("", *UnitKind.values)
        assert bool(org["party_level"]) == (org["kind"] == "party_org")
        for estate in org["complexes"]:
            assert props[estate]["kind"] == "complex"
        if org["attached_unit"]:
            assert by_code[org["attached_unit"]]["kind"] == "unit"
            assert org["kind"] == "party_org"


def test_every_level_has_its_organisations(orgs, by_kind, props):
    index = defaultdict(list)
    for org in orgs:
        index[org["jurisdiction"], org["dept_type"]].append(org)
    assert index[city.CITY_CODE, "command_centre"][0]["kind"] == "command_centre"
    for key, _zh, _en in city.CITY_UTILITIES:
        (utility,) = index[city.CITY_CODE, key]
        assert (utility["kind"], utility["unit_kind"]) == ("unit", "enterprise")
    for district in by_kind["district"]:
        assert index[district, "command_centre"]
        for key, zh, _en in city.DISTRICT_DEPARTMENTS:
            (dept,) = index[district, key]
            assert dept["kind"] == "department"
            assert dept["name"] == props[district]["name"] + zh
        assert len(index[district, "property"]) == 5
    for street in by_kind["street"]:
        assert index[street, "street_office"][0]["kind"] == "street_office"
        (team,) = index[street, "street_law_enforcement"]
        assert team["kind"] == "dispatched_agency"
        assert team["parent"] == f"ORG-{props[street]['parent']}-urban_management"
        (police,) = index[street, "police"]
        assert police["kind"] == "dispatched_agency"
        assert police["name"].endswith("派出所")
    for community in by_kind["community"]:
        assert index[community, "community_committee"][0]["kind"] == "community_committee"
        (party,) = [o for o in index[community, "party"] if o["kind"] == "party_org"]
        assert party["party_level"] in ("branch", "general_branch")


def test_complexes_have_property_companies_and_some_homeowners_committees(orgs, by_kind):
    managed = Counter(c for o in orgs if o["kind"] == "property_company" for c in o["complexes"])
    assert set(managed) == set(by_kind["complex"])
    assert set(managed.values()) == {1}
    assert all(o["complexes"] for o in orgs if o["kind"] == "property_company")
    represented = [c for o in orgs if o["kind"] == "homeowners_committee" for c in o["complexes"]]
    assert len(represented) == len(by_kind["complex"]) // 2


def test_units_carry_party_organisations(orgs, by_kind):
    units = [o for o in orgs if o["kind"] == "unit" and not o["dept_type"]]
    attached = {o["attached_unit"] for o in orgs if o["attached_unit"]}
    assert {u["code"] for u in units} == attached
    assert {u["unit_kind"] for u in units} >= {"organ", "enterprise", "public_institution"}
    for street in by_kind["street"]:
        assert sum(u["jurisdiction"] == street for u in units) >= 3


def test_people_are_well_formed(people, orgs, props):
    org_codes = {o["code"] for o in orgs}
    assert len({p["username"] for p in people}) == len(people)
    assert len({p["phone"] for p in people}) == len(people)
    for person in people:
        assert person["phone"].startswith("1380000")
        assert len(person["phone"]) == 11
        assert 2 <= len(person["display_name"]) <= 3
        assert person["roles"]
        for role in person["roles"]:
            assert role["role"] in Role.values
            kinds = ROLE_NODE_KIND[role["role"]]
            if role["node"] is not None:
                assert props[role["node"]]["kind"] in kinds
            elif kinds is not None:
                pytest.fail(f"{person['username']}: {role['role']} needs a node")
            if role["role"] == Role.DEPARTMENT_STAFF:
                assert role["organisation"] in org_codes


def test_every_node_and_department_is_staffed(people, orgs, by_kind):
    held = defaultdict(set)
    for person in people:
        for role in person["roles"]:
            held[role["role"]].add(role["node"] or role["organisation"])
    assert held["grid_worker"] == set(by_kind["grid"])
    assert held["street_dispatcher"] == set(by_kind["street"])
    assert held["community_staff"] == set(by_kind["community"])
    assert held["district_centre"] == set(by_kind["district"])
    assert held["admin"] == held["city_centre"] == {city.CITY_CODE}
    assert city.CITY_CODE in held["leader"]
    assert set(by_kind["district"]) & held["leader"]
    handling = {o["code"] for o in orgs if o["kind"] in ("department", "dispatched_agency")}
    assert handling <= held["department_staff"]
    assert sum(p["username"].startswith("resident-") for p in people) >= 3
    grid_worker = next(p for p in people if p["username"] == f"grid-{by_kind['grid'][0]}")
    assert grid_worker["roles"] == [{"role": "grid_worker", "node": by_kind["grid"][0], "organisation": None}]


def test_showcase_logins_exist(people):
    usernames = {p["username"] for p in people}
    for username, zh, en in city.DEMO_LOGINS:
        assert username in usernames
        assert zh
        assert en
    assert f"grid-{city.DEMO_BORDER_GRID_WEST}" in {u for u, _, _ in city.DEMO_LOGINS}
