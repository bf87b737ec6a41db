"""The second sign-in step, the enrolment of an authenticator, renewing its recovery codes, and the
audited reset of someone else's by the administrator or the city centre."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, user_login_failed
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from chuishao.security import services

PENDING = "_chuishao_pending_login"
# The password step is good for this long (seconds) before the code must be entered.
PENDING_SECONDS = 300
MAX_ID = 2**63 - 1  # the largest primary key; a larger one overflows the database driver


def begin_second_step(request: HttpRequest, user, next_url: str) -> HttpResponse:
    """Called by the login view once the password matched: remember who, ask for the code."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
        "at": int(time.time()),
        "next": next_url,
    }
    return redirect("security:totp_login")


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in (AXES_LOCKOUT_CALLABLE): 429 and when to retry."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    response = render(
        request,
        "security/locked_out.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


_lockout = locked_out


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin site signs in through the site's own login (password, lock-out, second factor)."""
    target = request.GET.get("next") or "/admin/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/admin/"
    return redirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': target})}")


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def totp_login(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return redirect(settings.LOGIN_URL)
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING, None)
        return redirect(settings.LOGIN_URL)
    credentials = {"username": user.get_username()}
    error = False
    if request.method == "POST":
        # The code counts against the same lock-out as the password: username and address.
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.session.pop(PENDING, None)
            return _lockout(request)
        if services.totp_verify(person=user, code=request.POST.get("code", "")):
            del request.session[PENDING]
            login(request, user, backend=pending["backend"])
            target = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
                target = settings.LOGIN_REDIRECT_URL
            return redirect(target)
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING, None)
            return _lockout(request)
        error = True
    return render(request, "security/totp_login.html", {"error": error}, status=400 if error else 200)


def _setup_page(request: HttpRequest, extra: dict | None = None, status: int = 200) -> HttpResponse:
    person = request.user
    context: dict = {
        "enabled": services.required_for(person),
        "offered": services.may_enrol(person),
        "resets": services.resets_any(person),
    }
    context.update(extra or {})
    uri = None if context["enabled"] else services.totp_pending_uri(person)
    if uri:
        context["qr"] = segno.make(uri, error="m").svg_inline(scale=4)
        context["secret"] = uri.split("secret=", 1)[1].split("&", 1)[0]
    return render(request, "security/totp_setup.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Shows whether the second factor is on; starts an enrolment and confirms it with a first code."""
    person = request.user
    extra: dict = {}
    if request.method == "POST":
        try:
            if request.POST.get("action") == "begin":
                services.totp_enrol_begin(actor=person, person=person)
            else:
                extra["recovery_codes"] = services.totp_enrol_confirm(
                    actor=person, person=person, code=request.POST.get("code", "")
                )
        except services.SecondFactorError as e:
            extra["error"] = str(e)
    return _setup_page(request, extra)


@never_cache
@sensitive_post_parameters("code")
@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes for one's own second factor, against a current code from the app."""
    try:
        codes = services.recovery_codes_regenerate(
            actor=request.user, person=request.user, code=request.POST.get("code", "")
        )
    except services.SecondFactorError as e:
        return _setup_page(request, {"error": str(e)}, status=400)
    return _setup_page(request, {"recovery_codes": codes, "renewed": True})


@never_cache
@login_required
@require_http_methods(["GET"])
def totp_people(request: HttpRequest) -> HttpResponse:
    """The accounts with a second factor that the reader may reset (administrator, city centre)."""
    if not services.resets_any(request.user):
        raise Http404
    query = request.GET.get("q", "")[:150]
    people = services.resettable(request.user, query)
    return render(request, "security/totp_people.html", {"people": people, "query": query})


@never_cache
@login_required
@require_POST
def totp_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Reset one person's second factor, with a reason; someone the reader may not reset is not found."""
    person = get_user_model().objects.filter(pk=min(pk, MAX_ID), is_active=True).first()
    if person is None or services.reset_refusal(request.user, person) is not None:
        raise Http404
    try:
        services.totp_reset(actor=request.user, person=person, reason=request.POST.get("reason", ""))
    except services.SecondFactorError as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request,
            _("The second factor of %(who)s is reset: they sign in with the password and set it up again.")
            % {"who": person.get_username()},
        )
    return redirect("security:totp_people")
