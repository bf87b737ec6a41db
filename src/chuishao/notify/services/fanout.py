"""The fan-out reader: turns new events into inbox notifications and delivery rows.

It reads the events table in id order from a ``Cursor`` and, per batch and in one transaction,
writes ``Notification`` rows for the people an event concerns and ``Delivery`` rows for the channels
of the organisations it concerns (``notify.rules``). Unique constraints and ``ignore_conflicts`` make
reading an event twice harmless, so a crash between batches only repeats work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import translation

from chuishao import clock
from chuishao.cases.models import Whistle
from chuishao.events.models import Event
from chuishao.notify.models import Channel, Cursor, Delivery, DeliveryState, Notification
from chuishao.notify.payloads import link_of, whistle_id_of
from chuishao.notify.rules import RULES, Directory, Subject, message

CURSOR_NAME = "fanout"
# As audit checkpoints (events.services.CHECKPOINT_SETTLE): a transaction that appended an event
# commits within this time, or never.
SETTLE_SECONDS = 60


@dataclass
class FanoutResult:
    events: int = 0
    notifications: int = 0
    deliveries: int = 0


def fanout(*, batch: int = 500) -> FanoutResult:
    """Read every event not yet fanned out, ``batch`` at a time, one transaction per batch.

    **Events can commit out of id order.** On PostgreSQL an id is taken when the row is inserted,
    but the row becomes visible only when its transaction commits, so event 41 may appear after
    event 42 was read. A reader that simply kept "the highest id read" would skip 41 for ever.

    So the cursor keeps three things: ``seen_event_id`` (the highest id read), ``holes`` (the id
    ranges below it that were invisible when read) and ``last_event_id`` (everything up to it is
    done for good). New events are processed as soon as they are visible — delivery is prompt — and
    each run looks up the holes again (a cheap primary-key lookup). A hole is given up once a
    visible event with a *higher* id is older than the settle window: ids are taken in insertion
    order and an event's ``created_at`` is the clock at insertion, so the missing event would be
    older still, and a transaction that appends an event commits within 60 s (the rule audit
    checkpoints rely on; see ``events.services.checkpoint_create``) — it was rolled back, or it was
    a sequence gap. Reprocessing is harmless (unique constraints), so the rule only has to err on
    the side of looking again.

    On SQLite writers are serialised by the database lock, so ids commit in order and there are
    never holes; the same code runs.
    """
    settle = dt.timedelta(seconds=getattr(settings, "CHUISHAO_NOTIFY_SETTLE_SECONDS", SETTLE_SECONDS))
    total = FanoutResult()
    while True:
        done, more = _fanout_batch(batch=batch, settle=settle)
        total.events += done.events
        total.notifications += done.notifications
        total.deliveries += done.deliveries
        if not more:
            return total


def _missing(start: int, ids: list[int]) -> list[list[int]]:
    """Id ranges ``[lo, hi]`` absent between ``start`` (exclusive) and each id of ``ids`` (sorted)."""
    gaps, previous = [], start
    for i in ids:
        if i > previous + 1:
            gaps.append([previous + 1, i - 1])
        previous = i
    return gaps


def _subtract(ranges: list[list[int]], found: set[int]) -> list[list[int]]:
    """``ranges`` minus the ids in ``found``."""
    out: list[list[int]] = []
    for lo, hi in ranges:
        inside = sorted(i for i in found if lo <= i <= hi)
        start = lo - 1
        for gap in _missing(start, [*inside, hi + 1]):
            out.append(gap)
    return out


def _load(ids: list[int]) -> list[Event]:
    """Full rows of the events among ``ids`` that some rule is about, with their case."""
    if not ids:
        return []
    return list(
        Event.objects.filter(id__in=ids, verb__in=list(RULES))
        .select_related("case", "case__category")
        .order_by("id")
    )


def _fanout_batch(*, batch: int, settle: dt.timedelta) -> tuple[FanoutResult, bool]:
    with transaction.atomic():
        cursor, _ = Cursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
        holes: list[list[int]] = [list(r) for r in cursor.holes or []]
        late: list[int] = []
        if holes:
            within = Q()
            for lo, hi in holes:
                within |= Q(id__gte=lo, id__lte=hi)
            late = list(Event.objects.filter(within).values_list("id", flat=True))
            holes = _subtract(holes, set(late))
        new = list(
            Event.objects.filter(id__gt=cursor.seen_event_id)
            .order_by("id")
            .values_list("id", flat=True)[:batch]
        )
        if new:
            holes += _missing(cursor.seen_event_id, new)
            cursor.seen_event_id = new[-1]
        if holes:
            # Ids of holes below a settled visible event will never fill (see ``fanout``).
            above = Event.objects.filter(
                id__gt=holes[0][0], id__lte=cursor.seen_event_id, created_at__lte=clock.now() - settle
            ).aggregate(top=Max("id"))["top"]
            if above is not None:
                holes = [[max(lo, above), hi] for lo, hi in holes if hi >= above]
        result = _write(_load(late + new))
        result.events = len(late) + len(new)
        cursor.holes = holes
        cursor.last_event_id = holes[0][0] - 1 if holes else cursor.seen_event_id
        cursor.updated_at = clock.now()
        cursor.save(update_fields=["holes", "last_event_id", "seen_event_id", "updated_at"])
    return result, len(new) == batch


def _write(events: list[Event]) -> FanoutResult:
    """Notification and delivery rows for ``events`` (existing ones are left alone)."""
    result = FanoutResult()
    if not events:
        return result
    directory = Directory()
    whistle_ids = {w for w in map(whistle_id_of, events) if w is not None}
    whistles = Whistle.objects.in_bulk(list(whistle_ids))
    concerned: list[tuple[Event, set[int]]] = []
    notifications: list[Notification] = []
    language = getattr(settings, "CHUISHAO_NOTIFY_LANGUAGE", settings.LANGUAGE_CODE)
    with translation.override(language):
        for event in events:
            rule = RULES[event.verb]
            wid = whistle_id_of(event)
            subject = Subject(event, event.case, whistles.get(wid) if wid else None, directory)
            audience = rule.resolve(subject)
            # The person who acted knows already.
            people = audience.people - {event.actor_id}
            if people:
                title, body = message(rule, subject)
                link = link_of(case_id=event.case_id, whistle_id=wid)
                notifications += [
                    Notification(
                        recipient_id=person,
                        event_id=event.pk,
                        verb=event.verb,
                        city_id=event.city_id,
                        case_id=event.case_id,
                        whistle_id=subject.whistle.pk if subject.whistle else None,
                        title=title,
                        body=body,
                        link=link,
                        created_at=event.created_at,
                    )
                    for person in sorted(people)
                ]
            if audience.orgs:
                concerned.append((event, audience.orgs))
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    result.notifications = len(notifications)
    deliveries = _deliveries(concerned)
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    result.deliveries = len(deliveries)
    return result


def _deliveries(concerned: list[tuple[Event, set[int]]]) -> list[Delivery]:
    org_ids = set().union(*(orgs for _, orgs in concerned)) if concerned else set()
    channels: dict[int, list[Channel]] = {}
    for channel in Channel.objects.filter(organisation_id__in=org_ids, active=True):
        channels.setdefault(channel.organisation_id, []).append(channel)
    now = clock.now()
    rows = []
    for event, orgs in concerned:
        for org_id in sorted(orgs):
            rows += [
                Delivery(
                    channel=channel,
                    event_id=event.pk,
                    city_id=event.city_id,
                    state=DeliveryState.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
                for channel in channels.get(org_id, [])
                if channel.wants(event.verb)
            ]
    return rows


def fanout_skip_to_latest() -> int:
    """Mark every event so far as fanned out (after loading a demo's months of history, say)."""
    with transaction.atomic():
        cursor, _ = Cursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
        top = Event.objects.aggregate(top=Max("id"))["top"] or 0
        cursor.last_event_id = cursor.seen_event_id = max(top, cursor.seen_event_id)
        cursor.holes = []
        cursor.updated_at = clock.now()
        cursor.save(update_fields=["holes", "last_event_id", "seen_event_id", "updated_at"])
    return cursor.last_event_id
