"""The routing index: point → grid → community → street → district → city, in process.

``RoutingIndex`` holds every grid projected to metres. A point is routed to the grid that contains
it; a point within the boundary distance of its grid's edge is flagged ``boundary`` and lists, in
``nearby``, the codes of the *other* grids, communities, streets and districts within that distance,
so that a cross-district case shows both districts at intake. A point in no grid is ``outside`` and
gets no ids: the index never guesses the nearest grid (it still lists grids within the distance).

How it stays fast (measured in ``bench/routing.py``): candidates are the grids whose envelope, grown
by the boundary distance, holds the point, found through a uniform bucket grid stored as flat arrays
— a shapely ``STRtree`` costs ~15 µs of Python per single query and a shapely Point per batch input.
Containment (even-odd ring crossings) and the distance to every candidate's edges are then computed
with numpy over flat segment arrays; the single-point path runs the very same formulas in plain
Python over the few candidate segments, so ``route`` and ``route_many`` agree to the bit. On a shared
edge both grids contain the point; the lowest grid code wins (grids are indexed in code order).

``route_many`` answers a ``RouteBatch``: numpy columns (own grid, ``outside``, ``boundary``, and the
nearby jurisdictions as CSR node indices), every point fully routed. Building ~100,000 ``Route``
tuples costs more than the geometry, so a row only becomes a ``Route`` when read (``batch[i]``,
iteration, ``list(batch)``); bulk loaders can take the id columns as they are.

``routing_index()`` returns the process-wide index and rebuilds it when the current
``GeoRevision`` changes, looking at most every ``CHUISHAO_ROUTING_RECHECK_SECONDS``.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import gc
import itertools
import math
import operator
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import shapely
from django.conf import settings
from shapely.geometry.base import BaseGeometry

from chuishao.geo.projection import Projection, geometry_from_geojson

# A point this close to an edge (metres) is on it: projected coordinates of the same lon/lat are
# bit-identical, so only the interpolation along an edge leaves rounding of this order.
ON_EDGE_M = 1e-6
# Points routed per numpy pass; bounds the temporary arrays for polygons with many vertices.
CHUNK = 65_536
# Bucket side as a multiple of the median grown envelope, and a cap on the dense bucket table.
BUCKET_SCALE = 0.5
MAX_BUCKETS = 4_000_000
# Nearby codes are ordered district, street, community, grid (then by code).
LEVELS = ("district", "street", "community", "grid")
# A grid's levels as bits, district highest; ``SUFFIX_OF[m]`` is the smallest run of trailing levels
# (grid, community+grid, ...) holding the levels in ``m``, and ``FIRST_LEVEL[m]`` where that run starts.
LEVEL_BITS = np.array([8, 4, 2, 1], dtype=np.int64)
SUFFIX_OF = np.array([0, 1, 3, 3, 7, 7, 7, 7, 15, 15, 15, 15, 15, 15, 15, 15], dtype=np.int64)
FIRST_LEVEL = np.array([4, 3, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0], dtype=np.int64)


class Route(NamedTuple):
    """Where a point belongs. A tuple, so that a batch of them is cheap to build."""

    grid_id: int | None
    grid_code: str | None
    community_id: int | None
    street_id: int | None
    district_id: int | None
    city_id: int | None
    outside: bool
    boundary: bool
    nearby: tuple[str, ...]


OUTSIDE = Route(None, None, None, None, None, None, True, False, ())


@dataclass(frozen=True)
class GridRow:
    """One grid as the index needs it; ``boundary`` is GeoJSON (WGS84) or a shapely geometry."""

    id: int
    code: str
    boundary: Any
    community_id: int | None = None
    street_id: int | None = None
    district_id: int | None = None
    city_id: int | None = None
    community_code: str = ""
    street_code: str = ""
    district_code: str = ""


class RoutingIndex:
    """An immutable index over grid polygons; safe to share between threads."""

    def __init__(
        self,
        *,
        rows: Sequence[GridRow],
        geometries: Sequence[BaseGeometry],
        projection: Projection,
        boundary_distance_m: float,
        revision: Any = None,
    ) -> None:
        self.projection = projection
        self.boundary_distance_m = d = float(boundary_distance_m)
        self.revision = revision
        # Only flat arrays and plain tuples are kept: a routing index of 100,000 grids must not add
        # hundreds of thousands of objects for the garbage collector to walk on every full pass.
        self.size = len(rows)
        polygons = projection.forward(np.asarray(geometries, dtype=object).reshape(-1))
        # Candidates are grids whose envelope, grown by the boundary distance, holds the point.
        self._reach = shapely.bounds(polygons).reshape(-1, 4) + np.array([-d, -d, d, d])
        self._build_segments(polygons)
        self._build_chains(rows)
        self._build_buckets()

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        grids: Iterable[GridRow | Mapping[str, Any]],
        *,
        boundary_distance_m: float | None = None,
        projection: Projection | None = None,
        revision: Any = None,
    ) -> RoutingIndex:
        """Index ``grids`` (rows or mappings with the ``GridRow`` fields)."""
        rows = [g if isinstance(g, GridRow) else GridRow(**g) for g in grids]
        # Tree order is code order, so "lowest tree index" is "lowest grid code" on shared edges.
        rows.sort(key=lambda r: r.code)
        geometries = [
            r.boundary if isinstance(r.boundary, BaseGeometry) else geometry_from_geojson(r.boundary)
            for r in rows
        ]
        if projection is None:
            projection = Projection.for_geometries(geometries)
        if boundary_distance_m is None:
            boundary_distance_m = settings.CHUISHAO_BOUNDARY_DISTANCE_M
        return cls(
            rows=rows,
            geometries=geometries,
            projection=projection,
            boundary_distance_m=boundary_distance_m,
            revision=revision,
        )

    def _build_segments(self, polygons: np.ndarray) -> None:
        # Every ring (exteriors, holes, all parts) as flat segments grouped by grid: even-odd
        # crossings over all rings answer containment for holes and multipolygons alike.
        parts, part_grid = shapely.get_parts(polygons, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        ring_grid = part_grid[ring_part]
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        first = np.flatnonzero(coord_ring[1:] == coord_ring[:-1])
        seg_grid = ring_grid[coord_ring[first]]
        x1, y1 = coords[first, 0], coords[first, 1]
        x2, y2 = coords[first + 1, 0], coords[first + 1, 1]
        dx, dy = x2 - x1, y2 - y1
        length2 = dx * dx + dy * dy
        inv_length2 = np.divide(1.0, length2, out=np.zeros_like(length2), where=length2 > 0)
        # x per unit of y along the segment, for the crossing test (only read where it straddles).
        slope = np.divide(dx, dy, out=np.zeros_like(dy), where=dy != 0)
        # One contiguous array per column: the batch gathers each with ``np.take``.
        self._sx1, self._sy1, self._sy2 = (np.ascontiguousarray(a) for a in (x1, y1, y2))
        self._sdx, self._sdy = np.ascontiguousarray(dx), np.ascontiguousarray(dy)
        self._sinv, self._sslope = inv_length2, slope
        self._seg_count = np.bincount(seg_grid, minlength=len(polygons))
        self._seg_start = np.cumsum(self._seg_count) - self._seg_count
        # Python copies for the single-point path: indexing lists beats indexing numpy per item.
        seg_list = [tuple(s) for s in np.column_stack([x1, y1, y2, dx, dy, inv_length2, slope]).tolist()]
        self._seg_py = tuple(
            tuple(seg_list[s : s + c])
            for s, c in zip(self._seg_start.tolist(), self._seg_count.tolist(), strict=True)
        )

    def _build_chains(self, rows: Sequence[GridRow]) -> None:
        # Every distinct (level, code) gets a node number in nearby order; a grid's chain is its node
        # numbers per level, so "other jurisdictions near this point" is a comparison per level.
        keys: set[tuple[int, str]] = set()
        for r in rows:
            for level, code in enumerate((r.district_code, r.street_code, r.community_code, r.code)):
                if code:
                    keys.add((level, code))
        ordered = sorted(keys)
        number = {key: i for i, key in enumerate(ordered)}
        self._node_codes = tuple(code for _, code in ordered)
        self._node_codes_arr = np.asarray(self._node_codes, dtype=object)
        levels = np.full((len(rows), len(LEVELS)), -1, dtype=np.int64)
        interior: list[Route] = []
        edge_prefix: list[tuple] = []
        shared: dict[Any, Any] = {}
        for g, r in enumerate(rows):
            for level, code in enumerate((r.district_code, r.street_code, r.community_code, r.code)):
                if code:
                    levels[g, level] = number[(level, code)]
            # Equal ancestor ids share one object: less memory, and a batch building thousands of
            # routes touches a few hot objects instead of one cold one per grid.
            base = Route(
                r.id,
                r.code,
                *(shared.setdefault(v, v) for v in (r.community_id, r.street_id, r.district_id, r.city_id)),
                False,
                False,
                (),
            )
            interior.append(base)
            edge_prefix.append((*base[:7], True))
        self._levels = levels
        self._levels_py = tuple(tuple(v for v in row if v >= 0) for row in levels.tolist())
        # Every grid's chain as CSR (its nodes in level order, so ascending): ``_chain_at[g, L]``
        # is where its nodes at levels >= L start, ``_chain_at[g, 4]`` where the chain ends. A point
        # with one simple neighbour copies that neighbour's chain from the level where they part.
        present = levels >= 0
        self._chain_nodes = levels[present]
        chain_len = present.sum(axis=1)
        ends = np.cumsum(chain_len)
        lower = np.cumsum(present, axis=1) - present  # the grid's nodes at lower levels
        self._chain_at = np.column_stack([(ends - chain_len)[:, None] + lower, ends]).astype(np.int64)
        # Ids per grid (grid, community, street, district, city), -1 for none, and a last row of -1
        # for points in no grid: the batch's id columns are one gather.
        self._id_table = np.array(
            [
                [
                    -1 if v is None else v
                    for v in (r.id, r.community_id, r.street_id, r.district_id, r.city_id)
                ]
                for r in rows
            ]
            + [[-1] * 5],
            dtype=np.int64,
        )
        # One more row of "no node at any level" for points in no grid (own index -1).
        self._levels_ext = np.vstack([levels, np.full((1, len(LEVELS)), -1, dtype=np.int64)])
        self._level_mask = (levels >= 0).astype(np.int64) @ LEVEL_BITS
        # The nearby codes a single other grid adds are, in a well-formed hierarchy, that grid's
        # chain from the first level where it parts from the point's own grid: once the districts
        # differ, so do the streets, communities and grids. Those suffixes are prebuilt per grid
        # (shared tuples, so a point with one neighbour builds only its route); a point whose
        # neighbours do not fit the pattern is merged in full (``_route_chunk``).
        suffix: list[tuple[str, ...]] = []
        for row in levels.tolist():
            tail: tuple[str, ...] = ()
            tails = []
            for node in reversed(row):
                if node >= 0:
                    tail = (self._node_codes[node], *tail)
                tails.append(tail)
            suffix.extend(reversed(tails))
        self._suffix = tuple(suffix)
        self._interior = tuple(interior)
        self._edge_prefix = tuple(edge_prefix)
        self._edge = tuple(_route_new(Route, (*prefix, ())) for prefix in edge_prefix)
        # Prebuilt routes by number: own grid g (interior), size + g (edge), 2 * size (outside).
        self._prebuilt = (*self._interior, *self._edge, OUTSIDE)
        # Route prefixes by own grid, with -1 (no grid) the last: outside, but near some grid.
        self._prefix_table = (*self._edge_prefix, OUTSIDE_NEAR_PREFIX)

    def _build_buckets(self) -> None:
        # Candidates come from a uniform bucket grid over the grown envelopes, stored as flat arrays
        # (CSR). Measured at 100,000 grids, it beats ``STRtree.query`` on both paths: a single
        # ``STRtree.query`` call costs ~15 µs of Python overhead, and a batch needs a shapely Point
        # per input (plus the garbage collector walking them), while buckets need neither.
        reach = self._reach
        self._reach_py = tuple(tuple(r) for r in reach.tolist())
        if not len(reach):
            self._origin, self._cell, self._shape = (0.0, 0.0), 1.0, (0, 0)
            self._bucket_ptr, self._bucket_items = np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64)
            self._ptr_py, self._items_py = (0,), ()
            return
        size = np.maximum(reach[:, 2] - reach[:, 0], reach[:, 3] - reach[:, 1])
        cell = max(float(np.median(size)) * BUCKET_SCALE, 1.0)
        ox, oy = float(reach[:, 0].min()), float(reach[:, 1].min())
        span_x, span_y = float(reach[:, 2].max()) - ox, float(reach[:, 3].max()) - oy
        # A city with far outliers must not ask for a huge dense bucket table.
        cell = max(cell, math.sqrt(span_x * span_y / MAX_BUCKETS))
        lo = np.floor((reach[:, :2] - (ox, oy)) / cell).astype(np.int64)
        hi = np.floor((reach[:, 2:] - (ox, oy)) / cell).astype(np.int64)
        ni, nj = int(hi[:, 0].max()) + 1, int(hi[:, 1].max()) + 1
        spans = (hi - lo + 1).prod(axis=1)
        grid_of = np.repeat(np.arange(len(reach)), spans)
        k = np.arange(int(spans.sum())) - np.repeat(np.cumsum(spans) - spans, spans)
        width = np.repeat(hi[:, 1] - lo[:, 1] + 1, spans)
        bi = np.repeat(lo[:, 0], spans) + k // width
        bj = np.repeat(lo[:, 1], spans) + k % width
        keys = bi * nj + bj
        order = np.argsort(keys, kind="stable")  # stable: grids stay in code order within a bucket
        self._bucket_items = grid_of[order]
        self._bucket_ptr = np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=ni * nj))])
        self._origin, self._cell, self._shape = (ox, oy), cell, (ni, nj)
        self._ptr_py = tuple(self._bucket_ptr.tolist())
        self._items_py = tuple(self._bucket_items.tolist())

    def _candidates(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point, grid) pairs whose grown envelope holds the point, grouped by point in order."""
        ox, oy = self._origin
        ni, nj = self._shape
        i = np.floor((x - ox) / self._cell)
        j = np.floor((y - oy) / self._cell)
        valid = np.flatnonzero((i >= 0) & (i < ni) & (j >= 0) & (j < nj))
        keys = i[valid].astype(np.int64) * nj + j[valid].astype(np.int64)
        start = self._bucket_ptr[keys]
        count = self._bucket_ptr[keys + 1] - start
        pi = np.repeat(valid, count)
        gi = self._bucket_items[
            np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count - start, count)
        ]
        reach = self._reach[gi]
        px, py = x[pi], y[pi]
        keep = (px >= reach[:, 0]) & (px <= reach[:, 2]) & (py >= reach[:, 1]) & (py <= reach[:, 3])
        return pi[keep], gi[keep]

    def __len__(self) -> int:
        return self.size

    @property
    def node_codes(self) -> tuple[str, ...]:
        """Every district, street, community and grid code, in nearby order: what a
        ``RouteBatch``'s ``nearby_nodes`` index."""
        return self._node_codes

    # --- routing --------------------------------------------------------------------------

    def route(self, lat: float, lng: float) -> Route:
        """Route one point (WGS84)."""
        proj = self.projection
        x = (lng - proj.lng0) * proj.kx
        y = (lat - proj.lat0) * proj.ky
        ox, oy = self._origin
        cell = self._cell
        i, j = math.floor((x - ox) / cell), math.floor((y - oy) / cell)
        ni, nj = self._shape
        if not (0 <= i < ni and 0 <= j < nj):
            return OUTSIDE
        key = i * nj + j
        candidates = self._items_py[self._ptr_py[key] : self._ptr_py[key + 1]]
        d2 = self.boundary_distance_m**2
        reach, segs = self._reach_py, self._seg_py
        own, own_d2 = -1, 0.0
        near = []
        for g in candidates:
            x0, y0, x1, y1 = reach[g]
            if x < x0 or x > x1 or y < y0 or y > y1:
                continue
            inside, dist2 = _point_vs_segments(x, y, segs[g])
            if inside or dist2 <= ON_EDGE_M * ON_EDGE_M:
                if own < 0 or g < own:
                    if own >= 0:
                        near.append(own)
                    own, own_d2 = g, dist2
                else:
                    near.append(g)
            elif dist2 <= d2:
                near.append(g)
        if own < 0 and not near:
            return OUTSIDE
        if not near:
            return self._edge[own] if own_d2 <= d2 else self._interior[own]
        nodes: set[int] = set()
        for g in near:
            nodes.update(self._levels_py[g])
        if own >= 0:
            nodes.difference_update(self._levels_py[own])
        codes = self._node_codes
        return self._with_nearby(own, tuple(codes[i] for i in sorted(nodes)))

    def _with_nearby(self, own: int, nearby: tuple[str, ...]) -> Route:
        # Outside every grid but near some: no ids (never the nearest guessed), still flagged.
        prefix = self._edge_prefix[own] if own >= 0 else OUTSIDE_NEAR_PREFIX
        return _route_new(Route, (*prefix, nearby))

    def route_many(
        self, lats: Sequence[float] | np.ndarray, lngs: Sequence[float] | np.ndarray
    ) -> RouteBatch:
        """Route many points (WGS84) at once; the same answers as ``route`` one by one.

        The answer is columnar (``RouteBatch``): own grid, flags and nearby nodes for every point,
        fully computed here; a ``Route`` is only built when an item is read.
        """
        x_all, y_all = self.projection.xy(lngs, lats)
        x_all, y_all = np.atleast_1d(x_all), np.atleast_1d(y_all)
        chunks = [
            self._route_chunk(x_all[start : start + CHUNK], y_all[start : start + CHUNK])
            for start in range(0, len(x_all), CHUNK)
        ]
        if len(chunks) == 1:
            own, boundary, counts, nodes, ref = chunks[0]
        elif chunks:
            own, boundary, counts, nodes, ref = (np.concatenate(parts) for parts in zip(*chunks, strict=True))
        else:
            own, counts, ref = (np.zeros(0, dtype=np.int64) for _ in range(3))
            boundary, nodes = np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64)
        offsets = np.zeros(len(own) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return RouteBatch(self, own, boundary, offsets, nodes, ref)

    def _route_chunk(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One pass: own grid (-1 none), boundary flag, nearby count and nodes (grouped by point,
        ascending within), and the prebuilt suffix a point's nearby codes equal (-1 none)."""
        n = len(x)
        d = self.boundary_distance_m
        pi, gi = self._candidates(x, y)
        inside, dist2 = self._pairs_vs_segments(x, y, pi, gi)

        # The own grid is the first containing candidate: candidates are in grid order per point.
        contains = inside | (dist2 <= ON_EDGE_M * ON_EDGE_M)
        cp, cg = pi[contains], gi[contains]
        first = np.ones(len(cp), dtype=bool)
        np.not_equal(cp[1:], cp[:-1], out=first[1:])
        own = np.full(n, -1, dtype=np.int64)
        own[cp[first]] = cg[first]
        is_own = gi == own[pi]
        near = dist2 <= d * d
        boundary = np.zeros(n, dtype=bool)
        boundary[pi[is_own & near]] = True
        other = ~is_own & (contains | near)
        counts = np.zeros(n, dtype=np.int64)
        ref = np.full(n, -1, dtype=np.int64)
        op, og = pi[other], gi[other]
        if not len(op):
            return own, boundary, counts, np.zeros(0, dtype=np.int64), ref
        # Any other grid near makes the point a boundary one, even if it adds no code.
        boundary[op] = True

        # The nearby nodes: every level of each other grid whose node differs from the point's own
        # grid at that level (no grid: every level of theirs).
        own_of = own[op]
        their = self._levels[og]
        differs = (their != self._levels_ext[own_of]) & (their >= 0)
        mask = differs.astype(np.int64) @ LEVEL_BITS
        others = np.bincount(op, minlength=n)
        # One other grid parting from the own grid at some level and differing on every level
        # below: its chain from that level is the answer, copied without a sort. Anything else
        # is merged in full.
        simple = (others[op] == 1) & (mask != 0) & (mask == (self._level_mask[og] & SUFFIX_OF[mask]))
        sp, sg = op[simple], og[simple]
        level = FIRST_LEVEL[mask[simple]]
        s_start = self._chain_at[sg, level]
        s_count = self._chain_at[sg, len(LEVELS)] - s_start
        counts[sp] = s_count
        ref[sp] = sg * len(LEVELS) + level

        hard = ~simple
        hp = op[hard]
        rows, cols = np.nonzero(differs[hard])
        total = len(self._node_codes)
        keys = np.unique(hp[rows] * total + their[hard][rows, cols])  # sorted: point, then node
        h_points, h_nodes = np.divmod(keys, total)
        counts += np.bincount(h_points, minlength=n)  # simple and hard points are disjoint

        offsets = np.cumsum(counts) - counts
        nodes = np.empty(int(counts.sum()), dtype=np.int64)
        # Simple points: their neighbour's chain slice, placed at the point's offset.
        k = np.arange(int(s_count.sum())) - np.repeat(np.cumsum(s_count) - s_count, s_count)
        nodes[np.repeat(offsets[sp], s_count) + k] = self._chain_nodes[np.repeat(s_start, s_count) + k]
        # Hard points: already grouped and sorted; each entry goes to its rank within its point.
        if len(h_points):
            group = np.ones(len(h_points), dtype=bool)
            np.not_equal(h_points[1:], h_points[:-1], out=group[1:])
            starts = np.flatnonzero(group)
            rank = np.arange(len(h_points)) - np.repeat(starts, np.diff(np.append(starts, len(h_points))))
            nodes[offsets[h_points] + rank] = h_nodes
        return own, boundary, counts, nodes, ref

    def _pairs_vs_segments(
        self, x: np.ndarray, y: np.ndarray, pi: np.ndarray, gi: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``_point_vs_segments`` for (point, grid) pairs grouped by point: every pair expanded to
        one row per segment of the grid, then reduced per pair. Same formulas, same order."""
        count = self._seg_count[gi]
        ends = np.cumsum(count)
        rows = int(ends[-1]) if len(ends) else 0
        if rows == 0:
            return np.zeros(len(pi), dtype=bool), np.full(len(pi), np.inf)
        pair_start = ends - count
        seg = np.repeat(self._seg_start[gi] - pair_start, count)
        seg += np.arange(rows)
        y1 = np.take(self._sy1, seg)
        ay = np.repeat(y[pi], count)
        straddles = y1 > ay
        straddles ^= np.take(self._sy2, seg) > ay
        ay -= y1  # y - y1
        ax = np.repeat(x[pi], count)
        ax -= np.take(self._sx1, seg)  # x - x1
        tmp = np.take(self._sslope, seg)
        tmp *= ay
        crossing = np.less(ax, tmp)
        crossing &= straddles
        inside = np.add.reduceat(crossing.view(np.int8), pair_start, dtype=np.int8)  # wraps: parity kept
        inside &= 1
        dx, dy = np.take(self._sdx, seg), np.take(self._sdy, seg)
        t = ax * dx
        np.multiply(ay, dy, out=tmp)
        t += tmp
        t *= np.take(self._sinv, seg)
        np.maximum(t, 0.0, out=t)
        np.minimum(t, 1.0, out=t)
        dx *= t
        dx -= ax  # ex
        dy *= t
        dy -= ay  # ey
        dx *= dx
        dy *= dy
        dx += dy
        return inside.view(bool), np.minimum.reduceat(dx, pair_start)


OUTSIDE_NEAR_PREFIX = (None, None, None, None, None, None, True, True)
_route_new = tuple.__new__


class RouteBatch(Sequence[Route]):
    """The answer of ``route_many``: one row per point, as read-only numpy columns.

    ``grid_index`` is the point's own grid (an index into the routing index, -1 in none),
    ``outside`` and ``boundary`` are its flags, and the nearby jurisdictions are CSR: point ``i``'s
    nodes are ``nearby_nodes[nearby_offsets[i]:nearby_offsets[i + 1]]``, indices into
    ``routing_index.node_codes``, in nearby order. All of it is computed by ``route_many``; only
    turning rows into Python objects waits. As a sequence of ``Route`` (``batch[i]``, slices,
    iteration, ``list(batch)``) every item is exactly what ``route`` answers for that point. The id
    columns (``grid_ids`` … ``city_ids``, -1 for none) are for bulk loaders.
    """

    def __init__(
        self,
        index: RoutingIndex,
        grid_index: np.ndarray,
        boundary: np.ndarray,
        nearby_offsets: np.ndarray,
        nearby_nodes: np.ndarray,
        suffix_ref: np.ndarray | None = None,
    ) -> None:
        # Not ``index``: that is ``Sequence.index``.
        self.routing_index = index
        self.grid_index = _frozen(grid_index)
        self.outside = _frozen(grid_index < 0)
        self.boundary = _frozen(boundary)
        self.nearby_offsets = _frozen(nearby_offsets)
        self.nearby_nodes = _frozen(nearby_nodes)
        # Optional: per point, the prebuilt nearby tuple (``index._suffix``) its nodes spell, or -1;
        # lets materialisation share tuples instead of building one per point.
        self._ref = _frozen(
            np.full(len(grid_index), -1, dtype=np.int64) if suffix_ref is None else suffix_ref
        )

    # --- the sequence -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.grid_index)

    def __getitem__(self, i: int | slice) -> Any:  # Route, or a RouteBatch for a slice
        if isinstance(i, slice):
            return self._take(np.arange(len(self))[i])
        i = operator.index(i)
        n = len(self.grid_index)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("RouteBatch index out of range")
        index = self.routing_index
        own = int(self.grid_index[i])
        start, end = int(self.nearby_offsets[i]), int(self.nearby_offsets[i + 1])
        if start == end:
            if own >= 0:
                return index._edge[own] if self.boundary[i] else index._interior[own]
            return _route_new(Route, (*OUTSIDE_NEAR_PREFIX, ())) if self.boundary[i] else OUTSIDE
        return _route_new(Route, (*index._prefix_table[own], self.nearby_codes(i)))

    def __iter__(self) -> Iterator[Route]:
        for start in range(0, len(self), CHUNK):
            yield from self._materialise(start, min(start + CHUNK, len(self)))

    def __repr__(self) -> str:
        return f"<RouteBatch of {len(self)} routes>"

    def tolist(self) -> list[Route]:
        """Every route, as ``list(batch)`` (in one pass)."""
        return self._materialise(0, len(self))

    # --- columns ------------------------------------------------------------------------------

    def nearby_codes(self, i: int) -> tuple[str, ...]:
        """The nearby codes of point ``i`` (``batch[i].nearby`` without building the route)."""
        i = operator.index(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("RouteBatch index out of range")
        codes = self.routing_index._node_codes
        nodes = self.nearby_nodes[self.nearby_offsets[i] : self.nearby_offsets[i + 1]]
        return tuple(codes[k] for k in nodes.tolist())

    @functools.cached_property
    def grid_ids(self) -> np.ndarray:
        """Grid database ids, -1 where outside."""
        return self._ids(0)

    @functools.cached_property
    def community_ids(self) -> np.ndarray:
        return self._ids(1)

    @functools.cached_property
    def street_ids(self) -> np.ndarray:
        return self._ids(2)

    @functools.cached_property
    def district_ids(self) -> np.ndarray:
        return self._ids(3)

    @functools.cached_property
    def city_ids(self) -> np.ndarray:
        return self._ids(4)

    def _ids(self, column: int) -> np.ndarray:
        # Row -1 of the id table is all -1: points in no grid.
        return _frozen(self.routing_index._id_table[self.grid_index, column])

    # --- helpers ------------------------------------------------------------------------------

    def _take(self, rows: np.ndarray) -> RouteBatch:
        starts = self.nearby_offsets[rows]
        counts = self.nearby_offsets[rows + 1] - starts
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        k = np.arange(int(offsets[-1])) - np.repeat(offsets[:-1], counts)
        nodes = self.nearby_nodes[np.repeat(starts, counts) + k]
        return RouteBatch(
            self.routing_index, self.grid_index[rows], self.boundary[rows], offsets, nodes, self._ref[rows]
        )

    def _materialise(self, lo: int, hi: int) -> list[Route]:
        """Routes of points ``lo``..``hi`` (exclusive); mostly prebuilt ones, looked up in C."""
        index, size = self.routing_index, self.routing_index.size
        own, boundary = self.grid_index[lo:hi], self.boundary[lo:hi]
        offsets = self.nearby_offsets[lo : hi + 1]
        counts = np.diff(offsets)
        ref = self._ref[lo:hi]
        # Every point starts as a prebuilt route: its grid's interior or edge, or outside.
        number = np.where(own >= 0, own + size * boundary, 2 * size)
        out = list(map(index._prebuilt.__getitem__, number.tolist()))
        has_ref = ref >= 0
        sp = np.flatnonzero(has_ref)
        # The rest with codes, and outside points near a grid that adds none, are built from CSR.
        mp = np.flatnonzero(~has_ref & ((counts > 0) | (boundary & (own < 0))))
        if not len(sp) and not len(mp):
            return out
        m_count = counts[mp]
        ends = np.cumsum(m_count)
        k = np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - m_count, m_count)
        code_list = index._node_codes_arr[self.nearby_nodes[np.repeat(offsets[mp], m_count) + k]].tolist()
        prefixes, suffixes = index._prefix_table, index._suffix
        with _collector_paused():
            # C-level iteration only: a 9-tuple from prefix + (nearby,), typed as a Route.
            simple_routes = map(
                _route_new,
                itertools.repeat(Route),
                map(
                    tuple.__add__,
                    map(prefixes.__getitem__, own[sp].tolist()),
                    zip(map(suffixes.__getitem__, ref[sp].tolist())),
                ),
            )
            collections.deque(map(out.__setitem__, sp.tolist(), simple_routes), maxlen=0)
            merged_routes = map(
                _route_new,
                itertools.repeat(Route),
                map(
                    tuple.__add__,
                    map(prefixes.__getitem__, own[mp].tolist()),
                    zip(
                        map(
                            tuple,
                            map(code_list.__getitem__, map(slice, (ends - m_count).tolist(), ends.tolist())),
                        )
                    ),
                ),
            )
            collections.deque(map(out.__setitem__, mp.tolist(), merged_routes), maxlen=0)
        return out


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while a batch builds its routes.

    Every route is a new tracked tuple, so a batch of 100,000 triggers hundreds of collections that
    walk the whole heap (measured: a third of ``route_many``). Tuples of strings and ints cannot
    form cycles, so nothing is left for the collector to find; it runs again right after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _point_vs_segments(x: float, y: float, segments: list[tuple[float, ...]]) -> tuple[bool, float]:
    """Even-odd containment and squared distance to the nearest segment, for one point.

    ``_pairs_vs_segments`` is the numpy twin: the same operations in the same order, so the batch
    answers to the bit what this answers.
    """
    inside = False
    best = math.inf
    for x1, y1, y2, dx, dy, inv_length2, slope in segments:
        ax = x - x1
        ay = y - y1
        if (y1 > y) != (y2 > y) and ax < ay * slope:
            inside = not inside
        t = (ax * dx + ay * dy) * inv_length2
        t = 0.0 if t < 0.0 else (1.0 if t > 1.0 else t)
        ex = dx * t - ax
        ey = dy * t - ay
        dist2 = ex * ex + ey * ey
        if dist2 < best:
            best = dist2
    return inside, best


# --- the process-wide index -----------------------------------------------------------------

_lock = threading.Lock()
_state: dict[str, Any] = {"index": None, "revision": None, "checked": float("-inf")}


def _revision_key() -> tuple[int, str] | None:
    from chuishao.geo.selectors import current_revision

    rev = current_revision()
    # The timestamp joins the id: a rolled-back test database can hand out the same id twice.
    return None if rev is None else (rev.pk, rev.created_at.isoformat())


def _load(revision: Any) -> RoutingIndex:
    from chuishao.geo.selectors import grid_routing_rows

    return RoutingIndex.build(grid_routing_rows(), revision=revision)


def routing_index(*, force_check: bool = False) -> RoutingIndex:
    """The process's index, rebuilt when the boundary revision changed since it was built."""
    recheck = settings.CHUISHAO_ROUTING_RECHECK_SECONDS
    index = _state["index"]
    if index is not None and not force_check and time.monotonic() - _state["checked"] < recheck:
        return index
    with _lock:
        index = _state["index"]
        if index is not None and not force_check and time.monotonic() - _state["checked"] < recheck:
            return index  # another thread checked while this one waited
        revision = _revision_key()
        if index is None or revision != _state["revision"]:
            index = _load(revision)
            _state["index"], _state["revision"] = index, revision
        _state["checked"] = time.monotonic()
        return index


def routing_index_expire() -> None:
    """Make the next ``routing_index()`` look at the revision (after an import commits)."""
    _state["checked"] = float("-inf")


def routing_index_invalidate() -> None:
    """Forget the index entirely (tests switch databases under it)."""
    with _lock:
        _state.update(index=None, revision=None, checked=float("-inf"))
