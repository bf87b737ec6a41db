"""Many members claim the last places of a task at the same moment: capacity is never exceeded."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from chuishao.engagement import services as s
from chuishao.engagement.errors import EngagementConflict
from chuishao.engagement.models import Claim, ClaimStatus, ServicePost, Task
from tests.factories import add_engagement, build_small_city

MEMBERS = 8
CAPACITY = 3


@pytest.mark.django_db(transaction=True)
def test_the_last_places_go_to_exactly_capacity_members():
    city = add_engagement(build_small_city(), members=MEMBERS)
    community = city.node("110901001001")
    start = timezone.now() + dt.timedelta(days=1)
    for n in range(1, MEMBERS + 1):
        reg = s.registration_submit_member(
            actor=city.people[f"member-{n}"], community=community, unit=city.orgs["bureau-a"], posts=["order"]
        )
        s.registration_decide(actor=city.people["community-a"], registration=reg, accept=True)
    task = s.task_create(
        actor=city.people["community-a"],
        node=community,
        title="整理共享单车",
        post=ServicePost.objects.get(code="environment"),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        capacity=CAPACITY,
        place="仙岳路",
    )
    barrier = threading.Barrier(MEMBERS)
    outcomes: list[object] = [None] * MEMBERS

    def claim(i: int) -> None:
        try:
            barrier.wait(timeout=20)
            s.claim_task(actor=city.people[f"member-{i + 1}"], task=task.pk)
            outcomes[i] = "ok"
        except Exception as exc:  # noqa: BLE001 — the test inspects what each thread got
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(MEMBERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    winners = [o for o in outcomes if o == "ok"]
    losers = [o for o in outcomes if o != "ok"]
    assert len(winners) == CAPACITY, outcomes
    assert all(isinstance(o, EngagementConflict) for o in losers), losers
    assert Task.objects.get(pk=task.pk).claimed == CAPACITY
    assert Claim.objects.filter(task=task, status=ClaimStatus.CLAIMED).count() == CAPACITY
