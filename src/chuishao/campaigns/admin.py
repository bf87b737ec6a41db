"""Admin pages of the campaigns app: read-only, since every write goes through
``chuishao.campaigns.services`` with its event. Scores are not registered at all: they stay sealed
until the round closes, and the campaign's page shows them after that."""

from __future__ import annotations

from django.contrib import admin

from chuishao.campaigns.models import Campaign, Candidate, Objection
from chuishao.events.admin_bases import ReadOnlyAdmin


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("title", "node", "status", "places", "recommend_until", "announce_on")
    list_filter = ("status",)
    search_fields = ("title",)
    list_select_related = ("node",)
    raw_id_fields = ("node", "created_by", "exemplars")


@admin.register(Candidate)
class CandidateAdmin(ReadOnlyAdmin):
    list_display = ("name", "unit", "campaign", "shortlisted", "removed")
    list_filter = ("shortlisted", "removed")
    search_fields = ("name", "unit", "campaign__title")
    list_select_related = ("campaign",)
    raw_id_fields = ("campaign", "by_org", "by_node", "recommended_by")


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ("candidate", "lodged_at", "answer", "answered_at")
    list_filter = ("answer",)
    list_select_related = ("candidate",)
    raw_id_fields = ("candidate", "lodged_by", "replacement")
