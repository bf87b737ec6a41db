"""Open311 GeoReport v2 at ``/open311/v2/``: every endpoint as ``.xml`` or ``.json`` (none: XML)."""

from django.urls import path, re_path

from chuishao.api.open311 import views

app_name = "open311"

EXT = r"(?:\.(?P<ext>[A-Za-z0-9]{1,10}))?"
ID = r"[^/.]{1,100}"

urlpatterns = [
    path("", views.discovery, name="base"),
    re_path(rf"^discovery{EXT}$", views.discovery, name="discovery"),
    re_path(rf"^services{EXT}$", views.service_list, name="services"),
    re_path(rf"^services/(?P<code>{ID}){EXT}$", views.service_definition, name="service"),
    re_path(rf"^requests{EXT}$", views.requests, name="requests"),
    re_path(rf"^requests/(?P<number>{ID}){EXT}$", views.request_detail, name="request"),
    re_path(rf"^tokens/(?P<token>{ID}){EXT}$", views.token_detail, name="token"),
    # Any other path, newlines included (``.`` would stop at one and leave Django's HTML 404).
    re_path(r"^(?P<path>[\s\S]*)$", views.not_found),
]
