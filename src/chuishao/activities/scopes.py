"""What the header shows of activities, decided from the grants alone (no queries)."""

from __future__ import annotations

from typing import Any

from chuishao.orgs.scopes import grants_of


def nav_activities(user: Any) -> bool:
    """ "Activities" (my activities; organisers and report readers find their pages from it) for everyone
    with a role: residents and party members sign up and check in, staff organise and read reports."""
    return bool(grants_of(user))
