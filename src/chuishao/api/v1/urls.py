"""REST API v1: one package per area, each with its own ``urls``."""

from django.urls import include, path

app_name = "v1"

urlpatterns = [
    path("", include("chuishao.api.v1.cases.urls")),
    path("", include("chuishao.api.v1.whistles.urls")),
    path("", include("chuishao.api.v1.reference.urls")),
    path("", include("chuishao.api.v1.notifications.urls")),
    path("", include("chuishao.api.v1.evaluation.urls")),
]
