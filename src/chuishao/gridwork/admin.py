"""Admin pages of grid work.

A city's policy (after how many days an unpatrolled grid is stale) is data an administrator keeps;
each save is recorded as an event. Beats and patrols are shown read-only: they change only through
the services. Visits (personal data) are not in the admin at all: they are read through the pages,
by the grid's chain of command.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from chuishao.events.admin_bases import ReadOnlyAdmin, RecordedAdmin
from chuishao.gridwork.models import GridworkPolicy, Patrol, ResponsibilityGrid


@admin.register(GridworkPolicy)
class GridworkPolicyAdmin(RecordedAdmin):
    list_display = ["city", "stale_days"]

    def event_chain(self, obj: Any) -> tuple[str, int | None]:
        return f"gridwork:{obj.city_id}", obj.city_id

    def event_verb(self, obj: Any) -> str:
        return "gridwork.policy_set"


@admin.register(ResponsibilityGrid)
class ResponsibilityGridAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "community", "worker", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]


@admin.register(Patrol)
class PatrolAdmin(ReadOnlyAdmin):
    list_display = ["worker", "community", "started_at", "ended_at", "distance_m"]
    exclude = ["track"]
