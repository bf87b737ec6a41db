"""Top-level URLs."""

from django.contrib import admin
from django.urls import include, path

from chuishao.ops.health import healthz, readyz
from chuishao.ops.metrics import metrics_view
from chuishao.security.views import admin_login

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    # One sign-in for the whole site, so that the admin's cannot skip the second factor.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("chuishao.security.urls")),
    path("", include("chuishao.api.urls")),
    path("", include("chuishao.web.urls")),
]
