"""The outermost middleware: a request id for every request, its latency in the metrics, one access line.

The access line names the route (the URL pattern's name), the method, the status and the time taken.
Never the raw path (a resident's follow link carries its secret token in the path), the query string
(search words, phone numbers), the body or the client's address. It is written by the
``chuishao.access`` logger, at INFO.

A request that fails because the database is unreachable answers 503 with ``Retry-After`` rather than
500 (``ops.unavailable``), whether the view raised or another middleware did.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.signals import got_request_exception

from chuishao.ops.context import current_request_id, request_id_from
from chuishao.ops.metrics import observe_request
from chuishao.ops.unavailable import note_database_unavailable, replace_if_unavailable, unavailable_response

access_log = logging.getLogger("chuishao.access")


def route_of(request) -> str:
    """The URL pattern's name (``web:case_detail``), bounded whatever the ids in the path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match._func_path
    if settings.STATIC_URL and request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "<static>"
    return "<unmatched>"


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # An outage raised inside another middleware reaches us as a 500: the signal marks the request.
        got_request_exception.connect(note_database_unavailable, dispatch_uid="chuishao.ops.unavailable")

    def __call__(self, request):
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = replace_if_unavailable(request, self.get_response(request))
            seconds = time.perf_counter() - started
            route = route_of(request)
            observe_request(route=route, method=request.method, status=response.status_code, seconds=seconds)
            response["X-Request-ID"] = request_id
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %s %.1f ms",
                    request.method,
                    route,
                    response.status_code,
                    seconds * 1000,
                    extra={
                        "method": request.method,
                        "route": route,
                        "status": response.status_code,
                        "duration_ms": round(seconds * 1000, 1),
                    },
                )
            return response
        finally:
            current_request_id.reset(token)

    def process_exception(self, request, exception):
        """A view that failed because the database is away answers 503 (``ops.unavailable``)."""
        return unavailable_response(request, exception)
