"""Summons endpoints (报到): a department's inbox of summonses and its reports on each.

The inbox is ``summons_inbox`` (the caller's organisations' open summonses, the most urgent first);
acknowledging, checking in on site and recording what was done are the ``summons_*`` services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from chuishao import clock
from chuishao.api.v1.common import READ_ERRORS, WRITE_ERRORS, ApiView, body, path_id
from chuishao.api.v1.whistles import serializers as s
from chuishao.api.v1.whistles.present import summons_row
from chuishao.cases.models import WhistleSummons
from chuishao.cases.services import summons_acknowledge, summons_check_in, summons_record_action
from chuishao.cases.whistle_selectors import summons_inbox

TAGS = ["summonses"]


class InboxPages(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


def _answer(request: Any, summons: WhistleSummons) -> Response:
    """The summons as it is now, with its whistle (read again: the service returns the locked row)."""
    row = WhistleSummons.objects.select_related("whistle__street", "organisation").get(pk=summons.pk)
    return Response(
        s.SummonsSerializer(summons_row(row, actor=request.user, request=request, now=clock.now())).data
    )


class SummonsInboxView(ApiView, generics.GenericAPIView):
    pagination_class = InboxPages
    serializer_class = s.SummonsSerializer

    @extend_schema(
        operation_id="summonses_inbox",
        summary="The summonses of the caller's organisations",
        description="Open summonses of every organisation the caller is department staff of, the one whose "
        "next deadline comes first on top; released ones drop out. Paged with `limit` and `offset`.",
        tags=TAGS,
        responses={200: s.SummonsSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Any) -> Response:
        rows = summons_inbox(actor=request.user).select_related("whistle__street")
        page = self.paginate_queryset(rows)
        now = clock.now()
        data = [summons_row(row, actor=request.user, request=request, now=now) for row in page]
        return self.get_paginated_response(s.SummonsSerializer(data, many=True).data)


def _acknowledge(request: Any, pk: int, data: dict) -> WhistleSummons:
    return summons_acknowledge(actor=request.user, summons=pk)


def _check_in(request: Any, pk: int, data: dict) -> WhistleSummons:
    return summons_check_in(actor=request.user, summons=pk, lat=data["lat"], lng=data["lng"])


def _record_action(request: Any, pk: int, data: dict) -> WhistleSummons:
    return summons_record_action(actor=request.user, summons=pk, note=data["text"])


class NoBody(serializers.Serializer):
    """Nothing to send: an empty JSON object (or no body at all)."""


ACTIONS: dict[str, tuple[type[serializers.Serializer], Callable[..., WhistleSummons], str, str]] = {
    "acknowledge": (
        NoBody,
        _acknowledge,
        "Acknowledge the summons (报到)",
        "The summoned organisation's staff acknowledge it; on time if before `acknowledge_due`.",
    ),
    "check_in": (
        s.CheckInSerializer,
        _check_in,
        "Check in on site",
        "A lead or assisting organisation's staff report on site with their position; the distance to the "
        "whistle's place is recorded. Checking in also acknowledges.",
    ),
    "record_action": (
        s.RecordActionSerializer,
        _record_action,
        "Record what was done",
        "After checking in, the staff record what they did; each record is added with its time.",
    ),
}


def _body(body_class: type[serializers.Serializer], request: Any) -> dict:
    if body_class is NoBody and not request.data:
        return {}
    return body(body_class, request)


def action_view(action: str) -> Any:
    body_class, call, summary, description = ACTIONS[action]

    class SummonsActionView(ApiView):
        @extend_schema(
            operation_id=f"summonses_{action}",
            summary=summary,
            description=description + " Answers the summons as it is now.",
            tags=TAGS,
            parameters=[path_id(what="summons")],
            request=None if body_class is NoBody else body_class,
            responses={200: s.SummonsSerializer, **WRITE_ERRORS},
        )
        def post(self, request: Any, pk: int) -> Response:
            return _answer(request, call(request, pk, _body(body_class, request)))

    SummonsActionView.__name__ = f"Summons{action.title().replace('_', '')}View"
    SummonsActionView.__qualname__ = SummonsActionView.__name__
    return SummonsActionView.as_view()
