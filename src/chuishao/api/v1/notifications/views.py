"""Notification endpoints: the caller's own inbox, marking entries read, and the unread count.

Reads go through ``notify.selectors.notifications_for`` (only the caller's own entries: another
person's notification is a 404, never told apart from one that does not exist); marking read is
``notify.services.notification_mark_read``. A key without a person has no inbox.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import exceptions, generics, serializers
from rest_framework.response import Response

from chuishao.api.v1.common import (
    ERR_400,
    READ_ERRORS,
    WRITE_ERRORS,
    ApiView,
    NewestFirst,
    path_id,
    query,
)
from chuishao.notify.models import Notification
from chuishao.notify.selectors import notifications_for, unread_count
from chuishao.notify.services import notification_mark_read

TAGS = ["notifications"]


@extend_schema_serializer(component_name="Notification")
class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    verb = serializers.CharField(help_text="The event it is about: `case.dispatched`, `whistle.summoned`, …")
    title = serializers.CharField()
    body = serializers.CharField(allow_blank=True)
    link = serializers.CharField(allow_blank=True, help_text="Where it leads in the web interface.")
    case = serializers.CharField(allow_null=True, help_text="Number of the case it is about.")
    whistle = serializers.IntegerField(allow_null=True, help_text="Id of the whistle it is about.")
    created_at = serializers.DateTimeField(help_text="When the event happened.")
    read_at = serializers.DateTimeField(allow_null=True)
    read = serializers.BooleanField()


@extend_schema_serializer(component_name="NotificationUnreadCount")
class UnreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="The caller's unread notifications.")


@extend_schema_serializer(component_name="NotificationsMarked")
class MarkedSerializer(UnreadSerializer):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")


class InboxQuery(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False, help_text="`1`: only the unread ones.")


def _row(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "verb": n.verb,
        "title": n.title,
        "body": n.body,
        "link": n.link,
        "case": n.case.number if n.case_id and n.case else None,
        "whistle": n.whistle_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "read": n.read_at is not None,
    }


class NotificationListView(ApiView, generics.GenericAPIView):
    pagination_class = NewestFirst
    serializer_class = NotificationSerializer

    @extend_schema(
        operation_id="notifications_list",
        summary="The caller's notifications",
        description="Newest first, in cursor pages: follow `next` until it is null.",
        tags=TAGS,
        parameters=[InboxQuery],
        responses={200: NotificationSerializer(many=True), 400: ERR_400, **READ_ERRORS},
    )
    def get(self, request: Any) -> Response:
        params = query(InboxQuery, request)
        rows = notifications_for(request.user, unread_only=params["unread"]).select_related("case")
        page = self.paginate_queryset(rows.only(*NOTIFICATION_FIELDS))
        return self.get_paginated_response(NotificationSerializer([_row(n) for n in page], many=True).data)


NOTIFICATION_FIELDS = (
    "id",
    "verb",
    "title",
    "body",
    "link",
    "case_id",
    "case__number",
    "whistle_id",
    "created_at",
    "read_at",
)


class NotificationReadView(ApiView):
    @extend_schema(
        operation_id="notifications_read",
        summary="Mark one notification read",
        description="Only the caller's own; marking one already read changes nothing.",
        tags=TAGS,
        parameters=[path_id(what="notification")],
        request=None,
        responses={200: NotificationSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Any, pk: int) -> Response:
        mine = notifications_for(request.user).select_related("case")
        if not mine.filter(pk=pk).exists():
            raise exceptions.NotFound(f"No notification {pk} of yours.", code="notification.not_found")
        notification_mark_read(actor=request.user, ids=[pk])
        return Response(NotificationSerializer(_row(mine.get(pk=pk))).data)


class NotificationReadAllView(ApiView):
    @extend_schema(
        operation_id="notifications_read_all",
        summary="Mark all of the caller's notifications read",
        tags=TAGS,
        request=None,
        responses={200: MarkedSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Any) -> Response:
        marked = notification_mark_read(actor=request.user)
        return Response(MarkedSerializer({"marked": marked, "unread": unread_count(request.user)}).data)


class UnreadCountView(ApiView):
    @extend_schema(
        operation_id="notifications_unread_count",
        summary="How many of the caller's notifications are unread",
        tags=TAGS,
        responses={200: UnreadSerializer, **READ_ERRORS},
    )
    def get(self, request: Any) -> Response:
        return Response(UnreadSerializer({"unread": unread_count(request.user)}).data)
