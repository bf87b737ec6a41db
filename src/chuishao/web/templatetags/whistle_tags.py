"""Template helpers for the whistle pages: which whistle links the header shows."""

from __future__ import annotations

from django import template

from chuishao.notify.selectors import unread_count
from chuishao.orgs.models import Role
from chuishao.orgs.scopes import NOT_CASE_STAFF, grants_of

register = template.Library()


@register.simple_tag
def whistle_nav(user) -> dict[str, bool]:
    """``whistles``: roles that can see whistles (every staff role); ``summons``: department staff."""
    roles = {g.role for g in grants_of(user)}
    return {"whistles": bool(roles - NOT_CASE_STAFF), "summons": Role.DEPARTMENT_STAFF in roles}


@register.simple_tag
def unread_notifications(user) -> int:
    return unread_count(user) if getattr(user, "is_authenticated", False) else 0
