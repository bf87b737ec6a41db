"""The rollup equals direct counts over the cases, and the incremental refresh equals a rebuild while
recomputing only the rows the new events touch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.evaluation.models import Rollup, RollupCursor
from chuishao.evaluation.selectors import indicators
from chuishao.evaluation.services import rollup_rebuild, rollup_refresh
from chuishao.events.models import Event
from tests.evaluation.conftest import GRID_A2, GRID_B1
from tests.evaluation.direct import direct_counts, rollup_counts

NOW = dt.timedelta(0)


def _pct(num: float, den: int) -> float | None:
    return None if den == 0 else 100.0 * num / den


def expected_rates(c: dict[str, int]) -> dict[str, float | None]:
    """The rates of docs/evaluation.md, written out by hand."""
    g = c.get
    due = g("handled", 0) + g("overdue_unhandled", 0)
    return {
        "response": _pct(g("responded_on_time", 0), g("response_due", 0)),
        "resolution": _pct(g("solved", 0) + 0.5 * g("partly", 0), g("rated", 0)),
        "satisfaction": _pct(g("satisfied", 0) + 0.8 * g("basically", 0), g("rated", 0)),
        "closure": _pct(g("closed", 0), due),
        "on_time_handling": _pct(g("handled_on_time", 0), due),
        "on_time_closure": _pct(g("closed_on_time", 0), due),
        "rework": _pct(g("reworked", 0), due),
        "return": _pct(g("returned", 0), g("dispatched", 0)),
        "public_first": _pct(g("public_first_filed", 0), g("filed", 0)),
        "whistle": _pct(g("whistles", 0), g("filed", 0)),
        "whistle_score": _pct(g("whistle_rating_points", 0) / 12, g("whistle_ratings", 0)),
    }


def test_rebuild_equals_direct_counts_and_rates(scenario):
    story, cases = scenario
    city = story.city

    rollup_rebuild()

    direct = direct_counts()
    assert rollup_counts() == direct
    # The story's paths are all there (street A, March), so the equality is not vacuous.
    street_a = direct[("street", city.node("110901001").pk, "2026-03")]
    assert street_a["received"] == 10
    assert street_a["parked"] == street_a["reworked"] == street_a["returned"] == 1
    assert street_a["overdue_unhandled"] == 1 and street_a["unrated"] == 1
    assert (street_a["satisfied"], street_a["basically"], street_a["unsatisfied"]) == (1, 1, 1)
    assert street_a["handled"] == 4 and street_a["handled_on_time"] == 3
    um_april = direct[("department", city.orgs["um-110901"].pk, "2026-04")]
    assert um_april["summonses"] == 1 and um_april["summons_onsite_on_time"] == 1
    water_april = direct[("department", city.orgs["water-110901"].pk, "2026-04")]
    assert water_april["summons_onsite_due"] == 1 and "summons_onsite_on_time" not in water_april
    assert direct[("street", city.node("110901001").pk, "2026-04")]["whistles"] == 1
    # Every rate of every row equals the hand-written formula over the direct counts.
    for kind, unit, period in direct:
        (row,) = indicators(
            actor=SYSTEM, unit_kind=kind, period=period, city_id=city.city.pk, unit_ids={unit}
        )
        for name, value in expected_rates(direct[(kind, unit, period)]).items():
            assert row.rates[name] == pytest.approx(value), (kind, unit, period, name)


def test_months_and_units_add_up(scenario):
    story, _ = scenario
    rollup_rebuild()
    for period in ("2026-03", "2026-04"):
        (city_row,) = Rollup.objects.filter(unit_kind="city", period=period)
        for kind in ("grid", "community", "street", "district"):
            rows = Rollup.objects.filter(unit_kind=kind, period=period)
            assert sum(r.received for r in rows) == city_row.received
            assert sum(r.closed_on_time for r in rows) == city_row.closed_on_time


def test_refresh_recomputes_only_touched_rows_and_equals_rebuild(scenario):
    story, cases = scenario
    city = story.city
    rollup_rebuild(settle=NOW)
    assert RollupCursor.objects.get().position == Event.objects.order_by("-id").first().id
    untouched = Rollup.objects.get(unit_kind="street", unit_id=city.node("110902001").pk, period="2026-03")

    # New events: an April case moves on, and a May report arrives in district B.
    c = story.at(dt.datetime(2026, 4, 20, 10, tzinfo=clock.now().tzinfo)).act(
        cases["april_open"], "dispatch", "street-a", lead="um-110901"
    )
    story.act(c, "accept", "um-a")
    story.at(dt.datetime(2026, 5, 12, 10, tzinfo=c.created_at.tzinfo)).report(grid=GRID_B1)
    with clock.frozen(story.now):
        result = rollup_refresh(settle=NOW)

    a2, b1 = city.node(GRID_A2), city.node(GRID_B1)
    assert result.keys == {
        ("grid", a2.pk, "2026-04"),
        ("community", a2.community_id, "2026-04"),
        ("street", a2.street_id, "2026-04"),
        ("district", a2.district_id, "2026-04"),
        ("city", city.city.pk, "2026-04"),
        ("department", city.orgs["um-110901"].pk, "2026-04"),
        ("grid_worker", city.people["grid-a2"].pk, "2026-04"),
        ("grid", b1.pk, "2026-05"),
        ("community", b1.community_id, "2026-05"),
        ("street", b1.street_id, "2026-05"),
        ("district", b1.district_id, "2026-05"),
        ("city", city.city.pk, "2026-05"),
        ("grid_worker", city.people["grid-b"].pk, "2026-05"),
    }
    assert result.events == 3
    untouched_after = Rollup.objects.get(pk=untouched.pk)
    assert untouched_after.updated_at == untouched.updated_at

    refreshed = rollup_counts()
    rollup_rebuild()
    assert refreshed == rollup_counts() == direct_counts()


def test_refresh_rereads_within_the_settle_window(scenario):
    story, _ = scenario
    t0 = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)
    with clock.frozen(t0):
        first = rollup_refresh(settle=dt.timedelta(seconds=60))
    total = Event.objects.count()
    assert first.events == total and first.position == 0
    with clock.frozen(t0 + dt.timedelta(seconds=30)):
        again = rollup_refresh(settle=dt.timedelta(seconds=60))
    # Still inside the window: the same events are read again (recomputing is idempotent).
    assert again.events == total and again.position == 0
    with clock.frozen(t0 + dt.timedelta(seconds=61)):
        settled = rollup_refresh(settle=dt.timedelta(seconds=60))
    assert settled.position == Event.objects.order_by("-id").first().id
    with clock.frozen(t0 + dt.timedelta(seconds=62)):
        assert rollup_refresh(settle=dt.timedelta(seconds=60)).events == 0
    assert rollup_counts() == direct_counts()


def test_refresh_in_small_batches_equals_rebuild(scenario):
    while rollup_refresh(batch=7, settle=NOW).events:
        pass
    refreshed = rollup_counts()
    rollup_rebuild()
    assert refreshed == rollup_counts()


def test_one_pass_case_counts_equal_the_per_kind_queries(scenario):
    """The rebuild counts every kind's cases in one grouped pass; each kind equals its own query."""
    from chuishao.evaluation.counting import case_rows, case_rows_all

    all_kinds = case_rows_all()
    assert set(all_kinds) == {"grid", "community", "street", "district", "city", "department"}
    for kind, rows in all_kinds.items():
        assert rows, kind
        assert rows == case_rows(kind), kind
    story, _ = scenario
    assert case_rows_all(city_id=story.city.node("110000").pk) == all_kinds


