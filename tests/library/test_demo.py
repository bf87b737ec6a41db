"""The library's demo story runs through the services against the real demo city: eight exemplary cases
with figures, most published and found by search, one waiting for the district centre, one returned."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from chuishao.demo.library import LIBRARY_LOGINS, load_library
from chuishao.demo.loader import DEMO_PASSWORD
from chuishao.events.audit import audit_verify
from chuishao.library import selectors
from chuishao.library.models import Exemplar, Status
from chuishao.library.selectors import Filters
from tests.factories import demo_geography_and_people

pytestmark = pytest.mark.django_db


def test_demo_library_loads_and_is_searchable():
    from chuishao import clock

    demo_geography_and_people()
    # Dual reporting gives the border street's units an organiser; the 微心愿 case is then the unit's.
    from chuishao.actors import SYSTEM
    from chuishao.demo.city import DEMO_BORDER_STREET_WEST
    from chuishao.orgs.models import Organisation
    from chuishao.orgs.services import membership_grant

    unit = Organisation.objects.filter(kind="unit", jurisdiction__code=DEMO_BORDER_STREET_WEST).order_by(
        "code"
    )[0]
    membership_grant(
        actor=SYSTEM, person=authenticate(username="resident-6", password=DEMO_PASSWORD),
        role="unit_organiser", organisation=unit,
    )  # fmt: skip
    counts = load_library(now=clock.now(), log=lambda _: None)
    assert counts == {"published": 6, "submitted": 1, "returned": 1}
    assert Exemplar.objects.count() == 8
    assert all(e.results.exists() and e.tags.exists() for e in Exemplar.objects.all())
    found = selectors.library_search(Filters(query="停车"))
    # The two published parking write-ups, both with 停车 in their titles; 社区议事厅 (also on parking
    # spaces) waits for review and is not public yet.
    assert {e.title for e in found} == {
        "接诉即办“每月一题”：老旧小区停车难专项治理",
        "红色物业：党支部牵头三方联动，托乐嘉门前无名路停车难题化解",
    }
    assert selectors.library_search(Filters(query="加装电梯"))[0].title.startswith("老旧小区加装电梯")
    people = {u: authenticate(username=u, password=DEMO_PASSWORD) for u, _zh, _en in LIBRARY_LOGINS}
    assert all(people.values())
    staff, centre = people.values()
    mine = selectors.organisation_exemplars(staff)
    assert {Status.SUBMITTED, Status.RETURNED, Status.PUBLISHED} <= {e.status for e in mine}
    assert [e.status for e in selectors.review_queue(centre)] == [Status.SUBMITTED]
    assert Exemplar.objects.get(title__contains="微心愿").organisation == unit
    # Loading again adds nothing.
    load_library(now=clock.now(), log=lambda _: None)
    assert Exemplar.objects.count() == 8
    report = audit_verify()
    assert report.ok, report.problems[:3]
