"""Indicators from the system's own data, the review rule, the evidence snapshot and the decision."""

from __future__ import annotations

import pytest

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.demonstration import services as svc
from chuishao.demonstration.errors import DemonstrationConflict, DemonstrationDenied, DemonstrationInvalid
from chuishao.demonstration.indicators import coverage_figure, participation_figure, rate_figures
from chuishao.demonstration.models import Review, Unit
from chuishao.engagement import services as eng
from chuishao.engagement.models import ServicePost
from chuishao.events.models import Event
from chuishao.orgs.services import organisation_upsert
from tests.demonstration.conftest import COMMUNITY_A1, COMMUNITY_A2, STREET_A, at, good_rates, rollup

JANUARY = at(2026, 1, 15, 10)


def cover_grids(city, code: str) -> None:
    from chuishao.geo.models import Jurisdiction

    for grid in Jurisdiction.objects.filter(parent=city.node(code), kind="grid"):
        organisation_upsert(
            actor=SYSTEM, code=f"po-{grid.code}", kind="party_org", name="网格支部", jurisdiction=grid
        )


def serve(city, member, *, month: int, day: int) -> None:
    staff = city.people["community-a"]
    with clock.frozen(at(2025, month, day, 8)):
        task = eng.task_create(
            actor=staff,
            node=city.node(COMMUNITY_A1),
            title="巡逻",
            post=ServicePost.objects.get(code="order"),
            starts_at=at(2025, month, day, 9),
            ends_at=at(2025, month, day, 11),
            capacity=5,
            place="北门",
        )
        claim = eng.claim_task(actor=member, task=task)
    with clock.frozen(at(2025, month, day, 9)):
        eng.claim_check_in(actor=member, claim=claim)
    with clock.frozen(at(2025, month, day, 11)):
        eng.claim_check_out(actor=member, claim=claim)
        eng.claim_confirm(actor=staff, claim=claim)


def register(city, n: int) -> None:
    with clock.frozen(at(2025, 1, 10, 9)):
        reg = eng.registration_submit_member(
            actor=city.people[f"member-{n}"],
            community=city.node(COMMUNITY_A1),
            unit=city.orgs["bureau-a"],
            posts=["order"],
        )
        eng.registration_decide(actor=city.people["community-a"], registration=reg, accept=True)


# ------------------------------------------------------------------------------------------ indicators


def test_rates_are_sums_of_the_months_rollups_not_averages(city):
    node = city.node(COMMUNITY_A1)
    rollup(node, "2025-03", response_due=10, responded_on_time=10, rated=10, satisfied=10, solved=10)
    rollup(node, "2025-09", response_due=30, responded_on_time=15, rated=30, satisfied=15, basically=10,
           solved=20, partly=4, unsolved=6)  # fmt: skip
    rollup(node, "2024-12", response_due=50, responded_on_time=0)  # another year: not counted
    rollup(city.node(COMMUNITY_A2), "2025-03", response_due=50)  # another node: not counted
    with clock.frozen(JANUARY):
        figures = rate_figures(node, 2025)
    response = figures["response"]
    assert (response.numerator, response.denominator, response.value) == (25, 40, 62.5)  # not (100+50)/2
    satisfaction = figures["satisfaction"]  # (25 satisfied + 0.8 × 10 basically) / 40 rated
    assert (satisfaction.numerator, satisfaction.denominator, satisfaction.value) == (33.0, 40, 82.5)
    assert satisfaction.detail["basically"] == 10 and satisfaction.detail["weight of basically"] == 0.8
    resolution = figures["resolution"]  # (30 solved + 0.5 × 4 partly) / 40
    assert (resolution.numerator, resolution.value) == (32.0, 80.0)
    assert "evaluation rollups" in response.source and "2025-01…2025-12" in response.source


def test_the_running_year_counts_up_to_today(city):
    node = city.node(COMMUNITY_A1)
    rollup(node, "2026-01", response_due=4, responded_on_time=4)
    rollup(node, "2026-03", response_due=4, responded_on_time=0)  # a future month is never read
    with clock.frozen(at(2026, 2, 10, 9)):
        figure = rate_figures(node, 2026)["response"]
    assert (figure.value, figure.denominator) == (100.0, 4)


