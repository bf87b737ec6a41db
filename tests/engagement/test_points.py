"""Points rules are data; the ledger is append-only; hours and places are checked."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from chuishao import clock
from chuishao.engagement import services as s
from chuishao.engagement.errors import EngagementConflict, EngagementDenied, EngagementInvalid
from chuishao.engagement.models import AppendOnly, PointEntry, PointRule, ServicePost, Task

COMMUNITY = "110901001001"


@pytest.fixture
def member(city, at):
    with clock.frozen(at(2026, 3, 1, 9)):
        reg = s.registration_submit_member(
            actor=city.people["member-1"],
            community=city.node(COMMUNITY),
            unit=city.orgs["bureau-a"],
            posts=["order"],
        )
        s.registration_decide(actor=city.people["community-a"], registration=reg, accept=True)
    return city.people["member-1"]


def serve(city, at, member, *, day: int, hours: int = 2, post: str = "order", month: int = 3):
    """One task of ``hours`` on ``day``, claimed, checked in and out on time and confirmed."""
    staff = city.people["community-a"]
    with clock.frozen(at(2026, month, day, 8)):
        task = s.task_create(
            actor=staff,
            node=city.node(COMMUNITY),
            title="巡逻",
            post=ServicePost.objects.get(code=post),
            starts_at=at(2026, month, day, 9),
            ends_at=at(2026, month, day, 9 + hours),
            capacity=5,
            place="北门",
        )
        claim = s.claim_task(actor=member, task=task)
    with clock.frozen(at(2026, month, day, 9)):
        s.claim_check_in(actor=member, claim=claim)
    with clock.frozen(at(2026, month, day, 9 + hours)):
        s.claim_check_out(actor=member, claim=claim)
        return s.claim_confirm(actor=staff, claim=claim)


def total(person, **filters) -> Decimal:
    return PointEntry.objects.filter(person=person, **filters).aggregate(p=Sum("points"))["p"] or Decimal(0)


def test_hourly_points_stop_at_the_monthly_cap(city, at, member):
    # 10 tasks of 2 hours: attendance 1 each (no cap) + 4 an outing for hours, capped at 40 a month.
    for day in range(2, 12):
        serve(city, at, member, day=day)
    hours_rule = PointRule.objects.get(code="hours")
    assert total(member, rule=hours_rule) == 40
    assert total(member) == 50
    # 11th outing: only attendance counts this month; April starts afresh.
    serve(city, at, member, day=20)
    assert total(member, rule=hours_rule) == 40
    serve(city, at, member, day=2, month=4)
    assert total(member, rule=hours_rule, served_on__month=4) == 4


def test_rules_are_data(city, at, member):
    PointRule.objects.filter(code="hours").update(per_hour=Decimal("5"))
    serve(city, at, member, day=2, post="emergency")  # emergency adds 3
    assert total(member) == 1 + 10 + 3
    PointRule.objects.filter(code="emergency").update(active=False)
    serve(city, at, member, day=3, post="emergency")
    assert total(member) == 14 + 11


def test_the_ledger_is_append_only_and_corrections_are_new_lines(city, at, member):
    serve(city, at, member, day=2)
    entry = PointEntry.objects.filter(person=member).first()
    entry.points = Decimal(100)
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(EngagementInvalid):
        s.points_correct(actor=city.people["community-a"], entry=entry, points="-1", reason="")
    with pytest.raises(EngagementDenied):
        s.points_correct(actor=city.people["community-b"], entry=entry, points="-1", reason="错记")
    fix = s.points_correct(actor=city.people["community-a"], entry=entry, points="-1", reason="错记一次")
    assert fix.corrects_id == entry.pk and fix.kind == "correction"
    assert PointEntry.objects.get(pk=entry.pk).points == 1  # the original is untouched
    assert total(member) == 5 - 1


def test_hours_are_checked_and_a_place_can_be_given_back(city, at, member):
    staff = city.people["community-a"]
    with clock.frozen(at(2026, 3, 2, 7, 30)):
        task = s.task_create(
            actor=staff,
            node=city.node(COMMUNITY),
            title="敬老",
            post=ServicePost.objects.get(code="elderly"),
            starts_at=at(2026, 3, 2, 9),
            ends_at=at(2026, 3, 2, 11),
            capacity=1,
            place="养老驿站",
        )
        claim = s.claim_task(actor=member, task=task)
        assert Task.objects.get(pk=task.pk).claimed == 1
        s.claim_withdraw(actor=member, claim=claim)
        assert Task.objects.get(pk=task.pk).claimed == 0
        claim = s.claim_task(actor=member, task=task)
        with pytest.raises(EngagementInvalid):
            s.claim_check_in(actor=member, claim=claim)  # too early
        with pytest.raises(EngagementInvalid):
            s.task_create(
                actor=staff,
                node=city.node(COMMUNITY),
                title="x",
                post=task.post,
                starts_at=task.ends_at,
                ends_at=task.starts_at,
                capacity=1,
                place="x",
            )
    with clock.frozen(at(2026, 3, 2, 12)):
        # The member never checked out: the organiser writes the hours, within the task's two.
        with pytest.raises(EngagementInvalid):
            s.claim_confirm(actor=staff, claim=claim)
        with pytest.raises(EngagementInvalid):
            s.claim_confirm(actor=staff, claim=claim, hours="3")
        with pytest.raises(EngagementInvalid):
            s.claim_confirm(actor=staff, claim=claim, hours="abc")
        done = s.claim_confirm(actor=staff, claim=claim, hours="1.5", note="按签到表")
        assert done.hours == Decimal("1.50")
        with pytest.raises(EngagementConflict):
            s.claim_confirm(actor=staff, claim=claim, hours="1")
    assert total(member) == 1 + 3


def test_the_admin_records_rule_changes_and_never_edits_the_ledger(client, city, at, member):
    from chuishao.events.models import Event
    from tests.factories import PASSWORD

    serve(city, at, member, day=2)
    admin = city.people["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    assert client.login(username="admin", password=PASSWORD)
    rule = PointRule.objects.get(code="hours")
    response = client.post(
        f"/admin/engagement/pointrule/{rule.pk}/change/",
        {
            "city": rule.city_id,
            "code": "hours",
            "name": rule.name,
            "per_task": "0",
            "per_hour": "3",
            "cap": "40",
            "cap_period": "month",
            "active": "on",
        },
    )
    assert response.status_code == 302
    event = Event.objects.filter(verb="engagement.pointrule_saved").get()
    assert (event.before["per_hour"], event.after["per_hour"]) == ("2.0", "3")
    entry = PointEntry.objects.first()
    assert client.get(f"/admin/engagement/pointentry/{entry.pk}/change/").status_code == 200  # view only
    client.post(f"/admin/engagement/pointentry/{entry.pk}/delete/", {"post": "yes"})
    assert PointEntry.objects.filter(pk=entry.pk).exists()


def test_a_place_is_given_back_only_before_the_start_and_not_served_frees_it(city, at, member):
    staff = city.people["community-a"]
    with clock.frozen(at(2026, 3, 2, 7)):
        task = s.task_create(
            actor=staff, node=city.node(COMMUNITY), title="巡逻", post=ServicePost.objects.get(code="order"),
            starts_at=at(2026, 3, 2, 9), ends_at=at(2026, 3, 2, 11), capacity=2, place="北门",
        )  # fmt: skip
        claim = s.claim_task(actor=member, task=task)
    with clock.frozen(at(2026, 3, 2, 12)):
        with pytest.raises(EngagementConflict):
            s.claim_withdraw(actor=member, claim=claim)  # a no-show cannot erase the record
        s.claim_not_served(actor=staff, claim=claim, reason="未到场")
    assert Task.objects.get(pk=task.pk).claimed == 0
    assert total(member) == 0


def test_zero_hours_and_nonsense_hours_are_refused(city, at, member):
    staff = city.people["community-a"]
    with clock.frozen(at(2026, 3, 2, 7)):
        task = s.task_create(
            actor=staff, node=city.node(COMMUNITY), title="巡逻", post=ServicePost.objects.get(code="order"),
            starts_at=at(2026, 3, 2, 9), ends_at=at(2026, 3, 2, 11), capacity=2, place="北门",
        )  # fmt: skip
        claim = s.claim_task(actor=member, task=task)
    with clock.frozen(at(2026, 3, 2, 8, 10)):
        s.claim_check_in(actor=member, claim=claim)
    with clock.frozen(at(2026, 3, 2, 8, 50)):
        assert s.claim_check_out(actor=member, claim=claim).hours == 0  # left before the start
    with clock.frozen(at(2026, 3, 2, 12)):
        for hours in ("", "NaN", "Infinity", "-1"):
            with pytest.raises(EngagementInvalid):
                s.claim_confirm(actor=staff, claim=claim, hours=hours)
    assert total(member) == 0


def test_a_unit_publishes_only_where_it_is_registered(city, at):
    organiser, bureau = city.people["bureau-organiser"], city.orgs["bureau-a"]
    with clock.frozen(at(2026, 3, 2, 9)):
        reg = s.registration_submit_unit(actor=organiser, unit=bureau, node=city.node(COMMUNITY))
        s.registration_decide(actor=city.people["community-a"], registration=reg, accept=True)
        s.resource_publish(
            actor=organiser, unit=bureau, node=city.node(COMMUNITY), title="会议室", capacity=1
        )
        for other in ("110901001", "110901001002"):  # its street, a sibling community
            with pytest.raises(EngagementInvalid):
                s.resource_publish(
                    actor=organiser, unit=bureau, node=city.node(other), title="会议室", capacity=1
                )
