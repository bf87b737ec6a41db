"""Routing benchmark: a synthetic city of N grids, points routed one by one and in batch.

The city is a square lattice of quadrilaterals around Beijing whose shared vertices are jittered,
so neighbours still tile exactly. Rows go straight into ``RoutingIndex.build`` — no database.
Compared with a bare ``STRtree.query`` over the same projected polygons (points prebuilt for the
bare loops, so the comparison flatters the bare tree).

The batch is timed twice: ``route_many`` alone (the full computation — containment, boundary flag
and nearby set of every point — answered as a columnar ``RouteBatch``), and ``list(route_many(...))``
(the same plus a Python ``Route`` tuple built for every point).

    .venv/bin/python bench/routing.py [--grids 100000] [--points 100000] [--repeat 3] [--json PATH] [--quick]

``--quick`` (CI): 5,000 grids, 5,000 points, one repetition; ``--json PATH`` appends the result rows
for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time

import numpy as np
import shapely

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuishao.settings")

from chuishao.geo.projection import Projection  # noqa: E402
from chuishao.geo.routing import GridRow, RoutingIndex  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import add_common_arguments, judged, row, write_json  # noqa: E402

LNG0, LAT0 = 116.30, 39.90
CELL_LNG, CELL_LAT = 0.00117, 0.0009  # about 100 m × 100 m
JITTER = 0.15  # of a cell, per shared vertex
BOUNDARY_M = 30.0


def synthetic_city(*, grids: int, seed: int = 7) -> list[GridRow]:
    """Grids in blocks: 10×10 grids a community, 5×5 communities a street, two districts (west/east)."""
    cols = math.ceil(math.sqrt(grids))
    rows = math.ceil(grids / cols)
    rng = np.random.default_rng(seed)
    vx = (
        LNG0
        + np.arange(cols + 1)[None, :] * CELL_LNG
        + rng.uniform(-JITTER, JITTER, (rows + 1, cols + 1)) * CELL_LNG
    )
    vy = (
        LAT0
        + np.arange(rows + 1)[:, None] * CELL_LAT
        + rng.uniform(-JITTER, JITTER, (rows + 1, cols + 1)) * CELL_LAT
    )
    blocks = math.ceil(cols / 10)
    out = []
    for k in range(grids):
        r, c = divmod(k, cols)
        ring = [
            (vx[r, c], vy[r, c]),
            (vx[r, c + 1], vy[r, c + 1]),
            (vx[r + 1, c + 1], vy[r + 1, c + 1]),
            (vx[r + 1, c], vy[r + 1, c]),
            (vx[r, c], vy[r, c]),
        ]
        district = "110101" if c < cols // 2 else "110102"
        ci = (r // 10) * blocks + c // 10  # community number
        street = f"{district}{ci // 25:03d}"
        community = f"{street}{ci % 25:03d}"
        code = f"{community}{(r % 10) * 10 + c % 10:03d}"
        out.append(
            GridRow(
                id=k + 1,
                code=code,
                boundary=shapely.Polygon(ring),
                community_id=1_000_000 + ci,
                street_id=10_000 + ci // 25,
                district_id=1 if district == "110101" else 2,
                city_id=1,
                community_code=community,
                street_code=street,
                district_code=district,
            )
        )
    return out


def rate(points: int, seconds: list[float]) -> float:
    return points / statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--grids", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    add_common_arguments(parser)
    args = parser.parse_args()
    if args.quick:
        args.grids, args.points, args.repeat = 5_000, 5_000, 1

    print(
        f"machine: nproc={os.cpu_count()} python={platform.python_version()} shapely={shapely.__version__} "
        f"numpy={np.__version__} GEOS={shapely.geos_version_string} ({sys.platform})"
    )
    t = time.perf_counter()
    rows = synthetic_city(grids=args.grids)
    made = time.perf_counter() - t
    t = time.perf_counter()
    index = RoutingIndex.build(rows, boundary_distance_m=BOUNDARY_M)
    built = time.perf_counter() - t
    print(
        f"city: {len(rows)} grids generated in {made:.1f} s, index built in {built:.1f} s; "
        f"boundary distance {BOUNDARY_M:g} m"
    )

    rng = np.random.default_rng(11)
    bounds = shapely.total_bounds(np.array([r.boundary for r in rows]))
    lngs = rng.uniform(bounds[0], bounds[2], args.points)
    lats = rng.uniform(bounds[1], bounds[3], args.points)
    single_n = min(args.points, 50_000)

    # The bare tree over exactly the project's projected polygons, with points prebuilt.
    projection: Projection = index.projection
    polygons = projection.forward(np.array([r.boundary for r in rows]))
    bare_tree = shapely.STRtree(polygons)
    px, py = projection.xy(lngs, lats)
    bare_points = shapely.points(px, py)

    timings: dict[str, list[float]] = {
        k: [] for k in ("single", "batch", "batch_list", "bare_single", "bare_batch")
    }
    for _ in range(args.repeat):
        t = time.perf_counter()
        for lat, lng in zip(lats[:single_n].tolist(), lngs[:single_n].tolist(), strict=True):
            index.route(lat, lng)
        timings["single"].append(time.perf_counter() - t)
        t = time.perf_counter()
        routes = index.route_many(lats, lngs)
        timings["batch"].append(time.perf_counter() - t)
        t = time.perf_counter()
        materialised = list(index.route_many(lats, lngs))
        timings["batch_list"].append(time.perf_counter() - t)
        del materialised
        t = time.perf_counter()
        for point in bare_points[:single_n]:
            bare_tree.query(point, predicate="intersects")
        timings["bare_single"].append(time.perf_counter() - t)
        t = time.perf_counter()
        bare_tree.query(bare_points, predicate="intersects")
        timings["bare_batch"].append(time.perf_counter() - t)

    # Spot check: batch (columnar and materialised) and single agree.
    sample = rng.choice(args.points, size=min(2000, args.points), replace=False)
    materialised = list(routes)
    disagree = sum(index.route(lats[i], lngs[i]) != routes[i] or routes[i] != materialised[i] for i in sample)
    boundary = float(routes.boundary.mean())
    outside = float(routes.outside.mean())

    rows_out = [
        ("project route (single)", rate(single_n, timings["single"])),
        ("project route_many (batch, columnar)", rate(args.points, timings["batch"])),
        ("project list(route_many) (batch, Routes)", rate(args.points, timings["batch_list"])),
        ("bare STRtree.query loop (single)", rate(single_n, timings["bare_single"])),
        ("bare STRtree.query batch", rate(args.points, timings["bare_batch"])),
    ]
    print(
        f"points: {args.points} ({single_n} for single loops); boundary {boundary:.0%}, "
        f"outside {outside:.1%}; median of {args.repeat}"
    )
    print(f"{'method':<44}{'lookups/s':>14}")
    for name, value in rows_out:
        print(f"{name:<44}{value:>14,.0f}")
    print(f"{'ratio batch columnar / bare batch':<44}{rows_out[1][1] / rows_out[4][1]:>14.2f}")
    print(f"{'ratio batch list(Routes) / bare batch':<44}{rows_out[2][1] / rows_out[4][1]:>14.2f}")
    print(f"{'ratio single / bare single':<44}{rows_out[0][1] / rows_out[3][1]:>14.2f}")
    print(f"single vs batch disagreements in {len(sample)} samples: {disagree}")

    single, batch, batch_list, bare_single, bare_batch = (value for _, value in rows_out)
    common = {"grids": len(rows), "points": args.points, "single_points": single_n, "repeat": args.repeat}
    write_json(
        args.json,
        [
            row(
                f"routing, batch (route_many, columnar) at {len(rows):,} grids",
                f"{batch:,.0f} points/s ({batch / bare_batch:.2f}× bare)",
                baseline=f"bare STRtree.query batch {bare_batch:,.0f} points/s",
                target="≥ 0.50× bare",
                met=judged(args.quick, batch / bare_batch >= 0.5 and not disagree),
                rate=batch,
                bare_rate=bare_batch,
                ratio=batch / bare_batch,
                list_rate=batch_list,
                disagreements=int(disagree),
                **common,
            ),
            row(
                f"routing, single (route) at {len(rows):,} grids",
                f"{single:,.0f} points/s ({single / bare_single:.2f}× bare)",
                baseline=f"bare STRtree.query, one point at a time {bare_single:,.0f} points/s",
                target="≥ 0.50× bare",
                met=judged(args.quick, single / bare_single >= 0.5 and not disagree),
                rate=single,
                bare_rate=bare_single,
                ratio=single / bare_single,
                **common,
            ),
        ],
    )


if __name__ == "__main__":
    main()