def test_no_rated_case_is_no_value(city):
    with clock.frozen(JANUARY):
        figure = rate_figures(city.node(COMMUNITY_A1), 2025)["satisfaction"]
    assert figure.value is None and figure.denominator == 0


def test_coverage_is_read_from_party_coverage_on_the_years_last_day(city):
    node = city.node(COMMUNITY_A1)
    with clock.frozen(JANUARY):
        assert coverage_figure(node, 2025).value == 0.0
    cover_grids(city, COMMUNITY_A1)
    with clock.frozen(JANUARY):
        figure = coverage_figure(node, 2025)
    assert (figure.value, figure.numerator, figure.denominator) == (100.0, 2, 2)
    assert figure.detail["grids covered"] == 2 and "2025-12-31" in figure.source


def test_participation_is_the_share_of_registered_members_who_served(city):
    for n in (1, 2, 3):
        register(city, n)
    serve(city, city.people["member-1"], month=3, day=4)
    serve(city, city.people["member-1"], month=4, day=8)
    serve(city, city.people["member-2"], month=5, day=6)
    with clock.frozen(JANUARY):
        figure = participation_figure(city.node(COMMUNITY_A1), 2025)
        street = participation_figure(city.node(STREET_A), 2025)
        other = participation_figure(city.node(COMMUNITY_A2), 2025)
    assert (figure.numerator, figure.denominator, figure.value) == (2, 3, 66.7)
    assert figure.detail["confirmed service hours"] == 6.0 and figure.detail["hours per member"] == 2.0
    assert street.value == 66.7  # the street counts its communities' members
    assert other.value is None and other.denominator == 0


# ------------------------------------------------------------------------------------------ the rule


def row(met: bool, target: float | None = 80) -> dict:
    return {"met": met, "target": target}


@pytest.mark.parametrize(
    ("rows", "previous", "expected"),
    [
        ([row(True)] * 5, None, ("keep", "all_met")),
        ([row(True)] * 5, "warn", ("keep", "all_met")),
        ([row(True)] * 4 + [row(False)], None, ("warn", "some_missed")),
        ([row(True)] * 3 + [row(False)] * 2, "keep", ("warn", "some_missed")),
        ([row(True)] * 2 + [row(False)] * 3, None, ("drop", "most_missed")),
        ([row(True)] * 4 + [row(False)], "warn", ("drop", "missed_after_warning")),
        ([row(True), row(False)], None, ("warn", "some_missed")),  # half is not most
    ],
)
def test_the_rule(rows, previous, expected):
    assert svc.propose(rows, previous) == expected


# ------------------------------------------------------------------------------------------ reviews


@pytest.fixture
def units(city, programme):
    """Three units of street A (quota 3): one meeting every target, one missing one, one missing most."""
    svc.quota_set(actor=city.people["city"], programme=programme, region=city.node(STREET_A), quota=3)
    with clock.frozen(at(2025, 2, 1, 9)):
        keep = svc.unit_name(actor=city.people["city"], programme=programme, node=city.node(COMMUNITY_A1))
        warn = svc.unit_name(actor=city.people["city"], programme=programme, node=city.node(COMMUNITY_A2))
        drop = svc.unit_name(
            actor=city.people["city"],
            programme=programme,
            node=city.node("110902001001"),
            goals={"response": 99, "resolution": 99, "satisfaction": 95},
        )
    cover_grids(city, COMMUNITY_A1)
    cover_grids(city, "110902001001")
    good_rates(keep.node)
    good_rates(warn.node)  # no party organisation: coverage 0 % misses 50 %
    good_rates(drop.node)  # covered, but 95 % response and resolution miss 99, 90 % satisfaction misses 95
    return keep, warn, drop


def test_a_review_proposes_keep_warn_drop_with_the_evidence(city, programme, units):
    keep, warn, drop = units
    with clock.frozen(JANUARY):
        reviews = svc.review_run(actor=city.people["city"], programme=programme, year=2025)
    by_node = {r.unit.node.code: r for r in reviews}
    assert by_node[COMMUNITY_A1].proposed == "keep"
    assert by_node[COMMUNITY_A2].proposed == "warn"
    evidence = by_node[COMMUNITY_A2].evidence
    assert evidence["missed"] == ["coverage"] and evidence["because"] == "some_missed"
    coverage = next(i for i in evidence["indicators"] if i["code"] == "coverage")
    assert (coverage["value"], coverage["numerator"], coverage["denominator"], coverage["target"]) == (
        0.0,
        0,
        2,
        50,
    )
    assert coverage["source"].startswith("party.coverage")
    dropped = by_node["110902001001"]
    assert dropped.proposed == "drop" and dropped.evidence["because"] == "most_missed"
    assert dropped.evidence["missed"] == ["response", "resolution", "satisfaction"]
    response = next(i for i in dropped.evidence["indicators"] if i["code"] == "response")
    assert (response["value"], response["target"], response["target_from"]) == (95.0, 99.0, "unit")
    assert Event.objects.filter(verb="demonstration.review_proposed").count() == 3
    assert all(not r.decided for r in reviews)


