"""Rate limits for intake: a fixed one-minute window per sender, counted in the cache.

``rate_check`` returns None when the request may go on, else the seconds to wait (``Retry-After``).
With Redis configured every process shares the counts; without it each serving process counts alone.
"""

from __future__ import annotations

import time

from django.core.cache import cache

WINDOW = 60


def rate_check(bucket: str, per_minute: int) -> int | None:
    if per_minute <= 0:
        return None
    now = time.time()
    window = int(now // WINDOW)
    name = f"rate:{bucket}:{window}"
    cache.add(name, 0, timeout=WINDOW + 5)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=WINDOW + 5)
        count = 1
    if count > per_minute:
        return max(1, int((window + 1) * WINDOW - now) + 1)
    return None
