"""The address a sign-in comes from, as django-axes counts it."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The connecting address; behind our proxy (CHUISHAO_BEHIND_PROXY=1), the address the proxy saw.

    The proxy appends the address it saw to X-Forwarded-For, so only the last entry is trusted: the
    ones before it come from the client and may be anything. None when there is no valid address (a
    Unix socket, a request made in process): the count then falls on the username alone.
    """
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = _valid(forwarded.rsplit(",", 1)[-1]) if forwarded else None
        if last:
            return last
    return _valid(request.META.get("REMOTE_ADDR", "") or "")
