"""The demo city's grid work: the showcase community's staff see a red grid, the showcase grid worker
leads a beat and has walked it."""

from __future__ import annotations

import pytest

from chuishao import clock
from chuishao.demo.city import DEMO_BORDER_GRID_WEST
from chuishao.demo.gridwork import load_gridwork
from chuishao.geo.models import Jurisdiction
from chuishao.gridwork import selectors as sel
from chuishao.gridwork.models import Patrol, ResponsibilityGrid
from chuishao.orgs.models import Membership
from tests.factories import demo_geography_and_people


@pytest.mark.django_db
def test_the_showcase_community_shows_red_and_its_worker_walked():
    demo_geography_and_people()
    now = clock.now()
    made = load_gridwork(now=now, days=7, elsewhere_days=2, log=lambda _: None)
    assert made["beats"] == ResponsibilityGrid.objects.count() > 100
    community = Jurisdiction.objects.get(code=DEMO_BORDER_GRID_WEST[:12])
    staff = Membership.objects.get(role="community_staff", node=community).person
    cov = sel.coverage(actor=staff, node=community, at=now)
    assert 0 < cov.stale_count < len(cov.grids)
    worker = Membership.objects.get(role="grid_worker", node__code=DEMO_BORDER_GRID_WEST).person
    assert ResponsibilityGrid.objects.filter(worker=worker, grids__code=DEMO_BORDER_GRID_WEST).exists()
    assert Patrol.objects.filter(worker=worker).count() == 7
    assert sel.visits_visible_to(staff).exists()
    assert sel.worker_month(actor=worker).patrols > 0 or now.day <= 7
