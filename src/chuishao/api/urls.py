"""The machine interfaces: REST v1, its OpenAPI schema and docs (served offline), and Open311."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from chuishao.api.errors import route_not_found

# The docs pages fetch nothing from outside the server: Redoc's bundle always draws its vendor's logo
# from a CDN, which this policy stops before the browser asks (the page falls back to the text).
OFFLINE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)


def offline(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = OFFLINE_POLICY
        return response

    return wrapped


urlpatterns = [
    path("api/v1/", include("chuishao.api.v1.urls", namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", offline(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path(
        "api/redoc/",
        offline(SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")),
        name="api-redoc",
    ),
    path("open311/v2/", include("chuishao.api.open311.urls", namespace="open311")),
    re_path(r"^api/(?P<path>.*)$", route_not_found, name="api-not-found"),
]
