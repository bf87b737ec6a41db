"""Who may do what in dual reporting.

Managers are community staff and the levels above them (street, district, city centres, administrators):
they confirm registrations, post needs, make tasks, confirm service and evaluate members, each in the
nodes under their own. Unit party organisers act for their unit. Any signed-in person may register
as a member and, once confirmed, claim tasks in their community; residents post small wishes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Role
from chuishao.orgs.scopes import grants_of, holds_role_over

MANAGER_ROLES = frozenset(
    {Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_CENTRE, Role.CITY_CENTRE, Role.ADMIN}
)


def manages(actor: Any, node: Jurisdiction) -> bool:
    """Whether one of the actor's manager roles is scoped to ``node`` or an ancestor of it."""
    return holds_role_over(actor, node, MANAGER_ROLES)


def managed_q(actor: Any, field: str = "node") -> Q:
    """Rows whose ``field`` lies under a node the actor manages (matches nothing for non-managers);
    ``field=""`` filters the jurisdiction nodes themselves."""
    own, prefix = (f"{field}_id", f"{field}__") if field else ("pk", "")
    q = Q(pk__in=[])
    for g in grants_of(actor):
        if g.role in MANAGER_ROLES and g.node_id is not None and g.node_kind:
            q |= Q(**{own: g.node_id})
            if g.node_kind != "community":
                q |= Q(**{f"{prefix}{g.node_kind}_id": g.node_id})
    return q


def is_manager(actor: Any) -> bool:
    return any(g.role in MANAGER_ROLES for g in grants_of(actor))


def units_of(actor: Any) -> set[int]:
    """The units the actor organises for."""
    return {
        g.organisation_id
        for g in grants_of(actor)
        if g.role == Role.UNIT_ORGANISER and g.organisation_id is not None
    }


def organises(actor: Any, unit_id: int) -> bool:
    return unit_id in units_of(actor)
