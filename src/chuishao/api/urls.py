"""The machine interfaces: REST v1, its OpenAPI schema and docs (served offline), and Open311."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from chuishao.api.errors import route_not_found

urlpatterns = [
    path("api/v1/", include("chuishao.api.v1.urls", namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html"),
        name="api-redoc",
    ),
    path("open311/v2/", include("chuishao.api.open311.urls", namespace="open311")),
    re_path(r"^api/(?P<path>.*)$", route_not_found, name="api-not-found"),
]
