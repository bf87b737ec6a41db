"""Reads from the read replica, but only where a view asked for it; everything else on the primary.

``CHUISHAO_REPLICA_URL`` (or ``DATABASE_REPLICA_URL``) adds a ``replica`` database. A replica lags
the primary by a moment, so a desk that files a case and reloads its list must read the primary
(read-your-writes): reads go to the replica only inside ``replica_reads()`` — a context manager and a
view decorator — which the dashboards and exports use, whose figures come from rollups a minute old
anyway. Writes always go to the primary, and only the primary is migrated. Without a replica the
router leaves every choice to Django (the primary).

Put ``@replica_reads`` innermost, under ``@login_required``: the session and the user are then read
from the primary (a login a moment ago may not have reached the replica yet).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.db import connections

REPLICA = "replica"

_reading_replica: ContextVar[bool] = ContextVar("chuishao_replica_reads", default=False)


def replica_reads(func: Callable[..., Any] | None = None) -> Any:
    """``with replica_reads():``, or ``@replica_reads`` on a view function or method: reads inside go
    to the replica when one is configured."""
    if func is None:
        return _replica_context()

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _replica_context():
            return func(*args, **kwargs)

    wrapper.reads_replica = True  # type: ignore[attr-defined]  # outer decorators copy it (functools.wraps)
    return wrapper


@contextlib.contextmanager
def _replica_context() -> Iterator[None]:
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def reading_replica() -> bool:
    return _reading_replica.get() and REPLICA in connections


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return REPLICA if reading_replica() else None

    def db_for_write(self, model: type, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
