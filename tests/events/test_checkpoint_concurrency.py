"""Two checkpoint jobs at once (several workers): the second waits and seals nothing twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from chuishao.actors import SYSTEM
from chuishao.events.audit import audit_verify
from chuishao.events.models import Checkpoint, Event
from chuishao.events.services import checkpoint_create, event_append

NOW = dt.timedelta(0)


def _append(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            event_append(verb="test.noted", actor=SYSTEM, chain="test:checkpoints", after={"i": i})


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sealed_before", [False, True], ids=["first-checkpoint", "after-a-checkpoint"])
def test_a_checkpoint_waits_for_one_being_written_and_does_not_seal_its_range_again(sealed_before):
    # Given settled events (and, in the second case, an earlier checkpoint under some of them).
    _append(5)
    if sealed_before:
        assert checkpoint_create(settle=NOW) is not None
        _append(5)
    holding, outcome = threading.Event(), {}

    def first() -> None:
        # A worker writes a checkpoint and keeps its transaction open a moment.
        try:
            with transaction.atomic():
                outcome["first"] = checkpoint_create(settle=NOW)
                holding.set()
                threading.Event().wait(1.0)
        finally:
            holding.set()
            connection.close()

    def second() -> None:
        # Another worker's checkpoint job starts meanwhile.
        try:
            holding.wait(10)
            outcome["second"] = checkpoint_create(settle=NOW)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    # Then the second found everything sealed already: one new checkpoint, ranges end to end.
    assert outcome["first"] is not None
    assert outcome["second"] is None
    ranges = list(Checkpoint.objects.order_by("id").values_list("first_event_id", "last_event_id"))
    assert len(ranges) == (2 if sealed_before else 1)
    assert ranges[0][0] == 1
    assert all(nxt[0] == prev[1] + 1 for prev, nxt in zip(ranges, ranges[1:], strict=False))
    assert ranges[-1][1] == Event.objects.order_by("-id").values_list("id", flat=True).first()
    assert audit_verify().ok
