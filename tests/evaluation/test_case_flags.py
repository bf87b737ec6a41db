"""``Case.filed_at`` and ``Case.escalated_at`` hold the moment of the case's first ``case.file`` and
``case.escalated`` event: written by the services with the event, and filled from the event log by the
migration that added them. The evaluation's "filed" and "escalated" counts read these columns."""

from __future__ import annotations

import importlib

from django.db import connection
from django.db.models import Min

from chuishao.cases.models import Case
from chuishao.evaluation.services import rollup_rebuild
from chuishao.events.models import Event
from tests.evaluation.direct import direct_counts, rollup_counts

MIGRATION = importlib.import_module("chuishao.cases.migrations.0007_filed_escalated_at")


def _first_events(verb: str) -> dict[int, object]:
    rows = Event.objects.filter(verb=verb).values("case_id").annotate(first=Min("created_at"))
    return {r["case_id"]: r["first"] for r in rows}


def _columns() -> tuple[dict, dict]:
    rows = Case.objects.values_list("pk", "filed_at", "escalated_at")
    return {pk: f for pk, f, _ in rows if f}, {pk: e for pk, _, e in rows if e}


def test_the_columns_hold_the_first_filing_and_escalation_event(scenario):
    filed, escalated = _columns()
    assert filed == _first_events("case.file")
    assert escalated == _first_events("case.escalated")
    # The story files most cases and lets some go overdue, so neither side is empty.
    assert len(filed) >= 10 and len(escalated) >= 2


def test_the_migration_fills_them_from_the_event_log(scenario):
    expected = _columns()
    Case.objects.update(filed_at=None, escalated_at=None)
    rollup_rebuild()
    assert rollup_counts() != direct_counts()  # nothing counts as filed without the columns

    with connection.cursor() as cursor:
        for operation in MIGRATION.Migration.operations[2:]:
            cursor.execute(operation.sql)

    assert _columns() == expected
    rollup_rebuild()
    assert rollup_counts() == direct_counts()
