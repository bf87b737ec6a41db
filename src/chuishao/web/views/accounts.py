"""Signing in and out, and the home page that sends each person where their work is."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from chuishao.orgs.models import Role
from chuishao.orgs.scopes import roles_of, works_cases
from chuishao.security import services as second_factor
from chuishao.security.throttle import address_limit, sign_in_wait
from chuishao.security.views import begin_second_step


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
    """The password first (django-axes counts failures); a second step asks for the authenticator's
    code when the person has turned one on."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        # Before the form checks the password: a spent budget costs the server no Argon2 hash.
        wait = sign_in_wait(request)
        if wait:
            response = render(
                request, "security/sign_in_busy.html", {"limit": address_limit(), "seconds": wait}, status=429
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        if second_factor.required_for(user):
            return begin_second_step(self.request, user, self.get_success_url())
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    pass
