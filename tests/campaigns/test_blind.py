"""Blind scoring at the selector level: before the round closes a reviewer reads only their own scores,
the organiser only counts, nobody totals, and the audit trail hides the values; after closure the
totals are open to the organiser and the reviewers (never to recommenders or the public). Who reads a
campaign at all, the contacts and the objectors are tested here too."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from chuishao import clock
from chuishao.campaigns import selectors as sel
from chuishao.campaigns import services as svc
from chuishao.campaigns.errors import CampaignDenied, CampaignNotFound
from tests.campaigns.story import (
    SHEET,
    at,
    campaign_city,
    closed,
    in_notice,
    make_campaign,
    recommended,
    score_all,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return campaign_city()


def test_a_reviewer_reads_only_their_own_scores_before_closure(city):
    campaign, _people = recommended(city)
    score_all(city, campaign, SHEET)
    mine = sel.my_scores(city.people["rev-1"], campaign)
    assert len(mine) == 6
    assert {s.reviewer.person.username for s in mine.values()} == {"rev-1"}
    assert sel.my_scores(city.people["city"], campaign) == {}  # the organiser reviews nothing
    assert sel.my_scores(city.people["rev-3"], campaign) == {}
    for who in ("rev-1", "rev-2", "city", "admin", "leader"):
        with pytest.raises(CampaignDenied, match="sealed"):
            sel.results(city.people[who], campaign)


def test_the_organiser_sees_only_how_many_scores_are_in(city):
    campaign, people = recommended(city)
    score_all(city, campaign, {"rev-1": SHEET["rev-1"]})
    progress = {p.reviewer.person.username: p for p in sel.score_progress(city.people["city"], campaign)}
    assert (progress["rev-1"].scored, progress["rev-1"].expected) == (6, 6)
    assert (progress["rev-2"].scored, progress["rev-2"].expected) == (0, 6)
    assert not any(hasattr(p, "value") or hasattr(p, "total") for p in progress.values())
    assert sel.still_missing(city.people["city"], campaign) == 6
    for who in ("rev-1", "street-a"):
        with pytest.raises(CampaignDenied):
            sel.score_progress(city.people[who], campaign)


def test_the_audit_trail_hides_score_values_until_closure(city):
    campaign, _people = recommended(city)
    score_all(city, campaign, SHEET)
    scored = [e for e in sel.audit_trail(city.people["city"], campaign) if e.verb == "campaigns.scored"]
    assert len(scored) == 6 and all(e.after["scores"] == sel.SEALED for e in scored)
    with pytest.raises(CampaignDenied):
        sel.audit_trail(city.people["rev-1"], campaign)
    with clock.frozen(at("2026-03-13")):
        svc.round_close(actor=city.people["city"], campaign=campaign)
    campaign.refresh_from_db()
    scored = [e for e in sel.audit_trail(city.people["city"], campaign) if e.verb == "campaigns.scored"]
    assert scored[0].after["scores"] == {"事迹突出": "9.0", "群众认可": "8.0"}


def test_after_closure_totals_are_open_to_organiser_and_reviewers_only(city):
    campaign, _people = closed(city)
    for who in ("city", "rev-1", "rev-2"):
        rows = sel.results(city.people[who], campaign)
        assert [r.candidate.name for r in rows] == ["张明", "李红", "王芳"]
    for who in ("street-a", "bureau-organiser", "resident", "rev-3"):
        with pytest.raises(CampaignDenied):
            sel.results(city.people[who], campaign)


def test_who_reads_a_campaign(city):
    campaign = make_campaign(city)
    with pytest.raises(CampaignNotFound):
        sel.campaign_for(city.people["street-a"], campaign.pk)  # a draft: organisers only
    with pytest.raises(CampaignNotFound):
        sel.campaign_for(AnonymousUser(), campaign.pk)
    assert sel.campaign_for(city.people["leader"], campaign.pk)[1].organiser
    campaign, _people = recommended(city)
    for who in ("resident", "um-a", "grid-a"):
        with pytest.raises(CampaignNotFound):
            sel.campaign_for(city.people[who], campaign.pk)
    assert sel.campaign_for(city.people["rev-1"], campaign.pk)[1].reviewer is not None
    assert sel.campaign_for(city.people["street-a"], campaign.pk)[1].bodies
    # A recommender reads their own candidates only; reviewers all.
    _c, access = sel.campaign_for(city.people["street-a"], campaign.pk)
    assert [c.name for c in sel.candidates_listed(city.people["street-a"], campaign, access)] == ["李红"]
    _c, access = sel.campaign_for(city.people["rev-1"], campaign.pk)
    assert len(sel.candidates_listed(city.people["rev-1"], campaign, access)) == 3


def test_the_public_reads_the_shortlist_and_objectors_stay_with_the_organiser(city):
    campaign, people = in_notice(city)
    _c, access = sel.campaign_for(AnonymousUser(), campaign.pk)
    assert access.public and not access.organiser
    assert {c.name for c in sel.candidates_listed(AnonymousUser(), campaign, access)} == {"张明", "李红"}
    with clock.frozen(at("2026-03-24")):
        svc.objection_lodge(
            actor=city.people["resident"], campaign=campaign, candidate=people["张明"], text="有误"
        )
        svc.objection_lodge(
            actor=city.people["resident2"], campaign=campaign, candidate=people["李红"], text="不实"
        )
    assert len(sel.objections_for(city.people["city"], campaign)) == 2
    assert [o.text for o in sel.objections_for(city.people["resident"], campaign)] == ["有误"]
    assert sel.objections_for(city.people["rev-1"], campaign) == []
    assert sel.objections_for(AnonymousUser(), campaign) == []


def test_campaigns_for_lists_the_persons_own(city):
    campaign, _people = recommended(city)
    draft = make_campaign(city, title="草稿")
    assert {c.pk for c in sel.campaigns_for(city.people["city"])} == {campaign.pk, draft.pk}
    assert [c.pk for c in sel.campaigns_for(city.people["rev-1"])] == [campaign.pk]
    assert [c.pk for c in sel.campaigns_for(city.people["street-a"])] == [campaign.pk]
    assert sel.campaigns_for(city.people["resident"]) == []
