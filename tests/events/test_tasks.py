"""The worker's periodic checkpoint seals what was written and leaves the chain verifiable."""

from __future__ import annotations

import datetime as dt

import time_machine

from chuishao.events.audit import audit_verify
from chuishao.events.models import Checkpoint, Event
from chuishao.events.tasks import audit_checkpoint
from tests.factories import build_small_city


def test_periodic_checkpoint_seals_settled_events(db):
    build_small_city()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)):
        audit_checkpoint.call_local()
    checkpoint = Checkpoint.objects.get()
    assert checkpoint.last_event_id == Event.objects.order_by("-id").first().id
    assert checkpoint.event_count == Event.objects.count()
    assert audit_verify().ok


def test_young_events_wait_for_the_next_checkpoint(db):
    build_small_city(fresh=True)  # events written just now, not a copy of an earlier build's
    audit_checkpoint.call_local()
    assert not Checkpoint.objects.exists()
