"""Helpers shared by the notifications tests: appending contract events, whistles, reading inboxes."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.cases.models import Case, Whistle, WhistleSummons
from chuishao.events.models import Event
from chuishao.events.services import event_append
from chuishao.notify.models import Notification


def append(verb: str, *, after: dict, case: Case | None = None, whistle: Whistle | None = None, actor=SYSTEM):
    """Append an event as the services being written will (the contract in docs/notifications.md)."""
    with transaction.atomic():
        if case is not None:
            locked = Case.objects.select_for_update().get(pk=case.pk)
            return event_append(verb=verb, actor=actor, case=locked, after=after)
        return event_append(
            verb=verb, actor=actor, chain=f"whistle:{whistle.pk}", city_id=whistle.city_id, after=after
        )


def make_whistle(city, *, orgs=("um-110901", "water-110901"), number="W110901-0001") -> Whistle:
    now = clock.now()
    street = city.node("110901001")
    whistle = Whistle.objects.create(
        number=number,
        city=city.city,
        kind="everyday",
        reason="beyond_power",
        description="违建拆除需要联合执法",
        street=street,
        created_at=now,
    )
    for i, code in enumerate(orgs):
        WhistleSummons.objects.create(
            whistle=whistle,
            organisation=city.orgs[code],
            role="lead" if i == 0 else "assist",
            summoned_by=street,
            summoned_at=now,
            acknowledge_due=now + dt.timedelta(hours=1),
            onsite_due=now + dt.timedelta(hours=2),
        )
    return whistle


def last(verb: str) -> Event:
    return Event.objects.filter(verb=verb).latest("id")


def recipients(event: Event) -> set[str]:
    return set(Notification.objects.filter(event_id=event.pk).values_list("recipient__username", flat=True))
