"""Pages of library (included into the "web" namespace by chuishao.web.urls)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
