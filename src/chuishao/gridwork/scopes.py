"""Who works which grid, and who commands it.

A grid's workers are the people holding an active ``grid_worker`` membership on it and the worker of
an active responsibility grid (beat) that contains it. Its chain of command is community staff, street
dispatchers, district and city centres and leaders whose node contains the grid. Visits (personal
data) are for the workers, the chain of command and the administrator, who holds the city centre's
reach everywhere (docs/security.md): never department staff, residents or unit organisers. Leaders
oversee rather than call back: they read visits with the person's name and phone masked, as they read
a case's reporter.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from chuishao.actors import actor_user_id
from chuishao.geo.models import Jurisdiction
from chuishao.gridwork.models import ResponsibilityGrid
from chuishao.orgs.models import Role
from chuishao.orgs.scopes import grants_of, holds_role_over

COMMAND_ROLES = frozenset(
    {Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_CENTRE, Role.CITY_CENTRE, Role.LEADER}
)
# Who may set up beats for a community (community staff or above; leaders watch, they do not set up).
BEAT_ROLES = frozenset(
    {Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_CENTRE, Role.CITY_CENTRE, Role.ADMIN}
)
# Who sees patrol coverage and reads visits: the chain of command and administrators.
COVERAGE_ROLES = COMMAND_ROLES | {Role.ADMIN}
VISIT_ROLES = COVERAGE_ROLES
# Who reads the visited person's name and phone in full (with the grid's workers): not leaders.
VISIT_CONTACT_ROLES = VISIT_ROLES - {Role.LEADER}


def worker_grid_ids(actor: Any) -> set[int]:
    """The grids the actor works: grid-worker memberships and the grids of their active beats."""
    ids = {g.node_id for g in grants_of(actor) if g.role == Role.GRID_WORKER and g.node_id}
    pk = actor_user_id(actor)
    if pk is None or not ids:
        # A beat counts only while its worker still holds a grid-worker role.
        return ids
    # Not cached on the actor: a beat given during a request counts at once. Only beats of communities
    # where the worker still holds a grid of their own.
    beats = ResponsibilityGrid.grids.through.objects.filter(
        responsibilitygrid__worker_id=pk,
        responsibilitygrid__active=True,
        responsibilitygrid__community__children__in=ids,
    )
    return ids | set(beats.values_list("jurisdiction_id", flat=True))


def reads_visits_of(actor: Any, node: Jurisdiction) -> bool:
    """Whether the actor reads the visits under ``node`` by a role over it (workers: see the grids)."""
    return holds_role_over(actor, node, VISIT_ROLES)


def node_q(actor: Any, roles: frozenset[str], field: str) -> Q | None:
    """Rows whose ``field`` (a jurisdiction node carrying its ancestors) lies under one of the actor's
    nodes held with ``roles``; None when the actor holds none of them. ``field=""`` filters the
    jurisdiction nodes themselves."""
    own, prefix = (f"{field}_id", f"{field}__") if field else ("pk", "")
    parts = []
    for g in grants_of(actor):
        if g.role in roles and g.node_id is not None and g.node_kind:
            parts.append(Q(**{own: g.node_id}))
            if g.node_kind != "grid":
                parts.append(Q(**{f"{prefix}{g.node_kind}_id": g.node_id}))
    if not parts:
        return None
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return q


def command_nodes(actor: Any, roles: frozenset[str] = COVERAGE_ROLES) -> list[Jurisdiction]:
    """The nodes the actor holds one of ``roles`` on, highest level first."""
    ids = [g.node_id for g in grants_of(actor) if g.role in roles and g.node_id]
    order = {"city": 0, "district": 1, "street": 2, "community": 3, "grid": 4}
    nodes = list(Jurisdiction.objects.filter(pk__in=ids))
    return sorted(nodes, key=lambda n: (order.get(n.kind, 9), n.code))


def visit_scope_q(actor: Any, roles: frozenset[str] = VISIT_ROLES) -> Q | None:
    """Visits the actor may read: of the grids they work, or under the nodes they hold ``roles`` on
    (``VISIT_CONTACT_ROLES``: the visits whose names and phones they read in full)."""
    parts = []
    worked = worker_grid_ids(actor)
    if worked:
        parts.append(Q(grid_id__in=worked))
    commanded = node_q(actor, roles, "grid")
    if commanded is not None:
        parts.append(commanded)
    if not parts:
        return None
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return q
