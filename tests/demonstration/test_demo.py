"""The demo's programme on the demo city: the review shows keep, warn and drop, each the rule's own
proposal on the demo's real figures (nothing overridden), and the chain of events verifies."""

from __future__ import annotations

import pytest

from chuishao.demo.demonstration import TARGETS
from chuishao.demo.loader import load_demo
from chuishao.demonstration import services as svc
from chuishao.demonstration.models import Programme, Review, Unit
from chuishao.events.audit import audit_verify


@pytest.mark.django_db
def test_the_demo_review_keeps_warns_and_drops_by_the_rule():
    lines: list[str] = []
    load_demo(log=lines.append, cases=700, days=120)  # the loader runs load_demonstration after the rollups
    programme = Programme.objects.get()  # loaded once
    reviews = list(Review.objects.select_related("unit__node", "unit__programme"))
    result = {o: sum(1 for r in reviews if r.outcome == o) for o in ("keep", "warn", "drop")}
    assert result["keep"] >= 1 and result["warn"] >= 1 and result["drop"] >= 1, (result, lines)
    assert all(r.unit.programme_id == programme.pk for r in reviews)
    assert reviews and all(r.outcome == r.proposed and not r.overridden for r in reviews)
    for review in reviews:
        # The stored proposal is the rule's on the stored figures, and the figures are today's data.
        assert review.unit.programme.targets == {k: float(v) for k, v in TARGETS.items()}
        fresh = svc.judge(review.unit.node, review.year, review.unit.targets())
        assert [i["value"] for i in fresh["indicators"]] == [
            i["value"] for i in review.evidence["indicators"]
        ]
        assert svc.propose(review.evidence["indicators"], None)[0] == review.proposed
    assert Unit.objects.filter(active=False).count() == result["drop"]
    assert audit_verify().ok
