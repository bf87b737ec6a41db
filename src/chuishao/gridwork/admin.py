"""Admin pages of grid work.

A city's policy (after how many days an unpatrolled grid is stale) is data an administrator keeps;
each save is recorded as an event. Beats and patrols are shown read-only: they change only through
the services. Visits (personal data) are not in the admin at all: they are read through the pages,
by the grid's chain of command.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict

from chuishao.events.services import event_append
from chuishao.gridwork.models import GridworkPolicy, Patrol, ResponsibilityGrid


@admin.register(GridworkPolicy)
class GridworkPolicyAdmin(admin.ModelAdmin):
    list_display = ["city", "stale_days"]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = model_to_dict(type(obj).objects.get(pk=obj.pk)) if change else {}
            super().save_model(request, obj, form, change)
            event_append(
                verb="gridwork.policy_set",
                actor=request.user,
                chain=f"gridwork:{obj.city_id}",
                city_id=obj.city_id,
                before={k: str(v) for k, v in before.items()},
                after={k: str(v) for k, v in model_to_dict(obj).items()},
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ResponsibilityGrid)
class ResponsibilityGridAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "community", "worker", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]


@admin.register(Patrol)
class PatrolAdmin(ReadOnlyAdmin):
    list_display = ["worker", "community", "started_at", "ended_at", "distance_m"]
    exclude = ["track"]
