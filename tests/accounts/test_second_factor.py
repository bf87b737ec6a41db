"""The optional authenticator of staff: enrol, sign in with it, no replay, throttled, reset by an admin."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from chuishao.events.models import Event
from chuishao.security import services, totp
from chuishao.security.models import RecoveryCode, TotpDevice
from tests.accounts.conftest import PASSWORD

NOON = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def _code(secret: bytes, at: dt.datetime) -> str:
    return totp.code_for(secret, totp.step_of(at.timestamp()))


def _enrol(client, person) -> tuple[bytes, list[str]]:
    """Enrol through the pages, as the person would: begin, read the key, confirm with a code."""
    client.force_login(person)
    page = client.post(reverse("security:totp_setup"), {"action": "begin"})
    assert b'data-testid="totp-qr"' in page.content and b"<svg" in page.content
    key = re.search(rb'data-testid="totp-secret">([A-Z2-7]+)<', page.content).group(1).decode()
    secret = totp.base64.b32decode(key + "=" * (-len(key) % 8))
    done = client.post(reverse("security:totp_setup"), {"action": "confirm", "code": _code(secret, NOON)})
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.content.decode())
    assert len(codes) == services.RECOVERY_CODES
    client.logout()
    return secret, codes


def _password(client, username="clerk", address="203.0.113.7"):
    return client.post(
        reverse("web:login"), {"username": username, "password": PASSWORD}, REMOTE_ADDR=address
    )


def _code_step(client, code, address="203.0.113.7"):
    return client.post(reverse("security:totp_login"), {"code": code}, REMOTE_ADDR=address)


def test_enrolment_stores_the_secret_sealed_and_records_an_event(client, people, clock):
    secret, codes = _enrol(client, people["clerk"])
    device = TotpDevice.objects.get(person=people["clerk"])
    assert device.confirmed_at is not None
    assert totp.base32(secret) not in device.sealed_secret
    stored = set(RecoveryCode.objects.filter(person=people["clerk"]).values_list("digest", flat=True))
    assert len(stored) == len(codes) and not stored & set(codes)
    assert Event.objects.get(verb="totp.enabled").actor == people["clerk"]


def test_a_wrong_first_code_does_not_turn_it_on(client, people, clock):
    client.force_login(people["clerk"])
    client.post(reverse("security:totp_setup"), {"action": "begin"})
    page = client.post(reverse("security:totp_setup"), {"action": "confirm", "code": "000000"})
    assert b'data-testid="totp-qr"' in page.content  # asked again, same key
    assert not services.required_for(people["clerk"])


def test_residents_are_not_offered_it(client, people):
    client.force_login(people["resident"])
    client.post(reverse("security:totp_setup"), {"action": "begin"})
    assert not TotpDevice.objects.exists()


def test_signing_in_asks_for_the_code_after_the_password(client, people, clock):
    secret, _codes = _enrol(client, people["clerk"])
    clock.shift(dt.timedelta(seconds=60))
    response = _password(client)
    assert response.status_code == 302 and response["Location"] == reverse("security:totp_login")
    assert "_auth_user_id" not in client.session  # the password alone signs nobody in
    assert client.get(reverse("web:case_list")).status_code == 302
    assert (
        _code_step(
            client, "123456" if _code(secret, NOON + dt.timedelta(seconds=60)) != "123456" else "654321"
        ).status_code
        == 400
    )
    assert "_auth_user_id" not in client.session
    assert _code_step(client, _code(secret, NOON + dt.timedelta(seconds=60))).status_code == 302
    assert client.session["_auth_user_id"] == str(people["clerk"].pk)


def test_a_code_works_once(client, people, clock):
    secret, _codes = _enrol(client, people["clerk"])
    clock.shift(dt.timedelta(seconds=60))
    code = _code(secret, NOON + dt.timedelta(seconds=60))
    _password(client)
    assert _code_step(client, code).status_code == 302
    client.logout()
    clock.shift(dt.timedelta(seconds=5))  # same 30-second window
    _password(client)
    assert _code_step(client, code).status_code == 400
    # The enrolment's own code (an earlier step) is refused too.
    assert _code_step(client, _code(secret, NOON)).status_code == 400


def test_wrong_codes_lock_out_like_wrong_passwords(client, people, clock, settings):
    _enrol(client, people["clerk"])
    _password(client)
    statuses = [_code_step(client, "000000").status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses[:-1] == [400] * (settings.AXES_FAILURE_LIMIT - 1) and statuses[-1] == 429
    # Now even the password step is refused for this username from this address.
    assert _password(client).status_code == 429


def test_a_recovery_code_works_once_instead_of_a_code(client, people, clock):
    _secret, codes = _enrol(client, people["clerk"])
    _password(client)
    assert _code_step(client, codes[0].upper()).status_code == 302
    client.logout()
    _password(client)
    assert _code_step(client, codes[0]).status_code == 400
    assert Event.objects.filter(verb="totp.recovery_code_used").count() == 1


def test_an_administrator_resets_it_and_the_reset_is_an_event(client, people, clock):
    _enrol(client, people["clerk"])
    with pytest.raises(services.SecondFactorError):
        services.totp_reset(actor=people["colleague"], person=people["clerk"], reason="lost phone")
    with pytest.raises(services.SecondFactorError):
        services.totp_reset(actor=people["admin"], person=people["clerk"], reason=" ")
    services.totp_reset(actor=people["admin"], person=people["clerk"], reason="lost phone")
    event = Event.objects.get(verb="totp.reset")
    assert event.actor == people["admin"] and event.reason == "lost phone"
    assert not RecoveryCode.objects.filter(person=people["clerk"]).exists()
    assert _password(client).status_code == 302
    assert client.session["_auth_user_id"] == str(people["clerk"].pk)


def test_the_pending_sign_in_expires(client, people, clock):
    _enrol(client, people["clerk"])
    _password(client)
    clock.shift(dt.timedelta(minutes=6))
    assert _code_step(client, "000000")["Location"] == reverse("web:login")


def test_the_admin_site_signs_in_through_the_same_door(client, people):
    response = client.get("/admin/login/?next=/admin/auth/user/")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:login") + "?next=%2Fadmin%2Fauth%2Fuser%2F"
    assert client.post("/admin/login/", {"username": "admin", "password": PASSWORD}).status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/login/?next=https://evil.example/")["Location"].endswith("next=%2Fadmin%2F")
