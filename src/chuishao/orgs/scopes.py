"""A person's roles: their active memberships, flattened once per actor for cheap checks.

What those roles reach among cases is decided in ``cases.scopes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chuishao.actors import ApiClientActor, FollowLinkActor, SystemActor
from chuishao.orgs.models import Membership, Role


@dataclass(frozen=True)
class Grant:
    """One active membership, flattened for checks without further queries."""

    role: str
    node_id: int | None
    node_kind: str | None
    organisation_id: int | None
    # Read in the same query, so that pages can tell a complex board's staff from a department's.
    organisation_kind: str | None = None


def grants_of(actor: Any) -> tuple[Grant, ...]:
    """The actor's active memberships, read once per actor object."""
    if isinstance(actor, FollowLinkActor):
        return (Grant(Role.RESIDENT, None, None, None),)
    if (
        actor is None
        or isinstance(actor, SystemActor | ApiClientActor)
        or not getattr(actor, "is_authenticated", False)
    ):
        return ()
    cached = getattr(actor, "_chuishao_grants", None)
    if cached is None:
        rows = Membership.objects.filter(person_id=actor.pk, active=True).values_list(
            "role", "node_id", "node__kind", "organisation_id", "organisation__kind"
        )
        cached = tuple(Grant(*row) for row in rows)
        actor._chuishao_grants = cached
    return cached


def holds_role_over(actor: Any, node: Any, roles: frozenset[str]) -> bool:
    """Whether one of the actor's grants with ``roles`` sits on ``node`` or one of its ancestors."""
    ids = node.chain_ids()
    return any(
        g.role in roles and g.node_id is not None and ids.get(g.node_kind or "") == g.node_id
        for g in grants_of(actor)
    )


def roles_of(actor: Any) -> set[str]:
    return {g.role for g in grants_of(actor)}


# Roles that only concern the person themselves or dual reporting: they do not work cases.
NOT_CASE_STAFF = frozenset({Role.RESIDENT, Role.UNIT_ORGANISER})


def works_cases(actor: Any) -> bool:
    """Whether the actor holds a role that works cases (any but resident and unit organiser)."""
    return bool(roles_of(actor) - NOT_CASE_STAFF)
