"""Admin pages of the monthly app: read-only, since problems and tasks are written through
``monthly.services`` (each with its event) on the problem's page."""

from __future__ import annotations

from django.contrib import admin

from chuishao.events.admin_bases import ReadOnlyAdmin
from chuishao.monthly.models import MonthlyProblem, ProblemTask


@admin.register(MonthlyProblem)
class MonthlyProblemAdmin(ReadOnlyAdmin):
    list_display = ("title", "month", "area", "lead", "goal_percent")
    list_filter = ("month",)
    search_fields = ("title", "lead__name")
    list_select_related = ("area", "lead")


@admin.register(ProblemTask)
class ProblemTaskAdmin(ReadOnlyAdmin):
    list_display = ("problem", "owner", "due_on", "done_at")
    list_select_related = ("problem", "owner")
