"""Template helpers: the signed-in person's roles for the header."""

from __future__ import annotations

from django import template

from chuishao.orgs.models import Role
from chuishao.orgs.scopes import grants_of

register = template.Library()


@register.simple_tag
def role_labels(user) -> list[str]:
    """Each distinct role the person holds, in the order of ``Role``."""
    held = {g.role for g in grants_of(user)}
    return [str(label) for value, label in Role.choices if value in held]


@register.simple_tag
def is_staff_user(user) -> bool:
    return bool({g.role for g in grants_of(user)} - {Role.RESIDENT})
