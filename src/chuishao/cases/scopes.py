"""What a person's memberships let them reach among cases: the scope of every case read and write.

A membership scoped to a node reaches every case located under that node; department staff reach
the cases their organisation leads, assists or once worked on, or was summoned to by a whistle; a
street or district that co-owns a joint whistle reaches its cases across the line; a resident
reaches the cases they reported; a follow link reaches its one case.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from chuishao.actors import FollowLinkActor, SystemActor
from chuishao.cases.models import CaseAssignment, WhistleParty, WhistleSummons
from chuishao.orgs.models import Role
from chuishao.orgs.scopes import Grant, grants_of

# The case column a node-scoped role is compared with, by the node's kind.
NODE_COLUMN = {
    "city": "city_id",
    "district": "district_id",
    "street": "street_id",
    "community": "community_id",
    "grid": "grid_id",
}
CENTRE_ROLES = {Role.STREET_DISPATCHER, Role.DISTRICT_CENTRE, Role.CITY_CENTRE}
# Node kinds whose grants also reach the cases of joint whistles they co-own (the party column).
PARTY_COLUMN = {"street": "street_id", "district": "district_id"}


def grant_reaches(grant: Grant, case: Any) -> bool:
    """Whether this grant's scope covers the case (not whether its role may act on it)."""
    if grant.role == Role.RESIDENT:
        return False  # a resident's reach depends on who they are: see ``_reaches``
    if grant.role == Role.DEPARTMENT_STAFF:
        return grant.organisation_id is not None and grant.organisation_id in _case_org_ids(case)
    if grant.node_id is None or grant.node_kind not in NODE_COLUMN:
        return False
    if getattr(case, NODE_COLUMN[grant.node_kind]) == grant.node_id:
        return True
    return grant.node_kind in PARTY_COLUMN and grant.node_id in _party_node_ids(case, grant.node_kind)


def _party_node_ids(case: Any, kind: str) -> set[int]:
    """Streets or districts co-owning a whistle on the case (cached on the instance)."""
    if getattr(case, "pk", None) is None:
        return set()
    cache = getattr(case, "_party_nodes", None)
    if cache is None:
        rows = WhistleParty.objects.filter(whistle__cases=case.pk).values_list("street_id", "district_id")
        cache = {"street": {r[0] for r in rows}, "district": {r[1] for r in rows}}
        case._party_nodes = cache
    return cache[kind]


def _case_org_ids(case: Any) -> set[int]:
    """Organisations that lead the case or were ever assigned to it (a department that returned a case
    still sees what it returned: the record of the dispute is theirs too)."""
    ids = {case.lead_org_id} if case.lead_org_id else set()
    if getattr(case, "pk", None) is None:
        return ids
    cached = getattr(case, "_worked_org_ids", None)
    if cached is None:
        cached = set(case.assignments.values_list("organisation_id", flat=True))
        cached |= set(
            WhistleSummons.objects.filter(whistle__cases=case.pk).values_list("organisation_id", flat=True)
        )
        case._worked_org_ids = cached
    return ids | cached


# The cases a grant reaches through whistles and assignments are few; they enter the scope as a list of
# ids, so that ``street_id = X OR id IN (…)`` stays two index scans. A correlated EXISTS in that OR made
# PostgreSQL scan every case for each desk page (docs/benchmarks.md). Past this many ids the scope keeps
# the EXISTS: still exact, only slower.
ID_LIST_LIMIT = 2000


def _ids_or_exists(ids_query: Any, exists: Exists) -> Q | None:
    """``pk IN (ids)`` for the ids ``ids_query`` lists (None when it lists none), or ``exists`` when many."""
    ids = {i for i in ids_query[: ID_LIST_LIMIT + 1] if i is not None}
    if not ids:
        return None
    if len(ids) > ID_LIST_LIMIT:
        return Q(exists)
    return Q(pk__in=sorted(ids))


def case_scope_q(actor: Any) -> Q | None:
    """A filter on ``cases.Case`` matching exactly the cases the actor may see; None means nothing."""
    if isinstance(actor, SystemActor):
        return Q()
    if isinstance(actor, FollowLinkActor):
        return Q(pk=actor.case_id)
    parts: list[Q | None] = []
    for grant in grants_of(actor):
        if grant.role == Role.RESIDENT:
            parts.append(Q(reporter_id=actor.pk))
        elif grant.role == Role.DEPARTMENT_STAFF and grant.organisation_id:
            org = grant.organisation_id
            parts.append(Q(lead_org_id=org))
            assigned = CaseAssignment.objects.filter(organisation_id=org)
            parts.append(
                _ids_or_exists(
                    assigned.values_list("case_id", flat=True).distinct(),
                    Exists(assigned.filter(case_id=OuterRef("pk"))),
                )
            )
            summoned = WhistleSummons.objects.filter(organisation_id=org)
            parts.append(
                _ids_or_exists(
                    summoned.values_list("whistle__cases", flat=True).distinct(),
                    Exists(summoned.filter(whistle__cases=OuterRef("pk"))),
                )
            )
        elif grant.node_id and grant.node_kind in NODE_COLUMN:
            parts.append(Q(**{NODE_COLUMN[grant.node_kind]: grant.node_id}))
            if grant.node_kind in PARTY_COLUMN:
                party = WhistleParty.objects.filter(**{PARTY_COLUMN[grant.node_kind]: grant.node_id})
                parts.append(
                    _ids_or_exists(
                        party.values_list("whistle__cases", flat=True).distinct(),
                        Exists(party.filter(whistle__cases=OuterRef("pk"))),
                    )
                )
    found = [p for p in parts if p is not None]
    if not found:
        return None
    q = found[0]
    for part in found[1:]:
        q |= part
    return q


def actor_can_see_case(actor: Any, case: Any) -> bool:
    if isinstance(actor, SystemActor):
        return True
    return any(_reaches(actor, grant, case) for grant in grants_of(actor))


def _reaches(actor: Any, grant: Grant, case: Any) -> bool:
    if isinstance(actor, FollowLinkActor):
        return grant.role == Role.RESIDENT and case.pk == actor.case_id
    if grant.role == Role.RESIDENT:
        return case.reporter_id is not None and case.reporter_id == actor.pk
    return grant_reaches(grant, case)


def acting_grant(
    actor: Any, case: Any, roles: frozenset[str] | set[str], *, lead_only: bool = False
) -> Grant | None:
    """The first of the actor's grants with one of ``roles`` whose scope covers the case."""
    for grant in grants_of(actor):
        if grant.role not in roles:
            continue
        if grant.role == Role.DEPARTMENT_STAFF and lead_only:
            if grant.organisation_id and grant.organisation_id == case.lead_org_id:
                return grant
            continue
        if _reaches(actor, grant, case):
            return grant
    return None
