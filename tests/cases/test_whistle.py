"""The whistle (吹哨) and the report (报到): the cross-district story, deadlines and cancelling."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from chuishao import clock
from chuishao.cases.errors import CaseConflict, CaseInvalid, CaseNotFound, CasePermissionDenied
from chuishao.cases.models import SummonsState, Whistle, WhistleStatus
from chuishao.cases.selectors import cases_visible_to
from chuishao.cases.services import (
    case_file,
    summons_acknowledge,
    summons_check_in,
    summons_record_action,
    whistle_blow,
    whistle_cancel,
    whistle_confirm_done,
    whistle_join,
    whistle_rate,
    whistle_summon,
)
from chuishao.cases.whistle_selectors import whistle_board, whistle_get, whistles_visible_to
from chuishao.events.audit import audit_verify
from chuishao.events.models import Event
from tests.factories import LAT0, LON0, STEP

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)
# A point about 5 m west of the line between the districts: grid A1b-g2, within the boundary distance
# of street B.
BORDER = (LAT0 + STEP / 2, LON0 + 4 * STEP - 0.00006)


def chain_verbs(whistle: Whistle) -> list[str]:
    return list(Event.objects.filter(chain=whistle.chain).order_by("seq").values_list("verb", flat=True))


def one_event(whistle: Whistle, verb: str, action):
    """Run ``action`` and check it wrote exactly one event, of ``verb``, on the whistle's chain."""
    before = Event.objects.count()
    result = action()
    new = list(Event.objects.filter(pk__gt=0).order_by("-id")[: Event.objects.count() - before])
    assert [(e.chain, e.verb) for e in new] == [(whistle.chain, verb)]
    return result


def refused(error, action, match=None):
    """``action`` raises ``error`` (with ``match`` in its message) and writes no event."""
    before = Event.objects.count()
    with pytest.raises(error, match=match):
        action()
    assert Event.objects.count() == before


@pytest.fixture
def border_case(city, report):
    """A filed illegal-building case a few metres inside district A, on the border with district B."""
    case = report(category="S0101", description="两区交界处有人私搭乱建", lat=BORDER[0], lng=BORDER[1])
    return case_file(case=case, actor=city.people["street-a"])


@pytest.fixture
def inner_case(city, report):
    """A filed case in the middle of street A's first grid, far from any other street."""
    case = report(category="S0101", description="小区内违建")
    return case_file(case=case, actor=city.people["street-a"])


def blow(city, case, by="street-a", kind="everyday", summons=None, **extra):
    if summons is None:
        summons = [{"organisation": city.orgs["um-110901"], "role": "lead"}]
    return whistle_blow(
        actor=city.people[by],
        cases=[case],
        kind=kind,
        reason="joint_enforcement",
        description="违建跨区，需联合执法拆除",
        summons=summons,
        **extra,
    )


# --- 1. the seed story -----------------------------------------------------------------------------


