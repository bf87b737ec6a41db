"""What every v1 endpoint shares: the base view, the error shape and its schema, ids, the body limit,
and JSON-only content negotiation.

Errors always read ``{"code", "detail"}`` (domain errors through ``chuishao.api.errors``); a request
that fails its own checks answers ``request.invalid`` and adds ``fields``: for each field a list of
``{"code", "message"}``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from chuishao.api.auth import KeyScope
from chuishao.api.idempotency import HEADER


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request.too_large"
    default_detail = "The request body is too large."


class NamedChoiceField(serializers.ChoiceField):
    """A choice field whose choice set is one named enum component of the schema (``enum_name``), so
    that ``status`` of a whistle and ``status`` of a case never compete for one name."""

    def __init__(self, *, enum_name: str, **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(**kwargs)


class NamedChoiceScheme(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField
    match_subclasses = True

    def get_name(self) -> str:
        return self.target.enum_name

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        choices = self.target.choices
        return {
            "type": "string",
            "enum": list(choices),
            "description": "\n".join(f"* `{key}` - {label}" for key, label in choices.items()),
        }


@extend_schema_serializer(component_name="Node")
class NodeSerializer(serializers.Serializer):
    """A jurisdiction (city, district, street, community or grid) as the other objects name it."""

    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="Organisation")
class OrganisationSerializer(serializers.Serializer):
    """An organisation as the other objects name it."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="ApiFieldError")
class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable code, e.g. `required`, `invalid`, `max_value`.")
    message = serializers.CharField()


@extend_schema_serializer(component_name="ApiError")
class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable code: `request.invalid`, `case.invalid`, `case.not_found`, `case.conflict`, "
        "`case.permission_denied`, `not_found`, `not_authenticated`, `authentication_failed`, "
        "`permission_denied`, …"
    )
    detail = serializers.CharField(help_text="What went wrong, in the caller's language where possible.")
    fields = serializers.DictField(
        child=FieldErrorSerializer(many=True),
        required=False,
        help_text="Only for `request.invalid`: the errors of each field of the body or query.",
    )


# Ids are 64-bit: a larger number is refused as input rather than handed to the database.
MAX_ID = 2**63 - 1


def path_id(name: str = "id", what: str = "object") -> OpenApiParameter:
    """A numeric id in the path: ``<int:…>`` matches digits only, so the schema says so."""
    schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    return OpenApiParameter(name, schema, OpenApiParameter.PATH, description=f"The {what}'s id.")


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERR_400 = error(
    "The input is wrong (`request.invalid` with `fields`, or a domain code such as `case.invalid`)."
)
ERR_401 = error("No credentials, or an unknown or revoked API key.")
ERR_403 = error("The key lacks the scope, or the caller's role may not do this.")
ERR_404 = error("Nothing of that id that the caller can see.")
ERR_409 = error("The state does not allow this now (`case.conflict`); reload and look again.")
ERR_413 = error("The request body is larger than the server accepts (`request.too_large`).")
ERR_415 = error("The body is not of a type the endpoint reads (`unsupported_media_type`).")
ERR_429 = error("Too many reports from this key or address; retry after `Retry-After` seconds.")
READ_ERRORS = {401: ERR_401, 403: ERR_403}
WRITE_ERRORS = {
    400: ERR_400,
    401: ERR_401,
    403: ERR_403,
    404: ERR_404,
    409: ERR_409,
    413: ERR_413,
    415: ERR_415,
}


def field_errors(detail: Any) -> dict[str, list[dict[str, str]]]:
    """DRF's nested ``get_full_details()`` as ``{field: [{code, message}]}`` (nested paths dotted)."""
    out: dict[str, list[dict[str, str]]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and set(value) == {"message", "code"}:
            out.setdefault(prefix or "non_field_errors", []).append(
                {"code": str(value["code"]), "message": str(value["message"])}
            )
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list):
            for item in value:
                walk(prefix, item)

    walk("", detail)
    return out


class JsonAnswers(BaseContentNegotiation):
    """Answer with the view's first renderer whatever ``Accept`` or ``?format=`` say (``format`` is a
    query parameter of its own on the evaluation export)."""

    def select_parser(self, request: Any, parsers: list[Any]) -> Any:
        content_type = request.content_type.split(";")[0].strip().lower()
        return next((p for p in parsers if p.media_type == content_type), None)

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


class ApiView(APIView):
    """Base of the v1 endpoints: JSON bodies, the key's scope (read for GET, write otherwise), the body
    limit, one error shape for every refusal."""

    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated, KeyScope]
    content_negotiation_class = JsonAnswers

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge(
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes "
                "(photos and fields together)."
            )
        if request.method == "POST" and request.headers.get(HEADER):
            # The key's fingerprint is the body: read it before anything parses it (the session's
            # CSRF check may read a form and leave the stream consumed).
            _ = request._request.body
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestDataTooBig):
            exc = PayloadTooLarge()
        elif isinstance(exc, SuspiciousOperation | MultiPartParserError):
            exc = exceptions.ParseError(f"The request could not be read: {str(exc)[:200]}")
        elif isinstance(exc, Http404):
            exc = exceptions.NotFound(str(exc) or "Not found.")
        response = super().handle_exception(exc)
        if isinstance(exc, exceptions.ValidationError):
            fields = field_errors(exc.get_full_details())
            summary = "; ".join(f"{name}: {errs[0]['message']}" for name, errs in fields.items())
            response.data = {
                "code": "request.invalid",
                "detail": f"The request is not valid. {summary}".strip(),
                "fields": fields,
            }
        return response


def query(serializer_class: type[serializers.Serializer], request: Any) -> dict[str, Any]:
    """The request's query parameters, checked by ``serializer_class`` (400 ``request.invalid``)."""
    parsed = serializer_class(data=request.query_params)
    parsed.is_valid(raise_exception=True)
    return dict(parsed.validated_data)


def body(serializer_class: type[serializers.Serializer], request: Any) -> dict[str, Any]:
    """The request's JSON body, checked by ``serializer_class``; a body that is not an object is 400."""
    data = request.data
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"non_field_errors": ["Send a JSON object."]}, code="invalid")
    parsed = serializer_class(data=data)
    parsed.is_valid(raise_exception=True)
    return dict(parsed.validated_data)


class NewestFirst(CursorPagination):
    """Cursor pages, newest first: follow ``next`` until it is null. A cursor that is not one of ours
    is a 400 on the ``cursor`` field (DRF would answer 404)."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request: Any) -> Any:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({"cursor": [str(exc.detail)]}, code="invalid") from exc
