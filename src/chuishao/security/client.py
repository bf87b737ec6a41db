"""The address a sign-in comes from, as django-axes counts it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The connecting address; behind our proxy (CHUISHAO_BEHIND_PROXY=1), the address the proxy saw.

    The proxy appends the address it saw to X-Forwarded-For, so only the last entry is trusted: the
    ones before it come from the client and may be anything.
    """
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "") or "unknown"
