"""Importing boundaries: validate a GeoJSON FeatureCollection whole, then write it in one transaction.

Each feature is a jurisdiction (city, district, street, community, grid) or a residential complex,
with properties ``kind``, ``code``, ``name``, optional ``name_en``, ``parent`` (the parent's code; a
complex's parent is its community; a city has none) and, for complexes, optional ``households``.
Parents may be in the file or already in the database; existing codes are updated in place.

Validation collects every problem before anything is written, each named by the feature's code (or
``#index`` when it has none): malformed properties, duplicate codes, bad geometry, unknown or
wrong-kind parents, grid codes outside the configured layout, children sticking out of their
parent, overlapping grids and gaps inside a community. Geometry checks run in metres (a local
projection around the file's features), so tolerances mean the same everywhere.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from chuishao import clock
from chuishao.events.services import event_append
from chuishao.geo.errors import GeoFileError, GeoImportError, Problem
from chuishao.geo.models import DEPTH, PARENT_KIND, Complex, GeoRevision, Jurisdiction, Kind
from chuishao.geo.projection import (
    POLYGONAL_TYPES,
    Projection,
    geometry_from_geojson,
    geometry_to_geojson,
    projected_area_m2,
)

COMPLEX = "complex"
KINDS = (*Kind.values, COMPLEX)
PARENT_OF = {
    **{str(k): (str(v) if v else None) for k, v in PARENT_KIND.items()},
    COMPLEX: str(Kind.COMMUNITY),
}
ORDER = {**{str(k): v for k, v in DEPTH.items()}, COMPLEX: len(DEPTH)}


@dataclass(frozen=True)
class Node:
    """A jurisdiction as validation sees it, from the file or from the database (WGS84 geometry)."""

    kind: str
    code: str
    parent: str | None
    geometry: BaseGeometry | None


@dataclass
class Feature:
    index: int
    kind: str
    code: str
    name: str
    name_en: str
    parent: str | None
    geometry: BaseGeometry
    households: int = 0


@dataclass
class ValidationResult:
    features: list[Feature] = field(default_factory=list)  # in tree order, parents first
    problems: list[Problem] = field(default_factory=list)
    existing_codes: set[str] = field(default_factory=set)  # codes the import will update

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """(created, updated) per kind, as the import would write them."""
        created, updated = Counter(), Counter()
        for f in self.features:
            (updated if f.code in self.existing_codes else created)[f.kind] += 1
        return dict(created), dict(updated)


@dataclass(frozen=True)
class ImportSummary:
    revision_id: int
    created: dict[str, int]
    updated: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


class _DatabaseNodes:
    """Existing nodes the validation needs, read from the database on demand."""

    def __init__(self) -> None:
        self._cache: dict[str, Node | None] = {}

    @staticmethod
    def _node(kind: str, code: str, parent: str | None, boundary: Any) -> Node:
        try:
            geometry = geometry_from_geojson(boundary)
        except ValueError:
            geometry = None
        return Node(kind=kind, code=code, parent=parent, geometry=geometry)

    def load(self, codes: Iterable[str]) -> None:
        wanted = [c for c in set(codes) if c not in self._cache]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for c in chunk:
                self._cache[c] = None
            rows = Jurisdiction.objects.filter(code__in=chunk).values_list(
                "kind", "code", "parent__code", "boundary"
            )
            for kind, code, parent, boundary in rows:
                self._cache[code] = self._node(kind, code, parent, boundary)

    def get(self, code: str) -> Node | None:
        if code not in self._cache:
            self.load([code])
        return self._cache[code]

    def grids_of(self, community_codes: Iterable[str]) -> list[Node]:
        rows = Jurisdiction.objects.filter(
            kind=Kind.GRID, parent__code__in=list(community_codes)
        ).values_list("kind", "code", "parent__code", "boundary")
        return [self._node(*row) for row in rows]

    def complex_codes(self, codes: Iterable[str]) -> set[str]:
        return set(Complex.objects.filter(code__in=list(codes)).values_list("code", flat=True))


class _MappingNodes:
    """Existing nodes given as a mapping (code → ``Node``), for validating without a database."""

    def __init__(self, nodes: Mapping[str, Node]) -> None:
        self._nodes = nodes

    def load(self, codes: Iterable[str]) -> None:
        return None

    def get(self, code: str) -> Node | None:
        return self._nodes.get(code)

    def grids_of(self, community_codes: Iterable[str]) -> list[Node]:
        wanted = set(community_codes)
        return [n for n in self._nodes.values() if n.kind == Kind.GRID and n.parent in wanted]

    def complex_codes(self, codes: Iterable[str]) -> set[str]:
        wanted = set(codes)
        return {c for c, n in self._nodes.items() if n.kind == COMPLEX and c in wanted}


def _code_lengths() -> dict[str, int]:
    """Digits of each kind's code under the configured layout (6,3,3,3 → district 6 … grid 15)."""
    layout = tuple(settings.CHUISHAO_GRID_CODE_LAYOUT)
    lengths = {}
    for depth, kind in enumerate((Kind.GRID, Kind.COMMUNITY, Kind.STREET, Kind.DISTRICT)):
        if depth < len(layout):
            lengths[str(kind)] = sum(layout[: len(layout) - depth])
    return lengths


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def _parse(data: Any, problems: list[Problem], broken: set[str]) -> list[Feature]:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        problems.append(Problem("(file)", _("not a GeoJSON FeatureCollection")))
        return []
    raw = data.get("features")
    if not isinstance(raw, list):
        problems.append(Problem("(file)", _("the FeatureCollection has no list of features")))
        return []
    features: list[Feature] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        props = item.get("properties") if isinstance(item, dict) else None
        props = props if isinstance(props, dict) else {}
        code = _text(props.get("code"))
        label = code or f"#{index}"
        bad = len(problems)
        kind = _text(props.get("kind"))
        if not kind:
            problems.append(Problem(label, _("missing kind")))
        elif kind not in KINDS:
            problems.append(
                Problem(
                    label,
                    _("unknown kind %(kind)r (expected one of %(kinds)s)")
                    % {"kind": kind, "kinds": ", ".join(KINDS)},
                )
            )
        if not code:
            problems.append(Problem(label, _("missing code")))
        elif code in seen:
            problems.append(
                Problem(label, _("duplicate code (also feature #%(other)d)") % {"other": seen[code]})
            )
        else:
            seen[code] = index
        name = _text(props.get("name"))
        if not name:
            problems.append(Problem(label, _("missing name")))
        # The columns' widths: a longer value would fail in the database half-way through the import.
        for value, limit, what in ((code, 32, _("code")), (name, 100, _("name"))):
            if len(value) > limit:
                problems.append(
                    Problem(
                        label[:40], _("%(what)s longer than %(n)d characters") % {"what": what, "n": limit}
                    )
                )
        if len(_text(props.get("name_en"))) > 200:
            problems.append(
                Problem(
                    label[:40], _("%(what)s longer than %(n)d characters") % {"what": "name_en", "n": 200}
                )
            )
        parent = _text(props.get("parent")) or None
        households = props.get("households", 0) or 0
        if kind == COMPLEX and (
            not isinstance(households, int) or isinstance(households, bool) or households < 0
        ):
            problems.append(Problem(label, _("households must be a whole number ≥ 0")))
            households = 0
        geometry = _geometry(item.get("geometry") if isinstance(item, dict) else None, label, problems)
        if len(problems) > bad or geometry is None:
            broken.add(code)
        else:
            features.append(
                Feature(
                    index, kind, code, name, _text(props.get("name_en")), parent, geometry, int(households)
                )
            )
    return features


