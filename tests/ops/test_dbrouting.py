"""Reads go to the replica only inside ``replica_reads``; writes and migrations stay on the primary."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connections, router
from django.test.utils import CaptureQueriesContext

from chuishao.dbrouting import ReplicaRouter, replica_reads


def test_reads_outside_the_context_stay_on_the_primary(replica_alias):
    assert Group.objects.all().db == "default"
    assert router.db_for_read(Group) == "default"


def test_reads_inside_go_to_the_replica_and_writes_do_not(replica_alias):
    with replica_reads():
        assert Group.objects.all().db == "replica"
        with (
            CaptureQueriesContext(connections["replica"]) as on_replica,
            CaptureQueriesContext(connections["default"]) as on_primary,
        ):
            Group.objects.create(name="replica-test")
            seen_on_replica = Group.objects.filter(name="replica-test").count()
    assert router.db_for_write(Group) == "default"
    # The write went to the primary: its uncommitted row is invisible to the replica's own connection.
    assert any("INSERT" in q["sql"] for q in on_primary.captured_queries)
    assert not any("INSERT" in q["sql"] for q in on_replica.captured_queries)
    assert seen_on_replica == 0
    assert any("SELECT" in q["sql"] for q in on_replica.captured_queries)
    # Back outside, the desk reads its own write.
    assert Group.objects.filter(name="replica-test").count() == 1


def test_the_decorator_reads_from_the_replica_only_while_the_view_runs(replica_alias):
    @replica_reads
    def view() -> str:
        return Group.objects.all().db

    assert view() == "replica"
    assert Group.objects.all().db == "default"


@pytest.mark.django_db
def test_without_a_replica_the_context_reads_the_primary():
    assert "replica" not in connections
    with replica_reads():
        assert Group.objects.all().db == "default"


def test_only_the_primary_is_migrated():
    assert ReplicaRouter().allow_migrate("default", "cases") is True
    assert ReplicaRouter().allow_migrate("replica", "cases") is False


def test_dashboards_and_exports_read_from_the_replica():
    """Each dashboard and export view runs its body inside replica_reads (under its login check)."""
    from chuishao.api.v1.evaluation import views as api_views
    from chuishao.web.views import dashboard, inbox

    wrapped = [
        dashboard.dashboard_page,
        inbox.evaluation_page,
        api_views.IndicatorsView.get,
        api_views.TrendView.get,
        api_views.ExportView.get,
    ]
    for view in wrapped:
        assert getattr(view, "reads_replica", False), view


# The REST evaluation fixtures: a small city, an API key per person, March's rollups.
from tests.api.conftest import city, make_key, report  # noqa: E402, F401
from tests.api.test_rest_evaluation import as_key, rollup  # noqa: E402, F401


def test_the_evaluation_endpoint_checks_the_key_on_the_primary_and_reads_the_replica(
    rollup,  # noqa: F811
    as_key,  # noqa: F811
    replica_alias,
):
    client = as_key("city")
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        client.get("/api/v1/evaluation/indicators/", {"period": "2026-03"})
    primary_sql = " ".join(q["sql"] for q in on_primary.captured_queries)
    assert "orgs_apikey" in primary_sql  # authentication ran before the view, on the primary
    assert on_replica.captured_queries  # the view's reads went to the replica
    assert "evaluation_rollup" not in primary_sql


def test_jit_is_off_on_the_primary_and_the_replica():
    """PostgreSQL's JIT costs more than it saves on our queries (docs/benchmarks.md): both connections
    turn it off, unless the URL sets its own options."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, chuishao.settings as s; "
        "print(json.dumps({k: v['OPTIONS'].get('options') for k, v in s.DATABASES.items()}))"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://app@db:5432/chuishao",
        "CHUISHAO_REPLICA_URL": "postgres://ro@replica:5432/chuishao",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == {"default": "-c jit=off", "replica": "-c jit=off"}
    env["CHUISHAO_REPLICA_URL"] += "?options=-c%20work_mem%3D64MB"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["replica"] == "-c work_mem=64MB"
