"""Many people take the last places of a lecture at the same moment: capacity is never exceeded."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection

from chuishao import clock
from chuishao.activities import services as s
from chuishao.activities.errors import ActivityConflict
from chuishao.activities.models import Activity, Participation
from chuishao.actors import SYSTEM
from chuishao.orgs.services import person_create
from tests.activities.city import activity_city
from tests.activities.test_services import NOW, lecture
from tests.factories import PASSWORD

PEOPLE = 8
CAPACITY = 3


@pytest.mark.django_db(transaction=True)
def test_the_last_places_go_to_exactly_capacity_people():
    ac = activity_city()
    hashed = make_password(PASSWORD)
    people = [
        person_create(actor=SYSTEM, username=f"listener-{n}", password_hash=hashed, display_name=f"听众{n}")
        for n in range(PEOPLE)
    ]
    row = lecture(ac, capacity=CAPACITY)
    barrier = threading.Barrier(PEOPLE)
    outcomes: list[object] = [None] * PEOPLE

    def take(i: int) -> None:
        try:
            barrier.wait(timeout=20)
            with clock.frozen(NOW):
                s.signup(actor=people[i], activity=row.pk)
            outcomes[i] = "ok"
        except Exception as exc:  # noqa: BLE001 — the test inspects what each thread got
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(i,)) for i in range(PEOPLE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    winners = [o for o in outcomes if o == "ok"]
    losers = [o for o in outcomes if o != "ok"]
    assert len(winners) == CAPACITY, outcomes
    assert all(isinstance(o, ActivityConflict) for o in losers), losers
    assert Activity.objects.get(pk=row.pk).taken == CAPACITY
    assert Participation.objects.filter(activity=row, holds_place=True).count() == CAPACITY
