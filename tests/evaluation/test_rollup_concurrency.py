"""Several workers' refreshes at once: while one holds the cursor, another leaves at once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from chuishao.evaluation.models import RollupCursor
from chuishao.evaluation.services import CURSOR, rollup_refresh
from tests.factories import build_small_city

NOW = dt.timedelta(0)


@pytest.mark.django_db(transaction=True)
def test_a_refresh_leaves_while_another_holds_the_cursor():
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("SQLite has one writer at a time: a second refresh waits for the first to commit")
    # Given events to read and a refresh in progress in another worker (it holds the cursor).
    build_small_city()
    RollupCursor.objects.get_or_create(name=CURSOR, defaults={"updated_at": dt.datetime.now(dt.UTC)})
    holding, release, done = threading.Event(), threading.Event(), {}

    def running_refresh() -> None:
        try:
            with transaction.atomic():
                done["cursor"] = RollupCursor.objects.select_for_update().get(name=CURSOR)
                holding.set()
                release.wait(30)
        finally:
            holding.set()
            connection.close()

    other = threading.Thread(target=running_refresh)
    other.start()
    try:
        assert holding.wait(10)
        # When this worker's copy of the job runs, it does not wait and reads nothing.
        busy = rollup_refresh(settle=NOW)
        assert busy.busy and busy.events == 0 and not busy.keys
        assert RollupCursor.objects.get(name=CURSOR).position == 0
    finally:
        release.set()
        other.join(timeout=30)
    # Then the next run, with the cursor free, reads the events.
    result = rollup_refresh(settle=NOW)
    assert not result.busy and result.events > 0
