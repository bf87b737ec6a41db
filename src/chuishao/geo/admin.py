"""Admin for jurisdictions and complexes: for looking, not for drawing.

Boundaries change only through an import (validated, versioned, audited): ``import-geo`` on the command
line, or the upload page linked from the jurisdiction list, which runs the same validation and the same
import. The geometry and the tree columns are read-only here; names may be corrected in place.
"""

from functools import cached_property

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, gettext_lazy

from chuishao.geo.errors import GeoFileError, GeoImportError
from chuishao.geo.importer import geo_import, parse_geojson, validate_feature_collection
from chuishao.geo.models import Complex, GeoRevision, Jurisdiction
from chuishao.geo.routing import routing_index_invalidate

MAX_UPLOAD = 200 * 1024 * 1024
CHANGE_LIST_TEMPLATE = """{% extends "admin/change_list.html" %}{% load i18n %}
{% block object-tools-items %}
<li><a href="{% url 'admin:geo_jurisdiction_upload' %}">{% translate "Import GeoJSON" %}</a></li>
{{ block.super }}
{% endblock %}"""
UPLOAD_TEMPLATE = """{% extends "admin/base_site.html" %}{% load i18n %}
{% block content %}
<p>{% blocktranslate %}A GeoJSON FeatureCollection of jurisdictions (city, district, street, community, grid)
and complexes; each feature's properties name its kind, code, name and parent. Everything is checked
before anything is written: one problem and nothing is imported.{% endblocktranslate %}</p>
{% if problems %}<p class="errornote">{% blocktranslate count n=problems|length %}{{ n }} problem; nothing was
imported.{% plural %}{{ n }} problems; nothing was imported.{% endblocktranslate %}</p>
<ul class="errorlist">{% for p in problems %}<li>{{ p }}</li>{% endfor %}</ul>{% endif %}
<form method="post" enctype="multipart/form-data">{% csrf_token %}
<table>{{ form.as_table }}</table>
<div class="submit-row"><input type="submit" value="{% translate 'Import' %}" class="default"></div>
</form>
{% endblock %}"""


class GeoUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("GeoJSON file"))
    dry_run = forms.BooleanField(label=gettext_lazy("only check, write nothing"), required=False)


TREE_FIELDS = ("kind", "code", "parent", "city", "district", "street", "community", "boundary", "area_m2")


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "kind", "parent", "area_m2")
    list_filter = ("kind",)
    search_fields = ("code", "name", "name_en")
    raw_id_fields = ("parent", "city", "district", "street", "community")
    readonly_fields = TREE_FIELDS
    ordering = ("code",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @cached_property
    def change_list_template(self):  # type: ignore[override]
        return engines["django"].from_string(CHANGE_LIST_TEMPLATE)

    def get_urls(self):
        upload = path("upload/", self.admin_site.admin_view(self.upload_view), name="geo_jurisdiction_upload")
        return [upload, *super().get_urls()]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Import boundaries from an uploaded file: the validation and the import of ``import-geo``."""
        if not request.user.is_superuser:
            raise PermissionDenied
        problems: list[str] = []
        form = GeoUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > MAX_UPLOAD:
                    raise GeoFileError(gettext("larger than 200 MB"))
                data = parse_geojson(upload.read())
                if form.cleaned_data["dry_run"]:
                    result = validate_feature_collection(data)
                    if not result.ok:
                        raise GeoImportError(result.problems)
                    created, updated = result.counts()
                    lead = gettext("Valid; nothing written. It would create %(c)d and update %(u)d.")
                else:
                    summary = geo_import(actor=request.user, data=data)
                    routing_index_invalidate()
                    created, updated = summary.created, summary.updated
                    lead = gettext("Imported: %(c)d created, %(u)d updated.")
            except GeoFileError as exc:
                problems = [f"{upload.name}: {exc}"]
            except GeoImportError as exc:
                problems = [str(p) for p in exc.problems]
            else:
                self.message_user(
                    request,
                    lead % {"c": sum(created.values()), "u": sum(updated.values())},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:geo_jurisdiction_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import jurisdictions and complexes"),
            "form": form,
            "problems": problems,
        }
        return TemplateResponse(request, engines["django"].from_string(UPLOAD_TEMPLATE), context)


@admin.register(Complex)
class ComplexAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "community", "households")
    search_fields = ("code", "name", "name_en")
    raw_id_fields = ("community",)
    readonly_fields = ("code", "community", "boundary")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GeoRevision)
class GeoRevisionAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "summary")
    readonly_fields = ("created_at", "summary")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
