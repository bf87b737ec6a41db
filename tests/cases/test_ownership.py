"""Who owns a case: arbitration of a second return, the territorial fallback, the first receiver, extension
approval by the dispatching level, supervision and chasing, and reopening on an unsatisfied verdict."""

from __future__ import annotations

import pytest

from chuishao.cases.errors import CaseConflict, CaseError, CaseInvalid, CasePermissionDenied
from chuishao.cases.models import Status
from chuishao.cases.services import (
    case_accept,
    case_arbitrate,
    case_chase,
    case_check,
    case_close,
    case_dispatch,
    case_file,
    case_grant_extension,
    case_handle,
    case_rate,
    case_request_extension,
    case_return,
    case_supervise,
)
from chuishao.events.models import Event


def _dispatched(city, report, lead="water-110901"):
    case = report(by="grid-a", source="grid_patrol")
    case_file(case=case, actor=city.people["street-a"])
    return case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs[lead])


def test_a_case_returned_twice_goes_to_the_district_whose_decision_binds(city, report):
    # Given a case the water department returns, re-dispatched and returned again by urban management.
    case = _dispatched(city, report)
    case_return(case=case, actor=city.people["water-a"], reason="不是水务的事")
    case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])
    case = case_return(case=case, actor=city.people["um-a"], reason="也不是城管的事")
    # Then it waits for arbitration by the level above the street, with its own deadline.
    assert case.status == Status.ARBITRATION
    assert case.stage == "arbitrate" and case.deadline_at is not None
    # The street that dispatched it cannot decide, nor can it dispatch it again.
    with pytest.raises(CasePermissionDenied):
        case_arbitrate(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])
    with pytest.raises((CaseConflict, CasePermissionDenied)):
        case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])
    # The other district's centre cannot see it.
    with pytest.raises(CaseError) as other:
        case_arbitrate(case=case, actor=city.people["district-b"], lead=city.orgs["um-110901"])
    assert other.value.code in {"case.not_found", "case.permission_denied"}

    # When the district centre arbitrates, the named lead gets it and may not return it again.
    case = case_arbitrate(
        case=case, actor=city.people["district-a"], lead=city.orgs["um-110901"], reason="违建归城管"
    )
    assert case.status == Status.DISPATCHED and case.arbitrated_org == city.orgs["um-110901"]
    with pytest.raises(CaseConflict):
        case_return(case=case, actor=city.people["um-a"], reason="还是不归我们")
    case_accept(case=case, actor=city.people["um-a"])
    event = Event.objects.get(case_id=case.pk, verb="case.arbitrate")
    assert event.after["lead_org_id"] == city.orgs["um-110901"].pk
    assert event.reason == "违建归城管"


def test_the_first_receiver_stays_accountable_after_the_lead_changes(city, report):
    case = _dispatched(city, report, lead="um-110901")
    case_accept(case=case, actor=city.people["um-a"])
    case.refresh_from_db()
    assert case.first_receiver == city.orgs["um-110901"]


def test_a_matter_without_owner_is_proposed_to_the_territorial_street(city, report):
    # 24 03 (残疾服务) has no responsibility row at street or district level in the small city.
    case = report(category="S2403")
    assert case.suggested_org is not None
    assert case.suggested_org.jurisdiction_id == case.street_id


def test_an_extension_is_decided_by_the_level_that_dispatched(city, report):
    case = _dispatched(city, report, lead="um-110901")
    case_accept(case=case, actor=city.people["um-a"])
    case_request_extension(case=case, actor=city.people["um-a"], reason="等材料", working_days=2)
    # A centre of the other district cannot; the dispatching street can.
    with pytest.raises(CaseError) as refused:
        case_grant_extension(case=case, actor=city.people["district-b"])
    assert refused.value.code in {"case.not_found", "case.permission_denied"}
    granted = case_grant_extension(case=case, actor=city.people["street-a"])
    assert granted.extension_count == 1


def test_a_street_cannot_approve_an_extension_the_district_dispatched(city, report):
    case = report(by="grid-a", source="grid_patrol")
    case_file(case=case, actor=city.people["district-a"])
    case_dispatch(case=case, actor=city.people["district-a"], lead=city.orgs["um-110901"])
    case_accept(case=case, actor=city.people["um-a"])
    case_request_extension(case=case, actor=city.people["um-a"], reason="等材料", working_days=2)
    with pytest.raises(CasePermissionDenied):
        case_grant_extension(case=case, actor=city.people["street-a"])
    assert case_grant_extension(case=case, actor=city.people["city"]).extension_count == 1


def test_supervision_and_chasing_by_a_higher_level(city, report):
    case = _dispatched(city, report, lead="um-110901")
    with pytest.raises(CasePermissionDenied):
        case_supervise(case=case, actor=city.people["street-a"], note="请加快")
    with pytest.raises(CaseInvalid):
        case_supervise(case=case, actor=city.people["district-a"], note=" ")
    case = case_supervise(case=case, actor=city.people["district-a"], note="区里督办")
    assert case.supervised and case.status == Status.DISPATCHED
    with pytest.raises(CaseConflict):
        case_supervise(case=case, actor=city.people["city"], note="再督办")
    case_chase(case=case, actor=city.people["street-a"], note="催一下")
    case = case_chase(case=case, actor=city.people["district-a"], note="再催")
    assert case.chase_count == 2
    assert list(
        Event.objects.filter(case_id=case.pk, verb__in=["case.supervised", "case.chased"]).values_list(
            "verb", flat=True
        )
    ) == ["case.supervised", "case.chased", "case.chased"]


def _closed(city, report):
    case = _dispatched(city, report, lead="um-110901")
    case_accept(case=case, actor=city.people["um-a"])
    case_handle(case=case, actor=city.people["um-a"], result="已处理")
    case_check(case=case, actor=city.people["grid-a"])
    return case_close(case=case, actor=city.people["street-a"])


def test_an_unsatisfied_verdict_reopens_the_case_for_rework(city, report):
    case = _closed(city, report)
    case = case_rate(
        case=case, actor=city.people["street-a"], satisfaction="unsatisfied", resolution="unsolved"
    )
    assert case.status == Status.REOPENED and case.reopen_count == 1
    assert case.lead_org is None and case.satisfaction == ""
    rate, reopen = list(Event.objects.filter(case_id=case.pk).order_by("seq"))[-2:]
    assert (rate.verb, reopen.verb) == ("case.rate", "case.reopen")
    assert rate.after["satisfaction"] == "unsatisfied"
    assert reopen.actor_label == "system"
    # The second round is dispatched like the first.
    case = case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])
    assert case.status == Status.DISPATCHED


def test_reopening_can_be_switched_off(city, report, settings):
    settings.CHUISHAO_REOPEN_ON_UNSATISFIED = False
    case = _closed(city, report)
    case = case_rate(
        case=case, actor=city.people["street-a"], satisfaction="unsatisfied", resolution="unsolved"
    )
    assert case.status == Status.RATED and case.reopen_count == 0