def _new_events(story, cases):
    """New events after a rebuild: an April case moves on, a March and a May report arrive."""
    c = story.at(dt.datetime(2026, 4, 20, 10, tzinfo=clock.now().tzinfo)).act(
        cases["april_open"], "dispatch", "street-a", lead="um-110901"
    )
    story.act(c, "accept", "um-a")
    story.at(dt.datetime(2026, 3, 25, 10, tzinfo=c.created_at.tzinfo)).report()
    story.at(dt.datetime(2026, 5, 12, 10, tzinfo=c.created_at.tzinfo)).report(grid=GRID_B1)


def test_one_refresh_reads_every_page_before_recomputing(scenario, monkeypatch):
    """A run reads the pending events page by page and recomputes the union of their rows once."""
    from chuishao.evaluation import services

    passes = []
    counted = services.case_counts
    monkeypatch.setattr(services, "case_counts", lambda **kw: passes.append(kw) or counted(**kw))
    story, cases = scenario
    rollup_rebuild(settle=NOW)
    before = Event.objects.order_by("-id").first().id
    _new_events(story, cases)
    new = Event.objects.filter(id__gt=before).count()
    assert new >= 4  # page=2: at least two pages
    passes.clear()
    with clock.frozen(story.now):
        result = rollup_refresh(page=2, settle=NOW)
    assert result.events == new  # several pages, one run
    assert result.position == Event.objects.order_by("-id").first().id
    # One counting pass over the keys of every page (rows several pages touch are counted once).
    (only,) = passes
    assert {(k, u, p) for k, keys in only["keys"].items() for u, p in keys} == result.keys
    with clock.frozen(story.now):
        assert rollup_refresh(page=2, settle=NOW).events == 0
    refreshed = rollup_counts()
    rollup_rebuild()
    assert refreshed == rollup_counts() == direct_counts()


