"""Who may do what in a selection campaign, decided from the grants (``orgs.scopes.grants_of``).

- Organise (create, open, name reviewers, close the round, confirm the shortlist, answer objections,
  announce, cancel, read contacts, objectors and the audit trail): the city or district centre, an
  administrator or a leader on the campaign's node or above it.
- Recommend: a unit organiser for a unit inside the campaign's node, a street dispatcher for their
  street or community staff for their community inside it. The quota counts per unit, street or
  community.
- Review: the accounts the organiser named for the campaign.
- Object during the public notice: anyone signed in. Read a notice or an announced list: anyone.
"""

from __future__ import annotations

from typing import Any

from chuishao.orgs.models import OrgKind, Role
from chuishao.orgs.scopes import grants_of, holds_role_over

ORGANISER_ROLES = frozenset({Role.CITY_CENTRE, Role.DISTRICT_CENTRE, Role.ADMIN, Role.LEADER})
# The node kinds a campaign may be run from.
ORGANISER_NODE_KINDS = ("city", "district")
RECOMMENDER_NODE_ROLES = {Role.STREET_DISPATCHER: "street", Role.COMMUNITY_STAFF: "community"}


def organises(actor: Any, campaign: Any) -> bool:
    return holds_role_over(actor, campaign.node, ORGANISER_ROLES)


def may_organise_at(actor: Any, node: Any) -> bool:
    return node.kind in ORGANISER_NODE_KINDS and holds_role_over(actor, node, ORGANISER_ROLES)


def nav_campaigns(user: Any) -> bool:
    """The header links the campaigns page for every signed-in person with a role: organisers and
    recommenders act there, reviewers (any account the organiser names) find their scoring there, and
    everyone reads the public notices (and may object) and the announced results."""
    return bool(grants_of(user))


def unit_grants(actor: Any) -> list[int]:
    """The unit organisations the actor organises for."""
    return [
        g.organisation_id
        for g in grants_of(actor)
        if g.role == Role.UNIT_ORGANISER and g.organisation_id and g.organisation_kind == OrgKind.UNIT
    ]


def node_grants(actor: Any) -> list[int]:
    """The streets and communities the actor works for as a recommender."""
    return [
        g.node_id for g in grants_of(actor) if g.node_id and RECOMMENDER_NODE_ROLES.get(g.role) == g.node_kind
    ]
