"""Writes a person makes to their own inbox, and an organisation's channels."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import SystemActor
from chuishao.events.services import event_append
from chuishao.notify.errors import NotifyInvalid, NotifyPermissionDenied
from chuishao.notify.models import Channel, ChannelKind, Notification
from chuishao.notify.rules import RULES
from chuishao.orgs.models import Organisation, Role
from chuishao.orgs.scopes import grants_of


def notification_mark_read(*, actor: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own unread notifications read (all of them, or those in ``ids``)."""
    pk = getattr(actor, "pk", None)
    if pk is None or isinstance(actor, SystemActor):
        return 0
    rows = Notification.objects.filter(recipient_id=pk, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(id__in=[int(i) for i in ids])
    return rows.update(read_at=clock.now())


def _may_manage_channels(actor: Any) -> bool:
    return isinstance(actor, SystemActor) or any(g.role == Role.ADMIN for g in grants_of(actor))


def _clean(kind: str, target: str, verbs: Iterable[str]) -> tuple[str, list[str]]:
    target = (target or "").strip()
    try:
        if kind == ChannelKind.EMAIL:
            EmailValidator()(target)
        elif kind == ChannelKind.WEBHOOK:
            URLValidator(schemes=["http", "https"])(target)
        else:
            raise NotifyInvalid(_("Unknown channel kind %(k)s.") % {"k": kind})
    except ValidationError as exc:
        raise NotifyInvalid(_("%(t)s is not a valid %(k)s target.") % {"t": target, "k": kind}) from exc
    verbs = sorted(set(verbs))
    unknown = [v for v in verbs if v not in RULES]
    if unknown:
        raise NotifyInvalid(_("No notifications exist for %(v)s.") % {"v": ", ".join(unknown)})
    return target, verbs


def channel_create(
    *,
    actor: Any,
    organisation: Organisation,
    kind: str,
    target: str,
    verbs: Iterable[str] = (),
    secret: str = "",
) -> tuple[Channel, str]:
    """Add an email or webhook channel to an organisation; returns it with its signing secret.

    The secret is returned this once (a generated one if none is given) and never shown again.
    """
    if not _may_manage_channels(actor):
        raise NotifyPermissionDenied(_("Only an administrator may configure notification channels."))
    target, verbs = _clean(kind, target, verbs)
    if kind == ChannelKind.WEBHOOK and not secret:
        secret = secrets.token_hex(32)
    with transaction.atomic():
        channel = Channel.objects.create(
            organisation=organisation,
            kind=kind,
            target=target,
            secret=secret,
            verbs=verbs,
            created_at=clock.now(),
        )
        event_append(
            verb="notify.channel_created",
            actor=actor,
            chain="notify",
            city_id=organisation.jurisdiction.city_id or organisation.jurisdiction_id,
            after={
                "channel_id": channel.pk,
                "organisation_id": organisation.pk,
                "kind": kind,
                "verbs": verbs,
            },
        )
    return channel, secret


def channel_deactivate(*, actor: Any, channel: Channel) -> Channel:
    """Stop sending to a channel; deliveries still queued for it fail without being sent."""
    if not _may_manage_channels(actor):
        raise NotifyPermissionDenied(_("Only an administrator may configure notification channels."))
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        if locked.active:
            locked.active = False
            locked.save(update_fields=["active"])
            event_append(
                verb="notify.channel_deactivated",
                actor=actor,
                chain="notify",
                after={"channel_id": locked.pk, "organisation_id": locked.organisation_id},
            )
    return locked
