"""Admin for jurisdictions and complexes: for looking, not for drawing.

Boundaries change only through ``import-geo`` (validated, versioned, audited), so the geometry and
the tree columns are read-only here; names may be corrected in place.
"""

from django.contrib import admin

from chuishao.geo.models import Complex, GeoRevision, Jurisdiction

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
