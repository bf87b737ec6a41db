"""Reads of the jurisdiction tree: nodes by code, children, subtrees, the boundary revision."""

from __future__ import annotations

from django.db.models import Max, Q, QuerySet

from chuishao.geo.models import GeoRevision, Jurisdiction, Kind


def jurisdiction_get_by_code(*, code: str) -> Jurisdiction:
    """The node with ``code``; ``Jurisdiction.DoesNotExist`` if there is none."""
    return Jurisdiction.objects.get(code=code)


def jurisdiction_children(*, parent: Jurisdiction | int, kind: str | None = None) -> QuerySet[Jurisdiction]:
    """Direct children of ``parent`` (a node or its id), in code order."""
    parent_id = parent if isinstance(parent, int) else parent.pk
    children = Jurisdiction.objects.filter(parent_id=parent_id)
    return children.filter(kind=kind) if kind else children


def jurisdiction_subtree_ids(*, root: Jurisdiction) -> set[int]:
    """Ids of ``root`` and every node below it: one query, through the denormalised ancestors."""
    if root.kind == Kind.GRID:
        return {root.pk}
    below = Q(**{f"{root.kind}_id": root.pk})
    return set(Jurisdiction.objects.filter(Q(pk=root.pk) | below).values_list("id", flat=True))


def current_revision() -> GeoRevision | None:
    """The latest boundary revision (highest id), or None before the first import."""
    top = GeoRevision.objects.aggregate(top=Max("id"))["top"]
    return None if top is None else GeoRevision.objects.get(pk=top)


def grid_routing_rows() -> list[dict]:
    """Every grid with its ancestors' ids and codes, as ``routing.GridRow`` fields."""
    codes = dict(Jurisdiction.objects.exclude(kind=Kind.GRID).values_list("id", "code"))
    rows = Jurisdiction.objects.filter(kind=Kind.GRID).values_list(
        "id", "code", "boundary", "community_id", "street_id", "district_id", "city_id"
    )
    return [
        {
            "id": pk,
            "code": code,
            "boundary": boundary,
            "community_id": community_id,
            "street_id": street_id,
            "district_id": district_id,
            "city_id": city_id,
            "community_code": codes.get(community_id, ""),
            "street_code": codes.get(street_id, ""),
            "district_code": codes.get(district_id, ""),
        }
        for pk, code, boundary, community_id, street_id, district_id, city_id in rows.iterator(
            chunk_size=2000
        )
    ]
