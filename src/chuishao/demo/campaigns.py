"""Selection campaigns in the demo: the nation-wide "ten exemplary people" selection of the source
article (recommend → select → announce at a ceremony), played at city level.

``load_campaigns`` runs everything through the services, each step at its own time:

- last year's "十佳社区工作者" campaign, announced: twelve candidates recommended by streets and
  communities (and a unit when dual reporting has given one an organiser), three reviewers' scores,
  the round closed, the top ten shortlisted, a public notice with two objections (one dismissed, one
  upheld with the next candidate taking the place) and the announcement — its audit trail is whole;
- this year's campaign, in review: six candidates, two reviewers (the printed logins), the first of
  whom has scored two candidates; a visitor signs in as a reviewer and scores, or as the city centre
  and follows the counts, closes the round and confirms the shortlist.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.campaigns import services as svc
from chuishao.campaigns.models import Campaign, Candidate
from chuishao.demo.city import CITY_CODE
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Membership, OrgKind, Role
from chuishao.orgs.services import membership_grant, person_create

# Printed after ``make demo`` with the others.
CAMPAIGN_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("campaign-reviewer-1", "评选评审专家（甲）", "selection reviewer A (scores this year's candidates)"),
    ("campaign-reviewer-2", "评选评审专家（乙）", "selection reviewer B (scores this year's candidates)"),
)
THIRD_REVIEWER = ("campaign-reviewer-3", "评选评审专家（丙）")

CRITERIA = (
    svc.CriterionInput("扎根基层", 30, 1, "长期在社区一线，服务时间与服务对象数量"),
    svc.CriterionInput("事迹突出", 40, 1, "解决群众急难愁盼问题的具体事迹与成效"),
    svc.CriterionInput("群众认可", 30, 1, "居民评价、接诉即办满意度与获得表彰情况"),
)

# One candidate a line: name | unit | short title | deeds.
_PEOPLE_TEXT = """
周桂兰|欣园社区居委会|老旧小区加装电梯的“协调员”|三年走访 1,200 户，协调 14 部电梯加装，调解邻里纠纷 60 余起。
陈志强|茶园街道综合执法队|背街小巷的守护者|牵头整治背街小巷 37 条，建立“街巷长”巡查制度，违建零新增。
刘秀英|河西区第二社区卫生服务中心|家门口的健康管家|为辖区 800 余名独居老人建立健康档案，每周入户随访。
王建国|托乐嘉小区党支部|红色物业带头人|推动成立小区联席会，解决停车难、无名路归属等问题 20 余件。
杨丽娟|河东区民政局|困难群众的贴心人|建立困难群众动态台账，实现救助政策“一次办好”。
赵海涛|市排水集团|汛期的“逆行者”|连续十年汛期驻守易涝点，累计排除积水险情 300 余处。
孙晓明|滨河社区网格站|网格里的“活地图”|熟悉网格内每一户情况，累计上报并推动解决问题 1,500 余件。
黄婷|青年志愿者协会|社区志愿服务组织者|组建 200 人志愿服务队，开展助老、助学活动 400 余场。
吴俊杰|河西区城管执法局|接诉即办的“快手”|所办工单按时响应率 100%，群众满意率 98%。
郭淑珍|和平里社区老年协会|楼门院的热心人|退休后组织“楼门议事会”，推动楼道清理和无障碍改造。
马文华|区市场监管局机关支部|双报到的好党员|到居住社区报到服务 150 小时，认领并完成微心愿 40 个。
林平|茶园街道社区服务中心|一站式服务窗口能手|推行“一窗通办”，窗口办件量年均 6,000 件，零差评。
何静|欣园社区党委|社区议事厅的召集人|建立社区议事厅，推动 12 项民生实事落地。
罗刚|区应急管理局|社区应急队伍的教练|培训社区应急队员 600 人次，组织演练 50 场。
梁艳|滨河社区卫生站|慢病管理的好帮手|为 300 名慢病患者提供签约服务，控制率提高 20%。
宋伟|河东区住建委|老旧小区改造的推动者|推动 9 个老旧小区完成综合整治，居民满意率 95%。
郑娜|幸福里社区|“一老一小”服务品牌创建者|建设社区托育点和老年餐桌，日均服务 200 人。
谢超|街道综合执法队|夜间巡查的“守夜人”|带队夜查噪音扰民、占道经营，投诉量下降六成。
"""
PEOPLE: tuple[tuple[str, ...], ...] = tuple(
    tuple(line.split("|")) for line in _PEOPLE_TEXT.strip().splitlines()
)


def _person(username: str, display_name: str, hashed: str) -> Any:
    found = get_user_model().objects.filter(username=username).first()
    if found is not None:
        return found
    person = person_create(actor=SYSTEM, username=username, display_name=display_name, password_hash=hashed)
    membership_grant(actor=SYSTEM, person=person, role=Role.RESIDENT)
    return person


def _first(role: str, **where: Any) -> Any:
    m = (
        Membership.objects.select_related("person")
        .filter(role=role, active=True, **where)
        .order_by("pk")
        .first()
    )
    return m.person if m else None


def _recommenders(city: Jurisdiction) -> list[Any]:
    """Street dispatchers and community staff of the city (and unit organisers when there are any)."""
    people: list[Any] = []
    seen: set[int] = set()
    rows = (
        Membership.objects.filter(active=True, role__in=[Role.STREET_DISPATCHER, Role.COMMUNITY_STAFF])
        .filter(node__city_id=city.pk)
        .select_related("person")
        .order_by("role", "node__code")
    )
    units = Membership.objects.filter(
        active=True, role=Role.UNIT_ORGANISER, organisation__kind=OrgKind.UNIT
    ).select_related("person")
    for m in [*units[:2], *rows]:
        if m.person_id not in seen:
            seen.add(m.person_id)
            people.append(m.person)
    return people


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _recommend(campaign: Campaign, people: list[tuple], recommenders: list[Any], day: dt.date) -> None:
    with clock.frozen(_at(day)):
        for n, (name, unit, title, deeds) in enumerate(people):
            actor = recommenders[n % len(recommenders)]
            svc.candidate_recommend(
                actor=actor,
                campaign=campaign,
                name=name,
                unit=unit,
                title=title,
                deeds=deeds,
                contact_phone=f"1390000{1000 + n:04d}",
                on_behalf_of=svc.recommender_bodies(actor, campaign)[0],
            )


def _score(
    campaign: Campaign, reviewer: Any, candidates: list[Candidate], rng: random.Random, day: dt.date
) -> None:
    criteria = list(campaign.criteria.all())
    with clock.frozen(_at(day, 15)):
        for n, cand in enumerate(candidates):
            # Earlier names in the list are the stronger ones, with each reviewer's own judgement.
            strength = 0.95 - 0.035 * n
            scores = {
                c.pk: (
                    min(c.max_score, max(0, round(c.max_score * (strength + rng.uniform(-0.06, 0.06))))),
                    "",
                )
                for c in criteria
            }
            svc.scores_set(actor=reviewer, campaign=campaign, candidate=cand, scores=scores)


def load_campaigns(*, now: dt.datetime, log: Callable[[str], None] = print, password: str) -> dict[str, Any]:
    city = Jurisdiction.objects.get(code=CITY_CODE)
    organiser = _first(Role.CITY_CENTRE, node=city)
    resident = _first(Role.RESIDENT)
    recommenders = _recommenders(city)
    if organiser is None or resident is None or not recommenders:
        raise RuntimeError("the campaigns need the city centre, a resident and street or community staff")
    hashed = make_password(password)
    reviewers = [_person(u, name, hashed) for u, name, _en in CAMPAIGN_LOGINS]
    reviewers.append(_person(*THIRD_REVIEWER, hashed))
    rng = random.Random("campaigns-2019")
    today = timezone.localdate(now)
    out: dict[str, Any] = {}

    # Last year's campaign, announced.
    year = today.year - 1
    title = f"{year}年度全市“十佳社区工作者”评选"
    past = Campaign.objects.filter(title=title).first()
    if past is None:
        start = dt.date(year, 9, 1)
        with clock.frozen(_at(start)):
            past = svc.campaign_create(
                actor=organiser,
                node=city,
                title=title,
                description="学习宣传基层一线的先进典型：各单位、街道、社区推荐，专家评审，社会公示，年底表彰大会上揭晓。",
                places=10,
                quota=3,
                criteria=CRITERIA,
                recommend_until=dt.date(year, 9, 30),
                review_until=dt.date(year, 10, 31),
                notice_from=dt.date(year, 11, 10),
                notice_until=dt.date(year, 11, 16),
                announce_on=dt.date(year, 11, 20),
            )
            svc.campaign_open(actor=organiser, campaign=past)
            for r in reviewers:
                svc.reviewer_add(actor=organiser, campaign=past, person=r)
        _recommend(past, list(PEOPLE[:12]), recommenders, dt.date(year, 9, 15))
        with clock.frozen(_at(dt.date(year, 10, 8))):
            svc.review_start(actor=organiser, campaign=past)
        candidates = list(past.candidates.order_by("pk"))
        for n, r in enumerate(reviewers):
            _score(past, r, candidates, rng, dt.date(year, 10, 15 + n))
        with clock.frozen(_at(dt.date(year, 11, 1))):
            svc.round_close(actor=organiser, campaign=past)
            svc.shortlist_confirm(actor=organiser, campaign=past)
        with clock.frozen(_at(dt.date(year, 11, 10))):
            svc.notice_start(actor=organiser, campaign=past)
        shortlisted = list(past.candidates.filter(shortlisted=True).order_by("pk"))
        with clock.frozen(_at(dt.date(year, 11, 12))):
            doubt = svc.objection_lodge(
                actor=resident,
                campaign=past,
                candidate=shortlisted[-1],
                text="据我所知，该同志所报服务时长有重复计算，请核实。",
            )
            praise = svc.objection_lodge(
                actor=resident,
                campaign=past,
                candidate=shortlisted[0],
                text="该同志今年已获区级表彰，是否重复推荐？",
            )
        # Answered by the 13th: the replacement is on notice for as long as everyone (until the 19th).
        with clock.frozen(_at(dt.date(year, 11, 13))):
            svc.objection_answer(
                actor=organiser,
                objection=doubt,
                answer="upheld",
                text="经核实，服务时长存在重复计算，取消其候选资格，由得分次高者递补。",
                replace=True,
            )
            svc.objection_answer(
                actor=organiser,
                objection=praise,
                answer="dismissed",
                text="区级表彰与本次市级评选不冲突，不属于重复推荐。",
            )
        with clock.frozen(_at(dt.date(year, 11, 20), 15)):
            svc.campaign_announce(actor=organiser, campaign=past)
        # Point readers to the library's published cases, when the library's demo is loaded.
        from chuishao.library.models import Exemplar, Status

        published = list(Exemplar.objects.filter(status=Status.PUBLISHED).order_by("pk")[:2])
        if published:
            svc.campaign_link_exemplars(actor=organiser, campaign=past, exemplars=published)
    out["announced"] = past.pk

    # This year's campaign, in review.
    title = f"{today.year}年度全市“十佳社区工作者”评选"
    current = Campaign.objects.filter(title=title).first()
    if current is None:
        start = today - dt.timedelta(days=20)
        with clock.frozen(_at(start)):
            current = svc.campaign_create(
                actor=organiser,
                node=city,
                title=title,
                description="推荐截止后进入评审：评审专家背靠背打分，评审结束前互不可见。",
                places=3,
                quota=2,
                criteria=CRITERIA,
                recommend_until=today - dt.timedelta(days=2),
                review_until=today + dt.timedelta(days=10),
                notice_from=today + dt.timedelta(days=13),
                notice_until=today + dt.timedelta(days=19),
                announce_on=today + dt.timedelta(days=21),
            )
            svc.campaign_open(actor=organiser, campaign=current)
            for r in reviewers[:2]:
                svc.reviewer_add(actor=organiser, campaign=current, person=r)
        _recommend(current, list(PEOPLE[12:]), recommenders, start + dt.timedelta(days=5))
        with clock.frozen(_at(today - dt.timedelta(days=1))):
            svc.review_start(actor=organiser, campaign=current)
        first_two = list(current.candidates.order_by("pk")[:2])
        _score(current, reviewers[0], first_two, rng, today - dt.timedelta(days=1))
    out["reviewing"] = current.pk
    log(
        f"campaigns: {past.title} announced (/campaigns/{past.pk}/); {current.title} in review "
        f"(/campaigns/{current.pk}/), reviewers {', '.join(u for u, _n, _e in CAMPAIGN_LOGINS)}, "
        f"organiser {organiser.username}"
    )
    return out
