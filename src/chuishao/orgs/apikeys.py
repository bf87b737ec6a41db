"""API keys: created, listed, revoked and checked here; every change is an event on the ``orgs`` chain.

A key reads ``cs_<prefix>_<secret>``. The prefix is stored in clear so that a key can be named in
lists and logs without revealing it; the whole key is stored only as its SHA-256 digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import ApiClientActor, person_label
from chuishao.events.services import event_append
from chuishao.orgs.errors import OrgError
from chuishao.orgs.models import ApiKey, ApiScope

KEY_HEAD = "cs_"
# Marking a key as used is a write; do it at most this often per key.
LAST_USED_EVERY = dt.timedelta(minutes=5)
PERSON_SCOPES = {ApiScope.READ, ApiScope.WRITE}


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def apikey_create(*, actor: Any, name: str, scopes: Iterable[str], person: Any = None) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never stored and cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise OrgError(_("Give the key a name, e.g. the system that will use it."), code="apikey.name")
    if len(name) > 80:
        raise OrgError(_("A key's name has at most 80 characters."), code="apikey.name")
    scopes = sorted(set(scopes))
    if not scopes:
        raise OrgError(_("Give the key at least one scope."), code="apikey.scope")
    unknown = [s for s in scopes if s not in ApiScope.values]
    if unknown:
        raise OrgError(
            _("Unknown scope %(s)s; the scopes are %(all)s.")
            % {"s": ", ".join(unknown), "all": ", ".join(ApiScope.values)},
            code="apikey.scope",
        )
    if PERSON_SCOPES & set(scopes) and person is None:
        raise OrgError(
            _("The read and write scopes act as a person: name the person the key acts for."),
            code="apikey.person",
        )
    if ApiKey.objects.filter(name=name).exists():
        raise OrgError(_("A key named %(n)s exists already.") % {"n": name}, code="apikey.name")
    prefix = secrets.token_hex(4)
    raw = f"{KEY_HEAD}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        digest=_digest(raw),
        scopes=scopes,
        person=person,
        created_at=clock.now(),
    )
    event_append(
        verb="apikey.created",
        actor=actor,
        chain="orgs",
        after={
            "key": key.pk,
            "name": name,
            "prefix": prefix,
            "scopes": scopes,
            # A key may act for a resident: named as events name people (no resident's login in the log).
            "person_id": person.pk if person else None,
            "person": person_label(person) if person else None,
        },
    )
    return key, raw


@transaction.atomic
def apikey_revoke(*, actor: Any, key: ApiKey, reason: str = "") -> ApiKey:
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        raise OrgError(_("The key %(n)s is revoked already.") % {"n": key.name}, code="apikey.revoked")
    key.revoked_at = clock.now()
    key.save(update_fields=["revoked_at"])
    event_append(
        verb="apikey.revoked",
        actor=actor,
        chain="orgs",
        reason=reason,
        after={"key": key.pk, "name": key.name, "prefix": key.prefix},
    )
    return key


def apikey_authenticate(raw: str | None) -> ApiKey | None:
    """The active key with this secret, or None. Empty values count as no key."""
    raw = (raw or "").strip()
    if not raw.startswith(KEY_HEAD):
        return None
    key = ApiKey.objects.select_related("person").filter(digest=_digest(raw), revoked_at=None).first()
    if key is None:
        return None
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def apikey_actor(key: ApiKey) -> Any:
    """Who acts when this key calls: its person if it has one, else the key itself."""
    if key.person_id is not None:
        return key.person
    return ApiClientActor(key_id=key.pk, label=f"api key {key.name} ({key.prefix})")


def apikey_find(name_or_prefix: str) -> ApiKey:
    value = (name_or_prefix or "").strip()
    key = ApiKey.objects.filter(name=value).first() or ApiKey.objects.filter(prefix=value).first()
    if key is None:
        raise OrgError(_("No key is named %(n)s or has that prefix.") % {"n": value}, code="apikey.unknown")
    return key
