"""The periodic job and ``chuishao notify-run --once`` fan out and deliver."""

from __future__ import annotations

import io

from django.core import mail
from django.core.management import call_command

from chuishao.actors import SYSTEM
from chuishao.cases.services import case_dispatch, case_file
from chuishao.notify.models import Delivery, DeliveryState, Notification
from chuishao.notify.services import channel_create
from chuishao.notify.tasks import notify_tick


def _setup(city, report, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    channel_create(actor=SYSTEM, organisation=city.orgs["um-110901"], kind="email", target="um@example.org")
    case = report()
    case_file(case=case, actor=city.people["street-a"])
    case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])


def test_periodic_job_fans_out_and_delivers(city, report, settings):
    _setup(city, report, settings)
    notify_tick.call_local()
    assert Notification.objects.filter(recipient__username="um-a").count() == 1
    assert Delivery.objects.get().state == DeliveryState.DELIVERED
    assert len(mail.outbox) == 1


def test_notify_run_once(city, report, settings):
    _setup(city, report, settings)
    out = io.StringIO()
    call_command("notify_run", once=True, stdout=out)
    assert "sent 1" in out.getvalue()
    assert Delivery.objects.get().state == DeliveryState.DELIVERED
