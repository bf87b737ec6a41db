"""Admin pages of the party app."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from chuishao.party.models import PartyMember

# ------------------------------------------------------------------------ members of party organisations


@admin.register(PartyMember)
class PartyMemberAdmin(admin.ModelAdmin):
    """Read-only: secretaries and members are added and ended through ``party.members`` (each with its
    event) on the party organisation's page, never edited or deleted here."""

    list_display = ("name", "role", "party_org", "since", "until", "person")
    list_filter = ("role", ("until", admin.EmptyFieldListFilter))
    search_fields = ("name", "party_org__name", "party_org__code", "person__username")
    list_select_related = ("party_org", "person")
    raw_id_fields = ("party_org", "person")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
