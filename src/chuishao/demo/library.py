"""The exemplary-case library in the demo: eight write-ups of good practice by the demo city's
organisations, played through the services (written, submitted, reviewed, published), with figures.

Most are published, so the public library and its search have something to show (try "停车" or
"电梯"); one waits in the Hexi district centre's review queue and one was returned to the showcase
community with the reviewer's reason, so its staff can edit and resubmit it.

``load_library`` runs after the people, the 托乐嘉 story (it names the complex) and dual reporting (the
unit organiser of the border street writes the 微心愿 case; without one the street's party working
committee writes it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chuishao import clock
from chuishao.demo.city import DEMO_BORDER_GRID_WEST, DEMO_BORDER_STREET_EAST, DEMO_BORDER_STREET_WEST
from chuishao.geo.models import Jurisdiction
from chuishao.library import services
from chuishao.library.models import Exemplar
from chuishao.library.services import ResultRow
from chuishao.orgs.models import Membership, Organisation, OrgKind, Role

# Showcase accounts of the library, printed after ``make demo`` with the others.
LIBRARY_LOGINS: tuple[tuple[str, str, str], ...] = (
    (
        f"community-{DEMO_BORDER_GRID_WEST[:12]}",
        "社区工作人员：撰写、修改、提交典型案例（有一篇被退回）",
        "community staff: write, edit and submit exemplary cases (one was returned)",
    ),
    (
        f"district-centre-{DEMO_BORDER_GRID_WEST[:6]}",
        "区指挥中心：审核发布典型案例（有一篇待审）",
        "district command centre: reviews and publishes exemplary cases (one waiting)",
    ),
)

PUBLISHED, SUBMITTED, RETURNED = "published", "submitted", "returned"


@dataclass
class Story:
    key: str
    writer: str  # "community", "community-party", "street", "street-party", "housing", "unit", "east-..."
    title: str
    problem: str
    actions: str
    results: list[tuple[str, str, str]]
    tags: list[str]
    end: str = PUBLISHED
    days_ago: int = 30
    reason: str = ""
    region: str = ""  # "community", "street", "district"; default: the writer's own node
    extra: dict[str, Any] = field(default_factory=dict)


STORIES: tuple[Story, ...] = (
    Story(
        "redproperty", "community-party",
        "红色物业：党支部牵头三方联动，托乐嘉门前无名路停车难题化解",
        "托乐嘉小区门前的无名路权属不清，长期被车辆两侧停满，堵住小区大门和消防通道；物业无权管理路面，"
        "业委会多次协调无果，居民投诉不断。",
        "小区党支部牵头成立红色物业联席会，居委会、业委会、物业公司三方联动、交叉任职；联席会议定将问题上交"
        "街道，街道吹哨，城管、交通、住建部门报到，把无名路纳入市政道路管理，施划停车泊位并安装道闸。",
        [("施划停车泊位", "146", "个"), ("涉路投诉下降", "82", "%"), ("居民满意率", "96", "%"),
         ("联席会议", "9", "次")],
        ["红色物业", "三方联动", "停车治理"], days_ago=52, region="community",
    ),
    Story(
        "parking", "street",
        "接诉即办“每月一题”：老旧小区停车难专项治理",
        "辖区老旧小区多，车位缺口大，夜间停车难、乱停车占用消防通道，停车类诉求连续三个月位居街道诉求量前列，"
        "且跨城管、交通、住建多个部门。",
        "街道把停车难列为“每月一题”，书记抓总、一月一调度：盘活机关单位和商场夜间车位错时共享，"
        "拆除违建腾出空间新增车位，引入社会资本建设立体停车楼，网格员每日巡查消防通道。",
        [("新增共享车位", "320", "个"), ("停车类诉求环比下降", "47", "%"), ("回访满意率", "97", "%"),
         ("消防通道清障", "58", "处")],
        ["接诉即办", "每月一题", "停车治理", "错时共享"], days_ago=40, region="street",
    ),
    Story(
        "elevator", "housing",
        "老旧小区加装电梯“一梯一议”，三年装梯一百部",
        "区内上世纪八九十年代建成的多层住宅没有电梯，老年人占比高，“悬空老人”下楼难；加装电梯意见难统一，"
        "低层住户顾虑采光和噪音，审批环节多。",
        "住建委会同街道社区推行“一梯一议”：社区党组织组织单元议事会协商出资比例和补偿方案，"
        "住建委开通并联审批，一站办结规划、施工许可，政府按每部梯给予补贴，施工期间党员志愿者入户沟通。",
        [("已加装电梯", "100", "部"), ("受益住户", "1860", "户"), ("审批时限压缩", "60", "%"),
         ("住户满意率", "95", "%")],
        ["加装电梯", "老旧小区", "协商议事"], days_ago=33, region="district",
    ),
    Story(
        "wishes", "unit",
        "党员双报到：在职党员进社区认领“微心愿”",
        "社区困难老人、留守儿童有不少小心愿——换个灯泡、修个水龙头、买本课外书，社区人手不够，顾不过来。",
        "驻街单位党组织到社区报到，在职党员到居住地社区报到；社区收集“微心愿”张榜公布，党员线上认领、"
        "线下办结，社区确认后计入双报到服务积分，年底评选优秀报到党员。",
        [("报到在职党员", "126", "名"), ("认领微心愿", "312", "个"), ("办结率", "100", "%"),
         ("服务时长", "1480", "小时")],
        ["党员双报到", "微心愿", "志愿服务"], days_ago=26, region="street",
    ),
    Story(
        "garbage", "east-community",
        "垃圾分类“桶前值守”，党员志愿者带动居民自觉分类",
        "小区垃圾混投混放，桶站周边脏乱，居民分类意识弱，物业一家管不过来。",
        "社区党委组织党员、楼门长组成志愿队，早晚高峰桶前值守、现场指导，撤桶并站、定时定点投放，"
        "每月评比“绿色家庭”，分类准确率张榜公示。",
        [("分类准确率", "91", "%"), ("撤桶并站", "42", "处"), ("参与志愿者", "85", "人")],
        ["垃圾分类", "志愿服务"], days_ago=21, region="community",
    ),
    Story(
        "alleys", "east-street",
        "“街巷长制”：背街小巷环境整治见实效",
        "背街小巷私搭乱建、堆物堆料、开墙打洞，环境脏乱差问题反复出现，投诉多、整治难、易反弹。",
        "街道为每条背街小巷配备街巷长、小巷管家，建立“日巡、周查、月评”机制；发现问题即时上报，"
        "街道吹哨，城管、市场监管等部门联合执法，整治后由居民参与维护。",
        [("整治背街小巷", "36", "条"), ("拆除违建", "2400", "平方米"), ("环境类投诉下降", "63", "%")],
        ["街巷长制", "背街小巷", "环境整治"], days_ago=14, region="street",
    ),
    Story(
        "council", "community",
        "社区议事厅：居民的事居民商量着办",
        "小区公共收益怎么用、绿地改不改停车位，居民意见分歧大，矛盾容易激化。",
        "社区搭建议事厅，党组织领导、居委会主持，居民代表、物业、业委会共同协商，议题公示、表决公开，"
        "每季度一次议事会，议定事项交物业和居委会办理并反馈。",
        [("召开议事会", "12", "次"), ("议定事项", "27", "项"), ("办结率", "93", "%")],
        ["协商议事", "居民自治"], end=SUBMITTED, days_ago=3, region="community",
    ),
    Story(
        "canteen", "community",
        "社区老年餐桌：让老人吃上热乎饭",
        "社区老龄化程度高，独居老人做饭难、吃饭难。",
        "社区引入餐饮企业开办老年餐桌，党员志愿者送餐上门。",
        [("日均就餐", "180", "人次")],
        ["为老服务", "老年餐桌"], end=RETURNED, days_ago=6, region="community",
        reason="请补充资金来源、运营是否可持续，以及老人满意率等成效数据后再提交。",
    ),
)  # fmt: skip


def _person(role: str, *, node: Jurisdiction | None = None, organisation: Organisation | None = None) -> Any:
    qs = Membership.objects.select_related("person").filter(role=role, active=True)
    if node is not None:
        qs = qs.filter(node=node)
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    found = qs.order_by("pk").first()
    return found.person if found else None


def _party_of(node: Jurisdiction) -> Organisation | None:
    return (
        Organisation.objects.filter(
            kind=OrgKind.PARTY_ORG,
            jurisdiction=node,
            attached_unit__isnull=True,
            attached_complex__isnull=True,
        )
        .order_by("code")
        .first()
    )


def _org(kind: str, node: Jurisdiction, **extra: Any) -> Organisation | None:
    return Organisation.objects.filter(kind=kind, jurisdiction=node, **extra).order_by("code").first()


def _writers(west_community: Jurisdiction, east_community: Jurisdiction) -> dict[str, tuple]:
    """Each writer key → (organisation, person, the organisation's node)."""
    west_street = Jurisdiction.objects.get(pk=west_community.street_id)
    east_street = Jurisdiction.objects.get(pk=east_community.street_id)
    district = Jurisdiction.objects.get(pk=west_community.district_id)
    community_staff = _person(Role.COMMUNITY_STAFF, node=west_community)
    street_staff = _person(Role.STREET_DISPATCHER, node=west_street)
    housing = _org(OrgKind.DEPARTMENT, district, dept_type="housing")
    unit = (
        Organisation.objects.filter(
            kind=OrgKind.UNIT, jurisdiction=west_street, memberships__role=Role.UNIT_ORGANISER
        )
        .order_by("code")
        .first()
    )
    writers = {
        "community": (_org(OrgKind.COMMUNITY_COMMITTEE, west_community), community_staff, west_community),
        "community-party": (_party_of(west_community), community_staff, west_community),
        "street": (_org(OrgKind.STREET_OFFICE, west_street), street_staff, west_street),
        "housing": (
            housing,
            _person(Role.DEPARTMENT_STAFF, organisation=housing) if housing else None,
            district,
        ),
        "east-community": (
            _org(OrgKind.COMMUNITY_COMMITTEE, east_community),
            _person(Role.COMMUNITY_STAFF, node=east_community),
            east_community,
        ),
        "east-street": (
            _org(OrgKind.STREET_OFFICE, east_street),
            _person(Role.STREET_DISPATCHER, node=east_street),
            east_street,
        ),
    }
    if unit is not None:
        writers["unit"] = (unit, _person(Role.UNIT_ORGANISER, organisation=unit), west_street)
    else:
        writers["unit"] = (_party_of(west_street), street_staff, west_street)
    return writers


def _reviewer(region: Jurisdiction) -> Any:
    return _person(Role.DISTRICT_CENTRE, node=Jurisdiction.objects.get(pk=region.district_id or region.pk))


def load_library(*, now: dt.datetime, log: Callable[[str], None] = print) -> dict[str, int]:
    """Write the eight exemplary cases through the services; returns how many end in each state."""
    west_community = Jurisdiction.objects.get(code=DEMO_BORDER_GRID_WEST[:12])
    east_street = Jurisdiction.objects.get(code=DEMO_BORDER_STREET_EAST)
    east_community = (
        Jurisdiction.objects.filter(parent=east_street, kind="community").order_by("code").first()
    )
    if east_community is None or west_community.street.code != DEMO_BORDER_STREET_WEST:
        raise RuntimeError("the library needs the demo city's border streets and their communities")
    writers = _writers(west_community, east_community)
    counts = {PUBLISHED: 0, SUBMITTED: 0, RETURNED: 0}
    for story in STORIES:
        organisation, person, home = writers[story.writer]
        if organisation is None or person is None:
            raise RuntimeError(f"no organisation or person to write the {story.key} exemplary case")
        if Exemplar.objects.filter(organisation=organisation, title=story.title).exists():
            continue
        region = home
        if story.region == "district" and home.kind != "district":
            region = Jurisdiction.objects.get(pk=home.district_id)
        if story.region == "community" and home.kind == "district":
            region = west_community
        written = now - dt.timedelta(days=story.days_ago)
        with clock.frozen(written):
            exemplar = services.exemplar_create(
                actor=person,
                organisation=organisation,
                title=story.title,
                region=region,
                problem=story.problem,
                actions=story.actions,
                results=[ResultRow(label, value, unit) for label, value, unit in story.results],
                tags=story.tags,
            )
        with clock.frozen(written + dt.timedelta(hours=20)):
            services.exemplar_submit(actor=person, exemplar=exemplar)
        if story.end == SUBMITTED:
            counts[SUBMITTED] += 1
            continue
        reviewer = _reviewer(region)
        with clock.frozen(written + dt.timedelta(days=2, hours=3)):
            if story.end == RETURNED:
                services.exemplar_return(actor=reviewer, exemplar=exemplar, reason=story.reason)
            else:
                services.exemplar_publish(actor=reviewer, exemplar=exemplar)
        counts[story.end] += 1
    log(
        "library: {published} exemplary cases published, {submitted} waiting for review, "
        "{returned} returned".format(**counts)
    )
    return counts
