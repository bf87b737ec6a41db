"""Who acts: a person (a Django user), an API client, or the system clock.

Every service takes ``actor=``; events record it. ``SYSTEM`` is the actor of sweeps and loaders.

Events name staff by their login: they act in office and answer for it. A resident's login may be
their phone number or their name, and the event log keeps its labels for ever, so a resident is named
``resident #<user id>`` instead (``actor_label``); the id still links their events for export and
erasure, and the pages show the label in the reader's language (``label_display``). An event about a
person (their account, a role, a second factor) names them by the same rule (``person_label``) beside
their id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class SystemActor:
    label: str = "system"
    pk: None = None
    is_authenticated: bool = True

    def __str__(self) -> str:
        return self.label


SYSTEM = SystemActor()


@dataclass(frozen=True)
class FollowLinkActor:
    """An anonymous reporter who proved, with the secret of the follow link, that a case is theirs.

    It reaches that one case as its reporter would and nothing else; only interfaces that checked the
    link's token create it.
    """

    case_id: int
    label: str = "reporter via follow link"
    pk: None = None
    is_authenticated: bool = True

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class ApiClientActor:
    """Another system calling with an API key that acts for no person (Open311 clients, intake feeds).

    It holds no roles: it may only do what its key's scopes allow, and events name the key.
    """

    key_id: int
    label: str
    pk: None = None
    is_authenticated: bool = True

    def __str__(self) -> str:
        return self.label


def actor_user_id(actor: Any) -> int | None:
    """The user id an event links to (None for the system or an API client without a user)."""
    if isinstance(actor, SystemActor | FollowLinkActor | ApiClientActor) or actor is None:
        return None
    return getattr(actor, "pk", None)


# ``orgs.models.Role.RESIDENT``, spelled out: this module sits below every domain app.
RESIDENT_ROLE = "resident"
RESIDENT_PREFIX = "resident #"
RESIDENT_LABEL = re.compile(rf"^{RESIDENT_PREFIX}([0-9]+)$")


def resident_label(user_id: int) -> str:
    return f"{RESIDENT_PREFIX}{user_id}"


def holds_office(person: Any) -> bool:
    """Whether a signed-in person acts in an office: a staff or superuser flag, or an active membership
    with any role but resident (the same people who cannot erase their own account)."""
    if getattr(person, "is_staff", False) or getattr(person, "is_superuser", False):
        return True
    # ``orgs.scopes.grants_of`` leaves the person's memberships on the object; most writers read them.
    grants = getattr(person, "_chuishao_grants", None)
    if grants is not None:
        return any(g.role != RESIDENT_ROLE for g in grants)
    # Otherwise read once per person object, as the grants are (intake appends events in a loop).
    cached = getattr(person, "_chuishao_holds_office", None)
    if cached is None:
        memberships = apps.get_model("orgs", "Membership").objects.filter(person_id=person.pk, active=True)
        cached = memberships.exclude(role=RESIDENT_ROLE).exists()
        person._chuishao_holds_office = cached
    return cached


def actor_label(actor: Any) -> str:
    """How an event names its actor: a label, or for a person their login if they hold an office and
    ``resident #<id>`` if they do not."""
    if actor is None:
        return "anonymous"
    if isinstance(actor, SystemActor | FollowLinkActor | ApiClientActor):
        return actor.label
    if getattr(actor, "is_anonymous", False):
        return "anonymous"
    pk = getattr(actor, "pk", None)
    if pk is not None and not holds_office(actor):
        return resident_label(pk)
    return getattr(actor, "username", None) or str(actor)


def person_label(person: Any) -> str:
    """How an event names the person it is about (not its actor): their login if they hold an office,
    ``resident #<id>`` if they do not, as ``actor_label`` names actors. Record ``person_id`` beside it."""
    return actor_label(person)


def office_changed(person: Any) -> None:
    """Forget what was read of the person's memberships (``holds_office``, ``orgs.scopes.grants_of``):
    after a role is granted or taken away, the next label or check reads them again."""
    for cached in ("_chuishao_grants", "_chuishao_holds_office"):
        person.__dict__.pop(cached, None)


def label_display(label: str) -> str:
    """An event's actor label for a page: a resident's in the reader's language, any other as stored."""
    found = RESIDENT_LABEL.match(label or "")
    if found:
        return _("resident #%(id)s") % {"id": found.group(1)}
    return label
