"""``chuishao bench-data``: a bulk-loaded synthetic city that is consistent — chains verify, cases lie in
their grids, states agree with their timelines, the rollup is the rebuild's."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection  # noqa: F401 (read by the skipif conditions)
from shapely.geometry import Point, shape

from chuishao.cases.models import Case
from chuishao.cases.transitions import STAGE_OF_STATUS, TERMINAL
from chuishao.demo import bigcity
from chuishao.demo.bigcity import COUNTED_VERBS, BigCityError, bench_data
from chuishao.evaluation.counting import count_rows
from chuishao.evaluation.definitions import UNIT_KINDS
from chuishao.evaluation.models import Rollup
from chuishao.events.audit import audit_verify
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Membership, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return bench_data(grids=150, cases=1500, months=3, seed=7, log=lambda _: None, progress=False)


def test_the_city_tiles_into_levels_and_every_case_lies_in_its_grid(city):
    assert (city.grids, city.cases) == (150, 1500)
    kinds = Counter(Jurisdiction.objects.values_list("kind", flat=True))
    assert kinds == {"city": 1, "district": city.districts, "street": city.streets,
                     "community": city.communities, "grid": 150}  # fmt: skip
    # Communities of 5 × 3 grids; the lattice's last row of communities may be thinner.
    per_community = Counter(Jurisdiction.objects.filter(kind="grid").values_list("community_id", flat=True))
    assert len(per_community) == city.communities and max(per_community.values()) == 15
    grids = {g.pk: g for g in Jurisdiction.objects.filter(kind="grid")}
    for g in grids.values():
        assert len(g.code) == 15 and g.code.startswith(g.community.code)
    for case in Case.objects.all()[:300]:
        grid = grids[case.grid_id]
        assert (case.community_id, case.street_id, case.district_id) == (
            grid.community_id, grid.street_id, grid.district_id,
        )  # fmt: skip
        assert shape(grid.boundary).covers(Point(case.lng, case.lat))
    # Every community has its grid worker on each of its grids; every street its dispatcher.
    workers = Membership.objects.filter(role=Role.GRID_WORKER)
    assert workers.count() == 150
    assert Membership.objects.filter(role=Role.STREET_DISPATCHER).count() == city.streets


def test_every_chain_verifies_and_heads_match(city):
    report = audit_verify()
    assert report.ok, report.problems[:3]
    assert Event.objects.filter(case__isnull=False).count() == city.events >= city.cases
    assert report.events_checked >= city.events  # plus the catalogue's and the calendar's
    per_case = Counter(Event.objects.filter(case__isnull=False).values_list("case_id", flat=True))
    for case_id, seq in Case.objects.values_list("pk", "chain_seq"):
        assert per_case[case_id] == seq
    assert set(Event.objects.filter(case__isnull=False).values_list("verb", flat=True)) <= COUNTED_VERBS
    # The rows keep the moment of their first filing and escalation, as the services write them.
    for column, verb in (("filed_at", "case.file"), ("escalated_at", "case.escalated")):
        events = dict(Event.objects.filter(verb=verb).values_list("case_id", "created_at"))
        assert dict(Case.objects.filter(**{f"{column}__isnull": False}).values_list("pk", column)) == events
        assert events, verb


def test_states_follow_the_timelines(city):
    statuses = Counter(Case.objects.values_list("status", flat=True))
    # Three months of history: most cases are done, some are still open, a few took the side paths.
    assert statuses["rated"] > statuses["closed"] > 0
    assert sum(n for s, n in statuses.items() if s not in TERMINAL) > 0
    assert statuses["self_handled"] and statuses["declined"]
    for case in Case.objects.all():
        if case.status in ("closed", "rated"):
            assert case.closed_at and case.closed_at >= case.created_at
            assert case.deadlines["handle"]["met"] and "on_time" in case.deadlines["accept"]
            assert case.first_receiver_id == case.lead_org_id is not None
        if case.status == "rated":
            assert case.satisfaction and case.rated_at >= case.closed_at
        if STAGE_OF_STATUS.get(case.status):
            assert case.stage == STAGE_OF_STATUS[case.status] and case.deadline_at and case.sweep_at
            assert (case.warn_level == "red") == (case.sweep_at > case.deadline_at)
        if case.warn_level == "red" and case.stage == "handle":
            assert case.escalation_count == 1
            assert Event.objects.filter(case=case, verb="case.escalated").exists()


def test_the_rollup_is_the_rebuild_of_the_loaded_cases(city):
    assert city.rollup_rows == Rollup.objects.count() > 0
    for kind in UNIT_KINDS:
        stored = {(r.unit_id, r.period): r.counts() for r in Rollup.objects.filter(unit_kind=kind)}
        counted = {k: c for k, (_, c) in count_rows(kind).items() if any(c.values())}
        assert {k: {n: v for n, v in c.items() if v} for k, c in stored.items()} == {
            k: {n: v for n, v in c.items() if v} for k, c in counted.items()
        }, kind
    city_rows = Rollup.objects.filter(unit_kind="city")
    assert sum(r.received for r in city_rows) == 1500


def test_bench_data_fills_only_an_empty_database(city):
    with pytest.raises(CommandError, match="already holds"):
        call_command("bench_data", grids=10, cases=10, no_progress=True)
    with pytest.raises(CommandError, match="whole number"):
        call_command("bench_data", "--grids", "many")


def test_full_history_writes_every_step_and_still_verifies():
    city = bench_data(grids=20, cases=200, months=2, history="full", log=lambda _: None, progress=False)
    verbs = Counter(Event.objects.filter(case__isnull=False).values_list("verb", flat=True))
    assert verbs["case.reported"] == 200
    assert verbs["case.dispatch"] and verbs["case.accept"] and verbs["case.close"] and verbs["case.rate"]
    assert sum(verbs.values()) == city.events
    assert audit_verify().ok


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite loads in one process")
def test_two_generating_processes_load_one_consistent_city(monkeypatch):
    monkeypatch.setattr(bigcity, "PRODUCERS_FROM", 1)
    city = bench_data(grids=40, cases=900, months=2, seed=3, log=lambda _: None, progress=False)
    ids = sorted(Case.objects.values_list("pk", flat=True))
    assert ids == list(range(ids[0], ids[0] + 900))  # each process its own share, none lost or repeated
    assert Event.objects.filter(case__isnull=False).count() == city.events
    assert audit_verify().ok
    # The two shares come from two random streams, not one repeated.
    first, second = ids[:450], ids[450:]
    created = dict(Case.objects.values_list("pk", "created_at"))
    assert [created[i] for i in first[:20]] != [created[i] for i in second[:20]]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite loads in one process")
def test_a_failing_generating_process_fails_the_load_and_says_why(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("generator broke")
        yield

    monkeypatch.setattr(bigcity, "_cases", broken)
    with pytest.raises(BigCityError, match="generator broke"):
        bench_data(grids=10, cases=100, months=1, log=lambda _: None, progress=False)
