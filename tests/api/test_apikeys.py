"""API keys: shown once, stored as a hash, scoped, revocable, every change an event."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chuishao.actors import SYSTEM, ApiClientActor
from chuishao.events.models import Event
from chuishao.orgs.apikeys import apikey_actor, apikey_authenticate, apikey_create, apikey_revoke
from chuishao.orgs.errors import OrgError
from chuishao.orgs.models import ApiKey


def test_the_key_is_stored_only_as_its_hash(city):
    key, raw = apikey_create(actor=SYSTEM, name="Civic app", scopes=["open311"])
    assert raw.startswith(f"cs_{key.prefix}_") and len(raw) > 40
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    assert raw not in str(stored)
    assert stored["digest"] == hashlib.sha256(raw.encode()).hexdigest()
    assert apikey_authenticate(raw) == key
    event = Event.objects.get(verb="apikey.created")
    assert event.after["name"] == "Civic app" and raw not in str(event.after)


@pytest.mark.parametrize("raw", [None, "", "   ", "cs_nothing_like_it", "Token x", "cs_"])
def test_unknown_or_empty_keys_authenticate_nobody(city, raw):
    apikey_create(actor=SYSTEM, name="k", scopes=["open311"])
    assert apikey_authenticate(raw) is None


def test_a_revoked_key_stops_working_and_the_revocation_is_an_event(city):
    key, raw = apikey_create(actor=SYSTEM, name="old feed", scopes=["intake"])
    apikey_revoke(actor=SYSTEM, key=key, reason="system retired")
    assert apikey_authenticate(raw) is None
    assert Event.objects.get(verb="apikey.revoked").reason == "system retired"
    with pytest.raises(OrgError, match="revoked already"):
        apikey_revoke(actor=SYSTEM, key=key)


def test_a_key_acts_as_its_person_or_as_itself(city):
    person_key, _ = apikey_create(
        actor=SYSTEM, name="street app", scopes=["read", "write"], person=city.people["street-a"]
    )
    assert apikey_actor(person_key) == city.people["street-a"]
    system_key, _ = apikey_create(actor=SYSTEM, name="feed", scopes=["open311"])
    actor = apikey_actor(system_key)
    assert isinstance(actor, ApiClientActor) and "feed" in str(actor)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "", "scopes": ["open311"]}, "Give the key a name"),
        ({"name": "x", "scopes": []}, "at least one scope"),
        ({"name": "x", "scopes": ["admin"]}, "Unknown scope admin"),
        ({"name": "x", "scopes": ["read"]}, "name the person"),
    ],
)
def test_bad_keys_are_refused(city, kwargs, message):
    with pytest.raises(OrgError, match=message):
        apikey_create(actor=SYSTEM, **kwargs)
    assert not ApiKey.objects.exists()


def test_the_command_creates_lists_and_revokes(city):
    out, err = io.StringIO(), io.StringIO()
    call_command("apikey", "create", "Open311 app", "--scope", "open311", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert apikey_authenticate(raw) is not None
    assert "cannot be shown again" in err.getvalue()
    listing = io.StringIO()
    call_command("apikey", "list", stdout=listing)
    assert "Open311 app" in listing.getvalue() and raw not in listing.getvalue()
    call_command("apikey", "revoke", "Open311 app", stdout=io.StringIO())
    assert apikey_authenticate(raw) is None
    with pytest.raises(CommandError, match="name the person"):
        call_command("apikey", "create", "reader", "--scope", "read", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No person"):
        call_command("apikey", "create", "r", "--scope", "read", "--person", "ghost", stdout=io.StringIO())


def test_remembered_answers_are_forgotten_after_the_window(city, settings):
    import datetime as dt

    from chuishao import clock
    from chuishao.api.idempotency import idempotency_forget
    from chuishao.api.models import IdempotentRequest

    now = clock.now()
    common = {"owner": "key:1", "fingerprint": "f", "status": 201, "content_type": "x", "body": b"{}"}
    IdempotentRequest.objects.create(key="old", created_at=now - dt.timedelta(hours=25), **common)
    IdempotentRequest.objects.create(key="new", created_at=now - dt.timedelta(hours=23), **common)
    assert idempotency_forget() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]
