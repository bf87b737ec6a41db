"""The deadline sweep: yellow, red, escalation one level at a time on the work calendar, feedback expiry."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from chuishao import clock
from chuishao.cases.errors import CaseConflict
from chuishao.cases.models import Case, Status
from chuishao.cases.services import (
    case_accept,
    case_check,
    case_close,
    case_dispatch,
    case_file,
    case_handle,
    case_park,
    case_rate,
)
from chuishao.cases.sweep import deadline_sweep
from chuishao.events.audit import audit_verify
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def sweep(moment: dt.datetime):
    with clock.frozen(moment):
        return deadline_sweep()


def verbs(case: Case) -> list[str]:
    return list(Event.objects.filter(case_id=case.pk).order_by("seq").values_list("verb", flat=True))


def test_a_case_turns_yellow_at_80_percent_and_red_when_due_then_escalates(city, report):
    # Given a grid worker's report on Monday 09:00: filing and dispatch take 1 working hour.
    with clock.frozen(at(2026, 11, 16, 9, 0)):
        case = report(by="grid-a", source="grid_patrol")
    case.refresh_from_db()
    assert case.stage == "dispatch"
    assert case.yellow_at == at(2026, 11, 16, 9, 48)
    assert case.sweep_at == case.yellow_at

    # When the sweep runs before the yellow point, nothing happens.
    assert sweep(at(2026, 11, 16, 9, 47)).changed == 0
    # At 80 % it turns yellow, once.
    assert sweep(at(2026, 11, 16, 9, 48)).yellow == 1
    assert sweep(at(2026, 11, 16, 9, 50)).changed == 0
    case.refresh_from_db()
    assert case.warn_level == "yellow"
    assert case.sweep_at == case.deadline_at == at(2026, 11, 16, 10, 0)

    # When the deadline passes it turns red and goes one level above the street: the district.
    result = sweep(at(2026, 11, 16, 10, 0))
    assert (result.red, result.escalated) == (1, 1)
    case.refresh_from_db()
    assert case.warn_level == "red"
    assert case.escalated_to.code == "110901"
    assert verbs(case)[-3:] == ["case.warned", "case.warned", "case.escalated"]
    escalated = Event.objects.filter(case_id=case.pk, verb="case.escalated").get()
    assert escalated.after["level"] == "district"
    assert escalated.actor_label == "system"


def test_overdue_case_escalates_step_by_step_and_the_holiday_does_not_count(city, report):
    # Given a case awaiting dispatch on the afternoon before National Day 2026 (1–7 October off).
    with clock.frozen(at(2026, 9, 30, 16, 0)):
        case = report(by="grid-a", source="grid_patrol")
    # When it is overdue at 17:00 it goes to the district…
    assert sweep(at(2026, 9, 30, 17, 0)).escalated == 1
    case.refresh_from_db()
    assert case.escalated_to.kind == "district"
    # …and through the holiday it does not climb further: one working day has not passed.
    for day in range(1, 8):
        assert sweep(at(2026, 10, day, 18, 0)).escalated == 0
    case.refresh_from_db()
    assert case.sweep_at == at(2026, 10, 8, 17, 0)
    assert sweep(at(2026, 10, 8, 16, 59)).escalated == 0
    # One working day after the deadline (8 October, 17:00) it reaches the city, the top.
    assert sweep(at(2026, 10, 8, 17, 0)).escalated == 1
    case.refresh_from_db()
    assert case.escalated_to.kind == "city"
    assert case.escalation_count == 2
    assert case.sweep_at is None
    assert sweep(at(2026, 10, 20, 9, 0)).changed == 0


def test_a_public_report_escalates_from_the_community_to_the_street_first(city, report):
    with clock.frozen(at(2026, 11, 16, 9, 0)):
        case = report()  # a resident's report waits for the grid worker's verification
    result = sweep(at(2026, 11, 16, 10, 0))
    assert (result.yellow, result.red, result.escalated) == (0, 1, 1)
    case.refresh_from_db()
    assert case.escalated_to == Jurisdiction.objects.get(code="110901001")


def test_a_sweep_that_was_down_catches_up_every_step_in_order(city, report):
    with clock.frozen(at(2026, 11, 16, 9, 0)):
        case = report()
    # Three working days later one sweep takes the yellow, red and all three steps at once.
    result = sweep(at(2026, 11, 19, 11, 0))
    assert (result.yellow, result.red, result.escalated) == (0, 1, 3)
    levels = [
        e.after["level"] for e in Event.objects.filter(case_id=case.pk, verb="case.escalated").order_by("seq")
    ]
    assert levels == ["street", "district", "city"]
    # The events written in bulk chain onto the case's own events like any other.
    case.refresh_from_db()
    assert case.chain_seq == Event.objects.filter(case_id=case.pk).count()
    report = audit_verify()
    assert report.problems == []


def test_a_new_stage_resets_the_colour_and_the_escalation(city, report):
    with clock.frozen(at(2026, 11, 16, 9, 0)):
        case = report(by="grid-a", source="grid_patrol")
    sweep(at(2026, 11, 16, 10, 30))
    with clock.frozen(at(2026, 11, 16, 10, 45)):
        case_file(case=case, actor=city.people["street-a"])
        case = case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])
    case.refresh_from_db()
    assert (case.stage, case.warn_level, case.escalated_to, case.escalation_count) == ("accept", "", None, 0)
    assert case.sweep_at == case.yellow_at
    # What stays is that it was escalated once (the evaluation counts it) and when it was filed.
    assert case.escalated_at == at(2026, 11, 16, 10, 30)
    assert case.filed_at == at(2026, 11, 16, 10, 45)


def test_the_department_stage_escalates_above_the_dispatching_street(city, report):
    with clock.frozen(at(2026, 11, 16, 9, 0)):
        case = report(by="grid-a", source="grid_patrol")
        case_file(case=case, actor=city.people["street-a"])
        case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])
        case_accept(case=case, actor=city.people["um-a"])
    case.refresh_from_db()
    assert case.stage == "handle" and case.dispatcher_node.code == "110901001"
    sweep(case.deadline_at)
    case.refresh_from_db()
    assert case.escalated_to.kind == "district"


def test_a_parked_case_is_not_swept(city, report):
    with clock.frozen(at(2026, 11, 16, 9, 0)):
        case = report(by="grid-a", source="grid_patrol")
        case_file(case=case, actor=city.people["street-a"])
        case_park(case=case, actor=city.people["district-a"], reason="冬季无法施工")
    case.refresh_from_db()
    assert case.status == Status.PARKED and case.sweep_at is None
    assert sweep(at(2026, 12, 30, 9, 0)).changed == 0
    assert "case.warned" not in verbs(case)


def _closed(city, report, moment: dt.datetime) -> Case:
    with clock.frozen(moment):
        case = report(by="grid-a", source="grid_patrol")
        case_file(case=case, actor=city.people["street-a"])
        case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])
        case_accept(case=case, actor=city.people["um-a"])
        case_handle(case=case, actor=city.people["um-a"], result="已拆除")
        case_check(case=case, actor=city.people["grid-a"])
        return case_close(case=case, actor=city.people["street-a"])


def test_an_unanswered_rating_request_expires_and_counts_as_unrated(city, report, settings):
    settings.CHUISHAO_FEEDBACK_WINDOW_DAYS = 7
    case = _closed(city, report, at(2026, 11, 16, 9, 0))
    assert case.sweep_at == at(2026, 11, 23, 9, 0)
    assert sweep(at(2026, 11, 23, 8, 59)).feedback_expired == 0
    assert sweep(at(2026, 11, 23, 9, 0)).feedback_expired == 1
    case.refresh_from_db()
    assert case.rating_expired and case.satisfaction == "" and case.sweep_at is None
    # A late answer is refused: the case stays unrated, never silently satisfied.
    with pytest.raises(CaseConflict), clock.frozen(at(2026, 11, 24, 9, 0)):
        case_rate(case=case, actor=city.people["street-a"], satisfaction="satisfied", resolution="solved")
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.satisfaction == ""


def test_a_rating_in_time_stops_the_feedback_clock(city, report):
    case = _closed(city, report, at(2026, 11, 16, 9, 0))
    with clock.frozen(at(2026, 11, 17, 9, 0)):
        case_rate(case=case, actor=city.people["street-a"], satisfaction="satisfied", resolution="solved")
    case.refresh_from_db()
    assert case.sweep_at is None and case.rated_at == at(2026, 11, 17, 9, 0)
    assert sweep(at(2026, 12, 30, 9, 0)).changed == 0


def test_the_sweep_reads_only_what_is_due(city, report, django_assert_num_queries):
    # Given 30 open cases whose yellow points lie in the future…
    with clock.frozen(at(2026, 11, 16, 9, 0)):
        cases = [report() for _ in range(30)]
    # …a sweep before any is due costs two claim queries (cases, summonses) whatever the number of open
    # cases; the other four are the savepoints of its two transactions inside the test's transaction.
    with django_assert_num_queries(6):
        result = sweep(at(2026, 11, 16, 9, 10))
    assert result.examined == 0
    # When some fall due, exactly those are examined.
    Case.objects.filter(pk__in=[c.pk for c in cases[:5]]).update(sweep_at=at(2026, 11, 16, 9, 5))
    result = sweep(at(2026, 11, 16, 9, 10))
    assert result.examined == 5
