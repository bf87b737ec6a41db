"""Who hears of each event: one test per rule of ``notify.rules.RULES``.

Verbs whose services exist are driven through them; the others (whistles, warnings, escalation,
arbitration) are appended as their services will write them (the contract in docs/notifications.md).
"""

from __future__ import annotations

import pytest

from chuishao.cases.services import (
    case_accept,
    case_check,
    case_close,
    case_dispatch,
    case_file,
    case_handle,
    case_rate,
    case_return,
)
from chuishao.notify.models import Notification
from chuishao.notify.rules import RULES
from chuishao.notify.services import fanout
from chuishao.orgs.models import Membership
from tests.notify.helpers import append, last, make_whistle, recipients


@pytest.fixture
def dispatched(city, report):
    """A case filed and dispatched by street A to urban management A, with water A assisting."""
    case = report()
    case_file(case=case, actor=city.people["street-a"])
    return case_dispatch(
        case=case,
        actor=city.people["street-a"],
        lead=city.orgs["um-110901"],
        assisting=[city.orgs["water-110901"]],
    )


def test_dispatch_reaches_the_staff_of_every_named_organisation(city, dispatched):
    fanout()
    event = last("case.dispatch")
    assert recipients(event) == {"um-a", "water-a"}
    note = Notification.objects.get(event_id=event.pk, recipient__username="um-a")
    assert note.title == f"Case {dispatched.number} dispatched to you"
    assert note.case_id == dispatched.pk
    assert note.link == f"/cases/{dispatched.pk}/"
    assert note.read_at is None


def test_return_reaches_the_dispatcher_and_a_second_return_the_arbitrator(city, dispatched):
    case_return(case=dispatched, actor=city.people["um-a"], reason="不属于本部门")
    fanout()
    assert recipients(last("case.return")) == {"street-a"}
    case_dispatch(case=dispatched, actor=city.people["street-a"], lead=city.orgs["um-110901"])
    case_return(case=dispatched, actor=city.people["um-a"], reason="还是不归我们")
    fanout()
    second = last("case.return")
    assert second.after["status"] == "arbitration"
    assert recipients(second) == {"district-a"}
    note = Notification.objects.get(event_id=second.pk)
    assert note.title == f"Case {dispatched.number} needs arbitration"


def test_arbitration_reaches_the_organisation_it_names(city, dispatched):
    append("case.arbitrate", case=dispatched, after={"lead_org_id": city.orgs["water-110901"].pk})
    fanout()
    assert recipients(last("case.arbitrate")) == {"water-a"}


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("accept", {"um-a"}),
        ("handle", {"um-a"}),
        ("check", {"grid-a", "community-a"}),
        ("verify", {"grid-a", "community-a"}),
        ("dispatch", {"street-a"}),
        ("arbitrate", {"district-a"}),
    ],
)
def test_a_warning_reaches_the_owner_of_the_stage(city, dispatched, stage, expected):
    append("case.warned", case=dispatched, after={"warn_level": "red", "stage": stage})
    fanout()
    event = last("case.warned")
    assert recipients(event) == expected
    assert "red: overdue" in Notification.objects.filter(event_id=event.pk).first().body


def test_a_warning_before_dispatch_reaches_the_street(city, report):
    case = report()
    case_file(case=case, actor=city.people["street-a"])
    append("case.warned", case=case, after={"warn_level": "yellow", "stage": "dispatch"})
    fanout()
    assert recipients(last("case.warned")) == {"street-a"}


@pytest.mark.parametrize(
    ("node", "level", "expected"),
    [
        ("110901001001", "community", {"community-a"}),
        ("110901001", "street", {"street-a"}),
        ("110901", "district", {"district-a"}),
        ("110000", "city", {"city"}),
    ],
)
def test_escalation_reaches_the_centre_of_the_level_above(city, dispatched, node, level, expected):
    append("case.escalated", case=dispatched, after={"escalated_to_id": city.node(node).pk, "level": level})
    fanout()
    assert recipients(last("case.escalated")) == expected


def test_a_rating_reaches_the_lead_and_the_street(city, dispatched):
    case_accept(case=dispatched, actor=city.people["um-a"])
    case_handle(case=dispatched, actor=city.people["um-a"], result="已清运")
    case_check(case=dispatched, actor=city.people["grid-a"])
    case_close(case=dispatched, actor=city.people["street-a"])
    case_rate(case=dispatched, actor=city.people["resident"], satisfaction="satisfied", resolution="solved")
    fanout()
    event = last("case.rate")
    assert recipients(event) == {"um-a", "street-a"}
    assert "satisfied" in Notification.objects.filter(event_id=event.pk).first().body


@pytest.mark.parametrize("verb", ["case.supervised", "case.chased"])
def test_supervision_and_chasing_reach_the_lead(city, dispatched, verb):
    append(verb, case=dispatched, after={})
    fanout()
    assert recipients(last(verb)) == {"um-a"}


