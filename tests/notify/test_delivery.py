"""The sender: signed webhooks, email, retries with backoff, giving up, and reclaiming dead claims."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.cases.services import case_dispatch, case_file
from chuishao.notify.models import Delivery, DeliveryState
from chuishao.notify.services import backoff, channel_create, deliver_pending, fanout
from chuishao.notify.services.delivery import _claim
from tests.notify.conftest import SECRET
from tests.notify.helpers import append, make_whistle


@pytest.fixture
def hook(city, receiver):
    channel, _ = channel_create(
        actor=SYSTEM, organisation=city.orgs["um-110901"], kind="webhook", target=receiver.url, secret=SECRET
    )
    return channel


def _dispatch(city, report):
    case = report()
    case_file(case=case, actor=city.people["street-a"])
    case = case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])
    fanout()
    return case


def test_a_webhook_is_signed_and_carries_nothing_personal(city, report, receiver, hook):
    case = _dispatch(city, report)
    result = deliver_pending(worker="test")
    assert result.delivered == 1
    (request,) = receiver.requests
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED and delivery.delivered_at is not None
    assert delivery.attempts == 1
    assert request["signature_ok"]
    headers = request["headers"]
    assert headers["X-Chuishao-Event"] == "case.dispatch"
    assert headers["X-Chuishao-Delivery"] == str(delivery.pk)
    body = request["json"]
    assert body["delivery"] == delivery.pk
    assert body["event"]["id"] == delivery.event_id and body["event"]["verb"] == "case.dispatch"
    assert body["case"] == case.number and body["whistle"] is None
    assert body["after"]["lead_org_id"] == city.orgs["um-110901"].pk
    raw = request["body"].decode()
    assert "张三" not in raw and "13812341234" not in raw
    # Nothing is due any more.
    assert deliver_pending().claimed == 0


def test_a_wrong_secret_does_not_verify(city, report, receiver, hook):
    receiver.secret = "not-the-secret"
    _dispatch(city, report)
    deliver_pending()
    assert receiver.requests and not receiver.requests[0]["signature_ok"]


def test_whistle_webhooks_name_the_whistle(city, receiver, hook):
    whistle = make_whistle(city)
    append("whistle.rated", whistle=whistle, after={"organisation_id": city.orgs["um-110901"].pk})
    fanout()
    deliver_pending()
    (request,) = receiver.requests
    assert request["json"]["whistle"] == whistle.number and request["json"]["case"] is None


def test_a_failing_endpoint_is_retried_with_backoff_then_succeeds(city, report, receiver, hook):
    receiver.script = [500, 503]
    _dispatch(city, report)
    start = clock.now()
    assert deliver_pending().retrying == 1
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1
    assert delivery.last_error.startswith("HTTP 500")
    assert delivery.next_attempt_at >= start + dt.timedelta(minutes=1)
    # Not due yet.
    assert deliver_pending().claimed == 0
    with time_machine.travel(start + dt.timedelta(minutes=1, seconds=5)):
        assert deliver_pending().retrying == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_error.startswith("HTTP 503")
    with time_machine.travel(start + dt.timedelta(minutes=2)):
        assert deliver_pending().claimed == 0  # the second wait is two minutes
    with time_machine.travel(start + dt.timedelta(minutes=3, seconds=10)):
        assert deliver_pending().delivered == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 3 and delivery.last_error == ""
    assert len(receiver.requests) == 3
    assert len({r["headers"]["X-Chuishao-Delivery"] for r in receiver.requests}) == 1


def test_backoff_doubles_and_is_capped(settings):
    settings.CHUISHAO_NOTIFY_BACKOFF_CAP_SECONDS = 600
    assert [backoff(n).total_seconds() for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]


def test_delivery_gives_up_after_the_last_attempt(city, report, receiver, hook, settings):
    settings.CHUISHAO_NOTIFY_MAX_ATTEMPTS = 3
    receiver.script = [500] * 10
    _dispatch(city, report)
    for _ in range(3):
        deliver_pending()
        # Skip the backoff wait.
        Delivery.objects.update(next_attempt_at=clock.now())
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == 3 and delivery.last_error.startswith("HTTP 500")
    assert deliver_pending().claimed == 0
    assert len(receiver.requests) == 3


def test_an_unreachable_endpoint_is_an_error_not_a_crash(city, report):
    channel_create(
        actor=SYSTEM, organisation=city.orgs["um-110901"], kind="webhook", target="http://127.0.0.1:9/closed"
    )
    _dispatch(city, report)
    assert deliver_pending().retrying == 1
    assert "could not reach" in Delivery.objects.get().last_error


def test_email_goes_through_the_configured_backend(city, report, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CHUISHAO_NOTIFY_BASE_URL = "https://chuishao.example.org/"
    channel_create(actor=SYSTEM, organisation=city.orgs["um-110901"], kind="email", target="um@example.org")
    case = _dispatch(city, report)
    assert deliver_pending().delivered == 1
    (message,) = mail.outbox
    assert message.to == ["um@example.org"]
    assert message.subject == f"[Chuishao] Case {case.number} dispatched to you"
    assert f"https://chuishao.example.org/cases/{case.pk}/" in message.body
    assert "张三" not in message.body and "13812341234" not in message.body


def test_a_claim_whose_worker_died_is_taken_again_after_its_lease(city, report, receiver, hook):
    _dispatch(city, report)
    # A worker claims the row and dies before sending.
    (claimed,) = _claim(batch=10, token="dead-worker", worker="dead", lease=60)
    assert Delivery.objects.get().state == DeliveryState.SENDING
    assert deliver_pending(worker="live").claimed == 0
    with time_machine.travel(clock.now() + dt.timedelta(seconds=61)):
        assert deliver_pending(worker="live").delivered == 1
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 2
    assert delivery.claimed_by == "live"


def test_a_late_worker_cannot_overwrite_the_outcome_of_a_newer_claim(city, report, receiver, hook):
    from chuishao.notify.services.delivery import _fail

    _dispatch(city, report)
    (stale,) = _claim(batch=10, token="old", worker="old", lease=1)
    with time_machine.travel(clock.now() + dt.timedelta(seconds=5)):
        deliver_pending(worker="new")
    _fail(stale, "old", RuntimeError("timed out long ago"))
    assert Delivery.objects.get().state == DeliveryState.DELIVERED


def test_a_switched_off_channel_fails_without_sending(city, report, receiver, hook):
    from chuishao.notify.services import channel_deactivate

    _dispatch(city, report)
    channel_deactivate(actor=SYSTEM, channel=hook)
    assert deliver_pending().failed == 1
    assert receiver.requests == []
    assert Delivery.objects.get().last_error == "the channel is no longer active"
