"""Campaign pages: who reaches each page, the forms (new campaign, recommend with photos, scores,
objections, answers), steps refused outside their phase, contacts only for the organisers, and blind
scoring at the page level (a reviewer's sheet shows only their own scores; the organiser sees counts
until the round closes; the audit trail seals the values)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chuishao import clock
from chuishao.campaigns import services as svc
from chuishao.campaigns.models import Attachment, Campaign, Candidate, Objection, Phase
from tests.campaigns.story import (
    SHEET,
    at,
    campaign_city,
    closed,
    in_notice,
    make_campaign,
    opened,
    recommended,
)
from tests.factories import photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return campaign_city()


def client_for(city, who=None) -> Client:
    c = Client()
    if who:
        c.force_login(city.people[who])
    return c


def ids_in(html: str) -> set[str]:
    return set(re.findall(r'data-testid="([^"]+)"', html))


def test_the_list_is_public_and_new_is_for_organisers(city):
    campaign, _people = in_notice(city)
    html = client_for(city).get("/campaigns/").content.decode()
    assert f'data-campaign="{campaign.pk}"' in html and "new-campaign" not in ids_in(html)
    assert "new-campaign" in ids_in(client_for(city, "city").get("/campaigns/").content.decode())
    assert client_for(city, "street-a").get("/campaigns/new/").status_code == 404
    assert client_for(city).get("/campaigns/new/").status_code == 302  # to sign in


def test_an_organiser_drafts_a_campaign_from_the_form(city):
    form = {
        "node": str(city.city.pk),
        "title": "最美社区工作者",
        "places": "10",
        "quota": "2",
        "recommend_until": "2026-03-10",
        "review_until": "2026-03-20",
        "notice_from": "2026-03-23",
        "notice_until": "2026-03-29",
        "announce_on": "2026-03-30",
        "c1_name": "事迹",
        "c1_max": "10",
        "c1_weight": "2",
        "c2_name": "口碑",
        "c2_max": "5",
    }
    c = client_for(city, "city")
    with clock.frozen(at("2026-03-02")):
        bad = c.post("/campaigns/new/", form | {"announce_on": "2026-03-25"})
        assert bad.status_code == 400 and "form-error" in ids_in(bad.content.decode())
        missing_max = c.post("/campaigns/new/", form | {"c3_name": "其他"})
        assert missing_max.status_code == 400
        assert not Campaign.objects.exists()
        ok = c.post("/campaigns/new/", form)
    campaign = Campaign.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/campaigns/{campaign.pk}/"
    assert [(x.name, x.max_score, str(x.weight)) for x in campaign.criteria.all()] == [
        ("事迹", 10, "2.00"),
        ("口碑", 5, "1.00"),
    ]


def test_a_draft_is_only_for_its_organisers_and_steps_outside_their_phase_are_refused(city):
    campaign = make_campaign(city)
    for who in (None, "street-a", "rev-1", "district-a"):
        assert client_for(city, who).get(f"/campaigns/{campaign.pk}/").status_code == 404
    c = client_for(city, "city")
    with clock.frozen(at("2026-03-03")):
        assert "steps" in ids_in(c.get(f"/campaigns/{campaign.pk}/").content.decode())
        r = c.post(f"/campaigns/{campaign.pk}/steps/review/", follow=True)
        assert "msg error" in r.content.decode()
        campaign.refresh_from_db()
        assert campaign.status == Phase.DRAFT
        c.post(f"/campaigns/{campaign.pk}/steps/open/")
        c.post(f"/campaigns/{campaign.pk}/steps/review/")  # before recommend_until: refused
    campaign.refresh_from_db()
    assert campaign.status == Phase.RECOMMENDING
    assert client_for(city, "street-a").post(f"/campaigns/{campaign.pk}/steps/open/").status_code == 404
    assert client_for(city, "city").post(f"/campaigns/{campaign.pk}/steps/nonsense/").status_code == 404


def test_recommend_through_the_page_with_a_photo_and_the_quota(city):
    campaign = opened(city, quota=1)
    c = client_for(city, "street-a")
    body = f"node-{city.node('110901001').pk}"
    form = {
        "on_behalf_of": body,
        "name": "李红",
        "unit": "街道",
        "title": "好人",
        "deeds": "十年如一日",
        "contact_phone": "13911112222",
    }
    with clock.frozen(at("2026-03-04")):
        page = c.get(f"/campaigns/{campaign.pk}/").content.decode()
        assert "recommend-form" in ids_in(page)
        fake = SimpleUploadedFile("a.jpg", b"GIF89a<script>alert(1)</script>", content_type="image/jpeg")
        bad = c.post(f"/campaigns/{campaign.pk}/recommend/", form | {"attachments": [fake]})
        assert bad.status_code == 400 and "form-error" in ids_in(bad.content.decode())
        ok = c.post(f"/campaigns/{campaign.pk}/recommend/", form | {"attachments": [photo("a.jpg")]})
        assert ok.status_code == 302
        over = c.post(f"/campaigns/{campaign.pk}/recommend/", form | {"name": "第二"})
        assert over.status_code == 400
        other = c.post(f"/campaigns/{campaign.pk}/recommend/", form | {"on_behalf_of": "node-999999"})
        assert other.status_code == 400  # not one of the choices
    cand = Candidate.objects.get()
    att = Attachment.objects.get()
    assert cand.by_node == city.node("110901001") and cand.contact_phone == "13911112222"
    # The photo: organiser, reviewers and the recommender; nobody else.
    url = f"/campaigns/{campaign.pk}/attachments/{att.pk}/"
    for who in ("city", "rev-1", "street-a"):
        assert client_for(city, who).get(url).status_code == 200, who
    for who in ("community-a", "resident", None):
        assert client_for(city, who).get(url).status_code in (302, 404), who
    # Contacts: the organiser's page only.
    assert "13911112222" in client_for(city, "city").get(f"/campaigns/{campaign.pk}/").content.decode()
    for who in ("rev-1", "street-a"):
        assert "13911112222" not in client_for(city, who).get(f"/campaigns/{campaign.pk}/").content.decode()


def test_blind_scoring_on_the_pages(city):
    campaign, people = recommended(city)
    crit = list(campaign.criteria.all())
    with clock.frozen(at("2026-03-12")):
        for who, mark in (("rev-1", "甲评语"), ("rev-2", "乙评语")):
            for name, values in SHEET[who].items():
                svc.scores_set(
                    actor=city.people[who],
                    campaign=campaign,
                    candidate=people[name],
                    scores={c.pk: (v, f"{mark}{name}") for c, v in zip(crit, values, strict=True)},
                )
        rev1 = client_for(city, "rev-1").get(f"/campaigns/{campaign.pk}/review/").content.decode()
        assert "甲评语张明" in rev1 and "乙评语" not in rev1
        assert 'value="10.0"' not in rev1  # rev-2's 10 for 张明
        assert 'value="9.0"' in rev1
        rev1_main = client_for(city, "rev-1").get(f"/campaigns/{campaign.pk}/").content.decode()
        assert "results" not in ids_in(rev1_main) and "progress" not in ids_in(rev1_main)
        org = client_for(city, "city").get(f"/campaigns/{campaign.pk}/").content.decode()
        assert "progress" in ids_in(org) and "results" not in ids_in(org)
        assert "评语" not in org and "data-total" not in org
        assert re.search(r'data-reviewer="rev-2">.*?6 / 6', org, re.S)
        audit = client_for(city, "city").get(f"/campaigns/{campaign.pk}/audit/").content.decode()
        assert "sealed" in audit and "9.0" not in audit
        assert client_for(city, "rev-1").get(f"/campaigns/{campaign.pk}/audit/").status_code == 404
        assert client_for(city, "street-a").get(f"/campaigns/{campaign.pk}/review/").status_code == 404
    with clock.frozen(at("2026-03-13")):
        client_for(city, "city").post(f"/campaigns/{campaign.pk}/steps/close/")
        org = client_for(city, "city").get(f"/campaigns/{campaign.pk}/").content.decode()
        assert f'data-candidate="{people["张明"].pk}" data-total="27.50" data-spread="3.00"' in org
        rev2 = client_for(city, "rev-2").get(f"/campaigns/{campaign.pk}/").content.decode()
        assert "results" in ids_in(rev2)
        street = client_for(city, "street-a").get(f"/campaigns/{campaign.pk}/").content.decode()
        assert "results" not in ids_in(street) and "data-total" not in street
        audit = client_for(city, "city").get(f"/campaigns/{campaign.pk}/audit/").content.decode()
        assert "9.0" in audit


def test_scores_and_conflicts_through_the_sheet(city):
    campaign, people = recommended(city)
    c1, c2 = campaign.criteria.all()
    c = client_for(city, "rev-1")
    url = f"/campaigns/{campaign.pk}/review/{people['张明'].pk}/"
    with clock.frozen(at("2026-03-12")):
        bad = c.post(url, {f"score_{c1.pk}": "11", f"score_{c2.pk}": "5"})
        assert bad.status_code == 400 and "score-error" in ids_in(bad.content.decode())
        assert (
            c.post(
                url, {f"score_{c1.pk}": "8", f"score_{c2.pk}": "7.5", f"comment_{c1.pk}": "好"}
            ).status_code
            == 302
        )
        assert client_for(city, "city").post(url, {f"score_{c1.pk}": "8"}).status_code == 404
        c.post(f"/campaigns/{campaign.pk}/review/{people['王芳'].pk}/conflict/", {"reason": "同事"})
        page = c.get(f"/campaigns/{campaign.pk}/review/").content.decode()
    assert 'data-done="1"' in page and "conflict" in ids_in(page)
    with clock.frozen(at("2026-03-21")):
        page = c.get(f"/campaigns/{campaign.pk}/review/").content.decode()
    assert "scoring-closed" in ids_in(page) and "score-form" in ids_in(page) and "disabled" in page


def test_shortlist_deviation_through_the_page_needs_a_reason(city):
    campaign, people = closed(city)
    c = client_for(city, "city")
    swap = {"custom": "1", "candidate": [people["张明"].pk, people["王芳"].pk]}
    with clock.frozen(at("2026-03-14")):
        c.post(f"/campaigns/{campaign.pk}/steps/shortlist/", swap)
        campaign.refresh_from_db()
        assert campaign.status == Phase.REVIEWING
        c.post(f"/campaigns/{campaign.pk}/steps/shortlist/", swap | {"reason": "李红已获表彰"})
        campaign.refresh_from_db()
        page = c.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert campaign.status == Phase.SHORTLISTED and campaign.shortlist_reason == "李红已获表彰"
    assert "shortlist-reason" in ids_in(page)


def test_notice_objections_answers_and_the_public_final_list(city):
    campaign, people = in_notice(city)
    url = f"/campaigns/{campaign.pk}/"
    with clock.frozen(at("2026-03-24")):
        public = client_for(city).get(url).content.decode()
        assert "shortlist" in ids_in(public) and "objection-form" not in ids_in(public)
        assert "王芳" not in public and "13900001111" not in public and "candidates" not in ids_in(public)
        assert (
            client_for(city)
            .post(url + "objections/", {"candidate": people["张明"].pk, "text": "x"})
            .status_code
            == 302
        )
        assert not Objection.objects.exists()
        resident = client_for(city, "resident")
        assert "objection-form" in ids_in(resident.get(url).content.decode())
        resident.post(url + "objections/", {"candidate": people["李红"].pk, "text": "李红材料不实"})
        client_for(city, "resident2").post(
            url + "objections/", {"candidate": people["张明"].pk, "text": "张明另有问题"}
        )
        mine = resident.get(url).content.decode()
        assert "李红材料不实" in mine and "张明另有问题" not in mine and "objector" not in ids_in(mine)
        org = client_for(city, "city").get(url).content.decode()
        assert org.count('data-testid="objector"') == 2 and "resident2" in org
    first, second = Objection.objects.order_by("pk")
    with clock.frozen(at("2026-03-30")):
        c = client_for(city, "city")
        c.post(url + "steps/announce/")
        campaign.refresh_from_db()
        assert campaign.status == Phase.NOTICE  # objections unanswered
        assert (
            client_for(city, "resident")
            .post(url + f"objections/{first.pk}/answer/", {"answer": "upheld", "text": "x"})
            .status_code
            == 404
        )
        c.post(
            url + f"objections/{first.pk}/answer/", {"answer": "upheld", "text": "经核实不实", "replace": "1"}
        )
        c.post(url + f"objections/{second.pk}/answer/", {"answer": "dismissed", "text": "经核实无问题"})
        c.post(url + "steps/announce/")
        campaign.refresh_from_db()
        assert campaign.status == Phase.NOTICE  # 王芳 joined today: a whole notice of her own first
    wang = people["王芳"]
    with clock.frozen(at("2026-04-05")):
        page = client_for(city, "resident").get(url).content.decode()
        assert f'data-candidate="{wang.pk}" data-notice-until="2026-04-05"' in page
        assert "own-notice" in ids_in(page) and "objection-form" in ids_in(page)
        options = re.findall(
            r'<option value="(\d+)"', page.split('id="obj_candidate"')[1].split("</select>")[0]
        )
        assert options == [str(wang.pk)]  # the others' notice is over
        client_for(city, "city").post(url + "steps/announce/")
        campaign.refresh_from_db()
        assert campaign.status == Phase.NOTICE
    with clock.frozen(at("2026-04-06")):
        assert "objection-form" not in ids_in(client_for(city, "resident").get(url).content.decode())
        client_for(city, "city").post(url + "steps/announce/")
    campaign.refresh_from_db()
    assert campaign.status == Phase.ANNOUNCED
    final = client_for(city).get(url).content.decode()
    assert "final-list" in ids_in(final)
    listed = re.findall(r'<li data-candidate="(\d+)"', final.split('data-testid="final-list"')[1])
    assert set(map(int, listed)) == {people["张明"].pk, people["王芳"].pk}
    assert "13900001111" not in final and "李红" not in final
    audit = client_for(city, "city").get(url + "audit/").content.decode()
    for verb in ("campaigns.objection_answered", "campaigns.announced", "campaigns.round_closed"):
        assert f'data-verb="{verb}"' in audit


def _exemplar(city, title: str, status: str = "published"):
    from chuishao.library.models import Exemplar

    now = clock.now()
    return Exemplar.objects.create(
        organisation=city.orgs["street-110901"],
        author=city.people["street-a"],
        title=title,
        region=city.node("110901001"),
        problem="问题",
        actions="做法",
        status=status,
        created_at=now,
        updated_at=now,
        published_at=now if status == "published" else None,
    )


def test_organisers_link_published_exemplary_cases(city):
    from chuishao.campaigns.errors import CampaignInvalid
    from chuishao.events.models import Event

    campaign, _people = in_notice(city)
    good = _exemplar(city, "垃圾分类的好做法")
    draft = _exemplar(city, "草稿案例", status="draft")
    url = f"/campaigns/{campaign.pk}/"
    assert client_for(city, "resident").post(url + "exemplars/", {"exemplar": [good.pk]}).status_code == 404
    with pytest.raises(CampaignInvalid):
        svc.campaign_link_exemplars(actor=city.people["city"], campaign=campaign, exemplars=[draft.pk])
    client_for(city, "city").post(url + "exemplars/", {"exemplar": [good.pk]})
    assert list(campaign.exemplars.all()) == [good]
    assert Event.objects.filter(verb="campaigns.exemplars_linked").count() == 1
    public = client_for(city).get(url).content.decode()
    assert "exemplar-links" in ids_in(public) and f'data-exemplar="{good.pk}"' in public


def test_the_list_reads_in_a_fixed_number_of_queries(city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        c = client_for(city, "street-a")
        with clock.frozen(at("2026-03-03")), CaptureQueriesContext(connection) as ctx:
            assert c.get("/campaigns/").status_code == 200
        return len(ctx)

    opened(city)
    one = count()
    opened(city)
    opened(city)
    assert count() == one


# ------------------------------------------------------------------------------------------ review fixes


def test_a_huge_score_is_a_form_error_not_a_crash(city):
    campaign, people = recommended(city)
    c1, c2 = campaign.criteria.all()
    url = f"/campaigns/{campaign.pk}/review/{people['张明'].pk}/"
    with clock.frozen(at("2026-03-12")):
        r = client_for(city, "rev-1").post(url, {f"score_{c1.pk}": "1e30", f"score_{c2.pk}": "5"})
    assert r.status_code == 400
    assert not campaign.candidates.get(name="张明").scores.exists()


def test_a_huge_exemplar_id_is_refused_with_a_message(city):
    campaign, _people = in_notice(city)
    url = f"/campaigns/{campaign.pk}/"
    r = client_for(city, "city").post(url + "exemplars/", {"exemplar": [str(10**20)]}, follow=True)
    assert r.status_code == 200 and b"msg error" in r.content
    assert not campaign.exemplars.exists()


def _shortlist_marks(html: str) -> tuple[set[str], bool]:
    return set(re.findall(r'data-shortlisted="([01])"', html)), "✓" in html


def test_the_shortlist_stays_with_the_organisers_until_the_notice(city):
    campaign, people = closed(city)
    url = f"/campaigns/{campaign.pk}/"
    with clock.frozen(at("2026-03-21")):
        svc.shortlist_confirm(actor=city.people["city"], campaign=campaign)
        # 李红 (street A's) is on the shortlist; neither her recommender nor a reviewer learns it yet.
        for who in ("street-a", "rev-1"):
            html = client_for(city, who).get(url).content.decode()
            assert f'data-candidate="{people["李红"].pk}"' in html
            assert _shortlist_marks(html) == (set(), False)
        assert _shortlist_marks(client_for(city, "city").get(url).content.decode()) == ({"0", "1"}, True)
    with clock.frozen(at("2026-03-23")):
        svc.notice_start(actor=city.people["city"], campaign=campaign)
        # With the notice it is public: the recommender reads it with everyone.
        html = client_for(city, "street-a").get(url).content.decode()
        notice = html.split('data-testid="shortlist"')[1].split("</ol>")[0]
        assert f'data-candidate="{people["李红"].pk}"' in notice
        assert "1" in _shortlist_marks(client_for(city, "rev-1").get(url).content.decode())[0]


def test_a_tie_at_the_cut_off_is_shown_and_needs_a_reason(city):
    from tests.campaigns.test_services import TIE_SHEET

    campaign, people = recommended(city)
    from tests.campaigns.story import score_all

    score_all(city, campaign, TIE_SHEET)
    url = f"/campaigns/{campaign.pk}/"
    with clock.frozen(at("2026-03-13")):
        svc.round_close(actor=city.people["city"], campaign=campaign)
        c = client_for(city, "city")
        html = c.get(url).content.decode()
        assert f'data-tied="{people["李红"].pk},{people["王芳"].pk}"' in html
        ticked = [people["张明"].pk, people["李红"].pk]
        c.post(url + "steps/shortlist/", {"custom": "1", "candidate": ticked})
        campaign.refresh_from_db()
        assert campaign.status == Phase.REVIEWING  # refused without a reason
        c.post(url + "steps/shortlist/", {"custom": "1", "candidate": ticked, "reason": "李红先推荐"})
    campaign.refresh_from_db()
    assert campaign.status == Phase.SHORTLISTED and campaign.shortlist_reason == "李红先推荐"


def test_my_campaigns_are_matched_in_the_database_newest_first(city):
    import datetime as dt

    mine = opened(city)
    district_b = city.node("110902")
    others = [
        Campaign(
            node=district_b,
            title=f"别区评选{n}",
            status=Phase.RECOMMENDING,
            recommend_until=dt.date(2026, 3, 10),
            review_until=dt.date(2026, 3, 20),
            notice_from=dt.date(2026, 3, 23),
            notice_until=dt.date(2026, 3, 29),
            announce_on=dt.date(2026, 3, 30),
            created_by=city.people["city"],
            created_at=at("2026-03-03"),
        )
        for n in range(501)
    ]
    Campaign.objects.bulk_create(others)
    later = opened(city, day="2026-03-02")
    from chuishao.campaigns import selectors as sel

    # Street A recommends in the city's campaigns, not in district B's: the 501 newer ones there do
    # not crowd its own out.
    assert [c.pk for c in sel.campaigns_for(city.people["street-a"])] == [later.pk, mine.pk]
    html = client_for(city, "street-a").get("/campaigns/").content.decode()
    listed = re.findall(
        r'data-campaign="(\d+)"', html.split('data-testid="my-campaigns"')[1].split("</ul>")[0]
    )
    assert listed == [str(later.pk), str(mine.pk)]
    assert sel.campaigns_for(city.people["district-a"]) == []
    assert len(sel.campaigns_for(city.people["city"])) == 500  # newest first, capped
