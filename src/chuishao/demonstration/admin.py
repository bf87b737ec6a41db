"""Admin pages of the demonstration programme: read-only, every row is written through its services."""

from __future__ import annotations

from django.contrib import admin

from chuishao.demonstration.models import Programme, QuotaOverride, Review, Unit
from chuishao.events.admin_bases import ReadOnlyAdmin


@admin.register(Programme)
class ProgrammeAdmin(ReadOnlyAdmin):
    list_display = ("name", "owner_node", "level", "quota", "created_at")
    list_filter = ("level",)
    search_fields = ("name", "name_en")
    raw_id_fields = ("owner_node", "created_by")


@admin.register(QuotaOverride)
class QuotaOverrideAdmin(ReadOnlyAdmin):
    list_display = ("programme", "region", "quota", "set_at")
    raw_id_fields = ("programme", "region", "set_by")


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ("node", "programme", "region", "active", "named_at", "dropped_year")
    list_filter = ("active", "programme")
    search_fields = ("node__name", "node__code")
    raw_id_fields = ("programme", "node", "region", "named_by")


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ("unit", "year", "proposed", "outcome", "decided_at")
    list_filter = ("year", "proposed", "outcome")
    raw_id_fields = ("unit", "computed_by", "decided_by")
