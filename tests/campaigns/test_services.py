"""Selection campaigns through their services: who may do each step, the phases and the timetable, the
quota, attachments, scores in range, conflicts, closing, the shortlist and its reasons, objections and
their answers, the announcement — and one event per step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile

from chuishao import clock
from chuishao.campaigns import services as svc
from chuishao.campaigns.errors import CampaignDenied, CampaignInvalid, CampaignNotFound, CampaignPhase
from chuishao.campaigns.models import Attachment, Candidate, Phase, Score
from chuishao.campaigns.scopes import nav_campaigns
from chuishao.events.models import Event
from tests.campaigns.story import (
    CRITERIA,
    DATES,
    SHEET,
    at,
    campaign_city,
    closed,
    in_notice,
    make_campaign,
    opened,
    recommended,
    score_all,
)
from tests.factories import photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return campaign_city()


def verbs(campaign):
    return list(
        Event.objects.filter(chain=f"campaign:{campaign.pk}").order_by("seq").values_list("verb", flat=True)
    )


def recommend(city, campaign, who, name="赵强", **kw):
    return svc.candidate_recommend(
        actor=city.people[who], campaign=campaign, name=name, unit="某单位", title="好人", deeds="事迹", **kw
    )


# ------------------------------------------------------------------------------------------ set-up


def test_only_organisers_of_the_node_create(city):
    for who in ("district-a", "street-a", "community-a", "resident", "bureau-organiser", "um-a"):
        with pytest.raises(CampaignDenied):
            _create_as(city, who, city.city)
    campaign = make_campaign(city)
    assert campaign.status == Phase.DRAFT and campaign.criteria.count() == 2
    assert verbs(campaign) == ["campaigns.created"]
    # A district runs its own; the city centre may run one there too, another district may not.
    district = city.node("110901")
    assert _create_as(city, "district-a", district).node == district
    assert _create_as(city, "leader", district).node == district
    with pytest.raises(CampaignDenied):
        _create_as(city, "district-b", district)
    # Not from a street.
    with pytest.raises(CampaignDenied):
        _create_as(city, "city", city.node("110901001"))


def _create_as(city, who, node, **kw):
    values = {"title": "评选", "criteria": CRITERIA} | DATES | kw
    with clock.frozen(at("2026-03-02")):
        return svc.campaign_create(actor=city.people[who], node=node, **values)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"review_until": dt.date(2026, 3, 10)}, "review must end after"),
        ({"notice_from": dt.date(2026, 3, 20)}, "notice must start after"),
        ({"notice_until": dt.date(2026, 3, 22)}, "end on or after"),
        ({"announce_on": dt.date(2026, 3, 29)}, "after the public notice"),
        ({"criteria": []}, "at least one criterion"),
        ({"criteria": [svc.CriterionInput("a", 10), svc.CriterionInput("a", 5)]}, "Two criteria"),
        ({"criteria": [svc.CriterionInput("a", 0)]}, "between 1 and"),
        ({"criteria": [svc.CriterionInput("a", 10, weight=0)]}, "weight"),
        ({"criteria": [svc.CriterionInput("a", 10, weight="x")]}, "numbers"),
        ({"title": "  "}, "title"),
        ({"places": 0}, "places"),
        ({"quota": 0}, "quota"),
    ],
)
def test_bad_campaigns_are_refused_whole(city, change, message):
    with pytest.raises(CampaignInvalid, match=message):
        _create_as(city, "city", city.city, **change)
    assert not Event.objects.filter(verb="campaigns.created").exists()


def test_a_campaign_whose_recommendations_are_over_cannot_be_made_or_opened(city):
    with pytest.raises(CampaignInvalid, match="already be closed"):
        make_campaign(city, day="2026-03-11")
    campaign = make_campaign(city)
    with clock.frozen(at("2026-03-11")), pytest.raises(CampaignPhase):
        svc.campaign_open(actor=city.people["city"], campaign=campaign)
    with clock.frozen(at("2026-03-03")), pytest.raises(CampaignDenied):
        svc.campaign_open(actor=city.people["district-a"], campaign=campaign)


# ------------------------------------------------------------------------------------------ recommend


def test_recommendations_only_in_their_phase_and_period(city):
    campaign = make_campaign(city)
    with clock.frozen(at("2026-03-03")), pytest.raises(CampaignPhase, match="phase"):
        recommend(city, campaign, "street-a")
    with clock.frozen(at("2026-03-03")):
        svc.campaign_open(actor=city.people["city"], campaign=campaign)
    with clock.frozen(at("2026-03-10", 23)):  # the last day counts whole
        recommend(city, campaign, "street-a")
    with clock.frozen(at("2026-03-11", 0)), pytest.raises(CampaignPhase, match="closed on 2026-03-10"):
        recommend(city, campaign, "street-a", name="迟到")
    assert campaign.candidates.count() == 1


def test_who_recommends_and_for_whom(city):
    campaign = opened(city)
    with clock.frozen(at("2026-03-04")):
        for who in ("resident", "um-a", "grid-a", "rev-1"):
            with pytest.raises(CampaignDenied):
                recommend(city, campaign, who)
        unit = recommend(city, campaign, "bureau-organiser")
        street = recommend(city, campaign, "street-a")
        community = recommend(city, campaign, "community-a")
    assert unit.by_org == city.orgs["bureau-a"] and unit.by_node is None
    assert street.by_node == city.node("110901001") and community.by_node == city.node("110901001001")
    # A district's campaign takes nobody from the other district.
    other = _create_as(city, "district-a", city.node("110901"))
    with clock.frozen(at("2026-03-04")):
        svc.campaign_open(actor=city.people["district-a"], campaign=other)
        recommend(city, other, "community-a")
        with pytest.raises(CampaignDenied):
            recommend(city, other, "community-b")
        with pytest.raises(CampaignDenied, match="do not recommend for"):
            recommend(city, other, "community-a", on_behalf_of=city.node("110902001001"))


def test_the_quota_counts_per_recommender(city):
    campaign = opened(city, quota=2)
    with clock.frozen(at("2026-03-04")):
        recommend(city, campaign, "street-a", name="一")
        recommend(city, campaign, "street-a", name="二")
        with pytest.raises(CampaignInvalid, match="quota of 2"):
            recommend(city, campaign, "street-a", name="三")
        # The community under the street has its own quota.
        recommend(city, campaign, "community-a", name="四")
    assert svc.quota_left(campaign, city.node("110901001")) == 0
    assert svc.quota_left(campaign, city.node("110901001001")) == 1
    assert verbs(campaign).count("campaigns.recommended") == 3


def test_attachments_are_checked_like_case_photos(city):
    campaign = opened(city)
    with clock.frozen(at("2026-03-04")):
        cand = recommend(city, campaign, "street-a", attachments=[photo("a.jpg", gps=(39.9, 116.4))])
        fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
        with pytest.raises(CampaignInvalid, match="not a photo"):
            recommend(city, campaign, "community-a", name="假", attachments=[fake])
        with pytest.raises(CampaignInvalid, match="At most 3"):
            recommend(city, campaign, "community-a", name="多", attachments=[photo() for _ in range(4)])
    assert Candidate.objects.filter(campaign=campaign).count() == 1  # nothing half-saved
    att = Attachment.objects.get()
    assert att.candidate == cand and att.content_type == "image/jpeg"
    from PIL import Image

    with att.file.open("rb") as f, Image.open(f) as img:
        assert 0x8825 not in img.getexif()  # the GPS position is gone


# ------------------------------------------------------------------------------------------ review


def test_the_review_starts_after_the_recommendations(city):
    campaign = opened(city)
    with clock.frozen(at("2026-03-04")):
        recommend(city, campaign, "street-a")
    with clock.frozen(at("2026-03-10")), pytest.raises(CampaignPhase, match="until 2026-03-10"):
        svc.review_start(actor=city.people["city"], campaign=campaign)
    with clock.frozen(at("2026-03-11")):
        with pytest.raises(CampaignDenied):
            svc.review_start(actor=city.people["rev-1"], campaign=campaign)
        svc.review_start(actor=city.people["city"], campaign=campaign)


def test_scores_only_by_reviewers_in_range_and_in_time(city):
    campaign, people = recommended(city)
    c1, c2 = campaign.criteria.all()
    cand = people["张明"]
    with clock.frozen(at("2026-03-12")):
        for who in ("city", "street-a", "rev-3"):
            with pytest.raises(CampaignDenied):
                svc.scores_set(
                    actor=city.people[who], campaign=campaign, candidate=cand, scores={c1.pk: (5, "")}
                )
        for bad, message in (
            (11, "between 0 and 10"),
            (-1, "between 0 and 10"),
            ("x", "number"),
            ("5.25", "one decimal"),
        ):
            with pytest.raises(CampaignInvalid, match=message):
                svc.scores_set(
                    actor=city.people["rev-1"], campaign=campaign, candidate=cand, scores={c1.pk: (bad, "")}
                )
        assert not Score.objects.exists()
        svc.scores_set(
            actor=city.people["rev-1"],
            campaign=campaign,
            candidate=cand,
            scores={c1.pk: ("9.5", "很好"), c2.pk: (10, "")},
        )
        # Changing a score keeps one row per criterion.
        svc.scores_set(actor=city.people["rev-1"], campaign=campaign, candidate=cand, scores={c1.pk: (9, "")})
    assert Score.objects.get(criterion=c1).value == Decimal("9.0")
    assert Score.objects.count() == 2
    with clock.frozen(at("2026-03-21")), pytest.raises(CampaignPhase, match="ended on 2026-03-20"):
        svc.scores_set(actor=city.people["rev-1"], campaign=campaign, candidate=cand, scores={c1.pk: (1, "")})


def test_scoring_before_the_review_phase_is_refused(city):
    campaign = opened(city)
    with clock.frozen(at("2026-03-04")):
        cand = recommend(city, campaign, "street-a")
        with pytest.raises(CampaignPhase, match="phase"):
            svc.scores_set(
                actor=city.people["rev-1"],
                campaign=campaign,
                candidate=cand,
                scores={campaign.criteria.first().pk: (5, "")},
            )


def test_a_conflict_removes_the_reviewers_scores_for_that_candidate(city):
    campaign, people = recommended(city)
    score_all(city, campaign, SHEET)
    with clock.frozen(at("2026-03-12")):
        with pytest.raises(CampaignInvalid):
            svc.conflict_declare(
                actor=city.people["rev-2"], campaign=campaign, candidate=people["王芳"], reason=""
            )
        svc.conflict_declare(
            actor=city.people["rev-2"], campaign=campaign, candidate=people["王芳"], reason="我的亲属"
        )
        with pytest.raises(CampaignDenied, match="conflict"):
            svc.scores_set(
                actor=city.people["rev-2"],
                campaign=campaign,
                candidate=people["王芳"],
                scores={campaign.criteria.first().pk: (10, "")},
            )
    assert not Score.objects.filter(reviewer__person=city.people["rev-2"], candidate=people["王芳"]).exists()
    assert svc.missing_scores(campaign) == 0
    with clock.frozen(at("2026-03-13")):
        svc.round_close(actor=city.people["city"], campaign=campaign)
    wang = next(r for r in svc.compute_results(campaign) if r.candidate.name == "王芳")
    assert wang.reviewers == 1 and wang.total == Decimal("16.00") and wang.spread == Decimal("0.00")


def test_closing_with_scores_missing_needs_a_reason(city):
    campaign, people = recommended(city)
    score_all(city, campaign, {"rev-1": SHEET["rev-1"]})
    with clock.frozen(at("2026-03-13")):
        with pytest.raises(CampaignInvalid, match="6 scores are still missing"):
            svc.round_close(actor=city.people["city"], campaign=campaign)
        with pytest.raises(CampaignDenied):
            svc.round_close(actor=city.people["rev-1"], campaign=campaign, reason="x")
        svc.round_close(actor=city.people["city"], campaign=campaign, reason="评委二因病缺席")
        with pytest.raises(CampaignPhase, match="closed"):
            svc.scores_set(
                actor=city.people["rev-2"],
                campaign=campaign,
                candidate=people["张明"],
                scores={campaign.criteria.first().pk: (5, "")},
            )
        with pytest.raises(CampaignPhase):
            svc.reviewer_add(actor=city.people["city"], campaign=campaign, person=city.people["rev-3"])
    event = Event.objects.get(verb="campaigns.round_closed")
    assert event.reason == "评委二因病缺席" and event.after["missing"] == 6
    assert len(event.after["scores"]) == 6  # the whole sheet is on the record at closure


def test_totals_are_the_mean_of_weighted_reviewer_totals_with_the_spread(city):
    campaign, _people = closed(city)
    rows = {r.candidate.name: r for r in svc.compute_results(campaign)}
    assert [r.candidate.name for r in svc.compute_results(campaign)] == ["张明", "李红", "王芳"]
    assert rows["张明"].total == Decimal("27.50") and rows["张明"].spread == Decimal("3.00")
    assert rows["李红"].total == Decimal("22.00") and rows["李红"].spread == Decimal("2.00")
    assert rows["王芳"].total == Decimal("16.50") and rows["王芳"].reviewers == 2


def test_reviewers_are_named_by_the_organiser_once(city):
    campaign = make_campaign(city)
    with clock.frozen(at("2026-03-02")):
        with pytest.raises(CampaignDenied):
            svc.reviewer_add(actor=city.people["street-a"], campaign=campaign, person=city.people["rev-1"])
        svc.reviewer_add(actor=city.people["city"], campaign=campaign, person=city.people["rev-1"])
        with pytest.raises(CampaignInvalid, match="already"):
            svc.reviewer_add(actor=city.people["city"], campaign=campaign, person=city.people["rev-1"])
    assert verbs(campaign) == ["campaigns.created", "campaigns.reviewer_added"]


# ------------------------------------------------------------------------------------------ shortlist


def test_the_shortlist_defaults_to_the_top_and_deviations_need_a_reason(city):
    campaign, people = recommended(city)
    score_all(city, campaign, SHEET)
    with clock.frozen(at("2026-03-13")):
        with pytest.raises(CampaignPhase, match="Close the scoring round"):
            svc.shortlist_confirm(actor=city.people["city"], campaign=campaign)
        svc.round_close(actor=city.people["city"], campaign=campaign)
        swap = [people["张明"].pk, people["王芳"].pk]
        with pytest.raises(CampaignInvalid, match="write the reason"):
            svc.shortlist_confirm(actor=city.people["city"], campaign=campaign, candidates=swap)
        with pytest.raises(CampaignInvalid, match="more than 2"):
            svc.shortlist_confirm(
                actor=city.people["city"],
                campaign=campaign,
                candidates=[p.pk for p in people.values()],
                reason="x",
            )
        with pytest.raises(CampaignDenied):
            svc.shortlist_confirm(actor=city.people["rev-1"], campaign=campaign)
        svc.shortlist_confirm(
            actor=city.people["city"], campaign=campaign, candidates=swap, reason="李红已获同类表彰"
        )
    assert set(Candidate.objects.filter(shortlisted=True).values_list("name", flat=True)) == {"张明", "王芳"}
    event = Event.objects.get(verb="campaigns.shortlisted")
    assert event.reason == "李红已获同类表彰" and event.after["deviates"] is True
    assert event.after["top_by_score"] == [people["张明"].pk, people["李红"].pk]


def test_the_default_shortlist_records_no_deviation(city):
    campaign, people = closed(city)
    with clock.frozen(at("2026-03-13")):
        svc.shortlist_confirm(actor=city.people["city"], campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == Phase.SHORTLISTED
    assert set(campaign.candidates.filter(shortlisted=True).values_list("name", flat=True)) == {
        "张明",
        "李红",
    }
    assert Event.objects.get(verb="campaigns.shortlisted").after["deviates"] is False


# ------------------------------------------------------------------------------------------ notice


def test_the_notice_starts_only_in_its_period(city):
    campaign, people = closed(city)
    with clock.frozen(at("2026-03-14")):
        svc.shortlist_confirm(actor=city.people["city"], campaign=campaign)
        with pytest.raises(CampaignPhase, match="runs from 2026-03-23 to 2026-03-29"):
            svc.notice_start(actor=city.people["city"], campaign=campaign)
        with pytest.raises(CampaignPhase):
            svc.objection_lodge(
                actor=city.people["resident"], campaign=campaign, candidate=people["张明"], text="x"
            )


def test_objections_by_anyone_signed_in_to_a_shortlisted_name_in_the_period(city):
    campaign, people = in_notice(city)
    with clock.frozen(at("2026-03-24")):
        with pytest.raises(CampaignDenied, match="Sign in"):
            svc.objection_lodge(actor=AnonymousUser(), campaign=campaign, candidate=people["张明"], text="x")
        with pytest.raises(CampaignNotFound):
            svc.objection_lodge(
                actor=city.people["resident"], campaign=campaign, candidate=people["王芳"], text="x"
            )
        with pytest.raises(CampaignInvalid):
            svc.objection_lodge(
                actor=city.people["resident"], campaign=campaign, candidate=people["张明"], text=" "
            )
        objection = svc.objection_lodge(
            actor=city.people["resident"],
            campaign=campaign,
            candidate=people["张明"],
            text="该同志事迹有夸大",
        )
    assert objection.lodged_by == city.people["resident"]
    with clock.frozen(at("2026-03-30")), pytest.raises(CampaignPhase, match="2026-03-29"):
        svc.objection_lodge(
            actor=city.people["resident2"], campaign=campaign, candidate=people["张明"], text="x"
        )


def test_an_upheld_objection_removes_and_replaces_and_the_announcement_waits_for_answers(city):
    campaign, people = in_notice(city)
    with clock.frozen(at("2026-03-24")):
        first = svc.objection_lodge(
            actor=city.people["resident"],
            campaign=campaign,
            candidate=people["李红"],
            text="李红的事迹材料与事实不符",
        )
        second = svc.objection_lodge(
            actor=city.people["resident2"],
            campaign=campaign,
            candidate=people["张明"],
            text="张明不是本市居民",
        )
    with clock.frozen(at("2026-03-30")):
        with pytest.raises(CampaignPhase, match="2 objections are still unanswered"):
            svc.campaign_announce(actor=city.people["city"], campaign=campaign)
        with pytest.raises(CampaignDenied):
            svc.objection_answer(actor=city.people["rev-1"], objection=first, answer="upheld", text="x")
        with pytest.raises(CampaignInvalid):
            svc.objection_answer(actor=city.people["city"], objection=first, answer="maybe", text="x")
        with pytest.raises(CampaignInvalid):
            svc.objection_answer(actor=city.people["city"], objection=second, answer="dismissed", text="")
        svc.objection_answer(
            actor=city.people["city"], objection=first, answer="upheld", text="经核实材料不实", replace=True
        )
        with pytest.raises(CampaignPhase, match="already answered"):
            svc.objection_answer(actor=city.people["city"], objection=first, answer="dismissed", text="x")
        # 王芳 joined the list today: she gets a whole notice (six days after the first, like
        # 2026-03-23 → 03-29) before the announcement.
        with pytest.raises(CampaignPhase, match="王芳 .* until 2026-04-05"):
            svc.campaign_announce(actor=city.people["city"], campaign=campaign)
    with clock.frozen(at("2026-04-06")):
        with pytest.raises(CampaignPhase, match="1 objections"):
            svc.campaign_announce(actor=city.people["city"], campaign=campaign)
        svc.objection_answer(
            actor=city.people["city"], objection=second, answer="dismissed", text="经核实户籍在本市"
        )
    li, wang = Candidate.objects.get(name="李红"), Candidate.objects.get(name="王芳")
    assert not li.shortlisted and li.removed and li.removed_reason == "经核实材料不实"
    assert wang.shortlisted  # the next by total took the place
    first.refresh_from_db()
    assert first.replacement == wang
    with clock.frozen(at("2026-03-29", 23)), pytest.raises(CampaignPhase, match="until 2026-03-29"):
        svc.campaign_announce(actor=city.people["city"], campaign=campaign)
    with clock.frozen(at("2026-04-06")):
        with pytest.raises(CampaignDenied):
            svc.campaign_announce(actor=city.people["district-a"], campaign=campaign)
        svc.campaign_announce(actor=city.people["city"], campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == Phase.ANNOUNCED
    final = Event.objects.get(verb="campaigns.announced").after["final"]
    assert set(final) == {people["张明"].pk, people["王芳"].pk}
    assert verbs(campaign) == [
        "campaigns.created",
        "campaigns.opened",
        "campaigns.reviewer_added",
        "campaigns.reviewer_added",
        *["campaigns.recommended"] * 3,
        "campaigns.review_started",
        *["campaigns.scored"] * 6,
        "campaigns.round_closed",
        "campaigns.shortlisted",
        "campaigns.notice_started",
        "campaigns.objection_lodged",
        "campaigns.objection_lodged",
        "campaigns.objection_answered",
        "campaigns.objection_answered",
        "campaigns.announced",
    ]


def test_the_announcement_waits_for_its_date(city):
    campaign, _people = in_notice(city, announce_on=dt.date(2026, 4, 2))
    with clock.frozen(at("2026-03-31")), pytest.raises(CampaignPhase, match="set for 2026-04-02"):
        svc.campaign_announce(actor=city.people["city"], campaign=campaign)
    with clock.frozen(at("2026-04-02")):
        svc.campaign_announce(actor=city.people["city"], campaign=campaign)


def test_an_upheld_objection_without_replacement_leaves_the_place_empty(city):
    campaign, people = in_notice(city)
    with clock.frozen(at("2026-03-24")):
        o = svc.objection_lodge(
            actor=city.people["resident"], campaign=campaign, candidate=people["张明"], text="不实"
        )
        svc.objection_answer(actor=city.people["city"], objection=o, answer="upheld", text="属实")
    assert list(Candidate.objects.filter(shortlisted=True).values_list("name", flat=True)) == ["李红"]


def test_cancel_needs_a_reason_and_ends_every_step(city):
    campaign, people = recommended(city)
    with clock.frozen(at("2026-03-12")):
        with pytest.raises(CampaignInvalid):
            svc.campaign_cancel(actor=city.people["city"], campaign=campaign, reason=" ")
        svc.campaign_cancel(actor=city.people["city"], campaign=campaign, reason="上级通知暂停评选")
        with pytest.raises(CampaignPhase):
            svc.scores_set(
                actor=city.people["rev-1"],
                campaign=campaign,
                candidate=people["张明"],
                scores={campaign.criteria.first().pk: (5, "")},
            )
        with pytest.raises(CampaignPhase):
            svc.campaign_cancel(actor=city.people["city"], campaign=campaign, reason="again")
    assert Event.objects.get(verb="campaigns.cancelled").reason == "上级通知暂停评选"


def test_nav_is_decided_from_the_grants(city, django_assert_num_queries):
    user = city.people["rev-1"]
    from chuishao.orgs.scopes import grants_of

    grants_of(user)
    with django_assert_num_queries(0):
        assert nav_campaigns(user) is True
        assert nav_campaigns(AnonymousUser()) is False


# ------------------------------------------------------------------------------------------ review fixes


def test_a_huge_score_is_refused_in_words(city):
    campaign, people = recommended(city)
    crit = campaign.criteria.first()
    with clock.frozen(at("2026-03-12")):
        for raw in ("1e30", "-1e30", "1e999999", "1e-30"):
            with pytest.raises(CampaignInvalid, match=crit.name):
                svc.scores_set(
                    actor=city.people["rev-1"],
                    campaign=campaign,
                    candidate=people["张明"],
                    scores={crit.pk: (raw, "")},
                )
    assert not Score.objects.exists()


def test_exemplar_ids_out_of_range_are_refused(city):
    campaign = make_campaign(city)
    for bad in (10**20, 2**31, 0, -1):
        with pytest.raises(CampaignInvalid):
            svc.campaign_link_exemplars(actor=city.people["city"], campaign=campaign, exemplars=[bad])
    assert not Event.objects.filter(verb="campaigns.exemplars_linked").exists()


def test_a_replacement_has_a_whole_notice_of_its_own(city):
    campaign, people = in_notice(city)
    wang = people["王芳"]
    with clock.frozen(at("2026-03-27")):
        o = svc.objection_lodge(
            actor=city.people["resident"], campaign=campaign, candidate=people["李红"], text="材料不实"
        )
        svc.objection_answer(
            actor=city.people["city"], objection=o, answer="upheld", text="属实", replace=True
        )
    wang.refresh_from_db()
    assert wang.shortlisted and wang.shortlisted_at is not None
    assert svc.notice_ends(campaign, wang) == dt.date(2026, 4, 2)  # 03-27 + (03-29 − 03-23)
    assert svc.notice_ends(campaign, people["张明"]) == dt.date(2026, 3, 29)
    answered = Event.objects.get(verb="campaigns.objection_answered")
    assert answered.after["replacement_notice_until"] == "2026-04-02"
    with clock.frozen(at("2026-04-01")):
        # Objections to her are taken during her own notice, no longer to the others.
        with pytest.raises(CampaignPhase, match="2026-03-29"):
            svc.objection_lodge(
                actor=city.people["resident2"], campaign=campaign, candidate=people["张明"], text="x"
            )
        late = svc.objection_lodge(
            actor=city.people["resident2"], campaign=campaign, candidate=wang, text="王芳另有问题"
        )
        svc.objection_answer(actor=city.people["city"], objection=late, answer="dismissed", text="无问题")
        with pytest.raises(CampaignPhase, match="王芳 .* until 2026-04-02"):
            svc.campaign_announce(actor=city.people["city"], campaign=campaign)
    with clock.frozen(at("2026-04-02", 23)), pytest.raises(CampaignPhase, match="2026-04-02"):
        svc.campaign_announce(actor=city.people["city"], campaign=campaign)
    with clock.frozen(at("2026-04-03")):
        with pytest.raises(CampaignPhase, match="2026-04-02"):
            svc.objection_lodge(actor=city.people["resident2"], campaign=campaign, candidate=wang, text="x")
        svc.campaign_announce(actor=city.people["city"], campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == Phase.ANNOUNCED


TIE_SHEET = {
    # 张 27.5; 李 and 王 both 23.0 at place 2 (places=2).
    "rev-1": {"张明": (9, 8), "李红": (8, 7), "王芳": (8, 7)},
    "rev-2": {"张明": (10, 9), "李红": (7, 8), "王芳": (7, 8)},
}


def tied(city):
    campaign, people = recommended(city)
    score_all(city, campaign, TIE_SHEET)
    with clock.frozen(at("2026-03-13")):
        svc.round_close(actor=city.people["city"], campaign=campaign)
    campaign.refresh_from_db()
    return campaign, people


def test_a_tie_at_the_cut_off_needs_the_organisers_written_choice(city):
    campaign, people = tied(city)
    li, wang = people["李红"], people["王芳"]
    assert svc.tie_at_cutoff(campaign) == [li.pk, wang.pk]
    top = svc.top_n(campaign)
    with clock.frozen(at("2026-03-14")):
        with pytest.raises(CampaignInvalid, match="2 candidates tie at place 2"):
            svc.shortlist_confirm(actor=city.people["city"], campaign=campaign)
        # Even the list the ids would give needs the reason.
        with pytest.raises(CampaignInvalid, match="tie"):
            svc.shortlist_confirm(actor=city.people["city"], campaign=campaign, candidates=top)
        svc.shortlist_confirm(
            actor=city.people["city"],
            campaign=campaign,
            candidates=[people["张明"].pk, wang.pk],
            reason="王芳服务年限更长",
        )
    campaign.refresh_from_db()
    assert campaign.shortlist_reason == "王芳服务年限更长"
    assert set(campaign.candidates.filter(shortlisted=True).values_list("name", flat=True)) == {
        "张明",
        "王芳",
    }
    event = Event.objects.get(verb="campaigns.shortlisted")
    assert event.reason == "王芳服务年限更长" and event.after["tie"] == [li.pk, wang.pk]


def test_without_a_tie_the_default_records_none(city):
    campaign, _people = closed(city)
    assert svc.tie_at_cutoff(campaign) == []
    with clock.frozen(at("2026-03-14")):
        svc.shortlist_confirm(actor=city.people["city"], campaign=campaign)
    assert Event.objects.get(verb="campaigns.shortlisted").after["tie"] == []


def test_reviewers_who_are_residents_are_named_by_number_in_the_log(city):
    """A reviewer may be any account, a resident included: the log names them as it names residents."""
    from chuishao.actors import resident_label

    campaign, _people = recommended(city)
    score_all(city, campaign, SHEET)
    with clock.frozen(at("2026-03-13")):
        svc.round_close(actor=city.people["city"], campaign=campaign)
    events = Event.objects.filter(chain=f"campaign:{campaign.pk}")
    added = [e.after for e in events.filter(verb="campaigns.reviewer_added").order_by("seq")]
    rev1 = city.people["rev-1"]
    assert added[0]["reviewer_id"] == rev1.pk and added[0]["reviewer"] == resident_label(rev1.pk)
    sheet = events.get(verb="campaigns.round_closed").after
    assert "rev-1" not in str(sheet) and "rev-2" not in str(sheet)
    assert {row["reviewer_id"] for row in sheet["scores"]} == {rev1.pk, city.people["rev-2"].pk}
