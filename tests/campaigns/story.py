"""A selection campaign on the small city, step by step, shared by the service, page and browser tests.

The city's organiser is ``city`` (city centre); ``bureau-organiser`` recommends for its bureau (a unit
of district A), ``street-a`` for street A and ``community-a`` for community A1a; ``rev-1`` and
``rev-2`` are the reviewers. The timetable runs in March 2026 (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.campaigns import services as svc
from chuishao.orgs.services import membership_grant, person_create
from tests.factories import PASSWORD, City, add_engagement, build_small_city

TZ = ZoneInfo("Asia/Shanghai")
DATES = {
    "recommend_until": dt.date(2026, 3, 10),
    "review_until": dt.date(2026, 3, 20),
    "notice_from": dt.date(2026, 3, 23),
    "notice_until": dt.date(2026, 3, 29),
    "announce_on": dt.date(2026, 3, 30),
}
CRITERIA = [
    svc.CriterionInput(name="事迹突出", max_score=10, weight=2, description="事迹真实感人"),
    svc.CriterionInput(name="群众认可", max_score=10, weight=1),
]


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


def campaign_city() -> City:
    city = add_engagement(build_small_city(), members=1)
    hashed = make_password(PASSWORD)
    for username in ("rev-1", "rev-2", "rev-3"):
        user = person_create(actor=SYSTEM, username=username, password_hash=hashed, display_name=username)
        membership_grant(actor=SYSTEM, person=user, role="resident")
        city.people[username] = user
    return city


def make_campaign(city: City, *, places: int = 2, quota: int = 2, day: str = "2026-03-02", **kw):
    values = {"title": "十佳社区工作者评选", "description": "全市评选", "criteria": CRITERIA} | DATES | kw
    with clock.frozen(at(day)):
        return svc.campaign_create(
            actor=city.people["city"], node=city.city, places=places, quota=quota, **values
        )


def opened(city: City, **kw):
    campaign = make_campaign(city, **kw)
    with clock.frozen(at("2026-03-02")):
        svc.campaign_open(actor=city.people["city"], campaign=campaign)
        for who in ("rev-1", "rev-2"):
            svc.reviewer_add(actor=city.people["city"], campaign=campaign, person=city.people[who])
    campaign.refresh_from_db()
    return campaign


def recommended(city: City, **kw):
    """Open, with three candidates: 张 (bureau), 李 (street A), 王 (community A1a)."""
    campaign = opened(city, **kw)
    people = {}
    with clock.frozen(at("2026-03-05")):
        for who, name in (("bureau-organiser", "张明"), ("street-a", "李红"), ("community-a", "王芳")):
            people[name] = svc.candidate_recommend(
                actor=city.people[who],
                campaign=campaign,
                name=name,
                unit=f"{name}的单位",
                title="社区好人",
                deeds=f"{name}扎根社区十年，帮助群众解决难题。",
                contact_phone="13900001111",
            )
    with clock.frozen(at("2026-03-11")):
        svc.review_start(actor=city.people["city"], campaign=campaign)
    campaign.refresh_from_db()
    return campaign, people


def score_all(city: City, campaign, sheet: dict[str, dict[str, tuple[int, int]]], day: str = "2026-03-12"):
    """``sheet``: reviewer → candidate name → (score on criterion 1, score on criterion 2)."""
    crit = list(campaign.criteria.all())
    with clock.frozen(at(day)):
        for who, rows in sheet.items():
            for name, values in rows.items():
                cand = campaign.candidates.get(name=name)
                svc.scores_set(
                    actor=city.people[who],
                    campaign=campaign,
                    candidate=cand,
                    scores={c.pk: (v, "") for c, v in zip(crit, values, strict=True)},
                )


# rev-1 and rev-2 agree on the order 张 > 李 > 王 (totals weight 2·c1 + c2).
SHEET = {
    "rev-1": {"张明": (9, 8), "李红": (8, 7), "王芳": (5, 6)},
    "rev-2": {"张明": (10, 9), "李红": (7, 7), "王芳": (6, 5)},
}


def closed(city: City, **kw):
    campaign, people = recommended(city, **kw)
    score_all(city, campaign, SHEET)
    with clock.frozen(at("2026-03-13")):
        svc.round_close(actor=city.people["city"], campaign=campaign)
    campaign.refresh_from_db()
    return campaign, people


def in_notice(city: City, **kw):
    campaign, people = closed(city, **kw)
    with clock.frozen(at("2026-03-21")):
        svc.shortlist_confirm(actor=city.people["city"], campaign=campaign)
    with clock.frozen(at("2026-03-23")):
        svc.notice_start(actor=city.people["city"], campaign=campaign)
    campaign.refresh_from_db()
    return campaign, people
