"""A database that is away answers 503 with ``Retry-After``, never 500.

While PostgreSQL restarts or fails over, every query raises ``OperationalError`` (the connection
was refused or cut) or ``InterfaceError`` (the connection object was already closed). Such a
request did not fail because of what it asked: the same request succeeds a few seconds later. So the
outermost middleware (``ops.middleware``) turns these exceptions into ``503 Service Unavailable``
with a ``Retry-After`` header, wherever they are raised: a client (or a proxy) retries, and a POST
that carried an ``Idempotency-Key`` is created once however many times it was retried. The
transaction the view was in was rolled back by the database, so nothing half-written remains.

Where they are raised decides how they reach us. A view's exception reaches the outermost
middleware's ``process_exception``. An exception raised inside another middleware (the session
middleware saving the session in ``process_response``, the idle time-out reading it) never does:
Django turns it into a 500 response at that middleware's own layer (``convert_exception_to_response``)
and the layers above only see the 500. That conversion sends ``got_request_exception`` while the
exception is being handled, so ``note_database_unavailable`` (connected to it) marks the request with
the exception, and the outermost middleware answers 503 instead of the 500 it receives for a marked
request. Django has logged that 500 with its traceback by then (``django.request``): an outage in a
middleware leaves that error line as well as our warning.

The answer says nothing about the error beyond its kind (the message may name hosts or users).
An ``IntegrityError`` or a ``DataError`` is not an outage (the request itself is at fault) and stays
a 500, as does SQLite's ``OperationalError`` for a missing table or column (a missing migration) and
every other exception.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Paths whose callers are programs: they get the API's error shape.
MACHINE_PREFIXES = ("/api/", "/open311/", "/readyz", "/healthz", "/metrics")


# The request attribute that carries an outage raised inside a middleware to the outermost one.
MARK = "_chuishao_database_unavailable"


# SQLite raises OperationalError for a statement the schema cannot answer too: that is a fault of the
# code or of a missing migration, not an outage, and stays a 500 with its traceback.
_NOT_AN_OUTAGE = ("no such table", "no such column", "has no column", "syntax error", 'near "')


def is_database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    message = str(exc).lower()
    return not any(sign in message for sign in _NOT_AN_OUTAGE)


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


def note_database_unavailable(sender, request=None, **kwargs) -> None:
    """``got_request_exception`` receiver: mark the request when the exception being handled is an outage.

    Django sends the signal from inside its ``except`` block, so ``sys.exc_info()`` is that exception.
    """
    exc = sys.exc_info()[1]
    if request is not None and exc is not None and is_database_unavailable(exc):
        setattr(request, MARK, exc)


def replace_if_unavailable(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The 503 for a 500 that a middleware's database outage produced; any other response as it is."""
    exc = getattr(request, MARK, None)
    if exc is None or response.status_code != 500:
        return response
    return unavailable_response(request, exc) or response
