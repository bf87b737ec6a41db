"""Admin pages of the activities app: read-only, every write goes through ``activities.services``."""

from __future__ import annotations

from django.contrib import admin

from chuishao.activities.models import Activity, AudienceFigure, Participation
from chuishao.events.admin_bases import ReadOnlyAdmin


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "organiser", "starts_at", "status", "capacity", "taken")
    list_filter = ("kind", "status", "audience")
    search_fields = ("title", "organiser__name", "organiser__code")
    list_select_related = ("organiser",)
    raw_id_fields = ("organiser", "created_by")


@admin.register(Participation)
class ParticipationAdmin(ReadOnlyAdmin):
    list_display = ("activity", "person", "holds_place", "presence", "method", "checked_in_at")
    list_filter = ("presence", "method")
    list_select_related = ("activity", "person")
    raw_id_fields = ("activity", "person")


@admin.register(AudienceFigure)
class AudienceFigureAdmin(ReadOnlyAdmin):
    list_display = ("activity", "measure", "count", "source", "recorded_at")
    raw_id_fields = ("activity", "recorded_by")
