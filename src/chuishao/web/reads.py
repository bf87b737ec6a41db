"""Page-shaped reads the pages need beside the case selectors: grids for the map, the nodes and
organisations an actor may pick in a form.

Reads only; every read of cases still goes through ``cases.selectors``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from chuishao.cases.models import Case
from chuishao.cases.selectors import dispatch_candidates_q
from chuishao.catalog.models import Category
from chuishao.catalog.selectors import category_list
from chuishao.geo.models import Jurisdiction, Kind
from chuishao.orgs.models import Organisation
from chuishao.orgs.scopes import grants_of

# A grant at these levels lists grids too in the jurisdiction filter; above them grids are too many.
SMALL_NODE_KINDS = {Kind.STREET, Kind.COMMUNITY, Kind.GRID}


def grid_features() -> dict[str, Any]:
    """Every grid as a GeoJSON FeatureCollection with only id, code and name as properties."""
    rows = Jurisdiction.objects.filter(kind=Kind.GRID).values_list("id", "code", "name", "boundary")
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": pk, "code": code, "name": name},
                "geometry": boundary,
            }
            for pk, code, name, boundary in rows.iterator(chunk_size=2000)
        ],
    }


def nodes_in_reach(actor: Any) -> list[Jurisdiction]:
    """The jurisdiction nodes under the actor's node-scoped grants, for the case list filter."""
    q = Q(pk__in=[])
    for grant in grants_of(actor):
        if grant.node_id is None or grant.node_kind is None:
            continue
        below = Q(pk=grant.node_id)
        if grant.node_kind != Kind.GRID:
            below |= Q(**{f"{grant.node_kind}_id": grant.node_id})
        if grant.node_kind not in SMALL_NODE_KINDS:
            below &= ~Q(kind=Kind.GRID)
        q |= below
    return list(Jurisdiction.objects.filter(q).only("id", "code", "name", "kind").order_by("code"))


def major_categories() -> list[Category]:
    return list(category_list().filter(parent__isnull=True).select_related(None))


def categories_grouped() -> list[tuple[Category, list[Category]]]:
    """Minor categories under their major class, in catalogue order (one query)."""
    rows = list(category_list())
    children: dict[int, list[Category]] = {}
    for c in rows:
        if c.parent_id is not None:
            children.setdefault(c.parent_id, []).append(c)
    return [(c, children[c.pk]) for c in rows if c.parent_id is None and children.get(c.pk)]


def dispatch_candidates(case: Case) -> list[Organisation]:
    """Organisations serving the case's street, district or city that a case can be sent to."""
    orgs = Organisation.objects.filter(dispatch_candidates_q(case))
    return list(orgs.select_related("jurisdiction").order_by("jurisdiction__code", "code"))


def jurisdictions_by_code(codes: list[str]) -> list[Jurisdiction]:
    return list(Jurisdiction.objects.filter(code__in=codes).order_by("code")) if codes else []
