"""A selection campaign in a real browser, from recommendation to announcement.

A street recommends a candidate with a photo; the city centre starts the review; two reviewers score
in their own sheets, each blind to the other (and the organiser sees only counts); the city closes
the round, reads the totals with their spread and confirms the shortlist; during the public notice a
resident objects to a name; the organiser upholds it (the next by total takes the place), and after
the notice the final list is announced and read by anyone, without contacts.

Time moves with time-machine (the live server runs in another thread, so ``clock.frozen`` would not
reach it). Runs in Debian's headless Chromium (``-m e2e``); screenshots go to /tmp/shots/.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


def _noon(day: dt.date) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.django_db(transaction=True)
def test_recommend_score_blind_close_shortlist_object_announce(
    live_server, browser_page, time_machine, tmp_path
):
    from django.utils import timezone

    from chuishao import clock
    from chuishao.campaigns import services as svc
    from chuishao.campaigns.models import Campaign, Candidate, Objection, Phase
    from tests.campaigns.story import CRITERIA, campaign_city
    from tests.factories import photo

    day0 = timezone.localdate(clock.now()) + dt.timedelta(days=1)
    time_machine.move_to(_noon(day0), tick=True)
    city = campaign_city()
    d = lambda n: day0 + dt.timedelta(days=n)  # noqa: E731
    campaign = svc.campaign_create(
        actor=city.people["city"],
        node=city.city,
        title="十佳社区工作者评选",
        description="推荐—评审—公示—表彰",
        places=2,
        quota=2,
        criteria=CRITERIA,
        recommend_until=d(2),
        review_until=d(8),
        notice_from=d(10),
        notice_until=d(14),
        announce_on=d(15),
    )
    svc.campaign_open(actor=city.people["city"], campaign=campaign)
    for who in ("rev-1", "rev-2"):
        svc.reviewer_add(actor=city.people["city"], campaign=campaign, person=city.people[who])
    for who, name in (("bureau-organiser", "张明"), ("community-a", "王芳")):
        svc.candidate_recommend(
            actor=city.people[who],
            campaign=campaign,
            name=name,
            unit=f"{name}所在单位",
            title="社区好人",
            deeds=f"{name}扎根社区十年。",
            contact_phone="13900001111",
        )
    base = live_server.url
    url = f"{base}/campaigns/{campaign.pk}/"

    # The street recommends, with a photo.
    street = browser_page()
    sign_in(street, base, "street-a")
    street.goto(f"{base}/campaigns/")
    street.click(f"[data-testid=my-campaigns] [data-campaign='{campaign.pk}'] a")
    street.wait_for_selector("[data-testid=recommend-form]")
    street.fill("#rec_name", "李红")
    street.fill("#rec_unit", "街道综合执法队")
    street.fill("#rec_title", "背街小巷的守护者")
    street.fill("#rec_deeds", "十年如一日清理背街小巷，带动居民自治。")
    street.fill("#rec_contact_phone", "13911112222")
    picture = tmp_path / "li.jpg"
    picture.write_bytes(photo("li.jpg", size=(80, 60)).read())
    street.set_input_files("#rec_attachments", str(picture))
    shot(street, "campaigns-01-recommend")
    street.click("[data-testid=recommend-form] button[type=submit]")
    street.wait_for_selector(".msg.success")
    li = Candidate.objects.get(name="李红")
    assert li.attachments.count() == 1 and li.by_node == city.node("110901001")
    assert "13911112222" not in street.content()  # contacts are for the organisers only

    # After the recommendation period the city centre starts the review.
    time_machine.move_to(_noon(d(3)), tick=True)
    organiser = browser_page()
    sign_in(organiser, base, "city")
    organiser.goto(url)
    assert "13911112222" in organiser.inner_text("[data-testid=candidates]")
    organiser.click("[data-step=review] button")
    organiser.wait_for_selector("[data-status=reviewing]")

    # Two reviewers score, each in their own sheet.
    crit = list(campaign.criteria.all())
    marks = {
        "rev-1": {"张明": (9, 8), "李红": (8, 9), "王芳": (5, 6)},
        "rev-2": {"张明": (10, 9), "李红": (9, 7), "王芳": (6, 5)},
    }
    sheets = {}
    for who in ("rev-1", "rev-2"):
        page = browser_page()
        sign_in(page, base, who)
        page.goto(url)
        page.click("[data-testid=review-link]")
        page.wait_for_selector("[data-testid=blind-note]")
        for name, values in marks[who].items():
            cand = Candidate.objects.get(name=name)
            for c, v in zip(crit, values, strict=True):
                page.fill(f"#s{cand.pk}_{c.pk}", str(v))
            page.fill(f"#c{cand.pk} input[name=comment_{crit[0].pk}]", f"{who}的意见")
            page.click(f"#c{cand.pk} [data-testid=score-form] button[type=submit]")
            page.wait_for_selector(".msg.success")
        sheets[who] = page
    shot(sheets["rev-2"], "campaigns-02-blind-sheet")
    # Blind: rev-2's sheet carries only rev-2's scores and comments; rev-1's stay out of it.
    sheets["rev-2"].reload()
    html = sheets["rev-2"].content()
    assert "rev-2的意见" in html and "rev-1的意见" not in html
    zhang = Candidate.objects.get(name="张明")
    assert sheets["rev-2"].input_value(f"#s{zhang.pk}_{crit[0].pk}") == "10.0"
    # The organiser sees how many scores are in, no values, no totals.
    organiser.reload()
    assert organiser.inner_text("[data-reviewer=rev-1] [data-testid=count]") == "6 / 6"
    assert organiser.query_selector("[data-testid=results]") is None and "的意见" not in organiser.content()
    shot(organiser, "campaigns-03-progress")

    # Closing the round opens the totals; the default shortlist is the top two.
    organiser.click("[data-step=close] button")
    organiser.wait_for_selector("[data-testid=results]")
    assert (
        organiser.get_attribute(f"[data-testid=results] [data-candidate='{zhang.pk}']", "data-total")
        == "27.50"
    )
    assert (
        organiser.get_attribute(f"[data-testid=results] [data-candidate='{zhang.pk}']", "data-spread")
        == "3.00"
    )
    shot(organiser, "campaigns-04-results")
    organiser.click("[data-testid=shortlist-form] button[type=submit]")
    organiser.wait_for_selector("[data-status=shortlisted]")
    assert set(Candidate.objects.filter(shortlisted=True).values_list("name", flat=True)) == {"张明", "李红"}

    # The public notice: a resident objects to a name.
    time_machine.move_to(_noon(d(10)), tick=True)
    organiser = browser_page()
    sign_in(organiser, base, "city")
    organiser.goto(url)
    organiser.click("[data-step=notice] button")
    organiser.wait_for_selector("[data-status=notice]")
    resident = browser_page()
    sign_in(resident, base, "resident")
    resident.goto(url)
    assert "王芳" not in resident.inner_text("[data-testid=shortlist]")
    resident.click("#notice details summary")
    resident.select_option("#obj_candidate", str(li.pk))
    resident.fill("#obj_text", "李红的事迹材料与事实不符，清理工作由物业完成。")
    shot(resident, "campaigns-05-objection")
    resident.click("[data-testid=objection-form] button[type=submit]")
    resident.wait_for_selector(".msg.success")
    objection = Objection.objects.get()
    assert objection.lodged_by == city.people["resident"]

    # The organiser reads who objected and upholds it; the next by total takes the place.
    organiser.reload()
    assert "resident" in organiser.inner_text("[data-testid=objector]")
    organiser.select_option("[data-testid=answer-form] select[name=answer]", "upheld")
    organiser.check("[data-testid=answer-form] input[name=replace]")
    organiser.fill("[data-testid=answer-form] input[name=text]", "经核实，事迹材料不实，取消候选资格。")
    organiser.click("[data-testid=answer-form] button[type=submit]")
    organiser.wait_for_selector("[data-testid=objection][data-answer=upheld]")
    shot(organiser, "campaigns-06-answered")
    # Announcing during the notice is refused with a message.
    organiser.click("[data-step=announce] button")
    organiser.wait_for_selector(".msg.error")
    assert Campaign.objects.get(pk=campaign.pk).status == Phase.NOTICE

    # After the notice, the announcement; anyone reads the final list, without contacts.
    time_machine.move_to(_noon(d(15)), tick=True)
    organiser = browser_page()
    sign_in(organiser, base, "city")
    organiser.goto(url)
    organiser.click("[data-step=announce] button")
    organiser.wait_for_selector("[data-status=announced]")
    organiser.goto(f"{url}audit/")
    verbs = organiser.eval_on_selector_all(
        "[data-testid=audit] tr[data-verb]", "rows => rows.map(r => r.dataset.verb)"
    )
    assert verbs[-1] == "campaigns.announced" and "campaigns.objection_answered" in verbs
    shot(organiser, "campaigns-07-audit")
    public = browser_page(locale="en-US")
    public.goto(url)
    final = public.inner_text("[data-testid=final-list]")
    assert "张明" in final and "王芳" in final and "李红" not in final
    assert "1390000" not in public.content() and "13911112222" not in public.content()
    shot(public, "campaigns-08-final")
