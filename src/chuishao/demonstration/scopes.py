"""Who may do what in the demonstration programme.

- Run a programme (create it, set quotas, name units, review): the programme's owner, i.e. a city
  centre, leader or administrator over the programme's owner node, which is the city or a district (so
  a district centre runs its own district's programme, never the city's).
- Read a unit (its goals, reviews and evidence): staff of the unit's node and the levels above
  (community staff, street dispatchers, district and city centres), leaders and administrators.
- Read a programme: its owners, and readers with a node inside the programme's area; they see the
  quota figures of every region but only the units they may read.
"""

from __future__ import annotations

from typing import Any

from chuishao.orgs.models import Role
from chuishao.orgs.scopes import grants_of, holds_role_over

OWNER_ROLES = frozenset({Role.CITY_CENTRE, Role.DISTRICT_CENTRE, Role.LEADER, Role.ADMIN})
READER_ROLES = OWNER_ROLES | {Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER}


def may_run(actor: Any, programme: Any) -> bool:
    return holds_role_over(actor, programme.owner_node, OWNER_ROLES)


def may_read_unit(actor: Any, unit: Any) -> bool:
    return holds_role_over(actor, unit.node, READER_ROLES)


def reader_node_ids(actor: Any) -> set[int]:
    return {g.node_id for g in grants_of(actor) if g.role in READER_ROLES and g.node_id}


def nav_demonstration(user: Any) -> bool:
    """The header links the demonstration programmes for staff from community up, and leaders."""
    return any(g.role in READER_ROLES and g.node_id for g in grants_of(user))