def _geometry(obj: Any, label: str, problems: list[Problem]) -> BaseGeometry | None:
    if not isinstance(obj, dict):
        problems.append(Problem(label, _("missing geometry")))
        return None
    if obj.get("type") not in POLYGONAL_TYPES:
        problems.append(
            Problem(
                label,
                _("geometry must be a Polygon or MultiPolygon, not %(type)s") % {"type": obj.get("type")},
            )
        )
        return None
    wrong = _positions_problem(obj["type"], obj.get("coordinates"))
    if wrong:
        problems.append(Problem(label, _("unparseable geometry: %(error)s") % {"error": wrong}))
        return None
    try:
        geometry = geometry_from_geojson(obj)
    except ValueError as exc:
        problems.append(Problem(label, _("unparseable geometry: %(error)s") % {"error": exc}))
        return None
    if geometry.is_empty:
        problems.append(Problem(label, _("empty geometry")))
        return None
    if not geometry.is_valid:
        problems.append(
            Problem(label, _("invalid geometry: %(reason)s") % {"reason": shapely.is_valid_reason(geometry)})
        )
        return None
    return geometry


def _positions_problem(kind: str, coordinates: Any) -> str | None:
    """What is wrong with a Polygon's or MultiPolygon's coordinates before shapely reads them (it would
    close an open ring silently, read "116" as a number and answer nesting mistakes obscurely), or None.
    """
    polygons = [coordinates] if kind == "Polygon" else coordinates
    shape = _(
        "coordinates nested wrongly: a Polygon is a list of rings, a ring a list of [longitude, latitude]"
        " positions, and a MultiPolygon a list of Polygons"
    )
    if not isinstance(polygons, list):
        return shape
    for polygon in polygons:
        if not isinstance(polygon, list):
            return shape
        for n, ring in enumerate(polygon, start=1):
            if not isinstance(ring, list) or not all(isinstance(p, list) for p in ring):
                return shape
            for position in ring:
                if not 2 <= len(position) <= 3 or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in position
                ):
                    return _("position %(p)s is not [longitude, latitude] in numbers") % {
                        "p": str(position)[:60]
                    }
                lng, lat = position[0], position[1]
                if not (
                    math.isfinite(lng) and math.isfinite(lat) and -180 <= lng <= 180 and -90 <= lat <= 90
                ):
                    return _("position %(p)s is not a longitude and latitude on Earth") % {
                        "p": str(position[:2])[:60]
                    }
            if len(ring) >= 2 and ring[0][:2] != ring[-1][:2]:
                return _("ring %(n)d is not closed: its last position must repeat its first") % {"n": n}
    return None


