"""Domain errors as API answers: a stable ``code`` and a ``detail`` in the caller's language."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from chuishao.cases.errors import CaseConflict, CaseError, CaseNotFound, CasePermissionDenied
from chuishao.notify.errors import NotifyError, NotifyPermissionDenied
from chuishao.orgs.errors import OrgError

STATUS = [
    (CaseNotFound, status.HTTP_404_NOT_FOUND),
    (CasePermissionDenied, status.HTTP_403_FORBIDDEN),
    (NotifyPermissionDenied, status.HTTP_403_FORBIDDEN),
    (CaseConflict, status.HTTP_409_CONFLICT),
    (CaseError, status.HTTP_400_BAD_REQUEST),
    (OrgError, status.HTTP_400_BAD_REQUEST),
    (NotifyError, status.HTTP_400_BAD_REQUEST),
]


def domain_status(exc: Exception) -> int | None:
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    code = domain_status(exc)
    if code is not None:
        return Response(
            {"code": getattr(exc, "code", "error"), "detail": getattr(exc, "message", str(exc))}, status=code
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data = {"code": getattr(detail, "code", "error"), "detail": str(detail)}
    return response


@csrf_exempt
def route_not_found(request: HttpRequest, path: str) -> JsonResponse:
    """Any /api/ address no route matches: the API's error shape, not the site's HTML page."""
    return JsonResponse(
        {"code": "not_found", "detail": f"No API endpoint at {request.path}; see /api/docs/."}, status=404
    )
