"""Signing in and out, and the home page that sends each person where their work is."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from chuishao.orgs.models import Role
from chuishao.orgs.scopes import roles_of, works_cases


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "web/landing.html")
    roles = roles_of(request.user)
    if roles == {Role.GRID_WORKER} or roles == {Role.GRID_WORKER, Role.RESIDENT}:
        return redirect("web:grid")
    if works_cases(request.user):
        return redirect("web:case_list")
    if Role.UNIT_ORGANISER in roles_of(request.user):
        return redirect("web:serve_unit_home")
    return redirect("web:my_reports")


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass
