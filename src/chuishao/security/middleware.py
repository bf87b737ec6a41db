"""Idle sessions end; every page carries a Content-Security-Policy."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout, user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

LAST_SEEN = "_chuishao_last_seen"
SIGNED_IN = "_chuishao_signed_in_at"
# The session is rewritten at most this often (seconds) to note activity, not on every request: a
# person is signed out between idle-5 and idle minutes after their last request.
TOUCH_EVERY = 300


@receiver(user_logged_in, dispatch_uid="chuishao.security.session_clock")
def _start_session_clock(sender, request, user, **kwargs):
    """Signing in starts both clocks, so the first pages after it do not write the session again."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LAST_SEEN] = now
        request.session[SIGNED_IN] = now


class IdleTimeoutMiddleware:
    """Signs out a person who has made no request for CHUISHAO_SESSION_IDLE_MINUTES, and anyone signed
    in for longer than SESSION_COOKIE_AGE (each rewrite of the session would otherwise extend it).

    SESSION_SAVE_EVERY_REQUEST would do the first by writing the session row on every request, HTMX
    fragments included; this notes the time at most every five minutes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            signed_in = request.session.get(SIGNED_IN)
            idle = settings.CHUISHAO_SESSION_IDLE_MINUTES * 60
            too_long = isinstance(signed_in, int) and now - signed_in > settings.SESSION_COOKIE_AGE
            if (isinstance(last, int) and now - last > idle) or too_long:
                logout(request)  # the view then sees an anonymous visitor and asks to sign in
            elif not isinstance(last, int) or now - last >= TOUCH_EVERY:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


def policy(nonce: str) -> str:
    """Scripts only from our own files (or an element carrying this response's nonce); nothing from
    other sites at all. Styles allow inline ``style=`` attributes and the few style elements that Leaflet,
    ECharts and htmx add: CSS cannot run code, and the pages keep working offline."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    """Sets the policy unless a view set its own (the API reference pages do)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy(request.csp_nonce)
        return response
