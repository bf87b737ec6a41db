"""Anonymising a case drops the person and nothing else; the retention job does it after the period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.cases.models import Case, CaseMedia
from chuishao.evaluation.models import COUNT_NAMES, Rollup
from chuishao.evaluation.services import rollup_rebuild
from chuishao.events.audit import audit_verify
from chuishao.events.models import Event
from chuishao.gridwork.models import Visit
from chuishao.privacy.management.commands.privacy import Command
from chuishao.privacy.services import (
    case_anonymise,
    retention_candidates,
    retention_days,
    retention_run,
    scrub_contacts,
)
from tests.privacy.conftest import ADDRESS, EMAIL, NAME, PHONE, VISITED, VISITED_PHONE


def _figures(city_id: int) -> list[tuple]:
    rollup_rebuild(city_id=city_id)
    return sorted(Rollup.objects.values_list("period", "unit_kind", "unit_id", *COUNT_NAMES))


def _personal(values) -> set[str]:
    text = repr(values)
    return {v for v in (NAME, PHONE, EMAIL, ADDRESS, VISITED, VISITED_PHONE) if v in text}


def test_anonymise_drops_the_person_and_keeps_the_case_and_its_figures(city, closed):
    before = Case.objects.values().get(pk=closed.pk)
    figures = _figures(closed.city_id)
    assert any(row[3:] != (0,) * len(COUNT_NAMES) for row in figures)
    old_link = closed.follow_token

    assert case_anonymise(case=closed, actor=city.people["city"], why="retention")

    after = Case.objects.values().get(pk=closed.pk)
    assert _personal(after) == set()
    assert after["reporter_id"] is None and after["follow_token"] != old_link
    assert "请打 *********** 联系我" in after["description"]
    assert abs(after["lat"] - before["lat"]) < 0.001 and abs(after["lng"] - before["lng"]) < 0.001
    kept = ("category_id", "grid_id", "community_id", "street_id", "district_id", "status", "lead_org_id")
    kept += ("satisfaction", "resolution", "rated_at", "closed_at", "created_at", "deadlines")
    assert {k: after[k] for k in kept} == {k: before[k] for k in kept}
    visit = Visit.objects.values().get(case_id=closed.pk)
    assert _personal(visit) == set() and visit["discussed"].startswith("回访")
    assert not CaseMedia.objects.filter(case_id=closed.pk).exclude(uploaded_by=None).exists()
    # The figures are the same, the chain holds, and the event names the actor but no personal data.
    assert _figures(closed.city_id) == figures
    assert audit_verify().ok
    event = Event.objects.get(case_id=closed.pk, verb="case.anonymised")
    assert event.actor_id == city.people["city"].pk
    assert _personal([event.before, event.after, event.reason, event.actor_label]) == set()
    assert set(event.after["dropped"]) >= {"reporter", "reporter_phone", "reporter_name", "address"}
    # Idempotent: nothing left, nothing appended.
    assert not case_anonymise(case=closed, actor=SYSTEM, why="retention")
    assert Event.objects.filter(case_id=closed.pk, verb="case.anonymised").count() == 1


def _age(case: Case, days: int) -> None:
    Case.objects.filter(pk=case.pk).update(closed_at=clock.now() - dt.timedelta(days=days))


def test_retention_anonymises_only_finished_cases_past_the_period(city, closed, report):
    recent, still_open = report(by="resident2"), report()
    _age(closed, 800)
    Case.objects.filter(pk=recent.pk).update(status="closed", closed_at=clock.now() - dt.timedelta(days=10))
    Case.objects.filter(pk=still_open.pk).update(updated_at=clock.now() - dt.timedelta(days=900))

    dry = retention_run(days=730, dry_run=True)
    assert (dry.found, dry.anonymised, dry.numbers) == (1, 0, [closed.number])
    assert Case.objects.get(pk=closed.pk).reporter_phone == PHONE

    done = retention_run(days=730, batch=1)
    assert (done.found, done.anonymised) == (1, 1)
    assert Case.objects.get(pk=closed.pk).reporter_phone == ""
    assert Case.objects.get(pk=recent.pk).reporter_phone == PHONE
    assert Case.objects.get(pk=still_open.pk).reporter_phone == PHONE
    event = Event.objects.get(case_id=closed.pk, verb="case.anonymised")
    assert (event.actor_id, event.actor_label, event.after["why"]) == (None, "retention job", "retention")
    # A second run (or a second worker) finds nothing to do.
    assert retention_run(days=730).found == 0
    assert not retention_candidates(days=730).exists()
    assert audit_verify().ok


def test_retention_processes_every_batch(city, report):
    cases = [report() for _ in range(3)]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        status="cancelled", closed_at=None, updated_at=clock.now() - dt.timedelta(days=40)
    )
    assert retention_run(days=30, batch=2).anonymised == 3
    assert not Case.objects.exclude(reporter_phone="").exists()


def test_the_command_reports_and_can_stay_dry(city, closed, capsys):
    _age(closed, 40)
    call_command(Command(), "retention", "--dry-run", "--days", "30")
    assert "1 cases closed before" in capsys.readouterr().out
    assert Case.objects.get(pk=closed.pk).reporter_phone == PHONE
    call_command(Command(), "retention", "--days", "30")
    assert "anonymised 1 of 1" in capsys.readouterr().out
    call_command(Command(), "retention", "--days", "0")
    assert "retention is off" in capsys.readouterr().out


def test_the_period_comes_from_settings(settings):
    assert retention_days() == 730
    settings.CHUISHAO_RETENTION_DAYS = 1095
    assert retention_days() == 1095
    settings.CHUISHAO_RETENTION_DAYS = -5
    assert retention_days() == 0


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("电话13812345678", "电话***********"),
        ("call +86 138-1234-5678 now", "call ***************** now"),
        ("mail a.b@x.cn", "mail ********"),
        ("2026-11-29 3号楼502 共12户", "2026-11-29 3号楼502 共12户"),
    ],
)
def test_scrub_contacts(text, clean):
    assert scrub_contacts(text) == clean
