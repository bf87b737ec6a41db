"""Two people acting on one case at once: exactly one wins, the other gets a clear conflict."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from chuishao.cases.errors import CaseConflict
from chuishao.cases.models import Case, Status
from chuishao.cases.services import case_act
from chuishao.events.models import Event
from tests.factories import build_small_city, grid_centre


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("action", "params"), [("accept", {}), ("return", {"reason": "不归我们管"})])
def test_concurrent_transitions_one_wins(action, params):
    from chuishao.cases.services import case_report

    city = build_small_city()
    lat, lng = grid_centre("110901001001001")
    case = case_report(
        actor=city.people["resident"],
        source="resident_web",
        category="S0102",
        description="垃圾",
        lat=lat,
        lng=lng,
    )
    case_act(case=case, action="file", actor=city.people["street-a"])
    case_act(case=case, action="dispatch", actor=city.people["street-a"], lead=city.orgs["um-110901"])
    # A second clerk of the same department acts at the same moment.
    from chuishao.orgs.services import membership_grant, person_create

    other = person_create(actor=city.people["admin"], username="um-a-2", password="x-Secret-2026")
    membership_grant(
        actor=city.people["admin"], person=other, role="department_staff", organisation=city.orgs["um-110901"]
    )
    actors = [city.people["um-a"], other]
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def act(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            case_act(case=case.pk, action=action, actor=actors[i], **params)
            outcomes[i] = "ok"
        except Exception as exc:  # noqa: BLE001 — the test inspects what each thread got
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("ok") == 1, outcomes
    loser = next(o for o in outcomes if o != "ok")
    assert isinstance(loser, CaseConflict), loser
    assert "cannot be" in loser.message
    case = Case.objects.get(pk=case.pk)
    assert case.status == (Status.ACCEPTED if action == "accept" else Status.RETURNED)
    assert Event.objects.filter(case_id=case.pk, verb=f"case.{action}").count() == 1
