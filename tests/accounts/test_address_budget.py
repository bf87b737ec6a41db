"""One address may try only so many sign-ins a minute, over any usernames, before any password is hashed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _attempt(client, username, password="wrong-password-x", address="203.0.113.50"):  # noqa: S107
    return client.post(
        reverse("web:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


@pytest.fixture
def budget(settings):
    settings.CHUISHAO_LOGIN_ADDRESS_LIMIT = 6
    return 6


def test_a_flood_over_many_usernames_is_refused_before_any_password_is_checked(
    client, people, budget, monkeypatch
):
    start = dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for n in range(budget):
            assert _attempt(client, f"nobody-{n}").status_code == 200  # a wrong password: the form again
        checked = []
        from django.contrib.auth import hashers

        real = hashers.check_password
        monkeypatch.setattr(hashers, "check_password", lambda *a, **k: checked.append(1) or real(*a, **k))
        response = _attempt(client, "clerk", PASSWORD)  # even the right password of a real account
        assert response.status_code == 429
        assert int(response["Retry-After"]) == 55  # the rest of the minute
        assert b'data-testid="sign-in-busy"' in response.content
        assert checked == []
        assert "_auth_user_id" not in client.session
        # Another address is not held back by this one's flood.
        assert _attempt(client, "clerk", PASSWORD, address="198.51.100.9").status_code == 302
    client.logout()
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        assert _attempt(client, "clerk", PASSWORD).status_code == 302  # a new minute, a new budget


def test_loopback_is_not_counted_and_zero_turns_the_budget_off(client, people, budget, settings):
    for _ in range(budget + 2):
        _attempt(client, "nobody", address="127.0.0.1")
    assert _attempt(client, "clerk", PASSWORD, address="127.0.0.1").status_code == 302
    client.logout()
    settings.CHUISHAO_LOGIN_ADDRESS_LIMIT = 0
    for _ in range(budget + 2):
        _attempt(client, f"nobody-{_}")
    assert _attempt(client, "clerk", PASSWORD).status_code == 302


def test_the_budget_page_speaks_the_browsers_chinese(client, people, budget):
    for n in range(budget):
        _attempt(client, f"nobody-{n}")
    response = client.post(
        reverse("web:login"),
        {"username": "clerk", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.50",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 429
    assert "登录尝试过多" in response.content.decode()
