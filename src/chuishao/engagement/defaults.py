"""The default service posts and points rules a city starts from (both are data, edited in the admin)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from chuishao.engagement.models import CapPeriod, EngagementPolicy, PointRule, ServicePost
from chuishao.events.services import event_append
from chuishao.geo.models import Jurisdiction

# The eight service posts members commonly take (服务岗位).
SERVICE_POSTS = [
    ("policy", "政策宣讲", "Policy explanation"),
    ("environment", "环境整治", "Environment and tidying"),
    ("order", "治安巡逻", "Public order patrols"),
    ("legal", "法律咨询", "Legal advice"),
    ("elderly", "为老服务", "Elderly care"),
    ("youth", "青少年教育", "Youth and children"),
    ("culture", "文体活动", "Culture and sports"),
    ("emergency", "应急志愿", "Volunteering in emergencies"),
]

# code, name, post (None: any), per task, per hour, cap, cap period
POINT_RULES = [
    ("attendance", "参加服务每次 1 分", None, "1", "0", None, CapPeriod.NONE),
    ("hours", "服务时长每小时 2 分，每月最多 40 分", None, "0", "2", "40", CapPeriod.MONTH),
    ("emergency", "应急志愿每次加 3 分", "emergency", "3", "0", None, CapPeriod.NONE),
]


@transaction.atomic
def engagement_load_defaults(*, actor: Any, city: Jurisdiction) -> dict[str, int]:
    """Create the default posts, the city's points rules and its policy where missing; never overwrite."""
    posts = 0
    for order, (code, name, name_en) in enumerate(SERVICE_POSTS, 1):
        _post, created = ServicePost.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "order": order}
        )
        posts += created
    rules = 0
    for code, name, post, per_task, per_hour, cap, period in POINT_RULES:
        _rule, created = PointRule.objects.get_or_create(
            city=city,
            code=code,
            defaults={
                "name": name,
                "post": ServicePost.objects.get(code=post) if post else None,
                "per_task": Decimal(per_task),
                "per_hour": Decimal(per_hour),
                "cap": Decimal(cap) if cap else None,
                "cap_period": period,
            },
        )
        rules += created
    EngagementPolicy.objects.get_or_create(city=city)
    event_append(
        verb="engagement.defaults_loaded",
        actor=actor,
        chain="catalog",
        city_id=city.pk,
        after={"posts": posts, "rules": rules},
    )
    return {"posts": posts, "rules": rules}
