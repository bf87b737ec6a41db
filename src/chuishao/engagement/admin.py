"""Admin pages of dual reporting.

Service posts, points rules, the city's policy and service centres are data an administrator keeps;
each save is recorded as an event. Registrations, tasks, service records and the points ledger are
shown read-only: they change only through the services (the ledger never changes at all).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict

from chuishao.engagement.models import (
    Claim,
    EngagementPolicy,
    PointEntry,
    PointRule,
    Registration,
    ServiceCentre,
    ServicePost,
    Task,
)
from chuishao.events.services import event_append


class RecordedAdmin(admin.ModelAdmin):
    """Every save appends an event with what the row was and what it became. Rows are not deleted here
    (a rule or post is switched off with ``active``), so nothing changes without its event."""

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = model_to_dict(type(obj).objects.get(pk=obj.pk)) if change else {}
            super().save_model(request, obj, form, change)
            event_append(
                verb=f"engagement.{obj._meta.model_name}_saved",
                actor=request.user,
                chain="catalog",
                before={k: str(v) for k, v in before.items()},
                after={k: str(v) for k, v in model_to_dict(obj).items()},
            )


@admin.register(ServicePost)
class ServicePostAdmin(RecordedAdmin):
    list_display = ["code", "name", "name_en", "order", "active"]


@admin.register(PointRule)
class PointRuleAdmin(RecordedAdmin):
    list_display = ["city", "code", "name", "post", "per_task", "per_hour", "cap", "cap_period", "active"]
    list_filter = ["active", "cap_period"]


@admin.register(EngagementPolicy)
class EngagementPolicyAdmin(RecordedAdmin):
    list_display = ["city", "reregister_months", "unregistered_grade"]


@admin.register(ServiceCentre)
class ServiceCentreAdmin(RecordedAdmin):
    list_display = ["name", "node", "address", "opening_hours"]
    search_fields = ["name", "address"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ["kind", "person", "unit", "node", "status", "registered_at", "expires_on"]
    list_filter = ["kind", "status"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["title", "node", "post", "starts_at", "capacity", "claimed", "status"]
    list_filter = ["status"]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["task", "person", "status", "hours", "confirmed_at"]
    list_filter = ["status"]


@admin.register(PointEntry)
class PointEntryAdmin(ReadOnlyAdmin):
    list_display = ["person", "kind", "points", "served_on", "unit", "node", "reason", "created_at"]
    list_filter = ["kind"]
