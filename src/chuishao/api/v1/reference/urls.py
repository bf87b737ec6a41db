"""REST API v1: reference data — jurisdictions (GeoJSON) and the category catalogue."""

from django.urls import path

from chuishao.api.v1.reference import categories, jurisdictions

urlpatterns = [
    path("jurisdictions/", jurisdictions.JurisdictionListView.as_view(), name="jurisdiction-list"),
    path(
        "jurisdictions/<str:code>/",
        jurisdictions.JurisdictionDetailView.as_view(),
        name="jurisdiction-detail",
    ),
    path("categories/", categories.CategoryListView.as_view(), name="category-list"),
    path("categories/<str:full_code>/", categories.CategoryDetailView.as_view(), name="category-detail"),
]
