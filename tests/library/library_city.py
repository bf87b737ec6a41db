"""The small city with author organisations for the library: a residents' committee and a party branch
in community A1a, the street office, a district department and a unit with its party branch."""

from __future__ import annotations

from typing import Any

from chuishao.actors import SYSTEM
from chuishao.library import services
from chuishao.library.services import ResultRow
from chuishao.orgs.services import organisation_upsert
from tests.factories import City, add_engagement, build_small_city

COMMUNITY = "110901001001"
STREET = "110901001"


def library_city() -> City:
    city = add_engagement(build_small_city(), members=1)
    nodes = city.nodes
    from chuishao.orgs.models import Organisation

    city.orgs["bureau-a-party"] = Organisation.objects.get(code="bureau-a-party")
    city.orgs["committee-a"] = organisation_upsert(
        actor=SYSTEM,
        code="committee-a",
        kind="community_committee",
        name="一社区居民委员会",
        jurisdiction=nodes[COMMUNITY],
    )
    city.orgs["party-a"] = organisation_upsert(
        actor=SYSTEM,
        code="party-a",
        kind="party_org",
        name="中共一社区支部委员会",
        jurisdiction=nodes[COMMUNITY],
        party_level="branch",
    )
    city.orgs["committee-b"] = organisation_upsert(
        actor=SYSTEM,
        code="committee-b",
        kind="community_committee",
        name="二社区居民委员会",
        jurisdiction=nodes["110902001001"],
    )
    return city


PARKING = {
    "title": "小区停车治理：错时共享破解停车难",
    "problem": "老旧小区车位少，晚上停车难，车辆占用消防通道。",
    "actions": "社区党委牵头，与周边单位签订错时共享协议，夜间开放单位车位。",
    "results": [ResultRow("新增共享车位", "320", "个"), ResultRow("满意率", "97", "%")],
    "tags": "停车治理、错时共享",
}
ELEVATOR = {
    "title": "老旧小区加装电梯“一梯一议”",
    "problem": "六层老楼没有电梯，老人上下楼难。",
    "actions": "居委会逐单元召开议事会，协调低层住户，代办审批手续。",
    "results": [ResultRow("加装电梯", "12", "部")],
    "tags": ["加装电梯", "老旧小区"],
}
GARBAGE = {
    "title": "垃圾分类桶前值守",
    "problem": "垃圾混投，桶站周边脏乱。",
    "actions": "党员志愿者桶前值守，顺带提醒业主夜间不要在消防通道停车。",
    "results": [ResultRow("分类准确率", "90", "%")],
    "tags": "垃圾分类",
}


def write(city: City, who: str = "community-a", org: str = "committee-a", region: str = COMMUNITY, **kw: Any):
    values = PARKING | kw
    return services.exemplar_create(
        actor=city.people[who], organisation=city.orgs[org], region=city.nodes[region], **values
    )


def publish(city: City, exemplar, reviewer: str = "district-a"):
    services.exemplar_submit(actor=exemplar.author, exemplar=exemplar)
    return services.exemplar_publish(actor=city.people[reviewer], exemplar=exemplar)
