"""Who reads the mining and takes problems on, and who works on a problem.

- Mining and taking on: the city centre, leaders of the city and administrators for the whole city;
  a district centre and a district's leaders for their district (``miner_nodes``).
- A problem's page: those miners over the problem's area, and the department staff of its lead and
  assisting organisations; a task is marked done by the staff of the task's owner.
"""

from __future__ import annotations

from typing import Any

from chuishao.orgs.models import Role
from chuishao.orgs.scopes import grants_of

MINER_ROLES = frozenset({Role.ADMIN, Role.CITY_CENTRE, Role.DISTRICT_CENTRE, Role.LEADER})
MINER_NODE_KINDS = frozenset({"city", "district"})


def miner_node_ids(actor: Any) -> dict[str, set[int]]:
    """The city and district nodes the actor mines over, by kind (no query)."""
    found: dict[str, set[int]] = {"city": set(), "district": set()}
    for g in grants_of(actor):
        if g.role in MINER_ROLES and g.node_kind in MINER_NODE_KINDS and g.node_id is not None:
            found[g.node_kind].add(g.node_id)
    return found


def mines_over(actor: Any, node: Any) -> bool:
    """Whether the actor mines (and takes on problems) over ``node`` (a city, district or street)."""
    ids = miner_node_ids(actor)
    chain = node.chain_ids()
    return chain.get("city") in ids["city"] or chain.get("district") in ids["district"]


def staff_org_ids(actor: Any) -> set[int]:
    """The organisations the actor works for as department staff."""
    return {
        g.organisation_id
        for g in grants_of(actor)
        if g.role == Role.DEPARTMENT_STAFF and g.organisation_id is not None
    }


def nav_monthly(user: Any) -> bool:
    """Header link to 每月一题: miners (the mining page) and department staff (their problems)."""
    return any(
        (g.role in MINER_ROLES and g.node_kind in MINER_NODE_KINDS) or g.role == Role.DEPARTMENT_STAFF
        for g in grants_of(user)
    )
