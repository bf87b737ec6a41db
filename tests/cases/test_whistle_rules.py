"""Whistle refusals (each clear, each writing nothing), the report board, the department inbox, and the
buttons ``whistle_allowed_actions`` offers matching what the services accept."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.cases.errors import CaseConflict, CaseError, CaseInvalid, CaseNotFound, CasePermissionDenied
from chuishao.cases.models import Whistle
from chuishao.cases.services import (
    case_file,
    case_self_handle,
    case_verify,
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
from chuishao.cases.whistle_selectors import summons_inbox, whistle_allowed_actions, whistle_board
from chuishao.events.models import Event
from chuishao.orgs.services import organisation_upsert

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)
HERE = {"lat": 39.9005, "lng": 116.3005}
SCORES = {"on_time_report": 5, "problem_solved": 4, "attitude": 5}


def refused(error, action, match=None):
    """``action`` raises ``error`` (with ``match`` in its message) and writes no event."""
    before = Event.objects.count()
    with pytest.raises(error, match=match):
        action()
    assert Event.objects.count() == before


@pytest.fixture
def filed(city, report):
    """A filed case in street A, in the given grid."""

    def make(grid: str = "110901001001001"):
        dispatcher = "street-a" if grid.startswith("110901") else "street-b"
        return case_file(case=report(grid=grid, category="S0101"), actor=city.people[dispatcher])

    return make


@pytest.fixture
def whistle(city, filed):
    """An open everyday whistle by street A: um-110901 leads, water-110901 is only notified."""
    with clock.frozen(MONDAY_10):
        return whistle_blow(
            actor=city.people["street-a"],
            cases=[filed()],
            kind="everyday",
            reason="beyond_power",
            description="需要部门协同",
            summons=[
                {"organisation": city.orgs["um-110901"].pk, "role": "lead"},
                {"organisation": city.orgs["water-110901"], "role": "notify"},
            ],
        )


def summons_of(whistle, org_code, city):
    return whistle.summonses.get(organisation=city.orgs[org_code])


# --- 3. refusals -------------------------------------------------------------------------------------


def test_only_the_street_of_the_cases_or_their_community_may_whistle(city, filed):
    case = filed()

    def blow(by):
        return lambda: whistle_blow(
            actor=city.people[by], cases=[case], kind="everyday", reason="beyond_power", description="x"
        )

    refused(CaseNotFound, blow("street-b"))
    refused(CaseNotFound, blow("community-b"))
    refused(CasePermissionDenied, blow("district-a"), match="dispatcher of the street")
    refused(CasePermissionDenied, blow("grid-a"))
    refused(CasePermissionDenied, blow("resident"))
    assert Whistle.objects.count() == 0


def test_cases_of_two_streets_cannot_share_one_whistle(city, filed):
    a, b = filed(), filed("110902001001001")
    refused(
        CasePermissionDenied,
        lambda: whistle_blow(
            actor=SYSTEM, cases=[a, b], kind="everyday", reason="beyond_power", description="两街各一案"
        ),
    )


def test_a_finished_case_cannot_be_whistled_on(city, report):
    case = report(category="S0101")
    case_verify(case=case, actor=city.people["grid-a"])
    case_self_handle(case=case, actor=city.people["grid-a"], note="当场劝离")
    refused(
        CaseConflict,
        lambda: whistle_blow(
            actor=city.people["street-a"],
            cases=[case],
            kind="everyday",
            reason="beyond_power",
            description="x",
        ),
        match="Finished cases",
    )


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"kind": "daily"}, "Unknown whistle kind"),
        ({"reason": "bored"}, "Unknown reason"),
        ({"description": "  "}, "Describe"),
        ({"cases": []}, "at least one case"),
        ({"summons": ["um"]}, "Name each summoned organisation"),
        ({"joint_streets": ["110902"]}, "Not a street of this city"),
    ],
)
def test_a_whistle_needs_a_kind_a_reason_a_description_and_cases(city, filed, params, match):
    case = filed()
    if params.get("joint_streets"):
        params = {"joint_streets": [city.node("110902").pk]}  # a district, not a street
    args = {"cases": [case], "kind": "everyday", "reason": "beyond_power", "description": "x", **params}
    refused(CaseInvalid, lambda: whistle_blow(actor=city.people["street-a"], **args), match=match)


@pytest.mark.parametrize("code", ["party", "unit"])
def test_organisations_that_do_not_handle_cases_cannot_be_summoned(city, filed, code):
    # Given a party organisation and a plain enterprise in district A
    org = organisation_upsert(
        actor=SYSTEM,
        code=f"{code}-1",
        kind="party_org" if code == "party" else "unit",
        name="某党组织" if code == "party" else "某公司",
        jurisdiction=city.node("110901"),
    )
    case = filed()
    # When street A whistles with it as lead, nothing is written at all
    refused(
        CaseInvalid,
        lambda: whistle_blow(
            actor=city.people["street-a"],
            cases=[case],
            kind="everyday",
            reason="beyond_power",
            description="x",
            summons=[{"organisation": org, "role": "lead"}],
        ),
        match="does not handle cases",
    )
    assert Whistle.objects.count() == 0


def test_summons_refusals(city, whistle):
    people, orgs = city.people, city.orgs
    street_a = people["street-a"]

    def summon(org, role="assist", by=street_a):
        return lambda: whistle_summon(actor=by, whistle=whistle, organisation=org, role=role)

    refused(CaseInvalid, summon(orgs["um-110902"]), match="not party")
    refused(CaseConflict, summon(orgs["um-110901"]), match="already summoned")
    refused(CaseConflict, summon(orgs["housing-110901"], role="lead"), match="already summoned a lead")
    refused(CaseInvalid, summon(orgs["housing-110901"], role="boss"), match="Unknown role")
    refused(CaseInvalid, summon(999_999), match="Unknown organisation")
    refused(CaseNotFound, summon(orgs["housing-110901"], by=people["street-b"]))
    refused(CasePermissionDenied, summon(orgs["housing-110901"], by=people["community-a"]))
    refused(CasePermissionDenied, summon(orgs["housing-110901"], by=people["um-a"]))


def test_department_report_refusals(city, whistle):
    people = city.people
    um, water = summons_of(whistle, "um-110901", city), summons_of(whistle, "water-110901", city)
    # Staff of an organisation not summoned cannot even see the whistle
    refused(CaseNotFound, lambda: summons_acknowledge(actor=people["um-b"], summons=um))
    # Staff of another summoned organisation may not report for this one
    refused(CasePermissionDenied, lambda: summons_acknowledge(actor=people["water-a"], summons=um))
    refused(CasePermissionDenied, lambda: summons_acknowledge(actor=people["street-a"], summons=um))
    # A notify-only organisation acknowledges but never comes on site
    summons_acknowledge(actor=people["water-a"], summons=water)
    refused(
        CaseInvalid,
        lambda: summons_check_in(actor=people["water-a"], summons=water, **HERE),
        match="only notified",
    )
    refused(CaseConflict, lambda: summons_acknowledge(actor=people["water-a"], summons=water))
    # Nothing to record before being on site; positions must be on Earth
    refused(CaseConflict, lambda: summons_record_action(actor=people["um-a"], summons=um, note="到了"))
    refused(CaseInvalid, lambda: summons_check_in(actor=people["um-a"], summons=um, lat=91, lng=116.3))
    refused(CaseInvalid, lambda: summons_check_in(actor=people["um-a"], summons=um, lat="north", lng=116.3))
    summons_check_in(actor=people["um-a"], summons=um, **HERE)
    refused(CaseConflict, lambda: summons_check_in(actor=people["um-a"], summons=um, **HERE))
    refused(CaseInvalid, lambda: summons_record_action(actor=people["um-a"], summons=um, note=" "))


def test_nobody_leaves_before_the_lead_is_on_site_and_the_street_confirms(city, whistle):
    people = city.people
    um = summons_of(whistle, "um-110901", city)
    # Given the lead has only acknowledged, the street cannot confirm the matter done
    summons_acknowledge(actor=people["um-a"], summons=um)
    refused(
        CaseConflict,
        lambda: whistle_confirm_done(actor=people["street-a"], whistle=whistle, note="好了"),
        match="still missing: 城管执法局",
    )
    summons_check_in(actor=people["um-a"], summons=um, **HERE)
    # Only the whistling street (or a centre above it) confirms, with a note
    refused(
        CasePermissionDenied, lambda: whistle_confirm_done(actor=people["um-a"], whistle=whistle, note="好了")
    )
    refused(
        CaseNotFound, lambda: whistle_confirm_done(actor=people["district-b"], whistle=whistle, note="好了")
    )
    refused(CaseInvalid, lambda: whistle_confirm_done(actor=people["street-a"], whistle=whistle, note=""))
    # Rating waits for the end
    refused(
        CaseConflict,
        lambda: whistle_rate(actor=people["street-a"], summons=um, **SCORES),
        match="rated once the matter is done",
    )
    whistle_confirm_done(actor=people["district-a"], whistle=whistle, note="区中心确认办结")
    # After the end nothing more happens on the whistle
    refused(
        CaseConflict, lambda: whistle_confirm_done(actor=people["street-a"], whistle=whistle, note="再次")
    )
    refused(
        CaseConflict,
        lambda: whistle_summon(
            actor=people["street-a"], whistle=whistle, organisation=city.orgs["housing-110901"], role="assist"
        ),
    )
    refused(CaseConflict, lambda: whistle_cancel(actor=people["street-a"], whistle=whistle, reason="晚了"))
    refused(CaseConflict, lambda: summons_record_action(actor=people["um-a"], summons=um, note="补充"))


@pytest.mark.parametrize(
    "scores",
    [
        {"on_time_report": 0},
        {"problem_solved": 6},
        {"attitude": "great"},
        {"attitude": True},
        {"attitude": 4.5},
    ],
)
def test_scores_are_whole_numbers_from_1_to_5(city, whistle, scores):
    um = summons_of(whistle, "um-110901", city)
    summons_check_in(actor=city.people["um-a"], summons=um, **HERE)
    whistle_confirm_done(actor=city.people["street-a"], whistle=whistle, note="办结")
    refused(
        CaseInvalid,
        lambda: whistle_rate(actor=city.people["street-a"], summons=um, **{**SCORES, **scores}),
        match="whole number from 1 to 5",
    )


def test_each_summoned_department_is_rated_once_and_notify_only_ones_not_at_all(city, whistle):
    people = city.people
    um, water = summons_of(whistle, "um-110901", city), summons_of(whistle, "water-110901", city)
    summons_check_in(actor=people["um-a"], summons=um, **HERE)
    whistle_confirm_done(actor=people["street-a"], whistle=whistle, note="办结")
    rating = whistle_rate(actor=people["street-a"], summons=um, comment=" 很及时 ", **SCORES)
    assert (rating.comment, rating.score) == ("很及时", pytest.approx(91.7))
    refused(
        CaseConflict, lambda: whistle_rate(actor=people["street-a"], summons=um, **SCORES), match="already"
    )
    refused(
        CaseInvalid, lambda: whistle_rate(actor=people["street-a"], summons=water, **SCORES), match="notified"
    )


# --- 5. the board, the inbox, the buttons --------------------------------------------------------------


def test_board_shows_each_organisation_verdicts_and_rating_in_one_query(
    city, whistle, django_assert_max_num_queries
):
    people = city.people
    um, water = summons_of(whistle, "um-110901", city), summons_of(whistle, "water-110901", city)
    with clock.frozen(MONDAY_10 + dt.timedelta(minutes=5)):
        whistle_summon(
            actor=people["street-a"], whistle=whistle, organisation=city.orgs["housing-110901"], role="assist"
        )
    with clock.frozen(MONDAY_10 + dt.timedelta(minutes=30)):
        summons_check_in(actor=people["um-a"], summons=um, **HERE)
        summons_acknowledge(actor=people["water-a"], summons=water)
    # 10:05 + two working hours, over the lunch break: due 13:35
    at = MONDAY_10 + dt.timedelta(hours=4)
    with django_assert_max_num_queries(1):
        rows = whistle_board(whistle=whistle, now=at)
        shown = [
            (
                r["organisation"].code,
                r["role"],
                r["acknowledge"],
                r["onsite"],
                r["summoned_by"].code,
                r["rating"],
            )
            for r in rows
        ]
    assert shown == [
        ("um-110901", "lead", "on_time", "on_time", "110901001", None),
        ("water-110901", "notify", "on_time", "n/a", "110901001", None),
        ("housing-110901", "assist", "overdue", "pending", "110901001", None),
    ]
    assert rows[0]["distance_m"] is not None

    # Once done and rated, the rating is on the board (still one query)
    housing = whistle.summonses.get(organisation=city.orgs["housing-110901"])
    with clock.frozen(at):
        summons_check_in(actor=SYSTEM, summons=housing, **HERE)
        whistle_confirm_done(actor=people["street-a"], whistle=whistle, note="办结")
        whistle_rate(actor=people["street-a"], summons=um, **SCORES)
    with django_assert_max_num_queries(1):
        rows = whistle_board(whistle=whistle)
        verdicts = [(r["acknowledge"], r["onsite"], r["score"]) for r in rows]
    assert verdicts == [
        ("on_time", "on_time", pytest.approx(91.7)),
        ("on_time", "n/a", None),
        ("late", "on_time", None),
    ]


def test_inbox_lists_open_summonses_with_the_soonest_deadline_first(city, filed):
    people, um = city.people, city.orgs["um-110901"]

    def blow(grid, kind, at):
        with clock.frozen(at):
            return whistle_blow(
                actor=people["street-a"],
                cases=[filed(grid)],
                kind=kind,
                reason="beyond_power",
                description="x",
                summons=[{"organisation": um, "role": "lead"}],
            )

    everyday = blow("110901001001001", "everyday", MONDAY_10)  # acknowledge by 12:00
    emergency = blow("110901001001002", "emergency", MONDAY_10 + dt.timedelta(minutes=30))  # by 10:45
    acknowledged = blow(
        "110901001002001", "everyday", MONDAY_10 - dt.timedelta(hours=1)
    )  # on site by Tue 09:00
    summons_acknowledge(actor=people["um-a"], summons=acknowledged.summonses.get())
    released = blow("110901001002002", "emergency", MONDAY_10)
    whistle_cancel(actor=people["street-a"], whistle=released, reason="误报")

    inbox = list(summons_inbox(actor=people["um-a"]))
    assert [s.whistle_id for s in inbox] == [emergency.pk, everyday.pk, acknowledged.pk]
    assert list(summons_inbox(actor=people["um-b"])) == []
    assert list(summons_inbox(actor=people["street-a"])) == []


class _Rollback(Exception):
    pass


def _accepted(action) -> bool:
    """Whether the service accepts the action now (tried, then rolled back)."""
    try:
        with transaction.atomic():
            action()
            raise _Rollback
    except _Rollback:
        return True
    except CaseError:
        return False


def _service_answers(people, who, whistle, city):
    actor = people[who]
    answers = {
        "summon": _accepted(
            lambda: whistle_summon(
                actor=actor, whistle=whistle, organisation=city.orgs["housing-110901"], role="assist"
            )
        ),
        "join": _accepted(lambda: whistle_join(actor=actor, whistle=whistle, street=city.node("110902001"))),
        "confirm_done": _accepted(lambda: whistle_confirm_done(actor=actor, whistle=whistle, note="办结")),
        "cancel": _accepted(lambda: whistle_cancel(actor=actor, whistle=whistle, reason="取消")),
        "summonses": {},
    }
    for s in whistle.summonses.all():
        answers["summonses"][s.pk] = {
            "acknowledge": _accepted(lambda s=s: summons_acknowledge(actor=actor, summons=s)),
            "check_in": _accepted(lambda s=s: summons_check_in(actor=actor, summons=s, **HERE)),
            "record_action": _accepted(
                lambda s=s: summons_record_action(actor=actor, summons=s, note="做了")
            ),
            "rate": _accepted(lambda s=s: whistle_rate(actor=actor, summons=s, **SCORES)),
        }
    return answers


ACTORS = [
    "street-a",
    "street-b",
    "district-a",
    "district-b",
    "city",
    "um-a",
    "water-a",
    "um-b",
    "grid-a",
    "resident",
]


@pytest.mark.django_db(transaction=False)
def test_allowed_actions_match_what_the_services_accept_through_the_whistle_life(city, whistle):
    people = city.people
    um = summons_of(whistle, "um-110901", city)
    steps = [
        lambda: None,
        lambda: summons_acknowledge(actor=people["um-a"], summons=um),
        lambda: summons_check_in(actor=people["um-a"], summons=um, **HERE),
        lambda: summons_record_action(actor=people["um-a"], summons=um, note="已拆除"),
        lambda: whistle_confirm_done(actor=people["street-a"], whistle=whistle, note="办结"),
        lambda: whistle_rate(actor=people["street-a"], summons=um, **SCORES),
    ]
    offered = set()
    for step in steps:
        step()
        current = Whistle.objects.get(pk=whistle.pk)
        for who in ACTORS:
            shown = whistle_allowed_actions(actor=people[who], whistle=current)
            expected = _service_answers(people, who, current, city)
            if not shown["summonses"]:  # a whistle the actor cannot see lists no summonses at all
                assert not any(v for per in expected.pop("summonses").values() for v in per.values()), who
                shown.pop("summonses")
            assert shown == expected, who
            offered |= {k for k, v in shown.items() if v is True}
            offered |= {k for per in shown.get("summonses", {}).values() for k, v in per.items() if v}
    # Every button was offered to someone at some point, so the comparison was not all "no"
    assert offered == {
        "summon",
        "join",
        "confirm_done",
        "cancel",
        "acknowledge",
        "check_in",
        "record_action",
        "rate",
    }
