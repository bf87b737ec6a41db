"""Admin pages of the exemplary-case library: read-only, since every change goes through
``library.services`` (each with its event) on the library's pages."""

from __future__ import annotations

from django.contrib import admin

from chuishao.events.admin_bases import ReadOnlyAdmin
from chuishao.library.models import Exemplar, ExemplarAttachment, ExemplarResult, ExemplarTerm, Tag


@admin.register(Exemplar)
class ExemplarAdmin(ReadOnlyAdmin):
    list_display = ("title", "organisation", "region", "status", "submitted_at", "published_at")
    list_filter = ("status", "organisation__kind")
    search_fields = ("title", "organisation__name", "organisation__code", "region__code")
    list_select_related = ("organisation", "region")
    raw_id_fields = ("organisation", "author", "region", "published_by")
    date_hierarchy = "updated_at"


@admin.register(ExemplarResult)
class ExemplarResultAdmin(ReadOnlyAdmin):
    list_display = ("exemplar", "label", "value", "unit")
    search_fields = ("label", "exemplar__title")
    list_select_related = ("exemplar",)


@admin.register(ExemplarAttachment)
class ExemplarAttachmentAdmin(ReadOnlyAdmin):
    list_display = ("name", "exemplar", "content_type", "size", "uploaded_at")
    list_select_related = ("exemplar",)
    raw_id_fields = ("exemplar", "uploaded_by")


@admin.register(ExemplarTerm)
class ExemplarTermAdmin(ReadOnlyAdmin):
    list_display = ("term", "field", "weight", "exemplar")
    list_filter = ("field",)
    search_fields = ("term",)
    list_select_related = ("exemplar",)


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    list_display = ("name",)
    search_fields = ("name",)
