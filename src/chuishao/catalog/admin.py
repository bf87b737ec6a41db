"""Admin pages of the catalogue and the work calendar.

Calendar days and years are changed only through ``calendar_import`` (the upload page linked from
the calendar day list) and work schedules only through ``work_schedule_set``, so that every
calendar change is validated the same way and recorded as an event.
"""

from __future__ import annotations

from functools import cached_property

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chuishao.catalog.calendar import CalendarError, parse_periods
from chuishao.catalog.calendar_io import CalendarImportError, calendar_import, work_schedule_set
from chuishao.catalog.models import (
    CalendarDay,
    CalendarYear,
    Category,
    DaySource,
    Responsibility,
    StageDeadline,
    WorkSchedule,
)
from chuishao.geo.models import Jurisdiction, Kind

# Inline templates: small enough that a template file per page would only scatter them.
CHANGE_LIST_TEMPLATE = """{% extends "admin/change_list.html" %}{% load i18n %}
{% block object-tools-items %}
<li><a href="{% url 'admin:catalog_calendarday_upload' %}">{% translate "Upload CSV or iCalendar" %}</a></li>
{{ block.super }}
{% endblock %}"""
UPLOAD_TEMPLATE = """{% extends "admin/base_site.html" %}{% load i18n %}
{% block content %}
<p>{% blocktranslate %}CSV columns: date,kind,name — kind is holiday/休 or workday/班.
iCalendar: all-day events; a summary with 班 or "workday" is an adjusted workday,
anything else a holiday.{% endblocktranslate %}</p>
{% if problems %}<ul class="errorlist">{% for p in problems %}<li>{{ p }}</li>{% endfor %}</ul>{% endif %}
<form method="post" enctype="multipart/form-data">{% csrf_token %}
<table>{{ form.as_table }}</table>
<div class="submit-row"><input type="submit" value="{% translate 'Import' %}" class="default"></div>
</form>
{% endblock %}"""


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


class CalendarUploadForm(forms.Form):
    file = forms.FileField(label=_("file (.csv or .ics)"))
    source = forms.ChoiceField(label=_("source"), choices=DaySource.choices, initial=DaySource.OFFICIAL)
    city = forms.ModelChoiceField(
        label=_("city"), queryset=Jurisdiction.objects.filter(kind=Kind.CITY), required=False
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin):
    list_display = ["date", "weekday", "kind", "name", "source", "city"]
    list_filter = ["kind", "source", YearFilter]
    search_fields = ["name"]
    date_hierarchy = "date"
    list_select_related = ["city"]

    @cached_property
    def change_list_template(self):  # type: ignore[override]
        return engines["django"].from_string(CHANGE_LIST_TEMPLATE)

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return obj.date.strftime("%a")

    def get_urls(self):
        upload = path(
            "upload/", self.admin_site.admin_view(self.upload_view), name="catalog_calendarday_upload"
        )
        return [upload, *super().get_urls()]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("catalog.add_calendarday"):
            raise PermissionDenied
        problems: list[str] = []
        form = CalendarUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = calendar_import(
                    actor=request.user,
                    path_or_file=form.cleaned_data["file"],
                    source=form.cleaned_data["source"],
                    city=form.cleaned_data["city"],
                )
            except CalendarImportError as exc:
                problems = exc.messages
            else:
                self.message_user(
                    request,
                    gettext(
                        "%(dates)d dates: %(created)d created, %(updated)d updated, %(unchanged)d unchanged"
                    )
                    % {
                        "dates": result.dates,
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:catalog_calendarday_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import calendar days"),
            "form": form,
            "problems": problems,
        }
        return TemplateResponse(request, engines["django"].from_string(UPLOAD_TEMPLATE), context)


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    list_display = ["year", "loaded_from", "loaded_at"]
    search_fields = ["loaded_from"]


class WorkScheduleForm(forms.ModelForm):
    class Meta:
        model = WorkSchedule
        fields = ["city", "periods"]
        help_texts = {"periods": _('working periods, e.g. [["09:00", "12:00"], ["13:30", "17:30"]]')}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = Jurisdiction.objects.filter(kind=Kind.CITY)

    def clean_periods(self):
        periods = self.cleaned_data["periods"]
        try:
            parse_periods(periods)
        except (CalendarError, TypeError) as exc:
            raise forms.ValidationError(str(exc)) from exc
        return periods


@admin.register(WorkSchedule)
class WorkScheduleAdmin(admin.ModelAdmin):
    form = WorkScheduleForm
    list_display = ["id", "applies_to", "periods"]

    @admin.display(description=_("applies to"))
    def applies_to(self, obj: WorkSchedule) -> str:
        return str(obj.city) if obj.city_id else gettext("default (every city without its own)")

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # The city identifies the schedule; moving a schedule to another city is a new one.
        return ["city"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        saved = work_schedule_set(actor=request.user, city=obj.city, periods=form.cleaned_data["periods"])
        obj.pk = saved.pk


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["full_code", "name", "kind", "parent", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name", "name_en"]


@admin.register(StageDeadline)
class StageDeadlineAdmin(admin.ModelAdmin):
    list_display = ["category", "stage", "amount", "time_type"]
    list_filter = ["stage", "time_type"]
    search_fields = ["category__code", "category__name"]
    list_select_related = ["category"]


@admin.register(Responsibility)
class ResponsibilityAdmin(admin.ModelAdmin):
    list_display = ["category", "level", "dept_type", "organisation", "city"]
    list_filter = ["level"]
    search_fields = ["category__code", "category__name", "dept_type"]
    list_select_related = ["category", "organisation", "city"]