def test_cross_district_joint_whistle_from_report_to_ratings(city, report):
    people, orgs = city.people, city.orgs
    street_a, street_b = city.node("110901001"), city.node("110902001")
    with clock.frozen(MONDAY_10):
        # Given a resident's report of an illegal building just inside district A, on the border
        case = report(category="S0101", description="两区交界处有人私搭乱建", lat=BORDER[0], lng=BORDER[1])
        assert case.grid.code == "110901001002002"
        assert case.boundary_case and "110902001" in case.nearby_jurisdictions
        case_file(case=case, actor=people["street-a"])

        # When street A whistles, summoning its district's urban management as lead
        whistle = blow(city, case)

    # Then the street across the line is party to it automatically: the whistle is joint
    assert re.fullmatch(r"W20260316\d{6}", whistle.number)
    assert whistle.joint and whistle.street == street_a
    parties = {p.street_id: (p.district_id, p.initiator) for p in whistle.parties.all()}
    assert parties == {
        street_a.pk: (city.node("110901").pk, True),
        street_b.pk: (city.node("110902").pk, False),
    }
    assert (whistle.lat, whistle.lng) == (case.lat, case.lng)
    assert chain_verbs(whistle) == ["whistle.blown", "whistle.joined", "whistle.summoned"]
    blown = Event.objects.get(chain=whistle.chain, verb="whistle.blown").after
    assert blown["case_ids"] == [case.pk] and blown["street_ids"] == [street_a.pk, street_b.pk]
    assert blown["joint"] is True and blown["kind"] == "everyday"
    whistled = Event.objects.get(case=case, verb="case.whistled")
    assert whistled.after == {"whistle_id": whistle.pk, "whistle_number": whistle.number, "joint": True}
    (um_a,) = whistle.summonses.all()
    assert um_a.summoned_by == street_a and um_a.sweep_at == um_a.acknowledge_due

    with clock.frozen(MONDAY_10 + dt.timedelta(minutes=5)):
        # And street B summons its own district's urban management as its lead
        um_b = one_event(
            whistle,
            "whistle.summoned",
            lambda: whistle_summon(
                actor=people["street-b"], whistle=whistle, organisation=orgs["um-110902"], role="lead"
            ),
        )
    assert um_b.summoned_by == street_b
    summoned = Event.objects.filter(chain=whistle.chain, verb="whistle.summoned").last().after
    assert summoned == {
        "summons_id": um_b.pk,
        "organisation_id": orgs["um-110902"].pk,
        "role": "lead",
        "summoned_by": street_b.pk,
        "acknowledge_due": um_b.acknowledge_due.isoformat(),
        "onsite_due": um_b.onsite_due.isoformat(),
    }

    # When both departments acknowledge, come on site and record what they did
    with clock.frozen(MONDAY_10 + dt.timedelta(minutes=20)):
        for who, summons in (("um-a", um_a), ("um-b", um_b)):
            one_event(
                whistle,
                "whistle.acknowledged",
                lambda w=who, s=summons: summons_acknowledge(actor=people[w], summons=s),
            )
    with clock.frozen(MONDAY_10 + dt.timedelta(minutes=50)):
        um_a = one_event(
            whistle,
            "whistle.checked_in",
            lambda: summons_check_in(actor=people["um-a"], summons=um_a, lat=BORDER[0], lng=BORDER[1]),
        )
        # 0.0005° of longitude east: about 43 m across the line
        um_b = one_event(
            whistle,
            "whistle.checked_in",
            lambda: summons_check_in(
                actor=people["um-b"], summons=um_b, lat=BORDER[0], lng=BORDER[1] + 0.0005
            ),
        )
    assert um_a.onsite_distance_m == 0.0
    assert 40 < um_b.onsite_distance_m < 46
    assert um_a.state == um_b.state == SummonsState.ON_SITE and um_a.sweep_at is None
    with clock.frozen(MONDAY_10 + dt.timedelta(hours=3)):
        for who, summons, note in (("um-a", um_a, "拆除西侧棚屋"), ("um-b", um_b, "拆除东侧围挡")):
            one_event(
                whistle,
                "whistle.acted",
                lambda w=who, s=summons, n=note: summons_record_action(actor=people[w], summons=s, note=n),
            )
    with clock.frozen(MONDAY_10 + dt.timedelta(hours=4)):
        um_a = summons_record_action(actor=people["um-a"], summons=um_a, note="清运建筑垃圾")
    assert um_a.action_note == "[2026-03-16 13:00] 拆除西侧棚屋\n[2026-03-16 14:00] 清运建筑垃圾"

    # And street A confirms the matter done: now, and only now, everyone is released
    with clock.frozen(MONDAY_10 + dt.timedelta(hours=5)):
        before = Event.objects.count()
        whistle = whistle_confirm_done(actor=people["street-a"], whistle=whistle, note="违建已全部拆除")
    assert Event.objects.count() == before + 3
    assert chain_verbs(whistle)[-3:] == ["whistle.done", "whistle.released", "whistle.released"]
    assert whistle.status == WhistleStatus.DONE and whistle.done_note == "违建已全部拆除"
    assert set(whistle.summonses.values_list("state", flat=True)) == {SummonsState.RELEASED}

    # Then each street rates the department it summoned, and only that one
    rating_a = one_event(
        whistle,
        "whistle.rated",
        lambda: whistle_rate(
            actor=people["street-a"], summons=um_a, on_time_report=5, problem_solved=5, attitude=4
        ),
    )
    rating_b = one_event(
        whistle,
        "whistle.rated",
        lambda: whistle_rate(
            actor=people["street-b"], summons=um_b, on_time_report="4", problem_solved="5", attitude="5"
        ),
    )
    assert (rating_a.street, rating_a.organisation) == (street_a, orgs["um-110901"])
    assert (rating_b.street, rating_b.organisation) == (street_b, orgs["um-110902"])
    rated = Event.objects.filter(chain=whistle.chain, verb="whistle.rated").last().after
    assert rated == {
        "summons_id": um_b.pk,
        "organisation_id": orgs["um-110902"].pk,
        "street_id": street_b.pk,
        "on_time_report": 4,
        "problem_solved": 5,
        "attitude": 5,
        "score": rating_b.score,
    }
    refused(
        CasePermissionDenied,
        lambda: whistle_rate(
            actor=people["street-b"], summons=um_a, on_time_report=1, problem_solved=1, attitude=1
        ),
        match="street that summoned",
    )

    # And both streets and both districts see the whistle and its case; others do not
    for who in ("street-a", "street-b", "district-a", "district-b", "city", "um-a", "um-b"):
        assert whistle_get(actor=people[who], pk=whistle.pk) == whistle, who
        assert cases_visible_to(people[who]).filter(pk=case.pk).exists(), who
    for who in ("water-a", "grid-b", "grid-a2", "resident", "community-b"):
        assert not whistles_visible_to(people[who]).filter(pk=whistle.pk).exists(), who
        with pytest.raises(CaseNotFound):
            whistle_get(actor=people[who], pk=whistle.pk)
    for who in ("water-a", "grid-b", "grid-a2", "community-b"):
        assert not cases_visible_to(people[who]).filter(pk=case.pk).exists(), who

    # And the whistle's whole history is on its own chain, which verifies
    assert chain_verbs(whistle) == [
        "whistle.blown",
        "whistle.joined",
        "whistle.summoned",
        "whistle.summoned",
        "whistle.acknowledged",
        "whistle.acknowledged",
        "whistle.checked_in",
        "whistle.checked_in",
        "whistle.acted",
        "whistle.acted",
        "whistle.acted",
        "whistle.done",
        "whistle.released",
        "whistle.released",
        "whistle.rated",
        "whistle.rated",
    ]
    report_ = audit_verify()
    assert report_.ok, report_.problems


