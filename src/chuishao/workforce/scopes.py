"""Who may do what with community workers and the admission register.

Community workers' grades are run by the street and the district (the community reads its own
roster). Departments, streets and the district and city centres ask to push work down to communities;
the district or city centre admits it (a requester never decides their own request). Everyone whose
node lies on a request's way down — the communities receiving it and the levels above them — reads it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation, OrgKind, Role
from chuishao.orgs.scopes import grants_of, holds_role_over

ROSTER_READERS = frozenset(
    {
        Role.COMMUNITY_STAFF,
        Role.STREET_DISPATCHER,
        Role.DISTRICT_CENTRE,
        Role.CITY_CENTRE,
        Role.LEADER,
        Role.ADMIN,
    }
)
ROSTER_WRITERS = frozenset({Role.STREET_DISPATCHER, Role.DISTRICT_CENTRE, Role.CITY_CENTRE, Role.ADMIN})
REQUESTERS = frozenset(
    {Role.DEPARTMENT_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_CENTRE, Role.CITY_CENTRE, Role.ADMIN}
)
DECIDERS = frozenset({Role.DISTRICT_CENTRE, Role.CITY_CENTRE, Role.ADMIN})


def nodes_q(actor: Any, roles: frozenset[str]) -> Q:
    """Jurisdiction nodes at or under a node where the actor holds one of ``roles``."""
    q = Q(pk__in=[])
    for g in grants_of(actor):
        if g.role in roles and g.node_id is not None and g.node_kind:
            q |= Q(pk=g.node_id)
            if g.node_kind not in ("community", "grid"):
                q |= Q(**{f"{g.node_kind}_id": g.node_id})
    return q


def holds(actor: Any, roles: frozenset[str]) -> bool:
    return any(g.role in roles for g in grants_of(actor))


def requesting_orgs(actor: Any) -> list[Organisation]:
    """The departments the actor may ask on behalf of."""
    # A complex board's members act on its cases as department staff, but push no work onto communities.
    ids = [
        g.organisation_id
        for g in grants_of(actor)
        if g.role == Role.DEPARTMENT_STAFF
        and g.organisation_id
        and g.organisation_kind != OrgKind.COMPLEX_BOARD
    ]
    return list(Organisation.objects.filter(pk__in=ids).select_related("jurisdiction"))


def may_request(actor: Any, scope: Jurisdiction, org: Organisation | None) -> bool:
    """A department asks for communities under the node it serves; centres and streets for their own."""
    if org is not None:
        if org.pk not in {o.pk for o in requesting_orgs(actor)}:
            return False
        return scope.chain_ids().get(org.jurisdiction.kind) == org.jurisdiction_id
    return holds_role_over(actor, scope, REQUESTERS - {Role.DEPARTMENT_STAFF})


def admissions_q(actor: Any) -> Q:
    """Requests the actor may read: their own, and those whose scope is on the way down to a node they
    hold (the scope is that node, above it, or under it)."""
    if not getattr(actor, "is_authenticated", False):
        return Q(pk__in=[])
    q = Q(requested_by_id=actor.pk)
    for g in grants_of(actor):
        if g.role == Role.DEPARTMENT_STAFF and g.organisation_id is not None:
            q |= Q(requesting_org_id=g.organisation_id)
        if g.role not in ROSTER_READERS | DECIDERS | REQUESTERS or g.node_id is None or not g.node_kind:
            continue
        # Above or at the node: the scope is one of the node's ancestors (or the node).
        q |= Q(scope_id=g.node_id)
        if g.node_kind != "city":
            node_ancestors = Jurisdiction.objects.filter(pk=g.node_id).values_list(
                "city_id", "district_id", "street_id"
            )
            q |= Q(scope_id__in=[pk for row in node_ancestors for pk in row if pk])
        if g.node_kind not in ("community", "grid"):
            q |= Q(**{f"scope__{g.node_kind}_id": g.node_id})
    return q
