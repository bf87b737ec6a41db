"""Whistle endpoints (吹哨): the list, blowing one, its board, and the street's actions on it.

Interfaces only: parse, check, call one selector or service of ``cases``, render. Reads go through
``whistles_visible_to`` / ``whistle_get``; writes through ``cases.services.whistle``; what a caller
may do is answered by ``whistle_allowed_actions``, the rules the services enforce.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response

from chuishao.api.auth import sender_of
from chuishao.api.idempotency import HEADER, idempotent
from chuishao.api.v1.common import (
    ERR_400,
    ERR_404,
    READ_ERRORS,
    WRITE_ERRORS,
    ApiView,
    NewestFirst,
    body,
    path_id,
    query,
)
from chuishao.api.v1.whistles import serializers as s
from chuishao.api.v1.whistles.present import (
    whistle_detail,
    whistle_summary,
    with_case_numbers,
    with_summary_relations,
)
from chuishao.cases.errors import CaseNotFound
from chuishao.cases.models import WhistleKind, WhistleStatus, WhistleSummons
from chuishao.cases.selectors import cases_visible_to
from chuishao.cases.services import (
    whistle_blow,
    whistle_cancel,
    whistle_confirm_done,
    whistle_join,
    whistle_rate,
    whistle_summon,
)
from chuishao.cases.whistle_selectors import whistle_get, whistles_visible_to
from chuishao.geo.models import Jurisdiction
from chuishao.geo.selectors import jurisdiction_get_by_code

TAGS = ["whistles"]


class WhistleListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=WhistleStatus.choices, required=False, help_text="open, done…")
    kind = serializers.ChoiceField(choices=WhistleKind.choices, required=False)
    case = serializers.CharField(
        required=False, max_length=40, help_text="Only whistles on this case number."
    )


def _case_ids(actor: Any, numbers: list[str]) -> list[int]:
    """The ids of the cases named by number, each one the caller can see (else 404)."""
    found = dict(cases_visible_to(actor).filter(number__in=numbers).values_list("number", "pk"))
    missing = [n for n in numbers if n not in found]
    if missing:
        raise CaseNotFound(f"No case {', '.join(missing)} that you can see.")
    return [found[n] for n in numbers]


def _street(field: str, code: str) -> Jurisdiction:
    try:
        return jurisdiction_get_by_code(code=code)
    except Jurisdiction.DoesNotExist:
        raise exceptions.ValidationError({field: [f"No jurisdiction {code}."]}, code="not_found") from None


def _detail(request: Any, pk: int, code: int = status.HTTP_200_OK) -> Response:
    whistle = whistle_get(actor=request.user, pk=pk)
    return Response(
        s.WhistleDetailSerializer(whistle_detail(whistle, actor=request.user, request=request)).data,
        status=code,
    )


IDEMPOTENCY = OpenApiParameter(
    name=HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Send the same value when retrying: the whistle is blown once and the first answer is "
    "replayed (header `Idempotent-Replayed: true`); another body under the same key is 422.",
)


class WhistleCollectionView(ApiView, generics.GenericAPIView):
    pagination_class = NewestFirst
    serializer_class = s.WhistleSummarySerializer

    @extend_schema(
        operation_id="whistles_list",
        summary="Whistles the caller can see",
        description="A street or district sees the whistles it is party to, a community or grid those on "
        "its cases, a city centre all of its city's, department staff those their organisation is "
        "summoned to; residents none. Newest first, in cursor pages.",
        tags=TAGS,
        parameters=[WhistleListQuery],
        responses={200: s.WhistleSummarySerializer(many=True), 400: ERR_400, **READ_ERRORS},
    )
    def get(self, request: Any) -> Response:
        params = query(WhistleListQuery, request)
        rows = whistles_visible_to(request.user)
        if "status" in params:
            rows = rows.filter(status=params["status"])
        if "kind" in params:
            rows = rows.filter(kind=params["kind"])
        if "case" in params:
            rows = rows.filter(cases__number=params["case"])
        page = self.paginate_queryset(with_summary_relations(rows))
        with_case_numbers(page)
        data = [whistle_summary(w, request=request) for w in page]
        return self.get_paginated_response(s.WhistleSummarySerializer(data, many=True).data)

    @extend_schema(
        operation_id="whistles_blow",
        summary="Blow a whistle on cases (吹哨)",
        description="The dispatcher of the cases' street, or the staff of their community, summons "
        "departments to open cases the street cannot solve alone. Streets across the cases' boundary "
        "co-own the whistle. Answers the new whistle's board.",
        tags=TAGS,
        parameters=[IDEMPOTENCY],
        request=s.BlowSerializer,
        responses={
            201: s.WhistleDetailSerializer,
            **WRITE_ERRORS,
            422: OpenApiResponse(description="The Idempotency-Key was used for another body."),
        },
    )
    def post(self, request: Any) -> Response:
        _ = request._request.body  # the Idempotency-Key's fingerprint: read before parsing

        def blow() -> Response:
            data = body(s.BlowSerializer, request)
            streets = [_street("joint_streets", code).pk for code in data["joint_streets"]]
            whistle = whistle_blow(
                actor=request.user,
                cases=_case_ids(request.user, data["cases"]),
                kind=data["kind"],
                reason=data["reason"],
                description=data["description"],
                summons=[dict(item) for item in data["summons"]],
                joint_streets=streets,
            )
            return _detail(request, whistle.pk, status.HTTP_201_CREATED)

        return idempotent(request._request, owner=sender_of(request), run=blow)


class WhistleDetailView(ApiView):
    @extend_schema(
        operation_id="whistles_detail",
        summary="A whistle's board",
        description="Its parties and cases; per summoned organisation its deadlines and how it reported "
        "against each (on time, late, missing), its check-in distance, what it did and its rating; the "
        "actions the caller may take now; and the whistle's history.",
        tags=TAGS,
        parameters=[path_id(what="whistle")],
        responses={200: s.WhistleDetailSerializer, 404: ERR_404, **READ_ERRORS},
    )
    def get(self, request: Any, pk: int) -> Response:
        return _detail(request, pk)


def _join(request: Any, pk: int, data: dict) -> None:
    whistle_join(actor=request.user, whistle=pk, street=_street("street", data["street"]))


def _summon(request: Any, pk: int, data: dict) -> None:
    whistle_summon(actor=request.user, whistle=pk, organisation=data["organisation"], role=data["role"])


def _confirm_done(request: Any, pk: int, data: dict) -> None:
    whistle_confirm_done(actor=request.user, whistle=pk, note=data["note"])


def _cancel(request: Any, pk: int, data: dict) -> None:
    whistle_cancel(actor=request.user, whistle=pk, reason=data["reason"])


def _rate(request: Any, pk: int, data: dict) -> None:
    whistle = whistle_get(actor=request.user, pk=pk)
    if not WhistleSummons.objects.filter(pk=data["summons"], whistle_id=whistle.pk).exists():
        raise CaseNotFound(f"Whistle {whistle.number} has no summons {data['summons']}.")
    scores = {k: data[k] for k in ("on_time_report", "problem_solved", "attitude", "comment")}
    whistle_rate(actor=request.user, summons=data["summons"], **scores)


# action → (body, service call, summary, description)
ACTIONS: dict[str, tuple[type[serializers.Serializer], Callable[..., None], str, str]] = {
    "join": (
        s.JoinSerializer,
        _join,
        "Bring another street in (联合吹哨)",
        "A party street's dispatcher makes another street of the city co-own the whistle.",
    ),
    "summon": (
        s.SummonSerializer,
        _summon,
        "Summon an organisation",
        "A party street (or a centre above it) summons an organisation of a party district or of the city "
        "as lead, assisting or notified; its deadlines to acknowledge and to be on site start now.",
    ),
    "confirm_done": (
        s.ConfirmDoneSerializer,
        _confirm_done,
        "Confirm the matter done (事不完、人不撤)",
        "The street that blew it (or a centre above) confirms once every lead and assisting organisation "
        "has been on site; everyone summoned is released and can be rated.",
    ),
    "cancel": (
        s.CancelSerializer,
        _cancel,
        "Call the whistle off",
        "The street that blew it (or a centre above) cancels it; everyone summoned is released.",
    ),
    "rate": (
        s.RateSerializer,
        _rate,
        "Rate a summoned organisation",
        "Once the whistle is done, the street that summoned a lead or assisting organisation rates it 1–5 "
        "on reporting on time, solving the problem and attitude.",
    ),
}


def action_view(action: str) -> Any:
    """The view of one whistle action, with its own body in the schema."""
    body_class, call, summary, description = ACTIONS[action]

    class WhistleActionView(ApiView):
        @extend_schema(
            operation_id=f"whistles_{action}",
            summary=summary,
            description=description + " Answers the whistle's board as it is now.",
            tags=TAGS,
            parameters=[path_id(what="whistle")],
            request=body_class,
            responses={200: s.WhistleDetailSerializer, **WRITE_ERRORS},
        )
        def post(self, request: Any, pk: int) -> Response:
            call(request, pk, body(body_class, request))
            return _detail(request, pk)

    WhistleActionView.__name__ = f"Whistle{action.title().replace('_', '')}View"
    WhistleActionView.__qualname__ = WhistleActionView.__name__
    return WhistleActionView.as_view()
