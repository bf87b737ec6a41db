"""Routing points to grids: inside, near a district line, outside, batch = single, rebuilds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chuishao.actors import SYSTEM
from chuishao.geo import routing
from chuishao.geo.importer import geo_import
from chuishao.geo.models import Jurisdiction
from chuishao.geo.routing import ON_EDGE_M, OUTSIDE, GridRow, RouteBatch, RoutingIndex, routing_index
from tests.geo.conftest import (
    COMMUNITIES,
    DISTRICTS,
    STREETS,
    H,
    W,
    city_collection,
    grid_cell,
    grid_code,
    lat,
    lng,
    rect,
)

# Metres per degree at the test city, for placing points by distance (the projection's own scale).
M_PER_DEG_LAT = 111_195.0
M_PER_DEG_LNG = 111_195.0 * 0.76692  # cos(39.9°)
# The routing tests' inputs are hypothesis-generated; each reuses the function-scoped city.
FIXTURE_OK = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=60
)

GRIDS = [(d, n) for d in ("A", "B") for n in range(1, 5)]


@pytest.fixture
def index(city):
    return routing_index(force_check=True)


@FIXTURE_OK
@given(which=st.sampled_from(GRIDS), u=st.floats(0.37, 0.63), v=st.floats(0.37, 0.63))
def test_points_well_inside_a_grid_route_to_it_without_a_boundary_flag(index, which, u, v):
    col, row = grid_cell(*which)
    route = index.route(lat(row + v), lng(col + u))
    grid = Jurisdiction.objects.get(code=grid_code(*which))
    assert route.grid_id == grid.pk
    assert route.grid_code == grid.code
    assert (route.community_id, route.street_id, route.district_id, route.city_id) == (
        grid.community_id,
        grid.street_id,
        grid.district_id,
        grid.city_id,
    )
    assert (route.outside, route.boundary, route.nearby) == (False, False, ())


@FIXTURE_OK
@given(
    # Within a micrometre of the line counts as on it; keep clear of that rounding band.
    offset_m=st.floats(-29.0, 29.0).filter(lambda m: not 1e-7 < abs(m) < 1e-5),
    row=st.sampled_from([0, 1]),
    v=st.floats(0.35, 0.65),
)
def test_points_near_the_district_line_are_flagged_and_name_the_other_side(index, offset_m, row, v):
    route = index.route(lat(row + v), lng(2) + offset_m / M_PER_DEG_LNG)
    west = offset_m <= ON_EDGE_M  # on the line the lowest code (district A's grid) wins
    mine, other = ("A", "B") if west else ("B", "A")
    n = 2 + 2 * row if west else 1 + 2 * row
    m = 1 + 2 * row if west else 2 + 2 * row
    assert route.grid_code == grid_code(mine, n)
    assert route.district_id == Jurisdiction.objects.get(code=DISTRICTS[mine]).pk
    assert route.boundary is True
    assert route.outside is False
    for code in (DISTRICTS[other], STREETS[other], COMMUNITIES[other], grid_code(other, m)):
        assert code in route.nearby
    assert DISTRICTS[mine] not in route.nearby


@FIXTURE_OK
@given(
    where=st.sampled_from(["west", "east", "south", "north"]),
    along=st.floats(0.0, 1.0),
    away_m=st.floats(0.01, 500.0),
)
def test_points_outside_every_grid_get_no_ids(index, where, along, away_m):
    if where in ("west", "east"):
        x = lng(0) - away_m / M_PER_DEG_LNG if where == "west" else lng(4) + away_m / M_PER_DEG_LNG
        y = lat(2 * along)
    else:
        x = lng(4 * along)
        y = lat(0) - away_m / M_PER_DEG_LAT if where == "south" else lat(2) + away_m / M_PER_DEG_LAT
    route = index.route(y, x)
    assert route.outside is True
    assert (route.grid_id, route.community_id, route.street_id, route.district_id, route.city_id) == (
        None,
    ) * 5
    # Near the city edge the nearby grids are named, never chosen.
    assert bool(route.nearby) == (away_m <= 29.9) or 29.9 < away_m < 30.1


@FIXTURE_OK
@given(points=st.lists(st.tuples(st.floats(-0.5, 4.5), st.floats(-0.5, 2.5)), min_size=1, max_size=40))
def test_route_many_agrees_with_route(index, points):
    lats = [lat(r) for _, r in points]
    lngs = [lng(c) for c, _ in points]
    assert list(index.route_many(lats, lngs)) == [index.route(a, b) for a, b in zip(lats, lngs, strict=True)]


def test_a_point_exactly_on_a_shared_edge_goes_to_the_lowest_code(index):
    route = index.route(lat(0.5), lng(1))
    assert route.grid_code == grid_code("A", 1)
    assert route.boundary is True
    assert grid_code("A", 2) in route.nearby
    assert list(index.route_many([lat(0.5)], [lng(1)])) == [route]
    corner = index.route(lat(1), lng(2))  # four grids, two districts meet
    assert corner.grid_code == grid_code("A", 2)
    assert {grid_code("A", 4), grid_code("B", 1), grid_code("B", 3), DISTRICTS["B"]} <= set(corner.nearby)


def test_holes_and_multipolygons_route_by_even_odd_rings():
    ring = rect(0, 0, 3, 3)["coordinates"][0]
    hole = rect(1, 1, 2, 2)["coordinates"][0]
    donut = {"type": "Polygon", "coordinates": [ring, hole]}
    islands = {
        "type": "MultiPolygon",
        "coordinates": [rect(1, 1, 2, 2)["coordinates"], rect(5, 0, 6, 1)["coordinates"]],
    }
    index = RoutingIndex.build(
        [GridRow(id=1, code="001", boundary=donut), GridRow(id=2, code="002", boundary=islands)],
        boundary_distance_m=5,
    )
    assert index.route(lat(0.5), lng(0.5)).grid_id == 1
    assert index.route(lat(1.5), lng(1.5)).grid_id == 2
    assert index.route(lat(0.5), lng(5.5)).grid_id == 2
    assert index.route(lat(0.5), lng(4.0)).outside


def test_the_index_is_rebuilt_when_the_revision_changes(city, settings):
    settings.CHUISHAO_ROUTING_RECHECK_SECONDS = 3600
    first = routing_index(force_check=True)
    probe = (lat(0.5), lng(0.9))  # in A-001, 10 m west of the edge with A-002
    assert first.route(*probe).grid_code == grid_code("A", 1)
    assert routing_index() is first  # within the recheck window: no database look

    moved = city_collection()
    for f in moved["features"]:
        if f["properties"]["code"] == grid_code("A", 1):
            f["geometry"] = rect(0, 0, 0.8, 1)
        if f["properties"]["code"] == grid_code("A", 2):
            f["geometry"] = rect(0.8, 0, 2, 1)
    geo_import(actor=SYSTEM, data=moved)

    rebuilt = routing_index(force_check=True)
    assert rebuilt is not first
    assert rebuilt.revision != first.revision
    assert rebuilt.route(*probe).grid_code == grid_code("A", 2)
    assert routing_index(force_check=True) is rebuilt  # same revision: kept


def test_grid_sizes_in_the_fixture_are_about_100_m():
    assert 99 < W * M_PER_DEG_LNG < 101
    assert 99 < H * M_PER_DEG_LAT < 101


# Overlapping rectangles with odd hierarchies: shared, missing and repeated codes at every level, so
# the batch's shortcuts (prebuilt suffixes) and its full merge are both exercised against ``route``.
_codes = st.sampled_from(["", "x", "y"])


@settings(deadline=None, max_examples=60)
@given(
    grids=st.lists(
        st.tuples(
            st.integers(0, 3),
            st.integers(0, 3),
            st.integers(1, 2),
            st.integers(1, 2),
            _codes,
            _codes,
            _codes,
        ),
        min_size=1,
        max_size=6,
    ),
    points=st.lists(st.tuples(st.floats(-0.5, 5.5), st.floats(-0.5, 5.5)), min_size=1, max_size=30),
)
def test_route_many_agrees_with_route_on_overlaps_and_odd_hierarchies(grids, points):
    rows = [
        GridRow(
            id=k + 1,
            code=f"g{k}",
            boundary=rect(c, r, c + w, r + h),
            district_code=dc,
            street_code=dc + sc if sc else "",
            community_code=cc,
        )
        for k, (c, r, w, h, dc, sc, cc) in enumerate(grids)
    ]
    index = RoutingIndex.build(rows, boundary_distance_m=30)
    lats = [lat(r) for _, r in points]
    lngs = [lng(c) for c, _ in points]
    assert list(index.route_many(lats, lngs)) == [index.route(a, b) for a, b in zip(lats, lngs, strict=True)]
    assert_batch_is_routes(index, index.route_many(lats, lngs), lats, lngs)


# --- RouteBatch: the columnar answer of route_many --------------------------------------------


def assert_batch_is_routes(index, batch, lats, lngs):
    """Every view of ``batch`` (items, iteration, columns, CSR) agrees with ``route`` point by point."""
    expected = [index.route(a, b) for a, b in zip(lats, lngs, strict=True)]
    n = len(expected)
    assert isinstance(batch, RouteBatch)
    assert len(batch) == n
    assert list(batch) == expected
    assert batch.tolist() == expected
    assert [batch[i] for i in range(n)] == expected
    assert [batch[i - n] for i in range(n)] == expected

    def ids(attr):
        return [-1 if getattr(r, attr) is None else getattr(r, attr) for r in expected]

    for column, attr in (
        ("grid_ids", "grid_id"),
        ("community_ids", "community_id"),
        ("street_ids", "street_id"),
        ("district_ids", "district_id"),
        ("city_ids", "city_id"),
    ):
        values = getattr(batch, column)
        assert values.dtype == np.int64
        assert values.shape == (n,)
        assert values.tolist() == ids(attr)
    assert batch.outside.tolist() == [r.outside for r in expected]
    assert batch.boundary.tolist() == [r.boundary for r in expected]
    assert (batch.grid_index < 0).tolist() == [r.outside for r in expected]
    assert [batch.nearby_codes(i) for i in range(n)] == [r.nearby for r in expected]
    # The CSR itself: offsets of len n + 1 from 0, nodes indexing the index's code table.
    offsets, nodes = batch.nearby_offsets, batch.nearby_nodes
    assert len(offsets) == n + 1 and offsets[0] == 0 and offsets[-1] == len(nodes)
    assert np.all(np.diff(offsets) >= 0)
    codes = index.node_codes
    assert [tuple(codes[k] for k in nodes[offsets[i] : offsets[i + 1]].tolist()) for i in range(n)] == [
        r.nearby for r in expected
    ]


# Points anywhere around the city, and points within metres of a grid line (either axis).
_anywhere = st.tuples(st.floats(-0.6, 4.6), st.floats(-0.6, 2.6))
_near_a_line = st.one_of(
    st.builds(
        lambda c, m, v: (c + m / (W * M_PER_DEG_LNG), v),
        st.integers(0, 4),
        st.floats(-40.0, 40.0),
        st.floats(-0.4, 2.4),
    ),
    st.builds(
        lambda r, m, u: (u, r + m / (H * M_PER_DEG_LAT)),
        st.integers(0, 2),
        st.floats(-40.0, 40.0),
        st.floats(-0.4, 4.4),
    ),
)
_far_outside = st.tuples(st.floats(-50.0, -2.0) | st.floats(6.0, 50.0), st.floats(-50.0, 50.0))


@FIXTURE_OK
@given(points=st.lists(st.one_of(_anywhere, _near_a_line, _far_outside), max_size=50))
def test_route_batch_is_the_routes_of_its_points(index, points):
    lats = [lat(r) for _, r in points]
    lngs = [lng(c) for c, _ in points]
    assert_batch_is_routes(index, index.route_many(lats, lngs), lats, lngs)


def _mixed_points():
    """(lat, lng) lists: inside, on the district line, at a corner, outside near, far outside."""
    cols_rows = [(0.5, 0.5), (2.0, 0.5), (2.0, 1.0), (1.7, 1.5), (-0.1, 0.5), (9.0, 9.0), (3.5, 1.5)]
    return [lat(r) for _, r in cols_rows], [lng(c) for c, _ in cols_rows]


def test_route_batch_indexing_and_len(index):
    lats, lngs = _mixed_points()
    batch = index.route_many(lats, lngs)
    routes = [index.route(a, b) for a, b in zip(lats, lngs, strict=True)]
    assert len(batch) == len(routes) == 7
    assert batch[0] == routes[0] and batch[0].boundary is False and batch[0].nearby == ()
    assert batch[1].boundary is True and DISTRICTS["B"] in batch[1].nearby
    assert batch[4].outside is True and batch[4].boundary is True and batch[4].nearby
    assert batch[5] == OUTSIDE
    assert batch[-1] == routes[-1] and batch[-7] == routes[0]
    assert batch[np.int64(2)] == routes[2]
    for bad in (7, -8, 100):
        with pytest.raises(IndexError):
            batch[bad]
        with pytest.raises(IndexError):
            batch.nearby_codes(bad)
    with pytest.raises(TypeError):
        batch[1.0]
    # Slices are batches too; the sequence protocol (in, index, reversed) comes with it.
    assert isinstance(batch[1:5], RouteBatch)
    assert list(batch[1:5]) == routes[1:5]
    assert list(batch[::-2]) == routes[::-2]
    assert list(reversed(batch)) == routes[::-1]
    assert routes[3] in batch and batch.index(routes[3]) == 3


def test_route_batch_columns_agree_with_the_routes(index):
    lats, lngs = _mixed_points()
    batch = index.route_many(lats, lngs)
    grid = Jurisdiction.objects.get(code=grid_code("A", 1))
    assert batch.grid_ids[0] == grid.pk
    assert (batch.community_ids[0], batch.street_ids[0], batch.district_ids[0], batch.city_ids[0]) == (
        grid.community_id,
        grid.street_id,
        grid.district_id,
        grid.city_id,
    )
    assert batch.grid_ids[5] == batch.city_ids[5] == -1
    assert batch.nearby_codes(2) == index.route(lats[2], lngs[2]).nearby
    assert batch.nearby_codes(-1) == batch[-1].nearby
    assert_batch_is_routes(index, batch, lats, lngs)


def test_route_batch_columns_are_read_only(index):
    batch = index.route_many(*_mixed_points())
    for column in (batch.grid_index, batch.outside, batch.boundary, batch.nearby_offsets, batch.nearby_nodes):
        with pytest.raises(ValueError, match="read-only"):
            column[0] = column[0]
    with pytest.raises(ValueError, match="read-only"):
        batch.grid_ids[0] = 0


def test_an_empty_batch(index):
    batch = index.route_many([], [])
    assert len(batch) == 0
    assert list(batch) == [] and batch.tolist() == []
    assert batch.grid_ids.shape == batch.city_ids.shape == batch.outside.shape == (0,)
    assert batch.nearby_offsets.tolist() == [0]
    assert len(batch.nearby_nodes) == 0
    with pytest.raises(IndexError):
        batch[0]
    with pytest.raises(IndexError):
        batch[-1]


def test_a_batch_spanning_several_chunks_is_joined_in_order(index, monkeypatch):
    monkeypatch.setattr(routing, "CHUNK", 3)
    lats, lngs = _mixed_points()
    lats, lngs = lats * 3, lngs * 3
    assert_batch_is_routes(index, index.route_many(lats, lngs), lats, lngs)


def test_an_index_without_grids_routes_everything_outside():
    index = RoutingIndex.build([])
    assert index.route(39.9, 116.3).outside
    assert [r.outside for r in index.route_many([39.9, 0.0], [116.3, 0.0])] == [True, True]
