"""Security headers, idle sessions, Argon2, and `check --deploy` clean with production settings."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys

import time_machine
from django.contrib.auth.hashers import identify_hasher, make_password
from django.urls import reverse

from chuishao.security.middleware import policy


def test_pages_carry_the_security_headers(client, db):
    response = client.get(reverse("web:login"))
    csp = response["Content-Security-Policy"]
    assert (
        "script-src 'self' 'nonce-" in csp
        and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    # Each response gets its own nonce.
    assert client.get(reverse("web:login"))["Content-Security-Policy"] != csp


def test_the_api_reference_keeps_its_own_policy(client, db):
    csp = client.get(reverse("api-redoc"))["Content-Security-Policy"]
    assert csp != policy("x") and "nonce-" not in csp


def test_the_demo_over_plain_http_keeps_cookies_usable(settings):
    """Without CHUISHAO_HTTPS (the demo on http://127.0.0.1), cookies must not demand TLS."""
    assert not settings.SESSION_COOKIE_SECURE and not settings.CSRF_COOKIE_SECURE
    assert not settings.SECURE_SSL_REDIRECT and settings.SECURE_HSTS_SECONDS == 0


def test_passwords_are_stored_with_argon2():
    assert identify_hasher(make_password("a-long-enough-pass-2026")).algorithm == "argon2"


def test_an_idle_session_ends(client, people, settings):
    settings.CHUISHAO_SESSION_IDLE_MINUTES = 30
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(people["clerk"])
        assert client.get(reverse("security:totp_setup")).status_code == 200
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(reverse("security:totp_setup")).status_code == 200  # activity keeps it alive
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(reverse("security:totp_setup")).status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        assert client.get(reverse("security:totp_setup")).status_code == 302
        assert "_auth_user_id" not in client.session


def test_a_session_ends_after_the_longest_day_however_busy(client, people, settings):
    settings.SESSION_COOKIE_AGE = 12 * 3600
    start = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(people["clerk"])
        for _ in range(12 * 3):  # a request every 20 minutes for 12 hours
            clock.shift(dt.timedelta(minutes=20))
            assert client.get(reverse("security:totp_setup")).status_code == 200
        clock.shift(dt.timedelta(minutes=20))
        assert client.get(reverse("security:totp_setup")).status_code == 302


def test_pages_after_sign_in_do_not_rewrite_the_session(client, people):
    client.force_login(people["clerk"])
    client.get(reverse("security:totp_setup"))
    session_key = client.session.session_key
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("security:totp_setup"))
    assert not [q for q in queries if "UPDATE" in q["sql"] and "django_session" in q["sql"]]
    assert client.session.session_key == session_key


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHUISHAO_", "DJANGO_", "DATABASE_"))}
    env.update(
        CHUISHAO_VAR=str(tmp_path),
        CHUISHAO_SECRET_KEY=secrets.token_urlsafe(64),
        CHUISHAO_DEBUG="0",
        CHUISHAO_HTTPS="1",
        CHUISHAO_BEHIND_PROXY="1",
        CHUISHAO_ALLOWED_HOSTS="city.example.org",
        CHUISHAO_CSRF_TRUSTED_ORIGINS="https://city.example.org",
    )
    # Run with HTTPS and, as a control, without it (which must warn): both at once.
    command = [sys.executable, "-m", "chuishao.cli", "manage", "check", "--deploy", "--fail-level", "WARNING"]
    runs = {
        https: subprocess.Popen(
            command,
            env={**env, "CHUISHAO_HTTPS": https},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for https in ("1", "0")
    }
    out = {https: run.communicate(timeout=120)[0] for https, run in runs.items()}
    assert runs["1"].returncode == 0, out["1"]
    assert "no issues" in out["1"]
    # Without HTTPS it is not clean: the test notices a setting gone missing.
    assert runs["0"].returncode != 0 and "security.W004" in out["0"]
