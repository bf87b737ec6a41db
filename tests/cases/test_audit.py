"""The audit chain catches changed, inserted and deleted events — a whole deleted case included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chuishao.cases.models import Case
from chuishao.cases.services import case_act
from chuishao.events.audit import audit_verify
from chuishao.events.models import Event
from chuishao.events.services import checkpoint_create


@pytest.fixture
def history(city, report):
    cases = [report() for _ in range(3)]
    for case in cases:
        case_act(case=case, action="file", actor=city.people["street-a"])
        case_act(case=case, action="dispatch", actor=city.people["street-a"], lead=city.orgs["um-110901"])
    return cases


def test_intact_chain_verifies(history):
    assert checkpoint_create(settle=dt.timedelta(0)) is not None
    report = audit_verify()
    assert report.ok, report.problems
    assert report.events_checked == Event.objects.count()
    call_command("audit", "verify")


def test_changed_event_is_named(history):
    event = Event.objects.filter(case=history[1], verb="case.file").get()
    Event.objects.filter(pk=event.pk).update(reason="被篡改")
    report = audit_verify()
    assert not report.ok
    assert report.problems[0].event_id == event.pk
    assert "changed" in report.problems[0].message
    with pytest.raises(CommandError, match=f"event {event.pk}"):
        call_command("audit", "verify")


def test_deleted_event_in_the_middle(history):
    event = Event.objects.filter(case=history[0], verb="case.file").get()
    Event.objects.filter(pk=event.pk).delete()
    report = audit_verify()
    assert any(p.kind == "sequence" and p.chain == f"case:{history[0].pk}" for p in report.problems)


def test_deleted_last_event(history):
    Event.objects.filter(case=history[2], verb="case.dispatch").delete()
    report = audit_verify()
    assert any(p.kind == "head" and p.chain == f"case:{history[2].pk}" for p in report.problems)


def test_whole_case_deleted_after_a_checkpoint(history):
    checkpoint_create(settle=dt.timedelta(0))
    victim = history[1]
    Event.objects.filter(case_id=victim.pk).delete()
    from chuishao.cases.models import CaseAssignment

    CaseAssignment.objects.filter(case_id=victim.pk).delete()
    Case.objects.filter(pk=victim.pk).delete()
    report = audit_verify()
    assert any(p.kind == "checkpoint" for p in report.problems), report.problems


def test_inserted_event_is_caught(history):
    last = Event.objects.filter(case=history[0]).order_by("-seq").first()
    forged = Event.objects.create(
        chain=last.chain,
        seq=last.seq + 1,
        verb="case.close",
        case_id=last.case_id,
        city_id=last.city_id,
        actor_label="intruder",
        before={},
        after={"status": "closed"},
        reason="",
        created_at=last.created_at,
        prev_hash=last.hash,
        hash="f" * 64,
    )
    report = audit_verify()
    assert any(p.event_id == forged.pk for p in report.problems)


def test_forged_checkpoint_is_caught(history):
    cp = checkpoint_create(settle=dt.timedelta(0))
    type(cp).objects.filter(pk=cp.pk).update(signature="0" * 64)
    assert any(p.kind == "checkpoint" for p in audit_verify().problems)


def test_deleting_a_person_does_not_break_the_chain(city, history):
    city.people["grid-a"].delete()
    assert audit_verify().ok
