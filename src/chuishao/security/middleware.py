"""Idle sessions end; every page carries a Content-Security-Policy."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LAST_SEEN = "_chuishao_last_seen"
# The session is rewritten at most this often (seconds) to note activity, not on every request.
TOUCH_EVERY = 60


class IdleTimeoutMiddleware:
    """Signs out a person who has made no request for CHUISHAO_SESSION_IDLE_MINUTES.

    SESSION_SAVE_EVERY_REQUEST would do it by writing the session row on every request, HTMX fragments
    included; this notes the time at most once a minute.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            idle = settings.CHUISHAO_SESSION_IDLE_MINUTES * 60
            if isinstance(last, int) and now - last > idle:
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
