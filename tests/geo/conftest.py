"""A small hand-built city, imported through the real service.

Two districts side by side (west A, east B), one street and one community each, every community a
2 × 2 block of ~100 m grids that tile it exactly; a residential complex in community A.

    row 1 | A-003 | A-004 | B-003 | B-004 |
    row 0 | A-001 | A-002 | B-001 | B-002 |
          col 0   col 1   col 2   col 3      (the district line is at col 2)
"""

from __future__ import annotations

import copy

import pytest

from chuishao.actors import SYSTEM
from chuishao.geo.importer import geo_import
from chuishao.geo.routing import routing_index_invalidate

LNG0, LAT0 = 116.30, 39.90
W, H = 0.00117, 0.0009  # one grid: about 100 m × 100 m

CITY = "1100"
DISTRICTS = {"A": "110101", "B": "110102"}
STREETS = {k: f"{v}001" for k, v in DISTRICTS.items()}
COMMUNITIES = {k: f"{v}001" for k, v in STREETS.items()}


def lng(col: float) -> float:
    return LNG0 + col * W


def lat(row: float) -> float:
    return LAT0 + row * H


def rect(c0: float, r0: float, c1: float, r1: float) -> dict:
    ring = [
        [lng(c0), lat(r0)],
        [lng(c1), lat(r0)],
        [lng(c1), lat(r1)],
        [lng(c0), lat(r1)],
        [lng(c0), lat(r0)],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(kind: str, code: str, name: str, geometry: dict, parent: str | None = None, **extra) -> dict:
    props = {"kind": kind, "code": code, "name": name, **extra}
    if parent is not None:
        props["parent"] = parent
    return {"type": "Feature", "properties": props, "geometry": geometry}


def grid_code(district: str, n: int) -> str:
    return f"{COMMUNITIES[district]}{n:03d}"


def grid_cell(district: str, n: int) -> tuple[int, int]:
    """(col, row) of grid ``n`` (1–4) of a district."""
    offset = 0 if district == "A" else 2
    return offset + (n - 1) % 2, (n - 1) // 2


def city_collection() -> dict:
    features = [feature("city", CITY, "示例市", rect(0, 0, 4, 2), name_en="Example City")]
    for key, offset in (("A", 0), ("B", 2)):
        block = rect(offset, 0, offset + 2, 2)
        features.append(feature("district", DISTRICTS[key], f"{key}区", block, CITY))
        features.append(feature("street", STREETS[key], f"{key}街道", block, DISTRICTS[key]))
        features.append(feature("community", COMMUNITIES[key], f"{key}社区", block, STREETS[key]))
        for n in range(1, 5):
            col, row = grid_cell(key, n)
            features.append(
                feature(
                    "grid",
                    grid_code(key, n),
                    f"{key}网格{n}",
                    rect(col, row, col + 1, row + 1),
                    COMMUNITIES[key],
                )
            )
    features.append(
        feature("complex", "CPX-A1", "阳光小区", rect(0.2, 0.2, 1.5, 1.5), COMMUNITIES["A"], households=420)
    )
    return {"type": "FeatureCollection", "features": features}


@pytest.fixture(autouse=True)
def _fresh_routing_index():
    routing_index_invalidate()
    yield
    routing_index_invalidate()


@pytest.fixture
def collection() -> dict:
    return copy.deepcopy(city_collection())


@pytest.fixture
def city(db, collection):
    """The city imported; returns the import summary."""
    return geo_import(actor=SYSTEM, data=collection)
