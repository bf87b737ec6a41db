"""A local projection to metres, and GeoJSON ↔ shapely conversion.

Boundaries are stored as WGS84 lon/lat; areas, distances and tolerances are in metres. Over one
city (tens of kilometres) an equirectangular projection around the city's centre keeps scale errors
well under 1 %, needs no projection library and is a plain affine map, so it vectorises with numpy
and ``shapely.transform`` and keeps shared edges shared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

# Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8
POLYGONAL_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection around (``lat0``, ``lng0``): x east, y north, in metres."""

    lat0: float
    lng0: float
    kx: float = field(init=False, repr=False, compare=False)
    ky: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Plain floats (never numpy scalars, which would slow every scalar projection tenfold) and
        # the scale factors computed once.
        object.__setattr__(self, "lat0", float(self.lat0))
        object.__setattr__(self, "lng0", float(self.lng0))
        # Metres per degree of longitude at the reference latitude, and per degree of latitude.
        object.__setattr__(self, "kx", EARTH_RADIUS_M * math.radians(1.0) * math.cos(math.radians(self.lat0)))
        object.__setattr__(self, "ky", EARTH_RADIUS_M * math.radians(1.0))

    @classmethod
    def around(cls, *, lat: float, lng: float) -> Projection:
        return cls(lat0=float(lat), lng0=float(lng))

    @classmethod
    def for_geometries(cls, geometries: Iterable[BaseGeometry]) -> Projection:
        """Centred on the bounding box of ``geometries`` (WGS84), so the whole set is least distorted."""
        geometries = list(geometries)
        if not geometries:
            return cls(lat0=0.0, lng0=0.0)
        bounds = shapely.total_bounds(np.asarray(geometries, dtype=object))
        if np.isnan(bounds).any():
            return cls(lat0=0.0, lng0=0.0)
        return cls(lat0=(bounds[1] + bounds[3]) / 2, lng0=(bounds[0] + bounds[2]) / 2)

    def xy(self, lngs: Any, lats: Any) -> tuple[np.ndarray, np.ndarray]:
        """Project arrays (or scalars) of longitudes and latitudes to metres."""
        x = (np.asarray(lngs, dtype=float) - self.lng0) * self.kx
        y = (np.asarray(lats, dtype=float) - self.lat0) * self.ky
        return x, y

    def lnglat(self, xs: Any, ys: Any) -> tuple[np.ndarray, np.ndarray]:
        """Back from metres to longitudes and latitudes."""
        lng = np.asarray(xs, dtype=float) / self.kx + self.lng0
        lat = np.asarray(ys, dtype=float) / self.ky + self.lat0
        return lng, lat

    def forward(self, geometry: Any) -> Any:
        """Project a geometry (or an array of geometries) from lon/lat to metres."""
        offset = np.array([self.lng0, self.lat0])
        scale = np.array([self.kx, self.ky])
        return shapely.transform(geometry, lambda coords: (coords - offset) * scale)

    def inverse(self, geometry: Any) -> Any:
        """Back from metres to lon/lat."""
        offset = np.array([self.lng0, self.lat0])
        scale = np.array([self.kx, self.ky])
        return shapely.transform(geometry, lambda coords: coords / scale + offset)


def projected_area_m2(geometry: BaseGeometry) -> float:
    """Area in square metres, projected around the geometry's own centre for the least distortion."""
    if geometry.is_empty:
        return 0.0
    centre = geometry.centroid
    return float(Projection.around(lat=centre.y, lng=centre.x).forward(geometry).area)


def geometry_from_geojson(obj: Any) -> BaseGeometry:
    """A shapely geometry from a GeoJSON geometry dict; ``ValueError`` if it is not one."""
    if not isinstance(obj, dict) or "type" not in obj:
        raise ValueError("not a GeoJSON geometry object")
    if "coordinates" not in obj:
        raise ValueError(f"{obj['type']} without coordinates")
    try:
        return shape(obj)
    except (TypeError, ValueError, IndexError, KeyError, AttributeError, shapely.errors.GEOSException) as exc:
        raise ValueError(f"unparseable {obj.get('type')} coordinates ({exc})") from exc


def geometry_to_geojson(geometry: BaseGeometry) -> dict:
    """A JSON-ready GeoJSON dict (lists, not tuples) for a shapely geometry."""

    def lists(value: Any) -> Any:
        if isinstance(value, (tuple, list)):
            return [lists(v) for v in value]
        return value

    return {key: lists(value) for key, value in mapping(geometry).items()}
