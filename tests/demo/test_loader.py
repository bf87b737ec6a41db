"""The demo city loads through the real services: its events verify and every showcase login works."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from chuishao.cases.models import Case, Status
from chuishao.demo.city import DEMO_LOGINS
from chuishao.demo.loader import DEMO_PASSWORD, demo_is_loaded, load_demo
from chuishao.events.audit import audit_verify
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction


@pytest.mark.django_db
def test_demo_loads_through_the_services(capsys):
    result = load_demo(log=lambda _: None, cases=60, days=20)
    assert demo_is_loaded()
    assert result["cases"] == Case.objects.count() >= 50
    assert Jurisdiction.objects.filter(kind="grid").count() >= 200
    assert Jurisdiction.objects.filter(kind="community").count() >= 20
    assert Jurisdiction.objects.filter(kind="street").count() >= 6
    # Every case has its reported event and a real history behind its state.
    assert Event.objects.filter(verb="case.reported").count() == Case.objects.count()
    assert Case.objects.filter(status__in=[Status.RATED, Status.CLOSED]).exists()
    assert Case.objects.exclude(lead_org=None).exists()
    assert all(e.created_at <= dt.datetime.now(dt.UTC) for e in Event.objects.all())
    report = audit_verify()
    assert report.ok, report.problems[:3]
    for username, _zh, _en in DEMO_LOGINS:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username

    call_command("demo")
    out = capsys.readouterr().out
    assert "already loaded" in out
    assert Case.objects.count() == result["cases"]
