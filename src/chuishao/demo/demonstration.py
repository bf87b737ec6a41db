"""The demonstration programme in the demo city: a city programme of demonstration communities, units
named at the start of the year, and the year's review confirmed by the city centre.

The programme's targets are fixed here (response ≥ 70 %, resolution ≥ 90 %, satisfaction ≥ 85 %, party
organisation coverage ≥ 80 %, dual-reporting participation ≥ 50 %). The showcase street beside the
district border (the Panjin street: a party branch in every grid, and the dual-reporting members)
names its three communities, with one place more than the default two. Elsewhere the city names one
community the rule will warn and one it will drop, chosen by computing every community's figures
with those same targets: what the review shows follows from the demo's own cases, coverage and
service records, and the reviewer confirms each proposal without overriding any.

The year reviewed is the one the replayed history mostly falls in (60 days before ``now``): the
running year reviewed up to today, or last year's once the new year has begun.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from chuishao import clock
from chuishao.demo.city import CITY_CODE, DEMO_BORDER_STREET_WEST
from chuishao.demonstration import services as svc
from chuishao.demonstration.models import Outcome, Review
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Membership, Role

TARGETS = {"response": 70, "resolution": 90, "satisfaction": 85, "coverage": 80, "participation": 50}
QUOTA = 2
SHOWCASE_QUOTA = 3
# Logins that show the programme: the reviewer, a leader, and the showcase street's dispatcher.
DEMONSTRATION_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("city-centre", "市指挥中心（示范创建的命名与年度评估）", "city centre (names units, reviews the year)"),
    ("city-leader", "市领导（示范创建）", "city leader (demonstration programme)"),
)


def _person(role: str, node: Jurisdiction) -> Any:
    found = Membership.objects.filter(role=role, node=node, active=True).select_related("person").first()
    return found.person if found else None


def review_year(now: dt.datetime) -> int:
    return timezone.localtime(now - dt.timedelta(days=60)).year


def load_demonstration(*, now: dt.datetime, log: Callable[[str], None]) -> dict[str, Any]:
    city = Jurisdiction.objects.get(code=CITY_CODE)
    centre = _person(Role.CITY_CENTRE, city)
    year = review_year(now)
    tz = timezone.get_current_timezone()
    start = min(dt.datetime(year, 1, 10, 9, tzinfo=tz), now - dt.timedelta(hours=1))
    showcase = Jurisdiction.objects.get(code=DEMO_BORDER_STREET_WEST)
    communities = list(Jurisdiction.objects.filter(kind="community", city=city).order_by("code"))
    # What the rule would say of each community with the programme's targets, from the year's data.
    with clock.frozen(now):
        proposals = {c.pk: svc.judge(c, year, TARGETS)["proposed"] for c in communities}
    chosen = [c for c in communities if c.street_id == showcase.pk]
    others = [c for c in communities if c.street_id != showcase.pk]
    for outcome in (Outcome.KEEP, Outcome.WARN, Outcome.DROP):
        if any(proposals[c.pk] == outcome for c in chosen):
            continue
        pick = next((c for c in others if proposals[c.pk] == outcome and c not in chosen), None)
        if pick is not None:
            chosen.append(pick)
        else:
            log(f"demonstration: no community the rule would {outcome} in {year}")
    with clock.frozen(start):
        programme = svc.programme_create(
            actor=centre,
            owner_node=city,
            name=f"{year}年城市基层党建示范社区",
            name_en=f"{year} Urban Grassroots Party-Building Demonstration Communities",
            level="community",
            quota=QUOTA,
            targets=TARGETS,
            description="以党建引领基层治理：接诉即办三率、党组织覆盖、在职党员双报到参与，逐年评估，动态调整。",
        )
        svc.quota_set(
            actor=centre,
            programme=programme,
            region=showcase,
            quota=SHOWCASE_QUOTA,
            reason="盘锦式网格党建试点街道",
        )
        for community in chosen:
            note = "网格党支部全覆盖、双报到示范" if community.street_id == showcase.pk else "区推荐"
            svc.unit_name(actor=centre, programme=programme, node=community, note=note)
    with clock.frozen(now):
        reviews = svc.review_run(actor=centre, programme=programme, year=year)
        for review in reviews:
            svc.review_decide(actor=centre, review=review, outcome=review.proposed, reason="按规则确认")
    decided = Review.objects.filter(unit__programme=programme, year=year)
    tally = {o: decided.filter(outcome=o).count() for o in Outcome.values}
    log(
        f"demonstration: {programme.name}, {len(chosen)} units, review of {year}: "
        f"{tally['keep']} keep, {tally['warn']} warn, {tally['drop']} drop"
    )
    return {"programme": programme.pk, "year": year, **tally}
