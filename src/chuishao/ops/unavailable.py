"""A database that is away answers 503 with ``Retry-After``, never 500.

While PostgreSQL restarts or fails over, every query raises ``OperationalError`` (the connection
was refused or cut) or ``InterfaceError`` (the connection object was already closed). Such a
request did not fail because of what it asked: the same request succeeds a few seconds later. So the
outermost middleware (``ops.middleware``) turns these exceptions, when a view raises them, into
``503 Service Unavailable`` with a ``Retry-After`` header: a client (or a proxy) retries, and a POST
that carried an ``Idempotency-Key`` is created once however many times it was retried. The
transaction the view was in was rolled back by the database, so nothing half-written remains.

The answer says nothing about the error beyond its kind (the message may name hosts or users).
An ``IntegrityError`` or a ``DataError`` is not an outage (the request itself is at fault) and stays
a 500, as does every other exception.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Paths whose callers are programs: they get the API's error shape.
MACHINE_PREFIXES = ("/api/", "/open311/", "/readyz", "/healthz", "/metrics")


def is_database_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse | None:
    """The 503 for a database outage, or None for any other exception (Django answers 500)."""
    if not is_database_unavailable(exc):
        return None
    log.warning("database unavailable (%s): answered 503", type(exc).__name__)
    detail = _("The service is briefly unavailable; please try again in a few seconds.")
    if request.path.startswith(MACHINE_PREFIXES):
        response: HttpResponse = JsonResponse({"code": "unavailable", "detail": detail}, status=503)
    else:
        response = HttpResponse(detail, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
