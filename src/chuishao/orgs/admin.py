"""Admin for organisations and memberships; membership changes go through the services."""

from django.contrib import admin

from chuishao.actors import SYSTEM
from chuishao.orgs.models import Membership, Organisation, Profile
from chuishao.orgs.services import membership_grant, membership_revoke


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "dept_type", "jurisdiction")
    list_filter = ("kind", "dept_type")
    search_fields = ("code", "name", "name_en")
    raw_id_fields = ("jurisdiction", "parent", "attached_complex", "attached_unit")
    filter_horizontal = ("complexes",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("person", "role", "node", "organisation", "active")
    list_filter = ("role", "active")
    search_fields = ("person__username", "node__code", "organisation__code")
    raw_id_fields = ("person", "node", "organisation")
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a role is granted or revoked (with an event), never edited in place

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        granted = membership_grant(
            actor=request.user or SYSTEM,
            person=obj.person,
            role=obj.role,
            node=obj.node,
            organisation=obj.organisation,
        )
        obj.pk = granted.pk

    @admin.action(description="Revoke the selected roles")
    def revoke(self, request, queryset) -> None:
        for membership in queryset.filter(active=True):
            membership_revoke(actor=request.user, membership=membership, reason="revoked in the admin")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("person", "display_name")
    search_fields = ("person__username", "display_name")
    raw_id_fields = ("person",)