def test_refresh_with_a_cap_per_run_resumes_where_it_stopped(scenario):
    """``batch`` caps the events a run reads: the next run reads the rest, and the table still
    equals a rebuild."""
    story, cases = scenario
    rollup_rebuild(settle=NOW)
    _new_events(story, cases)
    runs = 0
    with clock.frozen(story.now):
        while rollup_refresh(batch=3, page=2, settle=NOW).events:
            runs += 1
    assert runs > 1
    refreshed = rollup_counts()
    rollup_rebuild()
    assert refreshed == rollup_counts() == direct_counts()


def test_district_and_city_rows_are_summed_from_street_parts(scenario):
    """After a rebuild the refresh derives district and city case counts from the stored parts
    (per street, district and city the cases carry) instead of recounting: they equal a recount."""
    from chuishao.evaluation.counting import case_rows
    from chuishao.evaluation.models import RollupPart

    story, cases = scenario
    rollup_rebuild(settle=NOW)
    assert RollupCursor.objects.get().parts_ready
    # The parts add up to the district and city rows of the rebuild.
    for r in Rollup.objects.filter(unit_kind__in=["district", "city"]):
        column = f"{r.unit_kind}_id"
        parts = RollupPart.objects.filter(period=r.period, **{column: r.unit_id})
        assert r.received == sum(p.counts.get("received", 0) for p in parts)
    _new_events(story, cases)
    with clock.frozen(story.now):
        result = rollup_refresh(settle=NOW)
    derived = {k for k in result.keys if k[0] in ("district", "city")}
    assert {p for _, _, p in derived} == {"2026-03", "2026-04", "2026-05"}
    for kind in ("district", "city"):
        recount = case_rows(kind)
        for _, unit, period in (k for k in derived if k[0] == kind):
            row = Rollup.objects.get(unit_kind=kind, unit_id=unit, period=period)
            assert {n: getattr(row, n) for n in recount[(unit, period)][1]} == recount[(unit, period)][1]
    refreshed = rollup_counts()
    rollup_rebuild()
    assert refreshed == rollup_counts() == direct_counts()


def test_parts_stay_exact_when_a_street_moves_to_another_district(scenario):
    """Cases keep the places they were received in: after a street moves to another district its
    month holds cases of both districts. The refresh's sums of parts still equal a recount."""
    from chuishao.cases.models import Case

    story, cases = scenario
    city = story.city
    rollup_rebuild(settle=NOW)
    district_a, district_b = city.node("110901"), city.node("110902")
    new = story.at(dt.datetime(2026, 3, 26, 10, tzinfo=clock.now().tzinfo)).report()  # street A
    # Received after street A moved to district B (the geography import re-parents the street; the
    # routing index here still holds the old chain, so the case is given it directly).
    Case.objects.filter(pk=new.pk).update(district_id=district_b.pk)
    with clock.frozen(story.now):
        result = rollup_refresh(settle=NOW)
    assert ("district", district_b.pk, "2026-03") in result.keys
    refreshed = rollup_counts()
    assert refreshed[("district", district_b.pk, "2026-03")]["received"] == 2  # its own, and the new
    assert refreshed[("district", district_a.pk, "2026-03")]["received"] == 10
    assert refreshed[("street", new.street_id, "2026-03")]["received"] == 11
    rollup_rebuild()
    assert refreshed == rollup_counts() == direct_counts()