def test_community_whistles_through_its_street_and_a_named_street_joins(city, inner_case):
    # Given a case in community A1a, whistled by that community's staff, naming street B as joint
    whistle = blow(city, inner_case, by="community-a", joint_streets=[city.node("110902001").pk])
    # Then the whistle belongs to the community's street, with street B as a named party
    assert whistle.street == city.node("110901001") and whistle.joint
    joined = Event.objects.get(chain=whistle.chain, verb="whistle.joined").after
    assert joined == {
        "street_id": city.node("110902001").pk,
        "district_id": city.node("110902").pk,
        "named": True,
    }
    # And the blower's lead is summoned on behalf of the street
    assert whistle.summonses.get().summoned_by == city.node("110901001")


def test_a_party_street_brings_in_another_street_and_its_district_can_then_be_summoned(city, inner_case):
    people, orgs = city.people, city.orgs
    whistle = blow(city, inner_case)
    assert not whistle.joint
    # Given district B is not party yet, its departments cannot be summoned
    refused(
        CaseInvalid,
        lambda: whistle_summon(
            actor=people["street-a"], whistle=whistle, organisation=orgs["um-110902"], role="assist"
        ),
        match="not party to this whistle",
    )
    # When street A brings street B in
    party = one_event(
        whistle,
        "whistle.joined",
        lambda: whistle_join(actor=people["street-a"], whistle=whistle, street=city.node("110902001")),
    )
    assert party.district == city.node("110902")
    assert Whistle.objects.get(pk=whistle.pk).joint
    # Then district B's department can be summoned, by either street
    summons = whistle_summon(
        actor=people["street-a"], whistle=whistle, organisation=orgs["um-110902"], role="assist"
    )
    assert summons.summoned_by == city.node("110901001")
    refused(
        CaseConflict,
        lambda: whistle_join(actor=people["street-b"], whistle=whistle, street=city.node("110902001")),
        match="already party",
    )


def test_a_district_centre_summons_on_behalf_of_the_whistling_street(city, inner_case):
    whistle = blow(city, inner_case, summons=[])
    summons = whistle_summon(
        actor=city.people["district-a"],
        whistle=whistle,
        organisation=city.orgs["water-110901"],
        role="assist",
    )
    assert summons.summoned_by == whistle.street


