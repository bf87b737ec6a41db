"""``/healthz`` (liveness) and ``/readyz`` (readiness) for a load balancer or an orchestrator.

Liveness answers from the process alone and touches nothing: a database outage must not make an
orchestrator restart every app server (restarting them fixes nothing and loses the ones that were
fine). Readiness checks what a request needs: every configured database (``default`` and the
``replica`` when there is one) answers ``SELECT 1``, and the queue the workers read answers (Redis
when ``REDIS_URL`` is set, else the SQLite queue file). A failed check says which part failed and the
kind of error, never the message (it may name hosts, users or paths).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from chuishao.ops.metrics import queue_storage

log = logging.getLogger(__name__)

DATABASE_ALIASES = ("default", "replica")


def _database(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _queue() -> None:
    queue_storage().queue_size()


def readiness_checks() -> dict[str, Callable[[], None]]:
    checks: dict[str, Callable[[], None]] = {
        f"database:{alias}": partial(_database, alias) for alias in DATABASE_ALIASES if alias in connections
    }
    checks["queue"] = _queue
    return checks


def run_checks() -> tuple[bool, dict[str, str]]:
    results: dict[str, str] = {}
    for name, check in readiness_checks().items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 — every failure is a "not ready", reported by kind
            log.warning("readiness: %s failed (%s)", name, type(exc).__name__)
            results[name] = f"error: {type(exc).__name__}"
        else:
            results[name] = "ok"
    return all(r == "ok" for r in results.values()), results


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    ready, checks = run_checks()
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503
    )
