"""Reads of a person's inbox (for the web inbox page and a badge with the unread count)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chuishao.notify.models import Notification


def notifications_for(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    pk = getattr(user, "pk", None)
    if pk is None:
        return Notification.objects.none()
    rows = Notification.objects.filter(recipient_id=pk)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    return notifications_for(user, unread_only=True).count()