def _check_parents(
    features: list[Feature], nodes: Any, problems: list[Problem], broken: set[str]
) -> dict[str, Node]:
    """Resolve every parent (file first, then database); returns code → parent node."""
    in_file = {f.code: f for f in features}
    nodes.load([f.parent for f in features if f.parent and f.parent not in in_file])
    lengths = _code_lengths()
    parents: dict[str, Node] = {}
    for f in features:
        expected = PARENT_OF[f.kind]
        if expected is None:
            if f.parent:
                problems.append(
                    Problem(f.code, _("a city has no parent (got %(parent)s)") % {"parent": f.parent})
                )
            continue
        if not f.parent:
            problems.append(
                Problem(
                    f.code,
                    _("missing parent (a %(kind)s needs a %(parent_kind)s)")
                    % {"kind": f.kind, "parent_kind": expected},
                )
            )
            continue
        if f.parent in broken:
            continue  # the parent's own problem is reported already
        if f.parent in in_file:
            p = in_file[f.parent]
            parent = Node(kind=p.kind, code=p.code, parent=p.parent, geometry=p.geometry)
        else:
            parent = nodes.get(f.parent)
        if parent is None:
            problems.append(
                Problem(
                    f.code,
                    _("unknown parent %(parent)s (not in the file nor the database)") % {"parent": f.parent},
                )
            )
            continue
        if parent.kind != expected:
            problems.append(
                Problem(
                    f.code,
                    _("parent %(parent)s is a %(actual)s; a %(kind)s belongs to a %(expected)s")
                    % {"parent": f.parent, "actual": parent.kind, "kind": f.kind, "expected": expected},
                )
            )
            continue
        parents[f.code] = parent
        _check_code(f, parent, lengths, problems)
    return parents


def _check_code(f: Feature, parent: Node, lengths: dict[str, int], problems: list[Problem]) -> None:
    """Grid codes follow the layout; a layout-shaped code starts with its layout-shaped parent's."""
    if f.kind == Kind.GRID and (not f.code.isdigit() or len(f.code) != lengths[str(Kind.GRID)]):
        problems.append(
            Problem(
                f.code,
                _("grid code must be %(n)d digits (layout %(layout)s)")
                % {
                    "n": lengths[str(Kind.GRID)],
                    "layout": "+".join(map(str, settings.CHUISHAO_GRID_CODE_LAYOUT)),
                },
            )
        )
        return
    shaped = f.code.isdigit() and len(f.code) == lengths.get(f.kind, -1)
    parent_shaped = parent.code.isdigit() and len(parent.code) == lengths.get(parent.kind, -1)
    # Parents with codes of their own scheme (not the layout's length) are not forced into it.
    if shaped and parent_shaped and not f.code.startswith(parent.code):
        problems.append(
            Problem(
                f.code,
                _("code does not start with its %(kind)s's code %(parent)s")
                % {"kind": parent.kind, "parent": parent.code},
            )
        )


