"""三岗十八级: posts, grade bands, regular steps, post changes, history and reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from chuishao.events.models import Event
from chuishao.workforce.errors import WorkforceConflict, WorkforceDenied, WorkforceInvalid
from chuishao.workforce.models import GradeChange, GradePay, PostScale
from chuishao.workforce.selectors import roster, roster_report
from chuishao.workforce.services import (
    next_step_on,
    scale_of,
    worker_adjust,
    worker_change_post,
    worker_hire,
    worker_leave,
    worker_step,
)

C1 = "110901001001"


def hire(city, **kw):
    args = {
        "actor": city.people["street-a"],
        "community": city.node(C1),
        "name": "王芳",
        "post": "other",
        "grade": 3,
        "started_on": "2020-03-01",
    }
    args.update(kw)
    return worker_hire(**args)


def test_default_bands_follow_the_reference(city):
    bands = {s.post: (s.min_grade, s.max_grade, s.step_years) for s in PostScale.objects.filter(city=None)}
    assert bands == {"head": (7, 18, 3), "deputy": (4, 15, 3), "other": (1, 12, 3)}
    assert GradePay.objects.filter(city=None).count() == 18


@pytest.mark.parametrize(
    ("post", "grade", "ok"),
    [
        ("head", 7, True),
        ("head", 6, False),
        ("head", 18, True),
        ("deputy", 3, False),
        ("deputy", 15, True),
        ("deputy", 16, False),
        ("other", 1, True),
        ("other", 12, True),
        ("other", 13, False),
    ],
)
def test_a_grade_must_lie_in_the_posts_band(city, on, post, grade, ok):
    with on(2026, 11, 10):
        if ok:
            assert hire(city, post=post, grade=grade).grade == grade
        else:
            with pytest.raises(WorkforceInvalid, match="outside"):
                hire(city, post=post, grade=grade)


def test_only_the_street_or_above_manages_grades(city, on):
    with on(2026, 11, 10):
        for who in ("community-a", "street-b", "um-a", "resident", "grid-a"):
            with pytest.raises(WorkforceDenied):
                hire(city, actor=city.people[who])
        assert hire(city, actor=city.people["district-a"]).pk


def test_the_regular_step_comes_every_three_years(city, on):
    with on(2026, 11, 10):
        w = hire(city, grade=3, grade_since="2024-05-01")
        scale = scale_of(city.city.pk, "other")
        assert next_step_on(w, scale) == dt.date(2027, 5, 1)
        with pytest.raises(WorkforceConflict, match="2027-05-01"):
            worker_step(actor=city.people["street-a"], worker=w)
    with on(2027, 5, 2):
        w = worker_step(actor=city.people["street-a"], worker=w, effective_on="2027-05-01")
        assert (w.grade, w.grade_since) == (4, dt.date(2027, 5, 1))
        assert next_step_on(w, scale_of(city.city.pk, "other")) == dt.date(2030, 5, 1)
    history = list(GradeChange.objects.filter(worker=w).values_list("kind", "from_grade", "to_grade"))
    assert history == [("hire", None, 3), ("step", 3, 4)]
    assert (
        Event.objects.filter(verb="workforce.grade_step", chain=f"workforce:{city.node(C1).pk}").count() == 1
    )


def test_no_step_above_the_top_of_the_band(city, on):
    with on(2026, 11, 10):
        w = hire(city, post="deputy", grade=15, started_on="2005-01-01", grade_since="2010-01-01")
        assert next_step_on(w, scale_of(city.city.pk, "deputy")) is None
        with pytest.raises(WorkforceConflict, match="top"):
            worker_step(actor=city.people["street-a"], worker=w)


def test_a_city_may_set_its_own_band_and_interval(city, on):
    PostScale.objects.create(city=city.city, post="other", min_grade=1, max_grade=10, step_years=2)
    with on(2026, 11, 10):
        w = hire(city, grade=3, grade_since="2024-05-01")
        assert next_step_on(w, scale_of(city.city.pk, "other")) == dt.date(2026, 5, 1)
        with pytest.raises(WorkforceInvalid):
            hire(city, grade=11)


def test_a_post_change_brings_the_grade_into_the_new_band(city, on):
    with on(2026, 11, 10):
        w = hire(city, post="other", grade=3, grade_since="2022-01-01")
        w = worker_change_post(
            actor=city.people["street-a"], worker=w, post="head", reason="当选社区党委书记"
        )
        assert (w.post, w.grade, w.grade_since) == ("head", 7, dt.date(2026, 11, 10))
        w2 = hire(city, name="李强", post="head", grade=16, grade_since="2022-01-01")
        w2 = worker_change_post(actor=city.people["street-a"], worker=w2, post="other", reason="调整岗位")
        assert (w2.grade, w2.grade_since) == (12, dt.date(2026, 11, 10))
        w3 = hire(city, name="赵敏", post="other", grade=8, grade_since="2022-01-01")
        w3 = worker_change_post(actor=city.people["street-a"], worker=w3, post="deputy", reason="任副主任")
        assert (w3.grade, w3.grade_since) == (8, dt.date(2022, 1, 1)), "a grade the new band holds is kept"
        with pytest.raises(WorkforceInvalid, match="reason"):
            worker_change_post(actor=city.people["street-a"], worker=w3, post="head", reason=" ")


def test_adjust_needs_a_reason_and_dates_cannot_go_back(city, on):
    with on(2026, 11, 10):
        w = hire(city, grade=3, grade_since="2025-01-01")
        with pytest.raises(WorkforceInvalid, match="reason"):
            worker_adjust(actor=city.people["street-a"], worker=w, grade=5, reason="")
        with pytest.raises(WorkforceInvalid, match="before"):
            worker_adjust(
                actor=city.people["street-a"], worker=w, grade=5, reason="表彰", effective_on="2024-01-01"
            )
        with pytest.raises(WorkforceInvalid, match="future"):
            worker_adjust(
                actor=city.people["street-a"], worker=w, grade=5, reason="表彰", effective_on="2027-01-01"
            )
        with pytest.raises(WorkforceInvalid, match="date"):
            worker_adjust(
                actor=city.people["street-a"], worker=w, grade=5, reason="表彰", effective_on="soon"
            )
        w = worker_adjust(actor=city.people["street-a"], worker=w, grade=5, reason="市级表彰晋升两级")
        assert w.grade == 5


def test_leaving_keeps_history_and_blocks_changes(city, on):
    with on(2026, 11, 10):
        w = hire(city)
        worker_leave(actor=city.people["street-a"], worker=w, reason="辞职")
        with pytest.raises(WorkforceConflict, match="left"):
            worker_adjust(actor=city.people["street-a"], worker=w, grade=5, reason="x")
        assert roster(city.node(C1)) == []
        assert [line.worker.pk for line in roster(city.node(C1), include_left=True)] == [w.pk]
        assert GradeChange.objects.filter(worker=w).count() == 2


def test_history_lines_cannot_be_changed_or_deleted(city, on):
    with on(2026, 11, 10):
        line = GradeChange.objects.get(worker=hire(city))
    line.reason = "edited"
    with pytest.raises(ValueError, match="never changed"):
        line.save()
    with pytest.raises(ValueError, match="never deleted"):
        line.delete()


def test_report_per_community_counts_posts_coefficients_and_due_steps(city, on):
    with on(2026, 11, 10):
        hire(city, name="甲", post="head", grade=10, grade_since="2023-01-01")  # due 2026-01-01: overdue
        hire(
            city, name="乙", post="deputy", grade=6, grade_since="2024-01-01"
        )  # due 2027-01-01: within 90 days
        hire(city, name="丙", post="other", grade=2, grade_since="2025-06-01")  # due 2028
        report = {f.community.code: f for f in roster_report(city.node("110901001"))}
    assert set(report) == {"110901001001", "110901001002"}
    f = report[C1]
    assert f.headcount == 3 and f.by_post == {"head": 1, "deputy": 1, "other": 1}
    assert (f.steps_due, f.steps_soon) == (1, 1)
    # 1.00 + 0.06 × (grade − 1): grades 10, 6, 2 → 1.54, 1.30, 1.06
    assert f.mean_coefficient == ((Decimal("1.54") + Decimal("1.30") + Decimal("1.06")) / 3).quantize(
        Decimal("0.01")
    )
    assert report["110901001002"].headcount == 0
