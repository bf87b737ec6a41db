"""Calls the routes as the matrix's actors and says what each call got."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.test import Client
from django.urls import reverse

from tests.security.seed import MARKER_B, PERSON_B, Side, World

UNKNOWN_PK = 987654321
LOGIN_REDIRECT = re.compile(r"^/login/(\?next=|$)")


def resolve_arg(spec: str, side: Side, world: World):
    """One URL argument from its spec: ``case.pk``, ``community``, ``=literal``, ``unknown``…"""
    if spec.startswith("="):
        return spec[1:]
    if spec == "unknown":
        return UNKNOWN_PK
    if spec.startswith("a:"):
        side, spec = world.a, spec[2:]
    head, _, attr = spec.partition(".")
    value = getattr(side, head, None)
    if value is None:
        value = side.extra[head]
    return getattr(value, attr) if attr else (value.pk if hasattr(value, "pk") else value)


def is_scoped(args: dict[str, str]) -> bool:
    """Whether the route's arguments name an object of a side (so it has an inside and an outside)."""
    return any(not s.startswith(("=", "a:")) and s != "unknown" for s in args.values())


def build_url(name: str, args: dict[str, str], side: Side, world: World, pattern: str) -> str:
    kwargs = {k: resolve_arg(s, side, world) for k, s in args.items() if not k.startswith("?")}
    query = {k[1:]: resolve_arg(s, side, world) for k, s in args.items() if k.startswith("?")}
    return _url(name, kwargs, pattern) + ("?" + urlencode(query) if query else "")


def _url(name: str, kwargs: dict, pattern: str) -> str:
    if name.startswith("open311:") and "(?P<" in pattern:
        # The Open311 patterns are regular expressions with an optional format suffix: fill them by hand.
        base = "/open311/v2/" + pattern.split("^", 1)[1].split("(?", 1)[0]
        tail = "/".join(str(v) for v in kwargs.values())
        return base + tail + ".json" if tail else base + ".json"
    return reverse(name, kwargs=kwargs)


@dataclass
class Outcome:
    status: int
    refused: bool
    ok: bool
    leaked: bool
    personal: bool
    location: str


def judge(response) -> Outcome:
    """Refused: 401/403/404/405 or the sign-in page; ok: 200 or a redirect elsewhere (the page's normal
    answer, e.g. the home page sending a signed-in person to their desk)."""
    status = response.status_code
    location = response.get("Location", "") if status in (301, 302, 303) else ""
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    to_login = status == 302 and bool(LOGIN_REDIRECT.match(location))
    return Outcome(
        status=status,
        refused=status in (401, 403, 404, 405) or to_login,
        ok=status == 200 or (status in (301, 302, 303) and not to_login),
        leaked=MARKER_B.encode() in body,
        personal=PERSON_B.encode() in body,
        location=location,
    )


def client_for(actor: str, world: World) -> Client:
    client = Client()
    if actor.startswith("key-"):
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {world.keys[actor]}"
    elif actor != "anonymous":
        client.force_login(world.city.people[actor])
    return client
