"""The demo city loads through the real services: its events verify and every showcase login works."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import models

from chuishao.cases.models import Case, Status, Whistle
from chuishao.demo.activities import ACTIVITIES_LOGINS
from chuishao.demo.campaigns import CAMPAIGN_LOGINS
from chuishao.demo.city import DEMO_LOGINS
from chuishao.demo.engagement import ENGAGEMENT_LOGINS
from chuishao.demo.loader import DEMO_PASSWORD, demo_is_loaded, load_demo
from chuishao.demo.redproperty import REDPROPERTY_LOGINS
from chuishao.events.audit import audit_verify
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction


@pytest.mark.django_db
def test_demo_loads_through_the_services(capsys):
    result = load_demo(log=lambda _: None, cases=60, days=20)
    assert demo_is_loaded()
    # The replayed history plus the two cases of the border story and the 托乐嘉 parking case.
    assert result["cases"] + 3 == Case.objects.count() >= 53
    assert Jurisdiction.objects.filter(kind="grid").count() >= 200
    assert Jurisdiction.objects.filter(kind="community").count() >= 20
    assert Jurisdiction.objects.filter(kind="street").count() >= 6
    # Every case has its reported event and a real history behind its state.
    assert Event.objects.filter(verb="case.reported").count() == Case.objects.count()
    assert Case.objects.filter(status__in=[Status.RATED, Status.CLOSED]).exists()
    assert Case.objects.exclude(lead_org=None).exists()
    # Some of the replayed cases were whistled on, and those whistles ran to their end.
    replayed = Whistle.objects.exclude(cases__category__code="0101", cases__category__kind="event")
    assert replayed.filter(status="done").exists()
    assert all(e.created_at <= dt.datetime.now(dt.UTC) for e in Event.objects.all())
    report = audit_verify()
    assert report.ok, report.problems[:3]
    for username, _zh, _en in (
        DEMO_LOGINS + ENGAGEMENT_LOGINS + REDPROPERTY_LOGINS + ACTIVITIES_LOGINS + CAMPAIGN_LOGINS
    ):
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username

    # Dual reporting: registered units and members, a season of confirmed service, work still to do.
    from chuishao.engagement.models import Claim, PointEntry, Registration, Task

    assert Registration.objects.filter(kind="unit", status="confirmed").count() == 3
    assert Registration.objects.filter(kind="member", status="confirmed").count() >= 12
    assert Registration.objects.filter(kind="member", status="pending").exists()
    assert Claim.objects.filter(status="confirmed").count() >= 100
    assert Claim.objects.filter(status="checked_out").exists()  # waiting for the community
    assert Task.objects.filter(
        starts_at__gt=dt.datetime.now(dt.UTC), claimed__lt=models.F("capacity")
    ).exists()
    assert PointEntry.objects.exists()

    # Community workers in every community; the register has admitted, refused and waiting requests.
    from chuishao.workforce.models import Admission, CommunityWorker

    staffed = set(CommunityWorker.objects.values_list("community_id", flat=True).distinct())
    assert staffed == set(Jurisdiction.objects.filter(kind="community").values_list("pk", flat=True))
    assert CommunityWorker.objects.filter(post="head").count() == len(staffed)
    assert {"admitted", "refused", "requested"} <= set(Admission.objects.values_list("status", flat=True))

    # Grid work, the 托乐嘉 board with its case waiting, and the Panjin street's branches in every grid.
    from chuishao.demo.city import DEMO_BORDER_STREET_WEST
    from chuishao.gridwork.models import Patrol, Visit
    from chuishao.party.coverage import coverage_summary
    from chuishao.party.models import BoardSeat

    assert Patrol.objects.count() >= 100 and Visit.objects.exists()
    assert BoardSeat.objects.filter(board__attached_complex__name="托乐嘉").count() >= 4
    assert Case.objects.filter(lead_org__kind="complex_board", status="dispatched").count() == 1
    panjin = coverage_summary(Jurisdiction.objects.get(code=DEMO_BORDER_STREET_WEST))
    assert panjin.grids.total and panjin.grids.covered == panjin.grids.total

    # Party-building work: the library's write-ups in each state, held activities with attendance and the
    # lecture's audience figures, last year's selection announced and this year's in review, the
    # demonstration programme's review decided by its own rule, and the problem of a month with its tasks.
    from chuishao.activities.models import Activity, AudienceFigure, Participation
    from chuishao.campaigns.models import Campaign
    from chuishao.demonstration.models import Review
    from chuishao.library.models import Exemplar
    from chuishao.monthly.models import MonthlyProblem

    states = list(Exemplar.objects.values_list("status", flat=True))
    assert states.count("published") >= 6 and "submitted" in states and "returned" in states
    assert Activity.objects.filter(status="held").count() >= 10
    assert Participation.objects.filter(presence="attended").count() >= 100
    assert AudienceFigure.objects.filter(count=2_352_000, measure="online").exists()
    assert set(Campaign.objects.values_list("status", flat=True)) == {"announced", "reviewing"}
    reviews = list(Review.objects.all())
    assert reviews and all(r.outcome == r.proposed and r.evidence for r in reviews)
    problem = MonthlyProblem.objects.get()
    assert problem.tasks.exists() and not problem.tasks.filter(done_at=None).exists()

    call_command("demo")
    out = capsys.readouterr().out
    assert "already loaded" in out
    assert "campaign-reviewer-1" in out and out.count("city-centre ") == 1
    assert Case.objects.count() == result["cases"] + 3


@pytest.mark.django_db
def test_the_border_story_is_told_once_and_ready_to_play_again():
    load_demo(log=lambda _: None, cases=0, days=1)
    stories = Case.objects.filter(category__code="0101", category__kind="event").order_by("created_at")
    finished, fresh = stories
    # The finished one: a joint whistle both districts' enforcement reported to, rated by both streets.
    whistle = Whistle.objects.get(cases=finished)
    assert whistle.joint and whistle.status == "done"
    assert {p.district.code for p in whistle.parties.all()} == {"110901", "110902"}
    summonses = list(whistle.summonses.all())
    assert {s.organisation.code for s in summonses} == {
        "ORG-110901-urban_management",
        "ORG-110902-urban_management",
    }
    assert all(s.onsite_at is not None and hasattr(s, "rating") for s in summonses)
    assert {s.rating.street_id for s in summonses} == {p.street_id for p in whistle.parties.all()}
    assert finished.status == Status.RATED and finished.satisfaction == "satisfied"
    # The fresh one waits on the line, filed, for a visitor to blow the whistle.
    assert fresh.status == Status.FILED and fresh.boundary_case
    assert not fresh.whistles.exists()
    assert audit_verify().ok
