"""The demo's activities load on the real demo city through the services: the branch's months of 三会一课
with attendance, the 89th lecture with its figures, and a volunteer day whose check-in is open now."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from chuishao import clock
from chuishao.activities.models import Activity, AudienceFigure, Participation, Status
from chuishao.activities.reports import activities_report, default_period
from chuishao.activities.services import checkin_window
from chuishao.demo.activities import ACTIVITIES_LOGINS, COMMUNITY, load_activities
from chuishao.events.audit import audit_verify
from tests.factories import demo_geography_and_people


@pytest.mark.django_db
def test_demo_activities_load_on_the_demo_city():
    from chuishao.demo.engagement import load_engagement
    from chuishao.demo.loader import DEMO_PASSWORD
    from chuishao.demo.party_coverage import load_party_coverage

    quiet = lambda _: None  # noqa: E731
    demo_geography_and_people()
    now = clock.now()
    load_engagement(now=now, password=DEMO_PASSWORD, log=quiet)
    load_party_coverage(now=now, log=quiet)
    lines: list[str] = []
    counts = load_activities(now=now, password=DEMO_PASSWORD, log=lines.append)
    assert any("party-member-1" in line for line in lines)
    for username, _zh, _en in ACTIVITIES_LOGINS:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None
    held = Activity.objects.filter(status=Status.HELD)
    assert held.filter(kind="branch_meeting").values("meeting_kind").distinct().count() == 3
    assert held.filter(kind="training").count() == 2 and held.filter(kind="volunteer").count() == 3
    lecture = Activity.objects.get(title__startswith="红色讲坛第89期")
    figures = dict(AudienceFigure.objects.filter(activity=lecture).values_list("measure", "count"))
    assert figures == {"hall": 200, "online": 2_352_000, "interactions": 173_000}
    assert counts["check_ins"] > 100 and counts["leave"] > 0 and counts["absent"] > 0
    assert Participation.objects.filter(presence="leave").exclude(reason="").exists()
    live = Activity.objects.get(title="志愿服务日：共享单车整理")
    opens, closes = checkin_window(live)
    assert opens <= clock.now() <= closes and live.taken == 4
    branch = lecture.organiser.__class__.objects.get(code=f"ORG-{COMMUNITY}-party")
    report = activities_report([branch], *default_period())
    row = report.rows[0]
    assert row.held >= 9 and 50 < row.rate < 100 and row.hours_per_member > 5
    assert audit_verify().ok
