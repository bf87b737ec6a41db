"""Community workers and the admission register in the demo city.

Every community has a head, a deputy and a handful of other staff on grades inside their bands, hired
over the past years by the street's dispatcher, so that some regular steps are due now and others
come in the next months. The west district's departments have asked to push work down: most was
admitted, a form that the community monthly statistics already answer was refused, and one request
waits for the district centre printed by ``make demo``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from chuishao import clock
from chuishao.demo.city import _GIVEN, _SURNAMES, DEMO_BORDER_STREET_WEST
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Membership, Organisation, Role
from chuishao.workforce import services as svc

OTHER_STAFF = (3, 6)
# (department type, kind, title, basis, frequency, months ago it starts, decision, note)
REQUESTS = [
    (
        "urban_management",
        "inspection",
        "门前三包责任落实检查",
        "区市容环境卫生责任区管理办法",
        "monthly",
        5,
        True,
        "",
    ),
    ("housing", "task", "老旧小区加装电梯意愿摸底", "区老旧小区综合整治工作方案", "once", 3, True, ""),
    (
        "environment",
        "form",
        "垃圾分类周报表",
        "区生活垃圾分类工作方案",
        "monthly",
        2,
        False,
        "社区月度统计表已生成案件和巡查数据，不再另报",
    ),  # fmt: skip
    ("water", "certificate", "居民用水困难证明", "无", "once", 1, False, "证明事项不属于社区出具范围"),
    ("urban_management", "form", "共享单车停放秩序月报", "区非机动车停放管理规定", "monthly", 0, None, ""),
]


def _person(role: str, **where: Any) -> Any:
    row = Membership.objects.filter(role=role, active=True, **where).select_related("person").first()
    return row.person if row else None


def _months_back(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 - months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def load_workforce(*, now: dt.datetime, seed: int = 2019, log: Callable[[str], None]) -> dict:
    rng = random.Random(f"{seed}-workforce")
    today = timezone.localdate(now)
    hired = 0
    streets = Jurisdiction.objects.filter(kind="street").order_by("code")
    with clock.frozen(now):
        for street in streets:
            dispatcher = _person(Role.STREET_DISPATCHER, node=street)
            if dispatcher is None:
                continue
            for community in Jurisdiction.objects.filter(parent=street, kind="community").order_by("code"):
                staff = [
                    ("head", "社区党委书记、居委会主任", (9, 14)),
                    ("deputy", "社区居委会副主任", (5, 10)),
                ]
                staff += [("other", "社区专职工作者", (1, 8))] * rng.randint(*OTHER_STAFF)
                for post, position, (low, high) in staff:
                    years = rng.randint(2, 15)
                    started = today - dt.timedelta(days=365 * years + rng.randint(0, 300))
                    # Within three years of the last step: a few are due now, others later.
                    since = max(started, today - dt.timedelta(days=rng.randint(30, 3 * 365 + 60)))
                    svc.worker_hire(
                        actor=dispatcher,
                        community=community,
                        name=rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                        position=position,
                        post=post,
                        grade=rng.randint(low, high),
                        started_on=started,
                        grade_since=since,
                    )
                    hired += 1
    log(f"community workers: {hired}")

    street = Jurisdiction.objects.get(code=DEMO_BORDER_STREET_WEST)
    district = Jurisdiction.objects.get(pk=street.district_id)
    centre = _person(Role.DISTRICT_CENTRE, node=district)
    asked = 0
    for dept_type, kind, title, basis, frequency, months, admit, note in REQUESTS:
        org = Organisation.objects.filter(dept_type=dept_type, jurisdiction=district).first()
        staff = _person(Role.DEPARTMENT_STAFF, organisation=org) if org else None
        if staff is None:
            continue
        starts = _months_back(today, months)
        with clock.frozen(now - dt.timedelta(days=30 * months + 10)):
            item = svc.admission_request(
                actor=staff, scope=district, kind=kind, title=title, basis=basis, frequency=frequency,
                starts_on=starts, org=org,
            )  # fmt: skip
        if admit is not None:
            with clock.frozen(now - dt.timedelta(days=30 * months + 7)):
                svc.admission_decide(actor=centre, item=item, admit=admit, note=note)
        asked += 1
    log(f"admission register: {asked} requests")
    return {"workers": hired, "requests": asked}
