"""The fan-out reader: idempotent, prompt, and safe when events commit out of id order."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, transaction

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.cases.services import case_dispatch, case_file
from chuishao.events.models import Event
from chuishao.events.services import event_append
from chuishao.notify.models import Channel, Cursor, Delivery, Notification
from chuishao.notify.services import channel_create, fanout, fanout_skip_to_latest
from chuishao.notify.services.fanout import _missing, _subtract
from tests.notify.helpers import append, make_whistle, recipients


def _dispatch(city, report):
    case = report()
    case_file(case=case, actor=city.people["street-a"])
    return case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])


def _rows():
    return (
        sorted(Notification.objects.values_list("recipient_id", "event_id", "title")),
        sorted(Delivery.objects.values_list("channel_id", "event_id", "state")),
    )


def test_fanout_twice_writes_the_same_rows(city, report):
    channel_create(actor=SYSTEM, organisation=city.orgs["um-110901"], kind="email", target="um@example.org")
    _dispatch(city, report)
    first = fanout()
    assert first.notifications == 1 and first.deliveries == 1
    rows = _rows()
    # Forget how far we read: everything is read again and nothing new is written.
    Cursor.objects.update(last_event_id=0, seen_event_id=0, holes=[])
    fanout()
    fanout()
    assert _rows() == rows
    assert Notification.objects.count() == 1 and Delivery.objects.count() == 1


def test_events_are_fanned_out_in_small_batches(city, report):
    for _ in range(3):
        _dispatch(city, report)
    result = fanout(batch=7)
    assert result.events == Event.objects.count()
    assert Notification.objects.filter(verb="case.dispatch").count() == 3
    assert Cursor.objects.get().seen_event_id == Event.objects.latest("id").pk
    # Ids below the first event (a sequence that did not start at 1) are given up once settled.
    with time_machine.travel(clock.now() + dt.timedelta(minutes=2)):
        fanout()
    cursor = Cursor.objects.get()
    assert cursor.last_event_id == cursor.seen_event_id == Event.objects.latest("id").pk


def test_channels_get_deliveries_for_the_verbs_they_want(city, report):
    um = city.orgs["um-110901"]
    everything, _ = channel_create(actor=SYSTEM, organisation=um, kind="email", target="all@example.org")
    warned_only, _ = channel_create(
        actor=SYSTEM, organisation=um, kind="webhook", target="http://127.0.0.1:9/x", verbs=["case.warned"]
    )
    off, _ = channel_create(actor=SYSTEM, organisation=um, kind="email", target="off@example.org")
    Channel.objects.filter(pk=off.pk).update(active=False)
    channel_create(
        actor=SYSTEM, organisation=city.orgs["water-110902"], kind="email", target="other@example.org"
    )
    case = _dispatch(city, report)
    append("case.warned", case=case, after={"warn_level": "yellow", "stage": "accept"})
    fanout()
    got = set(Delivery.objects.values_list("channel_id", "event__verb"))
    assert got == {
        (everything.pk, "case.dispatch"),
        (everything.pk, "case.warned"),
        (warned_only.pk, "case.warned"),
    }


def test_an_event_that_commits_late_with_a_lower_id_is_still_delivered(city, report):
    """Simulated out-of-order commit: ids N+1 and N+3 become visible first, N+2 afterwards."""
    case = _dispatch(city, report)
    with time_machine.travel(clock.now() + dt.timedelta(minutes=2)):
        fanout()
    top = Event.objects.latest("id")
    assert Cursor.objects.get().last_event_id == top.pk
    base = top.pk + 1000  # explicit ids far above the sequence, so later appends never collide

    def raw(pk: int) -> Event:
        return Event.objects.create(
            id=pk,
            chain=f"test:{pk}",
            seq=1,
            verb="case.chased",
            city_id=case.city_id,
            case=case,
            actor_label="system",
            after={},
            created_at=clock.now(),
            prev_hash="0" * 64,
            hash="0" * 64,
        )

    raw(base + 1)
    raw(base + 3)
    fanout()
    cursor = Cursor.objects.get()
    assert cursor.seen_event_id == base + 3
    assert [base + 2, base + 2] in cursor.holes
    # The cursor stops below the hole (and below the sequence gap up to ``base``).
    assert cursor.last_event_id == top.pk
    late = raw(base + 2)
    fanout()
    assert recipients(late) == {"um-a"}
    assert Cursor.objects.get().holes == [[top.pk + 1, base]]
    # Once a later event has settled, the gaps that never filled are given up.
    with time_machine.travel(clock.now() + dt.timedelta(minutes=4)):
        fanout()
    cursor = Cursor.objects.get()
    assert cursor.holes == []
    assert cursor.last_event_id == base + 3


def test_holes_are_ranges():
    assert _missing(10, [11, 14, 15, 20]) == [[12, 13], [16, 19]]
    assert _subtract([[12, 13], [16, 19]], {12, 17, 19}) == [[13, 13], [16, 16], [18, 18]]


def test_skip_to_latest_leaves_history_alone(city, report):
    _dispatch(city, report)
    fanout_skip_to_latest()
    assert fanout().events == 0
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_real_out_of_order_commit_on_postgresql():
    """A transaction that took a lower id commits after fan-out read a higher one (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers, so ids always commit in order: nothing to test there")
    from tests.factories import build_small_city

    city = build_small_city()
    whistle = make_whistle(city)
    fanout()
    appended, release = threading.Event(), threading.Event()
    slow: list[Event] = []

    def slow_writer():
        try:
            with transaction.atomic():
                slow.append(
                    event_append(
                        verb="whistle.rated",
                        actor=SYSTEM,
                        chain="whistle:slow-lane",
                        city_id=whistle.city_id,
                        after={"organisation_id": city.orgs["water-110901"].pk},
                    )
                )
                appended.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert appended.wait(timeout=30)
    fast = append("whistle.rated", whistle=whistle, after={"organisation_id": city.orgs["um-110901"].pk})
    assert fast.pk > slow[0].pk
    fanout()
    assert recipients(fast) == {"um-a"}
    assert Cursor.objects.get().last_event_id < slow[0].pk
    release.set()
    thread.join(timeout=30)
    fanout()
    assert Notification.objects.filter(event_id=slow[0].pk, recipient__username="water-a").exists()
