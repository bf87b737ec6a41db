"""A planted history on the small factory city: one recurring, cross-department problem (e-bike charging
in street A1, handled by urban management and water in turn), a one-month burst elsewhere, and a trickle
in street B1 — replayed through the real services by ``chuishao.demo.monthly.plant_problem``."""

from __future__ import annotations

import random

from chuishao import clock
from chuishao.catalog.models import Category
from chuishao.demo.monthly import Plan, _ebike_text, _noise_text, plant_problem
from chuishao.geo.models import Jurisdiction

BEFORE, DURING, AFTER = 4, 3, 1
TAKEN_AGO = 4


def ebike_volume(offset: int) -> int:
    """Reports in a month (0: the running month): 4 a month, 3 in the month taken on, 1 afterwards."""
    if offset < -TAKEN_AGO:
        return BEFORE
    return DURING if offset == -TAKEN_AGO else AFTER


def plant(city, *, seed: int = 7) -> dict[str, Category]:
    rng = random.Random(seed)
    now = clock.now()
    grids_a = list(Jurisdiction.objects.filter(kind="grid", street__code="110901001").order_by("code"))
    ebike = Category.objects.get(kind="event", name="电动车违规充电")
    burst = Category.objects.get(kind="event", name="暴露垃圾")
    trickle = Category.objects.get(kind="event", name="邻里纠纷")
    um, water = city.orgs["um-110901"], city.orgs["water-110901"]
    plant_problem(
        Plan(
            category=ebike,
            grids=grids_a,
            leads=[um, water],
            texts=_ebike_text,
            volume=ebike_volume,
            months=12,
        ),
        rng=rng,
        now=now,
    )
    # A burst: many reports, but in one month only (not recurring).
    plant_problem(
        Plan(
            category=burst,
            grids=grids_a,
            leads=[um],
            texts=lambda r: "路边垃圾桶满溢，垃圾散落地面",
            volume=lambda o: 9 if o == -2 else 0,
            months=3,
        ),
        rng=rng,
        now=now,
    )
    # A trickle in street A1 as well: recurring but small and handled by one organisation.
    plant_problem(
        Plan(
            category=trickle,
            grids=grids_a,
            leads=[um],
            texts=_noise_text,
            volume=lambda o: 1 if o % 3 == 0 else 0,
            months=12,
        ),
        rng=rng,
        now=now,
    )
    return {"ebike": ebike, "burst": burst, "trickle": trickle}
