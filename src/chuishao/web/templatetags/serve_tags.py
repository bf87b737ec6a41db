"""What the dual-reporting pages show in their navigation."""

from __future__ import annotations

from typing import Any

from django import template

from chuishao.engagement.scopes import is_manager, units_of

register = template.Library()


@register.simple_tag
def serve_nav(user: Any) -> dict[str, bool]:
    if not getattr(user, "is_authenticated", False):
        return {"manager": False, "unit": False}
    return {"manager": is_manager(user), "unit": bool(units_of(user))}


@register.filter
def hours(value: Any) -> str:
    """Hours without trailing zeros: 1.50 → 1.5, 3.00 → 3."""
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"