def test_a_confirmed_drop_frees_the_region_place(city, programme, units):
    _, _, drop = units
    region = city.node("110902001")  # quota 1, held by the unit to drop
    with pytest.raises(DemonstrationConflict, match="all are taken"):
        svc.unit_name(actor=city.people["city"], programme=programme, node=city.node("110902001002"))
    with clock.frozen(JANUARY):
        review = Review.objects.get(
            pk=svc.review_run(actor=city.people["city"], programme=programme, year=2025)[2].pk
        )
        assert review.unit == drop and review.proposed == "drop"
        svc.review_decide(actor=city.people["city"], review=review, outcome="drop")
        other = Review.objects.create(
            unit=drop,
            year=2024,
            proposed="keep",
            evidence={},
            computed_at=JANUARY,
            computed_by=city.people["city"],
        )
        with pytest.raises(DemonstrationConflict, match="no longer"):
            svc.review_decide(actor=city.people["city"], review=other, outcome="keep")
    rows = {r.region.code: r for r in svc.regions_of(programme)}
    assert (rows[region.code].used, rows[region.code].free) == (0, 1)
    with clock.frozen(JANUARY):
        svc.unit_name(actor=city.people["city"], programme=programme, node=city.node("110902001002"))


def test_missing_again_after_a_warning_drops_the_unit(city, programme, units):
    keep, warn, _ = units
    svc.quota_set(actor=city.people["city"], programme=programme, region=city.node(STREET_A), quota=2)
    # street A is full (2 of 2): the warned unit's coverage stays missed and the keep unit is fine.
    with clock.frozen(JANUARY):
        reviews = {
            r.unit_id: r for r in svc.review_run(actor=city.people["city"], programme=programme, year=2025)
        }
        svc.review_decide(actor=city.people["city"], review=reviews[keep.pk], outcome="keep")
        svc.review_decide(actor=city.people["city"], review=reviews[warn.pk], outcome="warn")
    # The next year the warned unit misses again: dropped after its warning.
    good_rates(keep.node, "2026-03")
    good_rates(warn.node, "2026-03")
    with clock.frozen(at(2027, 1, 10, 9)):
        reviews = {
            r.unit_id: r for r in svc.review_run(actor=city.people["city"], programme=programme, year=2026)
        }
        again = reviews[warn.pk]
        assert (again.proposed, again.evidence["because"]) == ("drop", "missed_after_warning")
        assert again.evidence["previous_outcome"] == "warn"
        svc.review_decide(actor=city.people["city"], review=again, outcome="drop")
    warn.refresh_from_db()
    assert not warn.active and warn.dropped_year == 2026
    assert Event.objects.filter(verb="demonstration.unit_dropped").count() == 1
    assert Event.objects.filter(verb="demonstration.review_confirmed").count() == 3
    rows = {r.region.code: r for r in svc.regions_of(programme)}
    assert (rows[STREET_A].used, rows[STREET_A].free) == (1, 1)
    # The freed place takes another community; the dropped one cannot come back in this programme.
    with pytest.raises(DemonstrationConflict, match="dropped"):
        svc.unit_name(actor=city.people["city"], programme=programme, node=warn.node)
    assert Unit.objects.filter(pk=warn.pk, active=False).exists()  # still on record
    # A dropped unit is not reviewed any more.
    with clock.frozen(at(2028, 1, 11, 9)):
        assert warn.pk not in {
            r.unit_id for r in svc.review_run(actor=city.people["city"], programme=programme, year=2027)
        }


