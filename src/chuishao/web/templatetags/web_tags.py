"""Template helpers: the signed-in person's roles for the header."""

from __future__ import annotations

from django import template

from chuishao.orgs.models import Role
from chuishao.orgs.scopes import grants_of, works_cases

register = template.Library()


@register.simple_tag
def role_labels(user) -> list[str]:
    """Each distinct role the person holds, in the order of ``Role``."""
    held = {g.role for g in grants_of(user)}
    return [str(label) for value, label in Role.choices if value in held]


@register.simple_tag
def is_staff_user(user) -> bool:
    return works_cases(user)


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key, [])


@register.filter
def get_rate(mapping, key):
    """A value of a mapping, or None when it has none (a rate without a denominator)."""
    return (mapping or {}).get(key)


@register.simple_tag
def has_grid(user) -> bool:
    return any(g.role == Role.GRID_WORKER and g.node_id for g in grants_of(user))


@register.simple_tag
def community_work_nav(user) -> dict[str, bool]:
    """Which of the community-work pages (grid work, party organisations, workers, admissions,
    generated reports) the person can open; the header groups them in one menu."""
    from chuishao.gridwork import scopes as grid_scopes
    from chuishao.party.boards import reads_boards
    from chuishao.party.coverage import COVERAGE_ROLES
    from chuishao.workforce.scopes import REQUESTERS, ROSTER_READERS

    held = {g.role for g in grants_of(user) if g.node_id or g.organisation_id}
    with_node = {g.role for g in grants_of(user) if g.node_id}
    readers = bool(held & ROSTER_READERS)
    nav = {
        "patrols": bool(with_node & grid_scopes.COVERAGE_ROLES),
        # From the grants alone (the header must not query): a beat's worker without a grid-worker
        # role reaches the visits from their grid page.
        "visits": bool(with_node & (grid_scopes.COMMAND_ROLES | {Role.GRID_WORKER})),
        "party": bool(with_node & COVERAGE_ROLES),
        "boards": reads_boards(user),
        "workers": readers,
        "admissions": readers or bool(held & REQUESTERS),
        "reports": readers,
    }
    nav["any"] = any(nav.values())
    return nav


@register.simple_tag
def party_work_nav(user) -> dict[str, bool]:
    """Which party-building pages (activities, selection campaigns, the exemplary-case library and its
    review, the demonstration programme, 每月一题) the header menu links; from grants only. The library
    and the announced campaigns are public, so the menu is there for everyone."""
    from chuishao.activities.scopes import nav_activities
    from chuishao.demonstration.scopes import nav_demonstration
    from chuishao.library.scopes import nav_library_write, nav_review
    from chuishao.monthly.scopes import miner_node_ids, nav_monthly

    signed_in = bool(getattr(user, "is_authenticated", False))
    miner = signed_in and any(miner_node_ids(user).values())
    return {
        "activities": signed_in and nav_activities(user),
        "library_write": signed_in and nav_library_write(user),
        "library_review": signed_in and nav_review(user),
        "demonstration": signed_in and nav_demonstration(user),
        "mining": miner,
        "problems": signed_in and not miner and nav_monthly(user),
    }


@register.simple_tag
def has_dashboard(user) -> bool:
    from chuishao.web.dashboard import DASHBOARD_ROLES

    return any(g.role in DASHBOARD_ROLES and g.node_id for g in grants_of(user))


@register.filter
def local(item, field: str = "name") -> str:
    """A catalogue text in the page's language: ``name_en``/``label_en`` in English when present."""
    from django.utils.translation import get_language

    get = item.get if isinstance(item, dict) else lambda f, d="": getattr(item, f, d)
    if (get_language() or "").startswith("en"):
        return get(f"{field}_en", "") or get(field, "")
    return get(field, "")