def _check_geometry(
    features: list[Feature], parents: dict[str, Node], nodes: Any, problems: list[Problem]
) -> None:
    projection = Projection.for_geometries([f.geometry for f in features])
    metres = {f.code: projection.forward(f.geometry) for f in features}
    edge_m = settings.CHUISHAO_IMPORT_EDGE_TOLERANCE_M
    overlap_m2 = settings.CHUISHAO_IMPORT_OVERLAP_TOLERANCE_M2
    gap_m2 = settings.CHUISHAO_IMPORT_GAP_TOLERANCE_M2

    # A child may leave its parent only by the edge tolerance (measured as the farthest outside vertex).
    for f in features:
        parent = parents.get(f.code)
        if parent is None or parent.geometry is None:
            continue
        outer = metres.get(parent.code)
        if outer is None:
            outer = projection.forward(parent.geometry)
        outside = shapely.difference(metres[f.code], outer)
        if outside.is_empty:
            continue
        far = float(shapely.distance(shapely.points(shapely.get_coordinates(outside)), outer).max())
        if far > edge_m:
            problems.append(
                Problem(
                    f.code,
                    _("leaves its parent %(parent)s by up to %(far).1f m (%(area).0f m² outside)")
                    % {"parent": parent.code, "far": far, "area": outside.area},
                )
            )

    # Grids of every community the file touches, as they will be after the import.
    file_grids = {f.code: f for f in features if f.kind == Kind.GRID}
    communities = {f.code for f in features if f.kind == Kind.COMMUNITY} | {
        f.parent for f in file_grids.values() if f.parent
    }
    grids: dict[str, tuple[str | None, BaseGeometry]] = {
        code: (f.parent, metres[code]) for code, f in file_grids.items()
    }
    for node in nodes.grids_of(communities):
        if node.code not in grids and node.geometry is not None:
            grids[node.code] = (node.parent, projection.forward(node.geometry))
    codes = sorted(grids)
    shapes = np.array([grids[c][1] for c in codes], dtype=object)
    if len(codes) > 1:
        left, right = shapely.STRtree(shapes).query(shapes, predicate="intersects")
        pairs = left < right
        left, right = left[pairs], right[pairs]
        areas = shapely.area(shapely.intersection(shapes[left], shapes[right]))
        for i, j, area in zip(left.tolist(), right.tolist(), areas.tolist(), strict=True):
            a, b = codes[i], codes[j]
            if area > overlap_m2 and (a in file_grids or b in file_grids):
                name, other = (a, b) if a in file_grids else (b, a)
                problems.append(
                    Problem(
                        name, _("overlaps grid %(other)s by %(area).1f m²") % {"other": other, "area": area}
                    )
                )

    # Gaps: the part of a community that none of its grids covers (only if it has grids at all).
    by_community: dict[str, list[BaseGeometry]] = {}
    for parent, geometry in grids.values():
        if parent:
            by_community.setdefault(parent, []).append(geometry)
    for community in sorted(communities):
        members = by_community.get(community)
        if not members:
            continue
        area = metres.get(community)
        if area is None:
            node = nodes.get(community)
            if node is None or node.geometry is None:
                continue
            area = projection.forward(node.geometry)
        gaps = shapely.difference(area, shapely.union_all(members))
        for gap in shapely.get_parts(gaps).tolist():
            if gap.area > gap_m2:
                lng, lat = projection.lnglat(gap.centroid.x, gap.centroid.y)
                problems.append(
                    Problem(
                        community,
                        _("%(area).0f m² not covered by any of its grids, near %(lng).6f, %(lat).6f")
                        % {"area": gap.area, "lng": float(lng), "lat": float(lat)},
                    )
                )


def validate_feature_collection(data: Any, *, existing: Mapping[str, Node] | None = None) -> ValidationResult:
    """Check a whole FeatureCollection; ``existing`` (code → ``Node``) replaces the database."""
    result = ValidationResult()
    nodes = _MappingNodes(existing) if existing is not None else _DatabaseNodes()
    broken: set[str] = set()
    features = _parse(data, result.problems, broken)
    parents = _check_parents(features, nodes, result.problems, broken)
    if not result.problems:
        # Geometry checks compare features with each other: they need every feature well formed.
        _check_geometry(features, parents, nodes, result.problems)
    nodes.load(f.code for f in features if f.kind != COMPLEX)
    for f in features:
        if f.kind != COMPLEX and (node := nodes.get(f.code)) is not None:
            result.existing_codes.add(f.code)
            if node.kind != f.kind:
                result.problems.append(
                    Problem(
                        f.code,
                        _("already exists as a %(old)s; a code cannot change kind") % {"old": node.kind},
                    )
                )
    result.existing_codes |= nodes.complex_codes(f.code for f in features if f.kind == COMPLEX)
    result.features = sorted(features, key=lambda f: (ORDER[f.kind], f.code))
    result.problems.sort(key=lambda p: _feature_order(p, features))
    return result


