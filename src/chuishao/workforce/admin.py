"""Admin pages of the workforce app.

The grade bands and pay coefficients are data an administrator keeps; each save is recorded as an
event. Workers, their grade history and the admission register are read-only here: they change only
through the services, which check who acts and keep the bands' rules.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict

from chuishao.events.services import event_append
from chuishao.workforce.models import Admission, CommunityWorker, GradeChange, GradePay, PostScale


class RecordedAdmin(admin.ModelAdmin):
    """Every save appends an event with what the row was and what it became; rows are not deleted here."""

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = model_to_dict(type(obj).objects.get(pk=obj.pk)) if change else {}
            super().save_model(request, obj, form, change)
            event_append(
                verb=f"workforce.{obj._meta.model_name}_saved",
                actor=request.user,
                chain="catalog",
                before={k: str(v) for k, v in before.items()},
                after={k: str(v) for k, v in model_to_dict(obj).items()},
            )


@admin.register(PostScale)
class PostScaleAdmin(RecordedAdmin):
    list_display = ["post", "city", "min_grade", "max_grade", "step_years"]


@admin.register(GradePay)
class GradePayAdmin(RecordedAdmin):
    list_display = ["grade", "city", "coefficient"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(CommunityWorker)
class CommunityWorkerAdmin(ReadOnlyAdmin):
    list_display = ["name", "community", "position", "post", "grade", "grade_since", "ended_on"]
    list_filter = ["post"]
    search_fields = ["name", "community__name"]


@admin.register(GradeChange)
class GradeChangeAdmin(ReadOnlyAdmin):
    list_display = ["worker", "kind", "post", "from_grade", "to_grade", "effective_on", "actor"]


@admin.register(Admission)
class AdmissionAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "scope", "status", "starts_on", "ends_on", "requested_by", "decided_by"]
    list_filter = ["kind", "status"]
