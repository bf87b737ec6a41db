"""Who acts: a person (a Django user), an API client, or the system clock.

Every service takes ``actor=``; events record it. ``SYSTEM`` is the actor of sweeps and loaders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


def actor_label(actor: Any) -> str:
    if actor is None:
        return "anonymous"
    if isinstance(actor, SystemActor | FollowLinkActor | ApiClientActor):
        return actor.label
    if getattr(actor, "is_anonymous", False):
        return "anonymous"
    return getattr(actor, "username", None) or str(actor)
