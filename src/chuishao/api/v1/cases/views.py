"""Cases endpoints: the list and intake, one case, the reporter's rating, a case's photos.

Interfaces only: parse, check, call one selector or service, render. Every read is scoped to the
caller through ``cases.selectors``; every write goes through ``cases.services``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from chuishao import clock
from chuishao.api.auth import KeyScope, sender_of
from chuishao.api.idempotency import HEADER, idempotent
from chuishao.api.v1.cases import intake
from chuishao.api.v1.cases.common import CasesApiView, media_response
from chuishao.api.v1.cases.filters import CaseListQuerySerializer, CasePagination, cases_filtered
from chuishao.api.v1.cases.present import LIST_RELATED, case_detail, case_summary
from chuishao.api.v1.cases.serializers import (
    CaseDetailSerializer,
    CaseReceiptSerializer,
    CaseSummarySerializer,
    RateInputSerializer,
)
from chuishao.api.v1.common import (
    ERR_400,
    ERR_401,
    ERR_403,
    ERR_404,
    ERR_413,
    ERR_429,
    READ_ERRORS,
    WRITE_ERRORS,
    path_id,
)
from chuishao.cases.media import MEDIA_TYPES
from chuishao.cases.models import CaseMedia
from chuishao.cases.selectors import case_get
from chuishao.cases.services import case_rate

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Send the same value when retrying: the report is created once and the first answer "
    "is replayed (header `Idempotent-Replayed: true`); another body under the same key is 422. "
    "At most 200 printable characters.",
)


class CaseCollectionView(CasesApiView, generics.GenericAPIView):
    pagination_class = CasePagination
    serializer_class = CaseSummarySerializer

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [intake.IntakeScope()]
        return [IsAuthenticated(), KeyScope()]

    @extend_schema(
        operation_id="cases_list",
        summary="Cases the caller can see",
        description="Scoped to the caller's roles: a resident sees the cases they reported, department "
        "staff the cases of their organisation, command centres and grid staff the cases in their area. "
        "Cursor pages, newest first: follow `next` until it is null.",
        tags=["cases"],
        parameters=[CaseListQuerySerializer],
        responses={200: CaseSummarySerializer(many=True), 400: ERR_400, 404: ERR_404, **READ_ERRORS},
    )
    def get(self, request: Any) -> Response:
        query = CaseListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cases = cases_filtered(request.user, query.validated_data).select_related(*LIST_RELATED)
        page = self.paginate_queryset(cases)
        now = clock.now()
        rows = [case_summary(case, request=request, now=now) for case in page]
        return self.get_paginated_response(CaseSummarySerializer(rows, many=True).data)

    @extend_schema(
        operation_id="cases_report",
        summary="Report a problem (intake)",
        description=intake.__doc__,
        tags=["cases"],
        auth=[{"apiKey": []}, {"cookieAuth": []}, {}],
        parameters=[IDEMPOTENCY_PARAMETER],
        request={
            "application/json": intake.IntakeSerializer,
            "multipart/form-data": intake.IntakeMultipartSerializer,
        },
        responses={
            201: CaseReceiptSerializer,
            400: ERR_400,
            401: ERR_401,
            403: ERR_403,
            413: ERR_413,
            422: OpenApiResponse(description="The Idempotency-Key was used for another body."),
            429: ERR_429,
        },
    )
    def post(self, request: Any) -> Response:
        intake.intake_rate_check(request)
        return idempotent(request._request, owner=sender_of(request), run=lambda: intake.report(request))


class CaseDetailView(CasesApiView):
    @extend_schema(
        operation_id="cases_detail",
        summary="One case with its timeline",
        description="The reporter's contact details are masked unless the caller's role calls reporters "
        "back (grid, community and centre staff covering the case) or the caller reported it. "
        "`allowed_actions` are the actions the caller may take now.",
        tags=["cases"],
        responses={200: CaseDetailSerializer, 404: ERR_404, **READ_ERRORS},
    )
    def get(self, request: Any, number: str) -> Response:
        case = case_get(actor=request.user, number=number)
        return Response(CaseDetailSerializer(case_detail(case, actor=request.user, request=request)).data)


class CaseRatingView(CasesApiView):
    @extend_schema(
        operation_id="cases_rate",
        summary="The reporter rates a closed case",
        description="Only the reporter (signed in, or with a key acting for them) rates here. An unsatisfied "
        "rating within the reopen window reopens the case.",
        tags=["cases"],
        request=RateInputSerializer,
        responses={200: CaseDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Any, number: str) -> Response:
        actor = request.user
        case = case_get(actor=actor, number=number)
        if case.reporter_id is None or case.reporter_id != getattr(actor, "pk", None):
            raise exceptions.PermissionDenied(
                "Only the reporter rates a case here; command centres record a callback with the rate "
                "action.",
                code="case.not_reporter",
            )
        serializer = RateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case_rate(case=case, actor=actor, **serializer.validated_data)
        case = case_get(actor=actor, number=number)
        return Response(CaseDetailSerializer(case_detail(case, actor=actor, request=request)).data)


class AnyContent(BaseContentNegotiation):
    """A photo is answered whatever the client accepts; errors are JSON."""

    def select_parser(self, request: Any, parsers: list[Any]) -> Any:
        return parsers[0]

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


class CaseMediaView(CasesApiView):
    content_negotiation_class = AnyContent

    @extend_schema(
        operation_id="cases_media",
        summary="A photo of a case",
        description="For anyone who can see the case. Images are served inline; anything else as a download.",
        tags=["cases"],
        parameters=[path_id("media_id", "photo")],
        responses={
            **{(200, t): OpenApiResponse(OpenApiTypes.BINARY, description="The photo.") for t in MEDIA_TYPES},
            404: ERR_404,
            **READ_ERRORS,
        },
    )
    def get(self, request: Any, number: str, media_id: int) -> Any:
        case = case_get(actor=request.user, number=number)
        media = CaseMedia.objects.filter(pk=media_id, case_id=case.pk).first()
        if media is None:
            raise exceptions.NotFound(f"Case {case.number} has no photo {media_id}.", code="media.not_found")
        return media_response(media)
