"""Read-only admin views of cases and events: every change goes through the case services."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from chuishao.actors import label_display
from chuishao.cases.models import Case
from chuishao.events.models import Checkpoint, Event


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("number", "category", "status", "street", "lead_org", "deadline_at", "created_at")
    list_filter = ("status", "source", "priority", "boundary_case")
    search_fields = ("number", "description")
    date_hierarchy = "created_at"
    list_select_related = ("category", "street", "lead_org")
    exclude = ("reporter_phone", "follow_token")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("id", "chain", "seq", "verb", "actor", "created_at")
    list_filter = ("verb",)
    search_fields = ("chain",)

    @admin.display(description=_("actor"), ordering="actor_label")
    def actor(self, obj: Event) -> str:
        return label_display(obj.actor_label)


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ("id", "first_event_id", "last_event_id", "event_count", "created_at")
