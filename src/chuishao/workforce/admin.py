"""Admin pages of the workforce app.

The grade bands and pay coefficients are data an administrator keeps; each save is recorded as an
event. Workers, their grade history and the admission register are read-only here: they change only
through the services, which check who acts and keep the bands' rules.
"""

from __future__ import annotations

from django.contrib import admin

from chuishao.events.admin_bases import ReadOnlyAdmin, RecordedAdmin
from chuishao.workforce.models import Admission, CommunityWorker, GradeChange, GradePay, PostScale


@admin.register(PostScale)
class PostScaleAdmin(RecordedAdmin):
    list_display = ["post", "city", "min_grade", "max_grade", "step_years"]


@admin.register(GradePay)
class GradePayAdmin(RecordedAdmin):
    list_display = ["grade", "city", "coefficient"]


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
