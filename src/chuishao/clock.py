"""The one injectable clock: every domain timestamp comes from ``now()``.

The demo loader replays months of history by moving this clock; tests use time-machine.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator

from django.utils import timezone

_local = threading.local()


def now() -> dt.datetime:
    fixed = getattr(_local, "fixed", None)
    return fixed if fixed is not None else timezone.now()


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Make ``now()`` return *at* in this thread while the block runs."""
    if timezone.is_naive(at):
        raise ValueError("the clock only takes timezone-aware datetimes")
    previous = getattr(_local, "fixed", None)
    _local.fixed = at
    try:
        yield
    finally:
        _local.fixed = previous