def test_an_override_needs_a_reason_and_is_its_own_event(city, programme, units):
    _, warn, _ = units
    with clock.frozen(JANUARY):
        review = next(
            r
            for r in svc.review_run(actor=city.people["city"], programme=programme, year=2025)
            if r.unit == warn
        )
        with pytest.raises(DemonstrationInvalid, match="reason"):
            svc.review_decide(actor=city.people["city"], review=review, outcome="keep", reason="")
        review.refresh_from_db()
        assert not review.decided
        svc.review_decide(
            actor=city.people["leader"],
            review=review,
            outcome="keep",
            reason="年底新建网格支部已批复，次月成立",
        )
        with pytest.raises(DemonstrationConflict, match="already"):
            svc.review_decide(actor=city.people["city"], review=review, outcome="drop", reason="改判")
    review.refresh_from_db()
    assert review.overridden and review.outcome == "keep" and review.decided_by == city.people["leader"]
    event = Event.objects.get(verb="demonstration.review_overridden")
    assert event.reason.startswith("年底") and event.after["proposed"] == "warn"
    with pytest.raises(DemonstrationInvalid, match="keep, warn or drop"):
        svc.review_decide(
            actor=city.people["city"], review=Review.objects.exclude(pk=review.pk).first(), outcome="pass"
        )


def test_the_evidence_is_a_snapshot(city, programme, units):
    _, warn, _ = units
    with clock.frozen(JANUARY):
        review = next(
            r
            for r in svc.review_run(actor=city.people["city"], programme=programme, year=2025)
            if r.unit == warn
        )
        svc.review_decide(actor=city.people["city"], review=review, outcome="warn")
    cover_grids(city, COMMUNITY_A2)  # the data changes afterwards …
    with clock.frozen(JANUARY):
        svc.review_run(
            actor=city.people["city"], programme=programme, year=2025
        )  # … a rerun keeps decided ones
    review.refresh_from_db()
    coverage = next(i for i in review.evidence["indicators"] if i["code"] == "coverage")
    assert coverage["value"] == 0.0 and review.proposed == "warn"


def test_an_undecided_review_is_recomputed_on_a_rerun(city, programme, units):
    _, warn, _ = units
    with clock.frozen(JANUARY):
        svc.review_run(actor=city.people["city"], programme=programme, year=2025)
        cover_grids(city, COMMUNITY_A2)
        svc.review_run(actor=city.people["city"], programme=programme, year=2025)
    review = Review.objects.get(unit=warn, year=2025)
    assert review.proposed == "keep"


@pytest.mark.parametrize("who", ["street-a", "community-a", "district-a"])
def test_only_owners_review(city, programme, units, who):
    with clock.frozen(JANUARY), pytest.raises(DemonstrationDenied):
        svc.review_run(actor=city.people[who], programme=programme, year=2025)
    with clock.frozen(JANUARY):
        review = svc.review_run(actor=city.people["city"], programme=programme, year=2025)[0]
        with pytest.raises(DemonstrationDenied):
            svc.review_decide(actor=city.people[who], review=review, outcome=review.proposed)


def test_a_future_year_is_refused(city, programme, units):
    with clock.frozen(JANUARY), pytest.raises(DemonstrationInvalid, match="year"):
        svc.review_run(actor=city.people["city"], programme=programme, year=2027)


@pytest.mark.parametrize("year", [0, 1999, 99999, 10**15])
def test_a_year_out_of_range_is_refused_clearly_not_a_crash(city, programme, units, year):
    with clock.frozen(JANUARY):
        with pytest.raises(DemonstrationInvalid, match="2000"):
            svc.review_run(actor=city.people["city"], programme=programme, year=year)
        with pytest.raises(DemonstrationInvalid, match="2000"):
            svc.reviewable_units(programme, year)
        assert not svc.year_in_range(year) and svc.year_in_range(2000) and svc.year_in_range(2026)
    assert not Review.objects.exists()


def test_units_named_after_the_year_are_not_in_its_review(city, programme, units):
    svc.quota_set(actor=city.people["city"], programme=programme, region=city.node("110902001"), quota=2)
    with clock.frozen(at(2026, 2, 1, 9)):
        late = svc.unit_name(actor=city.people["city"], programme=programme, node=city.node("110902001002"))
    with clock.frozen(at(2026, 3, 1, 9)):
        reviewed = {
            r.unit_id for r in svc.review_run(actor=city.people["city"], programme=programme, year=2025)
        }
    assert late.pk not in reviewed and len(reviewed) == 3
