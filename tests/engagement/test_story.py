"""The Xiamen story through the services: a bureau's members tidy shared bikes at lunchtime in the
community where they live, and the hours land in the bureau's year-end report."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from chuishao import clock
from chuishao.engagement import services as s
from chuishao.engagement.errors import EngagementConflict, EngagementDenied, EngagementInvalid
from chuishao.engagement.models import ClaimStatus, NeedStatus, PointEntry, RegistrationStatus, ServicePost
from chuishao.engagement.reports import unit_report
from chuishao.engagement.selectors import member_standing
from chuishao.events.models import Event

COMMUNITY = "110901001001"
STREETS = ["仙岳路", "湖滨南路", "禾祥西路"]


def register_everyone(city, at):
    community = city.node(COMMUNITY)
    bureau = city.orgs["bureau-a"]
    with clock.frozen(at(2026, 3, 2, 9)):
        unit_reg = s.registration_submit_unit(
            actor=city.people["bureau-organiser"],
            unit=bureau,
            node=city.node("110901001"),
            posts=["environment"],
        )
        s.registration_decide(actor=city.people["street-a"], registration=unit_reg, accept=True)
        regs = [
            s.registration_submit_member(
                actor=city.people[f"member-{n}"],
                community=community,
                unit=bureau,
                posts=["environment", "order"],
            )
            for n in (1, 2, 3)
        ]
        return [
            s.registration_decide(actor=city.people["community-a"], registration=r, accept=True) for r in regs
        ]


def test_bikes_at_lunchtime(city, at):
    community = city.node(COMMUNITY)
    bureau = city.orgs["bureau-a"]
    staff = city.people["community-a"]
    regs = register_everyone(city, at)
    assert all(r.status == RegistrationStatus.CONFIRMED for r in regs)

    with clock.frozen(at(2026, 3, 3, 9)):
        need = s.need_post(
            actor=staff,
            node=community,
            title="午间整理共享单车",
            description="三条街午间共享单车乱停，需要志愿者整理",
            post=ServicePost.objects.get(code="environment"),
        )
        assert need.status == NeedStatus.OPEN
        tasks = [
            s.task_create(
                actor=staff,
                node=community,
                need=need,
                title=f"整理{street}共享单车",
                post=need.post,
                starts_at=at(2026, 3, 4 + i, 12),
                ends_at=at(2026, 3, 4 + i, 13),
                capacity=3,
                place=street,
            )
            for i, street in enumerate(STREETS)
        ]
    for i, task in enumerate(tasks):
        day = 4 + i
        with clock.frozen(at(2026, 3, 3, 10)):
            claims = [s.claim_task(actor=city.people[f"member-{n}"], task=task) for n in (1, 2, 3)]
        with clock.frozen(at(2026, 3, day, 11, 58)):
            for n, claim in enumerate(claims, 1):
                s.claim_check_in(actor=city.people[f"member-{n}"], claim=claim, lat=39.9005, lng=116.3005)
        with clock.frozen(at(2026, 3, day, 13, 5)):
            for n, claim in enumerate(claims, 1):
                out = s.claim_check_out(actor=city.people[f"member-{n}"], claim=claim, note="整理了40辆")
                assert out.hours == Decimal("1.00")  # counted within the task's hour only
        with clock.frozen(at(2026, 3, day, 15)):
            for claim in claims:
                confirmed = s.claim_confirm(actor=staff, claim=claim)
                assert confirmed.status == ClaimStatus.CONFIRMED
    with clock.frozen(at(2026, 3, 10, 9)):
        s.need_close(actor=staff, need=need)

    # Points by the default rules: 1 per task plus 2 per hour = 3 a lunchtime, 9 for the three.
    for n in (1, 2, 3):
        assert (
            PointEntry.objects.filter(person=city.people[f"member-{n}"]).aggregate(p=Sum("points"))["p"] == 9
        )

    with clock.frozen(at(2026, 12, 20, 10)):
        for reg in regs:
            s.member_evaluate(actor=staff, registration=reg, year=2026, grade="excellent")
        report = unit_report(actor=city.people["bureau-organiser"], unit=bureau, year=2026)
        for outsider in ("community-a", "member-1", "street-a"):  # only the unit's own organiser reads it
            with pytest.raises(EngagementDenied):
                unit_report(actor=city.people[outsider], unit=bureau, year=2026)
    assert [r.name for r in report.rows] == ["党员1", "党员2", "党员3"]
    for row in report.rows:
        assert row.hours == Decimal("3.00")
        assert row.community == community.name
        assert row.grade == "excellent"
        direct = PointEntry.objects.filter(person_id=row.person_id, unit=bureau, served_on__year=2026)
        assert row.points == direct.aggregate(p=Sum("points"))["p"]
    assert report.total_points == PointEntry.objects.filter(unit=bureau).aggregate(p=Sum("points"))["p"] == 27

    standing = member_standing(city.people["member-1"], 2026)
    assert (standing.hours, standing.points, standing.community_rank, standing.community_size) == (
        Decimal("3.00"),
        Decimal("9.0"),
        1,
        3,
    )
    # Every step left an event on the community's chain.
    verbs = set(Event.objects.filter(chain=f"engagement:{community.pk}").values_list("verb", flat=True))
    assert {"engagement.registered", "engagement.claimed", "engagement.service_confirmed"} <= verbs


def test_only_confirmed_members_of_the_community_claim(city, at):
    community = city.node(COMMUNITY)
    staff = city.people["community-a"]
    with clock.frozen(at(2026, 3, 2, 9)):
        reg = s.registration_submit_member(
            actor=city.people["member-1"], community=community, unit=city.orgs["bureau-a"], posts=["order"]
        )
        task = s.task_create(
            actor=staff,
            node=community,
            title="夜间巡逻",
            post=ServicePost.objects.get(code="order"),
            starts_at=at(2026, 3, 5, 19),
            ends_at=at(2026, 3, 5, 21),
            capacity=2,
            place="小区北门",
        )
        with pytest.raises(EngagementDenied):
            s.claim_task(actor=city.people["member-1"], task=task)  # not yet confirmed
        s.registration_decide(actor=staff, registration=reg, accept=True)
        s.claim_task(actor=city.people["member-1"], task=task)
        with pytest.raises(EngagementConflict):
            s.claim_task(actor=city.people["member-1"], task=task)  # once only
        with pytest.raises(EngagementDenied):
            s.claim_task(actor=city.people["member-2"], task=task)  # never registered
        # Staff of another community cannot confirm or issue tasks here.
        with pytest.raises(EngagementDenied):
            s.task_create(
                actor=city.people["community-b"],
                node=community,
                title="x",
                post=task.post,
                starts_at=task.starts_at,
                ends_at=task.ends_at,
                capacity=1,
                place="x",
            )


def test_a_move_keeps_history_and_renewal_lapses(city, at):
    from chuishao.engagement.models import EngagementPolicy, Registration

    EngagementPolicy.objects.filter(city=city.city).update(reregister_months=12)
    member = city.people["member-1"]
    with clock.frozen(at(2026, 1, 5, 9)):
        first = s.registration_submit_member(
            actor=member, community=city.node(COMMUNITY), unit=city.orgs["bureau-a"], posts=["legal"]
        )
        first = s.registration_decide(actor=city.people["community-a"], registration=first, accept=True)
    assert str(first.expires_on) == "2027-01-05"
    assert s.registration_is_current(first, first.expires_on)
    assert not s.registration_is_current(first, first.expires_on.replace(day=6))
    with clock.frozen(at(2026, 6, 1, 9)):
        moved = s.registration_submit_member(
            actor=member, community=city.node("110901001002"), unit=city.orgs["bureau-a"], posts=["legal"]
        )
    history = list(Registration.objects.filter(person=member).order_by("registered_at"))
    assert [r.status for r in history] == ["ended", "pending"]
    assert moved.previous_id == first.pk
    with pytest.raises(EngagementInvalid):
        s.registration_decide(actor=city.people["street-a"], registration=moved, accept=False)  # no reason
    with pytest.raises(EngagementDenied):
        s.registration_decide(actor=city.people["community-b"], registration=moved, accept=True)


def test_a_wish_needs_approval_and_a_case_becomes_volunteer_work(city, at):
    from chuishao.cases.models import Case
    from chuishao.cases.services import case_report
    from tests.factories import grid_centre

    resident = city.people["resident"]
    with clock.frozen(at(2026, 3, 2, 9)):
        wish = s.need_post(actor=resident, node=city.node(COMMUNITY), title="帮我家老人取药", kind="need")
        assert (wish.kind, wish.status) == ("wish", "proposed")
        with pytest.raises(EngagementDenied):
            s.need_decide(actor=resident, need=wish, approve=True)
        s.need_decide(actor=city.people["community-a"], need=wish, approve=True)
        lat, lng = grid_centre("110901001001001")
        case = case_report(
            actor=resident, source="resident_web", category="S0102", description="楼道杂物", lat=lat, lng=lng
        )
        task = s.task_from_case(
            actor=city.people["grid-a"],
            case=case,
            title="清理楼道杂物",
            post=ServicePost.objects.get(code="environment"),
            starts_at=at(2026, 3, 3, 12),
            ends_at=at(2026, 3, 3, 13),
            capacity=4,
        )
        with pytest.raises(EngagementDenied):  # the street sees the case but dispatches, not volunteers
            s.task_from_case(
                actor=city.people["street-a"],
                case=case,
                title="x",
                post=task.post,
                starts_at=task.starts_at,
                ends_at=task.ends_at,
                capacity=1,
            )
    assert task.case_id == case.pk and task.node.code == COMMUNITY
    last = Event.objects.filter(case=case).order_by("-seq").first()
    assert last.verb == "case.volunteer_task" and last.after["task_id"] == task.pk
    assert Case.objects.get(pk=case.pk).chain_seq == last.seq


def test_the_report_flags_members_who_never_registered(city, at):
    from chuishao.engagement.models import EngagementPolicy

    bureau = city.orgs["bureau-a"]
    organiser = city.people["bureau-organiser"]
    with clock.frozen(at(2026, 3, 2, 9)):
        for n in (1, 2, 3):
            s.roster_add(actor=organiser, unit=bureau, person=city.people[f"member-{n}"])
        s.registration_submit_member(
            actor=city.people["member-2"], community=city.node(COMMUNITY), unit=bureau, posts=["order"]
        )
        with pytest.raises(EngagementDenied):
            s.roster_add(actor=city.people["community-a"], unit=bureau, person=city.people["member-1"])
    rows = {r.name: r for r in unit_report(actor=organiser, unit=bureau, year=2026).rows}
    assert rows["党员1"].never_registered and rows["党员1"].grade == "did_not_serve"
    assert not rows["党员2"].never_registered and rows["党员2"].registration == "awaiting confirmation"
    assert rows["党员2"].grade == ""  # not yet evaluated
    # A city whose rules let an unregistered member be rated "fair" at most.
    EngagementPolicy.objects.filter(city=city.city).update(unregistered_grade="fair")
    rows = {r.name: r for r in unit_report(actor=organiser, unit=bureau, year=2026).rows}
    assert rows["党员1"].grade == "fair"
    # A quarter before anyone registered: all three were unregistered then.
    q4_2025 = unit_report(actor=organiser, unit=bureau, year=2025, quarter=4)
    assert all(r.never_registered for r in q4_2025.rows) and len(q4_2025.rows) == 3


def test_the_report_tells_a_unit_only_what_its_members_registered_naming_it(city, at):
    """A grade given to someone registered for another employer stays with that employer."""
    from chuishao.orgs.services import organisation_upsert

    other = organisation_upsert(
        actor=city.people["admin"],
        code="other-unit",
        kind="unit",
        name="另一单位",
        jurisdiction=city.node("110901001"),
    )
    bureau, organiser = city.orgs["bureau-a"], city.people["bureau-organiser"]
    with clock.frozen(at(2026, 3, 2, 9)):
        reg = s.registration_submit_member(
            actor=city.people["member-1"], community=city.node(COMMUNITY), unit=other, posts=["order"]
        )
        reg = s.registration_decide(actor=city.people["community-a"], registration=reg, accept=True)
        s.member_evaluate(actor=city.people["community-a"], registration=reg, year=2026, grade="fair")
        s.roster_add(actor=organiser, unit=bureau, person=city.people["member-1"])
    row = unit_report(actor=organiser, unit=bureau, year=2026).rows[0]
    assert row.never_registered and row.grade == "did_not_serve" and row.community == ""


def test_a_task_from_a_case_does_not_carry_the_residents_words(city, at):
    from chuishao.cases.services import case_report
    from tests.factories import grid_centre

    lat, lng = grid_centre("110901001001001")
    with clock.frozen(at(2026, 3, 2, 9)):
        case = case_report(
            actor=city.people["resident"], source="resident_web", category="S0102",
            description="我是张三，电话13812341234，楼道杂物", lat=lat, lng=lng, address="幸福路12号3单元",
        )  # fmt: skip
        task = s.task_from_case(
            actor=city.people["grid-a"], case=case, title="清理楼道杂物",
            post=ServicePost.objects.get(code="environment"),
            starts_at=at(2026, 3, 3, 12), ends_at=at(2026, 3, 3, 13), capacity=2,
        )  # fmt: skip
    assert task.description == "" and task.place == city.node(COMMUNITY).name
