"""Who writes exemplary cases for which organisation, who reviews them, and who sees what.

Writing: the people who act for an author organisation —

- anyone whose membership is scoped to the organisation itself (department staff of a department, a
  street office or a community committee; the unit organiser of a unit);
- community staff for their community's residents' committee and party organisation;
- street dispatchers for their street office and the street's party working committee;
- a unit organiser also for the party branch attached to their unit.

Reviewing (publish, return, unpublish): the city or district command centre, a leader at city or
district level, or the administrator (who holds the city centre's reach everywhere, see
docs/security.md), whose node is the exemplar's region or above it. Nobody reviews an exemplar they
wrote.

Reading: published exemplars are public (anonymous visitors included); the author organisation's people
see their own in every state; reviewers see every exemplar past draft in their area.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from chuishao.geo.models import Jurisdiction
from chuishao.library.models import AUTHOR_ORG_KINDS
from chuishao.orgs.models import Organisation, OrgKind, Role
from chuishao.orgs.scopes import grants_of

REVIEWER_ROLES = frozenset({Role.CITY_CENTRE, Role.DISTRICT_CENTRE, Role.LEADER, Role.ADMIN})
REVIEWER_NODE_KINDS = frozenset({"city", "district"})
# Roles whose membership on an author organisation makes them write for it.
ORG_ROLES = frozenset({Role.DEPARTMENT_STAFF, Role.UNIT_ORGANISER})
# The node role that writes for the organisations of that node, and which kinds of organisation.
NODE_AUTHORS = {
    Role.COMMUNITY_STAFF: ("community", (OrgKind.COMMUNITY_COMMITTEE, OrgKind.PARTY_ORG)),
    Role.STREET_DISPATCHER: ("street", (OrgKind.STREET_OFFICE, OrgKind.PARTY_ORG)),
}


def subtree_q(node: Jurisdiction, prefix: str = "") -> Q:
    """Rows whose node is ``node`` or under it; ``prefix`` names the foreign key ("" for Jurisdiction)."""
    pk_field = f"{prefix}_id" if prefix else "pk"
    below = f"{prefix}__{node.kind}_id" if prefix else f"{node.kind}_id"
    if node.kind == "grid":
        return Q(**{pk_field: node.pk})
    return Q(**{pk_field: node.pk}) | Q(**{below: node.pk})


def _author_q(actor: Any) -> Q | None:
    grants = grants_of(actor)
    q = Q()
    found = False
    org_ids = [g.organisation_id for g in grants if g.role in ORG_ROLES and g.organisation_id]
    if org_ids:
        q |= Q(pk__in=org_ids)
        found = True
    unit_ids = [g.organisation_id for g in grants if g.role == Role.UNIT_ORGANISER and g.organisation_id]
    if unit_ids:
        q |= Q(kind=OrgKind.PARTY_ORG, attached_unit_id__in=unit_ids)
    for role, (node_kind, kinds) in NODE_AUTHORS.items():
        nodes = [g.node_id for g in grants if g.role == role and g.node_kind == node_kind and g.node_id]
        if nodes:
            # A party organisation of a unit or a complex belongs to them, not to the node.
            q |= Q(kind__in=kinds, jurisdiction_id__in=nodes, attached_unit__isnull=True,
                   attached_complex__isnull=True)  # fmt: skip
            found = True
    return q if found else None


def author_orgs(actor: Any):
    """The (not dissolved) organisations the actor writes exemplary cases for."""
    q = _author_q(actor)
    if q is None:
        return Organisation.objects.none()
    return (
        Organisation.objects.filter(q, kind__in=AUTHOR_ORG_KINDS, dissolved_on__isnull=True)
        .select_related("jurisdiction")
        .order_by("kind", "code")
    )


def writes_for(actor: Any, organisation: Organisation) -> bool:
    return author_orgs(actor).filter(pk=organisation.pk).exists()


def reviewer_grants(actor: Any) -> list:
    return [
        g
        for g in grants_of(actor)
        if g.role in REVIEWER_ROLES and g.node_kind in REVIEWER_NODE_KINDS and g.node_id is not None
    ]


def reviews(actor: Any, region: Jurisdiction) -> bool:
    """Whether the actor reviews exemplars of ``region`` (a reviewer role at city/district level above)."""
    ids = region.chain_ids()
    return any(ids.get(g.node_kind or "") == g.node_id for g in reviewer_grants(actor))


def review_area_q(actor: Any, prefix: str = "region") -> Q | None:
    """Exemplars (through ``prefix``) in the areas the actor reviews; None when they review nothing."""
    grants = reviewer_grants(actor)
    if not grants:
        return None
    q = Q()
    for g in grants:
        q |= Q(**{f"{prefix}_id": g.node_id}) | Q(**{f"{prefix}__{g.node_kind}_id": g.node_id})
    return q


def nav_library(user: Any) -> bool:
    """Whether the header shows the library's work links ("our exemplary cases" and/or "review queue"),
    from grants only. The public library itself is for everyone and may be linked unconditionally."""
    return nav_library_write(user) or nav_review(user)


def nav_library_write(user: Any) -> bool:
    """Whether the person writes for an author organisation ("our exemplary cases"), from grants only."""
    for g in grants_of(user):
        if g.role in ORG_ROLES and g.organisation_kind in AUTHOR_ORG_KINDS:
            return True
        if g.role in NODE_AUTHORS and g.node_kind == NODE_AUTHORS[g.role][0]:
            return True
    return False


def nav_review(user: Any) -> bool:
    """Whether the person has a review queue (from grants only)."""
    return bool(reviewer_grants(user))