def test_cancelling_releases_everyone_and_frees_the_case_for_a_new_whistle(city, inner_case):
    whistle = blow(city, inner_case)
    refused(CaseConflict, lambda: blow(city, inner_case), match="Already in an open whistle")
    cancelled = one_event(
        whistle,
        "whistle.cancelled",
        lambda: whistle_cancel(actor=city.people["street-a"], whistle=whistle, reason="误报"),
    )
    assert cancelled.status == WhistleStatus.CANCELLED
    assert list(whistle.summonses.values_list("state", "sweep_at")) == [(SummonsState.RELEASED, None)]
    refused(
        CaseConflict, lambda: whistle_cancel(actor=city.people["street-a"], whistle=whistle, reason="再取消")
    )
    assert blow(city, inner_case).pk != whistle.pk


# --- 2. deadlines ------------------------------------------------------------------------------------


def test_a_department_acknowledging_after_its_deadline_is_late_and_missing_one_is_overdue(city, inner_case):
    with clock.frozen(MONDAY_10):
        whistle = blow(city, inner_case)
    (summons,) = whistle.summonses.all()
    # Everyday whistle: two working hours to acknowledge, one working day to be on site
    assert summons.acknowledge_due == MONDAY_10 + dt.timedelta(hours=2)
    assert summons.onsite_due == MONDAY_10 + dt.timedelta(days=1)
    (row,) = whistle_board(whistle=whistle, now=MONDAY_10 + dt.timedelta(hours=1))
    assert (row["acknowledge"], row["onsite"]) == ("pending", "pending")
    (row,) = whistle_board(whistle=whistle, now=MONDAY_10 + dt.timedelta(hours=2, minutes=1))
    assert row["acknowledge"] == "overdue"

    with clock.frozen(MONDAY_10 + dt.timedelta(hours=2, minutes=30)):
        summons = summons_acknowledge(actor=city.people["um-a"], summons=summons)
    event = Event.objects.filter(chain=whistle.chain).last()
    assert event.verb == "whistle.acknowledged" and event.after["on_time"] is False
    assert summons.sweep_at == summons.onsite_due
    (row,) = whistle_board(whistle=whistle, now=MONDAY_10 + dt.timedelta(hours=3))
    assert (row["acknowledge"], row["onsite"]) == ("late", "pending")
    (row,) = whistle_board(whistle=whistle, now=MONDAY_10 + dt.timedelta(days=1, minutes=1))
    assert row["onsite"] == "overdue"

    with clock.frozen(MONDAY_10 + dt.timedelta(days=1, hours=1)):
        summons_check_in(actor=city.people["um-a"], summons=summons, lat=39.9005, lng=116.3005)
    assert Event.objects.filter(chain=whistle.chain).last().after["on_time"] is False
    (row,) = whistle_board(whistle=whistle)
    assert (row["acknowledge"], row["onsite"]) == ("late", "late")


def test_emergency_whistle_wants_departments_on_site_in_30_minutes_even_at_night(city, inner_case):
    saturday_night = dt.datetime(2026, 3, 14, 2, 0, tzinfo=SHANGHAI)
    with clock.frozen(saturday_night):
        whistle = blow(city, inner_case, kind="emergency")
    (summons,) = whistle.summonses.all()
    assert summons.acknowledge_due == saturday_night + dt.timedelta(minutes=15)
    assert summons.onsite_due == saturday_night + dt.timedelta(minutes=30)
    # Checking in straight away also counts as acknowledging, on time
    with clock.frozen(saturday_night + dt.timedelta(minutes=12)):
        summons = summons_check_in(actor=city.people["um-a"], summons=summons, lat=39.9005, lng=116.3005)
    assert summons.acknowledged_at == summons.onsite_at == saturday_night + dt.timedelta(minutes=12)
    after = Event.objects.filter(chain=whistle.chain).last().after
    assert after["on_time"] is True and after["acknowledged"] is True
    (row,) = whistle_board(whistle=whistle)
    assert (row["acknowledge"], row["onsite"]) == ("on_time", "on_time")


def test_everyday_whistle_on_friday_evening_counts_working_time_only(city, inner_case):
    friday_evening = dt.datetime(2026, 3, 13, 18, 0, tzinfo=SHANGHAI)
    with clock.frozen(friday_evening):
        whistle = blow(city, inner_case)
    (summons,) = whistle.summonses.all()
    # Two working hours from Monday 09:00; one working day: the end of Monday's work
    assert summons.acknowledge_due == dt.datetime(2026, 3, 16, 11, 0, tzinfo=SHANGHAI)
    assert summons.onsite_due == dt.datetime(2026, 3, 16, 17, 30, tzinfo=SHANGHAI)
