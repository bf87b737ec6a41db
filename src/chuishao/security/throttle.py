"""A budget of sign-in attempts per address, checked before the password is.

django-axes locks a username *and* address pair after five failures, so that one guesser behind an
office's shared address cannot lock the colleagues out. That leaves a flood of attempts over many
usernames from one address: each attempt costs an Argon2 check (about 0.5 s of a core and 100 MiB), so
a few clients could hold every worker busy. This budget answers 429 before any hashing once an address
has made ``CHUISHAO_LOGIN_ADDRESS_LIMIT`` sign-in attempts (right or wrong) within a minute — far above
what a street office signing in at the start of a shift makes. A flood from many addresses is the
proxy's to stop (docs/deployment.md).

Loopback is not counted: a request from this machine is a tool, or a proxy that does not say whom it
serves (without ``CHUISHAO_BEHIND_PROXY=1`` every sign-in would share its address, and one budget
would hold the whole city).

The count lives in the cache: Redis in production, shared by every server process; the per-process
memory cache without Redis, which only ever counts less.
"""

from __future__ import annotations

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from chuishao.security.client import client_ip

WINDOW_SECONDS = 60
KEY_PREFIX = "chuishao:signin"


def address_limit() -> int:
    return int(getattr(settings, "CHUISHAO_LOGIN_ADDRESS_LIMIT", 60))


def sign_in_wait(request: HttpRequest, *, now: float | None = None) -> int:
    """Count this sign-in attempt against its address; the seconds to wait if the budget is spent, else 0.

    An attempt without a known address (in process, a Unix socket) or from loopback is not counted:
    axes still counts its username.
    """
    limit = address_limit()
    address = client_ip(request)
    if limit <= 0 or address is None or ipaddress.ip_address(address).is_loopback:
        return 0
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = f"{KEY_PREFIX}:{address}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        attempts = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        attempts = 1
    if attempts <= limit:
        return 0
    return max(1, int((window + 1) * WINDOW_SECONDS - now))