@pytest.mark.parametrize("verb", ["case.supervised", "case.chased"])
def test_supervision_without_a_lead_reaches_the_stage_owner(city, report, verb):
    case = report()
    case_file(case=case, actor=city.people["street-a"])
    append(verb, case=case, after={})
    fanout()
    assert recipients(last(verb)) == {"street-a"}


def test_whistle_events_reach_the_summoned_and_the_streets(city):
    whistle = make_whistle(city)
    um, water = city.orgs["um-110901"], city.orgs["water-110901"]
    summons = whistle.summonses.get(organisation=um)
    append(
        "whistle.summoned",
        whistle=whistle,
        after={
            "summons_id": summons.pk,
            "organisation_id": um.pk,
            "role": "lead",
            "summoned_by": whistle.street_id,
            "acknowledge_due": summons.acknowledge_due.isoformat(),
            "onsite_due": summons.onsite_due.isoformat(),
        },
    )
    append(
        "whistle.summons_overdue",
        whistle=whistle,
        after={"summons_id": summons.pk, "organisation_id": um.pk, "stage": "acknowledge"},
    )
    append("whistle.joined", whistle=whistle, after={"street_id": city.node("110902001").pk})
    append("whistle.rated", whistle=whistle, after={"organisation_id": water.pk})
    append("whistle.done", whistle=whistle, after={})
    fanout()
    assert recipients(last("whistle.summoned")) == {"um-a"}
    assert recipients(last("whistle.summons_overdue")) == {"um-a", "street-a"}
    assert recipients(last("whistle.joined")) == {"street-b"}
    assert recipients(last("whistle.rated")) == {"water-a"}
    assert recipients(last("whistle.done")) == {"um-a", "water-a"}
    summoned = Notification.objects.get(event_id=last("whistle.summoned").pk)
    assert summoned.title == f"Whistle {whistle.number}: your organisation is summoned"
    assert summoned.whistle_id == whistle.pk and summoned.case_id is None
    assert "acknowledge by 20" in summoned.body
    overdue = Notification.objects.filter(event_id=last("whistle.summons_overdue").pk).first()
    assert um.name in overdue.body and "acknowledge" in overdue.body


def test_the_actor_and_inactive_members_are_not_notified(city, report):
    Membership.objects.filter(person=city.people["water-a"]).update(active=False)
    case = report()
    case_file(case=case, actor=city.people["street-a"])
    case_dispatch(
        case=case,
        actor=city.people["street-a"],
        lead=city.orgs["um-110901"],
        assisting=[city.orgs["water-110901"]],
    )
    # The lead's own clerk returns it: the clerk is not told what they did.
    case_return(case=case, actor=city.people["um-a"], reason="不属于本部门")
    append("case.chased", case=case, after={}, actor=city.people["street-a"])
    fanout()
    assert recipients(last("case.dispatch")) == {"um-a"}
    assert recipients(last("case.chased")) == set()


def test_no_notification_names_the_reporter(city, dispatched):
    case_return(case=dispatched, actor=city.people["um-a"], reason="张三 13812341234 说不归我们")
    append("case.warned", case=dispatched, after={"warn_level": "yellow", "stage": "dispatch"})
    fanout()
    assert Notification.objects.count() >= 3
    for note in Notification.objects.all():
        text = note.title + note.body
        assert "张三" not in text and "13812341234" not in text, text


def test_every_rule_has_a_message_that_renders(city, dispatched):
    """A new verb needs a message with placeholders that exist (a typo shows as a dash, never a crash)."""
    from chuishao.notify.rules import Directory, Subject, message

    subject = Subject(last("case.dispatch"), dispatched, None, Directory())
    for verb, rule in RULES.items():
        title, body = message(rule, subject)
        assert title and body, verb


def test_a_whistle_blown_through_the_service_reaches_the_summoned(city, report):
    """The whistle service's own events (not a hand-written contract) reach the summoned staff."""
    from chuishao.cases.services.whistle import whistle_blow

    case = case_file(case=report(), actor=city.people["street-a"])
    whistle = whistle_blow(
        actor=city.people["street-a"],
        cases=[case],
        kind="everyday",
        reason="beyond_power",
        description="需要部门协同",
        summons=[
            {"organisation": city.orgs["um-110901"], "role": "lead"},
            {"organisation": city.orgs["water-110901"], "role": "notify"},
        ],
    )
    fanout()
    summoned = Notification.objects.filter(verb="whistle.summoned", whistle_id=whistle.pk)
    assert set(summoned.values_list("recipient__username", flat=True)) == {"um-a", "water-a"}
    assert {n.link for n in summoned} == {f"/whistles/{whistle.pk}/"}
