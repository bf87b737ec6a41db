"""The demo's grid work on the small city: beats, daily patrols with a stale grid that the coverage map
shows red."""

from __future__ import annotations

from chuishao.demo.gridwork import load_gridwork
from chuishao.gridwork import selectors as sel
from chuishao.gridwork.models import Patrol, ResponsibilityGrid
from tests.gridwork.conftest import at

NOW = at(2026, 5, 20, 18)


def _red(city) -> dict[str, bool | None]:
    out: dict[str, bool | None] = {}
    for street in ("110901001", "110902001"):
        cov = sel.coverage(actor=city.people["city"], node=city.node(street), at=NOW)
        out |= {g.grid.code: g.stale for g in cov.grids}
    return out


def test_demo_gridwork(city):
    made = load_gridwork(now=NOW, days=10, stale_grids=1, elsewhere_days=10, log=lambda _: None)
    # The small city has workers on the first grid of communities A1a and B1a: one beat each.
    assert made["beats"] == ResponsibilityGrid.objects.count() == 2
    assert made["patrols"] == Patrol.objects.count() == 20
    assert not Patrol.objects.filter(ended_at__isnull=True).exists()
    in_beats = {"110901001001001", "110901001001002", "110902001001001", "110902001001002"}
    red = {code for code, stale in _red(city).items() if stale and code in in_beats}
    assert len(red) == made["stale"] == 1


def test_recent_patrols_carry_a_track_and_a_distance(city):
    load_gridwork(now=NOW, days=3, stale_grids=1, log=lambda _: None)
    recent = Patrol.objects.filter(started_at__date__gte="2026-05-18")
    assert recent.exists() and all(p.track and p.distance_m > 0 for p in recent)
