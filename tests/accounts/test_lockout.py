"""Login throttling: five failures lock one username from one address, nobody else."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.urls import reverse

from tests.accounts.conftest import PASSWORD

LIMIT = 5


def _attempt(client, username, password, address="203.0.113.7"):
    return client.post(
        reverse("web:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _fail(client, username, address="203.0.113.7", times=LIMIT):
    for _ in range(times):
        _attempt(client, username, "wrong-password-x", address)


def test_the_fifth_failure_locks_even_the_right_password_out(client, people, settings):
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    _fail(client, "clerk", times=LIMIT - 1)
    assert _attempt(client, "clerk", PASSWORD).status_code == 302  # four mistakes, then right: in
    client.logout()
    _fail(client, "clerk")  # the success cleared the count; five more lock
    response = _attempt(client, "clerk", PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60
    assert b'data-testid="locked-out"' in response.content
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_one_username_from_one_address(client, people):
    _fail(client, "clerk")
    # A colleague behind the same office NAT still signs in…
    assert _attempt(client, "colleague", PASSWORD).status_code == 302
    client.logout()
    # …and so does the clerk from another address.
    assert _attempt(client, "clerk", PASSWORD, address="198.51.100.9").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, people):
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        _fail(client, "clerk")
        assert _attempt(client, "clerk", PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        assert _attempt(client, "clerk", PASSWORD).status_code == 302


def test_the_lockout_page_speaks_chinese_by_default(client, people):
    _fail(client, "clerk")
    response = client.post(
        reverse("web:login"),
        {"username": "clerk", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 429
    assert response["Content-Language"] == "zh-hans"


def test_calls_without_a_request_are_not_throttled(client, people):
    """The test client's login and in-process checks pass no request: the lock-out backend abstains."""
    _fail(client, "clerk")
    assert authenticate(username="clerk", password=PASSWORD) is not None
    assert client.login(username="clerk", password=PASSWORD)


@pytest.mark.parametrize("proxied", [False, True])
def test_behind_the_proxy_the_last_forwarded_address_counts(rf, settings, proxied):
    from chuishao.security.client import client_ip

    if proxied:
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert client_ip(request) == ("203.0.113.7" if proxied else "10.0.0.2")


def test_an_unusable_address_counts_as_none(rf):
    from chuishao.security.client import client_ip

    assert client_ip(rf.get("/", REMOTE_ADDR="")) is None
    assert client_ip(rf.get("/", REMOTE_ADDR="not-an-address")) is None
    assert client_ip(rf.get("/", REMOTE_ADDR="2001:db8::1")) == "2001:db8::1"