def _feature_order(problem: Problem, features: list[Feature]) -> int:
    for f in features:
        if f.code == problem.code:
            return f.index
    return -1


def parse_geojson(raw: bytes) -> dict:
    """The FeatureCollection in ``raw`` (UTF-8 JSON), or ``GeoFileError`` saying what is wrong."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise GeoFileError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise GeoFileError(f"not valid JSON ({exc})") from exc
    except RecursionError as exc:  # [[[[…]]]] thousands deep: the parser's stack runs out
        raise GeoFileError("nested too deeply to be GeoJSON") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise GeoFileError("not a GeoJSON FeatureCollection")
    return data


@transaction.atomic
def geo_import(*, actor: Any, data: Any, progress: Callable[[int], None] | None = None) -> ImportSummary:
    """Validate ``data`` and write it: upserts by code in tree order, a new revision, one event.

    ``progress`` is called with the number of features just written (``tqdm.update`` fits).
    """
    result = validate_feature_collection(data)
    if not result.ok:
        raise GeoImportError(result.problems)
    written: dict[str, Jurisdiction] = {
        j.code: j
        for j in Jurisdiction.objects.select_for_update().filter(
            code__in=[f.code for f in result.features if f.kind != COMPLEX]
        )
    }
    moved: list[Jurisdiction] = []
    for f in result.features:
        if f.kind == COMPLEX:
            _write_complex(f, written)
        else:
            node, was_moved = _write_jurisdiction(f, written)
            if was_moved:
                moved.append(node)
        if progress is not None:
            progress(1)
    for node in moved:
        _refresh_descendants(node)
    created, updated = result.counts()
    summary_text = ", ".join(f"{kind} +{n}" for kind, n in sorted(created.items())) or "no new nodes"
    revision = GeoRevision.objects.create(
        created_at=clock.now(),
        summary=(f"import: {summary_text}; {sum(updated.values())} updated")[:200],
    )
    event_append(
        verb="geo.imported",
        actor=actor,
        chain="geo",
        after={"revision": revision.pk, "created": created, "updated": updated},
    )
    from chuishao.geo.routing import routing_index_expire

    # Other processes notice the new revision on their next check; this one looks at once.
    transaction.on_commit(routing_index_expire)
    return ImportSummary(revision_id=revision.pk, created=created, updated=updated)


def _ancestors(parent: Jurisdiction | None) -> dict[str, int | None]:
    chain = parent.chain_ids() if parent is not None else {}
    return {level: chain.get(level) for level in ("city", "district", "street", "community")}


def _write_jurisdiction(f: Feature, written: dict[str, Jurisdiction]) -> tuple[Jurisdiction, bool]:
    parent = None
    if f.parent:
        parent = written.get(f.parent) or Jurisdiction.objects.get(code=f.parent)
        written[f.parent] = parent
    values = {
        "kind": f.kind,
        "name": f.name,
        "name_en": f.name_en,
        "parent": parent,
        "boundary": geometry_to_geojson(f.geometry),
        "area_m2": projected_area_m2(f.geometry),
        **{f"{level}_id": pk for level, pk in _ancestors(parent).items()},
    }
    node = written.get(f.code)
    moved = False
    if node is None:
        node = Jurisdiction.objects.create(code=f.code, **values)
    else:
        moved = node.parent_id != (parent.pk if parent else None)
        for key, value in values.items():
            setattr(node, key, value)
        node.save()
    written[f.code] = node
    return node, moved


def _write_complex(f: Feature, written: dict[str, Jurisdiction]) -> None:
    community = written.get(f.parent) or Jurisdiction.objects.get(code=f.parent)
    Complex.objects.update_or_create(
        code=f.code,
        defaults={
            "name": f.name,
            "name_en": f.name_en,
            "community": community,
            "boundary": geometry_to_geojson(f.geometry),
            "households": f.households,
        },
    )


def _refresh_descendants(node: Jurisdiction) -> None:
    """A node that changed parent takes its whole subtree's ancestor columns with it."""
    stack = [node]
    while stack:
        parent = stack.pop()
        for child in Jurisdiction.objects.filter(parent=parent):
            for level, pk in _ancestors(parent).items():
                setattr(child, f"{level}_id", pk)
            child.save(update_fields=["city", "district", "street", "community"])
            stack.append(child)
