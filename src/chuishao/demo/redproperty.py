"""Red property (红色物业) in the demo: the 托乐嘉 story from the source article (Nanjing), set up to play.

In front of the 托乐嘉 complex ran an unnamed road that belonged to nobody: cars parked on both sides
and across the complex's gate, and neither the property company nor the homeowners could change it.
The complex's party branch brought the residents' committee, the homeowners' committee and the
property company together (三方联动, with people sitting in each other's bodies), took the matter to
the street, and the departments came; the road was taken into the municipal road system.

``load_redproperty`` names a complex of the showcase community 托乐嘉, gives it its four bodies and a
board with cross-appointed people (and demo logins), and leaves a resident's parking case dispatched
to the board: a visitor signs in as the board's secretary, records the joint meeting and passes the
case to the street, then plays the street's whistle with the street dispatcher's login. The whole
story to the end is ``tests/party/test_tuolejia_story.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from shapely.geometry import shape

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.cases.models import Source
from chuishao.cases.services import case_act, case_report
from chuishao.demo.city import DEMO_BORDER_GRID_WEST
from chuishao.geo.models import Complex, Jurisdiction
from chuishao.orgs.models import Membership, Organisation, OrgKind, Role
from chuishao.orgs.services import organisation_upsert, person_create
from chuishao.party import boards
from chuishao.party.models import BoardBody

COMPLEX_NAME = ("托乐嘉", "Tuolejia")
# Property matters of a complex (class 22): the parking mess is reported as "other" of that class.
CATEGORY = "S2299"
DESCRIPTION = "托乐嘉小区门前的无名路长期乱停车，车辆堵住小区大门和消防通道，物业和业委会协调多次都管不了"

# Showcase accounts of red property, printed after ``make demo`` with the others.
REDPROPERTY_LOGINS: tuple[tuple[str, str, str], ...] = (
    (
        "tlj-secretary",
        "托乐嘉小区党支部书记（联席会召集人）",
        "Tuolejia party branch secretary (convenes the board)",
    ),
    ("tlj-property", "托乐嘉物业项目经理（兼党支部委员）", "Tuolejia property manager (also on the branch)"),
    ("tlj-owners", "托乐嘉业委会主任", "Tuolejia homeowners' committee chair"),
)

# (username, display name, body, position, other body, position there)
P, R, H, C = (
    BoardBody.PARTY_ORG,
    BoardBody.RESIDENTS_COMMITTEE,
    BoardBody.HOMEOWNERS_COMMITTEE,
    BoardBody.PROPERTY_COMPANY,
)
SEATS = (
    ("tlj-secretary", "周建华", P, "党支部书记", R, "居委会兼职副主任"),
    ("tlj-property", "陈海涛", C, "物业项目经理", P, "党支部委员"),
    ("tlj-owners", "吴秀英", H, "业委会主任", P, "党支部委员"),
)  # fmt: skip


def _staff(role: str, node: Jurisdiction) -> Any:
    m = Membership.objects.select_related("person").filter(role=role, node=node, active=True).order_by("pk")
    found = m.first()
    return found.person if found else None


def _org(*, code: str, kind: str, name: str, node: Jurisdiction, **extra: Any) -> Organisation:
    existing = Organisation.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return organisation_upsert(actor=SYSTEM, code=code, kind=kind, name=name, jurisdiction=node, **extra)


def _person(username: str, display_name: str, hashed: str) -> Any:
    found = get_user_model().objects.filter(username=username).first()
    if found is not None:
        return found
    return person_create(actor=SYSTEM, username=username, display_name=display_name, password_hash=hashed)


def load_redproperty(
    *,
    now: dt.datetime,
    password: str,
    community_code: str | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Set up 托乐嘉 (the first complex of the community) with its board and leave the case to play.

    Returns the complex's code, the board's code and the case's number. ``community_code`` defaults to
    the showcase community beside the district border.
    """
    community = Jurisdiction.objects.get(code=community_code or DEMO_BORDER_GRID_WEST[:12])
    complex_ = Complex.objects.filter(community=community).order_by("code").first()
    if complex_ is None:
        raise RuntimeError(f"community {community.code} has no complex for the 托乐嘉 story")
    Complex.objects.filter(pk=complex_.pk).update(name=COMPLEX_NAME[0], name_en=COMPLEX_NAME[1])
    complex_.refresh_from_db()
    staff = _staff(Role.COMMUNITY_STAFF, community)
    street = Jurisdiction.objects.get(pk=community.street_id)
    dispatcher = _staff(Role.STREET_DISPATCHER, street)
    resident = (
        Membership.objects.select_related("person")
        .filter(role=Role.RESIDENT, active=True)
        .order_by("pk")
        .first()
    )
    if staff is None or dispatcher is None or resident is None:
        raise RuntimeError("the 托乐嘉 story needs community staff, a street dispatcher and a resident")
    resident = resident.person
    hashed = make_password(password)
    start = now - dt.timedelta(days=60)

    with clock.frozen(start):
        residents_committee = _org(
            code=f"ORG-{community.code}-community_committee",
            kind=OrgKind.COMMUNITY_COMMITTEE,
            name=f"{community.name}居民委员会",
            node=community,
            dept_type="community_committee",
        )
        community_party = Organisation.objects.filter(
            kind=OrgKind.PARTY_ORG,
            jurisdiction=community,
            attached_complex__isnull=True,
            attached_unit__isnull=True,
        ).first()
        branch = _org(
            code=f"ORG-{complex_.code}-party",
            kind=OrgKind.PARTY_ORG,
            name="中共托乐嘉小区支部委员会",
            node=community,
            parent=community_party,
            party_level="branch",
            attached_complex=complex_,
        )
        company = Organisation.objects.filter(
            kind=OrgKind.PROPERTY_COMPANY, complexes=complex_
        ).first() or _org(
            code=f"ORG-{complex_.code}-property",
            kind=OrgKind.PROPERTY_COMPANY,
            name="托乐嘉物业服务有限公司",
            node=community,
            dept_type="property",
            complexes=[complex_],
        )
        owners = Organisation.objects.filter(
            kind=OrgKind.HOMEOWNERS_COMMITTEE, complexes=complex_
        ).first() or _org(
            code=f"ORG-{complex_.code}-homeowners",
            kind=OrgKind.HOMEOWNERS_COMMITTEE,
            name="托乐嘉小区业主委员会",
            node=community,
            dept_type="",
            complexes=[complex_],
        )
        board = boards.board_of(complex_) or boards.board_set_up(
            actor=staff,
            complex_=complex_,
            name="托乐嘉小区红色物业联席会",
            established_on=timezone.localdate(start),
        )
        body_org = {
            BoardBody.PARTY_ORG: branch,
            BoardBody.RESIDENTS_COMMITTEE: residents_committee,
            BoardBody.HOMEOWNERS_COMMITTEE: owners,
            BoardBody.PROPERTY_COMPANY: company,
        }
        seated = set(board.board_seats.filter(ended_on__isnull=True).values_list("person_id", flat=True))
        for username, name, body, position, cross, cross_position in SEATS:
            person = _person(username, name, hashed)
            if person.pk in seated:
                continue
            boards.board_seat_add(
                actor=staff,
                board=board,
                body=body,
                body_org=body_org[body],
                person=person,
                display_name=name,
                position=position,
                cross_body=cross,
                cross_position=cross_position,
            )
        # The community's own worker sits for the residents' committee and on the branch (双向进入).
        if staff.pk not in seated:
            boards.board_seat_add(
                actor=staff,
                board=board,
                body=BoardBody.RESIDENTS_COMMITTEE,
                body_org=residents_committee,
                person=staff,
                display_name=staff.first_name or staff.username,
                position="居委会主任",
                cross_body=BoardBody.PARTY_ORG,
                cross_position="党支部副书记",
            )
    # The resident's case, reported this morning inside the complex at its gate, dispatched to the board.
    point = shape(complex_.boundary).representative_point()
    t = now - dt.timedelta(hours=3)
    with clock.frozen(t):
        case = case_report(
            actor=resident,
            source=Source.RESIDENT_WEB,
            category=CATEGORY,
            description=DESCRIPTION,
            lat=round(point.y, 7),
            lng=round(point.x, 7),
            address="托乐嘉小区大门",
            reporter_name="孙先生",
            reporter_phone="13955556666",
        )
    worker = _staff(Role.GRID_WORKER, Jurisdiction.objects.get(pk=case.grid_id)) if case.grid_id else None
    if worker is not None:
        with clock.frozen(t + dt.timedelta(minutes=30)):
            case_act(case=case.pk, action="verify", actor=worker, note="现场核实：门前无名路两侧停满车辆")
    with clock.frozen(t + dt.timedelta(minutes=45)):
        case_act(case=case.pk, action="file", actor=dispatcher)
    with clock.frozen(t + dt.timedelta(minutes=50)):
        case = case_act(
            case=case.pk,
            action="dispatch",
            actor=dispatcher,
            lead=case.suggested_org_id or board.pk,
            note="小区物业类事项，先由托乐嘉红色物业联席会协调",
        )
    log(f"red property: {complex_.name} board {board.code}, case {case.number} waiting for the board")
    return {"complex": complex_.code, "board": board.code, "case": case.number}
