"""The demo's campaigns on the real demo city (its geography and people): last year's announced with a
whole audit trail, this year's in review where the printed reviewer logins can score now."""

from __future__ import annotations

import pytest

from chuishao import clock
from chuishao.campaigns import selectors as sel
from chuishao.campaigns import services as svc
from chuishao.campaigns.models import Campaign, Objection, Phase
from chuishao.demo.campaigns import CAMPAIGN_LOGINS, load_campaigns
from chuishao.demo.loader import DEMO_PASSWORD
from chuishao.events.audit import audit_verify
from tests.factories import demo_geography_and_people


@pytest.mark.django_db
def test_the_demo_campaigns_announced_and_in_review():
    from django.contrib.auth import get_user_model

    demo_geography_and_people()
    lines: list[str] = []
    result = load_campaigns(now=clock.now(), log=lines.append, password=DEMO_PASSWORD)
    past = Campaign.objects.get(pk=result["announced"])
    current = Campaign.objects.get(pk=result["reviewing"])
    assert past.status == Phase.ANNOUNCED and past.candidates.filter(shortlisted=True).count() == 10
    assert past.candidates.filter(removed=True).count() == 1
    assert set(Objection.objects.values_list("answer", flat=True)) == {"upheld", "dismissed"}
    assert current.status == Phase.REVIEWING and not current.round_closed
    assert "campaign-reviewer-1" in lines[-1] and "campaign-reviewer-2" in lines[-1]

    users = get_user_model().objects
    rev2 = users.get(username=CAMPAIGN_LOGINS[1][0])
    assert rev2.check_password(DEMO_PASSWORD)
    cand = current.candidates.order_by("pk").last()
    svc.scores_set(
        actor=rev2, campaign=current, candidate=cand, scores={c.pk: (10, "") for c in current.criteria.all()}
    )
    rev1 = users.get(username=CAMPAIGN_LOGINS[0][0])
    assert len(sel.my_scores(rev1, current)) == 6  # two candidates × three criteria
    organiser = users.get(username="city-centre")
    assert sel.still_missing(organiser, current) == 6 * 3 * 2 - 6 - 3
    assert audit_verify().ok

    # Loading again changes nothing.
    again = load_campaigns(now=clock.now(), log=lambda _: None, password=DEMO_PASSWORD)
    assert again == result and Campaign.objects.count() == 2
