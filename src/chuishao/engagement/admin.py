"""Admin pages of dual reporting.

Service posts, points rules, the city's policy and service centres are data an administrator keeps;
each save is recorded as an event. Registrations, tasks, service records and the points ledger are
shown read-only: they change only through the services (the ledger never changes at all).
"""

from __future__ import annotations

from django.contrib import admin

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
from chuishao.events.admin_bases import ReadOnlyAdmin, RecordedAdmin


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