def test_refresh_recounts_districts_until_a_rebuild_wrote_the_parts(scenario):
    """A database migrated from before the parts has none: the refresh recounts district and city
    rows (summing missing parts would be wrong) until a full rebuild writes them."""
    from chuishao.evaluation.models import RollupPart

    story, cases = scenario
    rollup_rebuild(settle=NOW)
    RollupPart.objects.all().delete()
    RollupCursor.objects.update(parts_ready=False)
    _new_events(story, cases)
    with clock.frozen(story.now):
        rollup_refresh(settle=NOW)
    assert not RollupPart.objects.exists()
    refreshed = rollup_counts()
    rollup_rebuild()
    assert RollupCursor.objects.get().parts_ready and RollupPart.objects.exists()
    assert refreshed == rollup_counts() == direct_counts()


def test_a_sweep_leaves_grid_worker_rows_alone_and_still_equals_rebuild(scenario):
    """The sweep's events (colour, escalation, rating expiry) touch no grid-worker figure: the
    refresh recomputes the cases' places and departments only, and still equals a rebuild."""
    from chuishao.evaluation.services import NO_WORKER_EFFECT

    story, _ = scenario
    rollup_rebuild(settle=NOW)
    before = Event.objects.order_by("-id").first().id
    story.sweep(days=20)  # April's open cases turn yellow and red, and escalate
    verbs = set(Event.objects.filter(id__gt=before).values_list("verb", flat=True))
    assert verbs and verbs <= NO_WORKER_EFFECT
    assert "case.warned" in verbs
    with clock.frozen(story.now):
        result = rollup_refresh(settle=NOW)
    kinds = {kind for kind, _, _ in result.keys}
    assert "street" in kinds and "department" in kinds
    assert "grid_worker" not in kinds
    refreshed = rollup_counts()
    rollup_rebuild()
    assert refreshed == rollup_counts() == direct_counts()


@pytest.mark.parametrize("copy_from", [1, 10**9], ids=["copy", "per-row"])
def test_rows_written_by_copy_or_per_row_upsert_are_the_same(scenario, monkeypatch, copy_from):
    """PostgreSQL takes large writes by COPY through a temporary table (a rebuild's row per grid and
    month), small ones by a prepared upsert; both write and overwrite the same rows."""
    from chuishao.evaluation import services

    monkeypatch.setattr(services, "COPY_FROM", copy_from)
    rollup_rebuild()
    assert rollup_counts() == direct_counts()
    # Written again over themselves (upserted, not duplicated), and inside an outer transaction.
    Rollup.objects.update(received=999)
    rollup_rebuild()
    assert rollup_counts() == direct_counts()
    assert not Rollup.objects.filter(received=999).exists()

    # Only the rows whose counts changed are rewritten: the others keep their moment.
    stamps = dict(Rollup.objects.values_list("pk", "updated_at"))
    spoiled = set(Rollup.objects.filter(unit_kind="grid").values_list("pk", flat=True)[:2])
    moved = set(Rollup.objects.filter(unit_kind="street").values_list("pk", flat=True)[:1])
    Rollup.objects.filter(pk__in=spoiled).update(closed=F("closed") + 5)
    Rollup.objects.filter(pk__in=moved).update(city_id=F("city_id") + 1000)
    later = max(stamps.values()) + dt.timedelta(hours=1)
    with clock.frozen(later):
        rollup_rebuild(settle=NOW)
    assert rollup_counts() == direct_counts()
    after = dict(Rollup.objects.values_list("pk", "updated_at"))
    assert {pk for pk, at in after.items() if at != stamps[pk]} == spoiled | moved
    assert all(after[pk] == later for pk in spoiled | moved)


@pytest.mark.parametrize("named_grids", [0, 10**9], ids=["grids-unnamed", "grids-named"])
def test_missed_reports_are_the_same_whether_the_queries_name_the_grids(scenario, monkeypatch, named_grids):
    """A city of many grids reads every public case and skips the unserved grids in Python instead of
    sending 100,000 grid ids; both give the direct count."""
    from chuishao.evaluation import counting

    monkeypatch.setattr(counting, "NAMED_GRIDS", named_grids)
    rollup_rebuild()
    direct = direct_counts()
    assert rollup_counts() == direct
    assert sum(c.get("gw_missed", 0) for c in direct.values()) >= 2
